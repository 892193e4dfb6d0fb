"""Read what the API holds for the objects a project can see, with GET calls only, into a LiveState.

Why a separate reader: ``plan`` and ``audit`` must never change anything, so everything here goes
through a client built with ``read_only=True`` (which refuses non-GET calls before sending). The
reader also irons out the API's representation quirks (docs/api-notes.md "Schedules: list") so
that a converged system diffs as empty: ``time_unit`` and weekday ``point`` come back in whatever
case the server chose, numbers may arrive as strings, and sections may carry ``null`` placeholders.

There is no list-devices API, so devices are read one by one for the registration ids the manifests
name, concurrently; the client's token bucket and in-flight cap keep that under the QPS limit. A
device the API does not know becomes an entry in ``LiveState.device_errors``, and one whose read
kept failing past the client's retry budget an entry in ``LiveState.unreadable_devices``: the plan
leaves that device out with a warning rather than aborting the whole read. A failed schedule list
still fails the read: without it nothing about schedules can be decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from webpush_iac.concurrency import run_all
from webpush_iac.errors import (
    ApiError,
    AuthError,
    ClientError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from webpush_iac.plan.normalize import normalize_push, normalize_trigger
from webpush_iac.progress import STAGE_DEVICES, Progress, ProgressCounter
from webpush_iac.state import JSON, DesiredState, LiveDevice, LiveSchedule, LiveState


class LiveReader(Protocol):
    """The GET half of :class:`~webpush_iac.client.EngageLabClient` that this module relies on."""

    @property
    def server_time(self) -> datetime | None: ...

    async def list_schedules(self) -> list[JSON]: ...

    async def get_device(self, registration_id: str) -> JSON: ...

    async def get_alias(self, alias: str) -> list[str]: ...


async def read_live(
    client: LiveReader,
    desired: DesiredState,
    *,
    progress: Progress | None = None,
) -> LiveState:
    """Read every live schedule, every known device and the owner of every declared alias."""
    say = progress or (lambda _msg: None)
    say("reading schedules…")
    raw_schedules = await client.list_schedules()
    schedules = tuple(s for s in (schedule_from_api(r) for r in raw_schedules) if s is not None)

    rids = sorted(desired.devices)
    reads = DeviceReads()
    if rids:
        say(f"reading {len(rids):,} device{'s' if len(rids) != 1 else ''}…")
        reads = await read_devices(client, rids, progress=progress)

    aliases = sorted({d.alias for d in desired.devices.values() if d.alias})
    owners, failed = await read_alias_owners(client, aliases) if aliases else ({}, {})
    # An alias moving away from an undeclared device clears it there: that device is touched
    # too, so it is read like the declared ones and its fingerprint goes into the plan.
    holders = sorted({rid for rids in owners.values() for rid in rids} - set(rids))
    if holders:
        more = await read_devices(client, holders)
        reads.devices.update(more.devices)
        reads.unknown.update(more.unknown)
        reads.unreadable.update(more.unreadable)
    for rid, want in desired.devices.items():
        if want.alias in failed and rid not in reads.unknown:
            # Without the alias's current owner a move cannot be planned safely: skip the device.
            reads.unreadable.setdefault(
                rid, f"the owner of its alias {want.alias} could not be read ({failed[want.alias]})"
            )
            reads.devices.pop(rid, None)

    return LiveState(
        schedules=schedules,
        devices=reads.devices,
        device_errors=reads.unknown,
        unreadable_devices=reads.unreadable,
        alias_owners=owners,
        server_time=_as_utc(client.server_time),
    )


@dataclass
class DeviceReads:
    """Devices read, devices the API does not know, devices whose read kept failing (rid -> why)."""

    devices: dict[str, LiveDevice] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


async def read_devices(
    client: LiveReader,
    registration_ids: Iterable[str],
    *,
    progress: Progress | None = None,
) -> DeviceReads:
    """GET every device concurrently; what goes wrong with one device stays with that device.

    An authentication failure propagates: it says every other call will fail too.
    ``progress`` receives counted events (done/total) so a long read shows a bar or log lines.
    """
    reads = DeviceReads()
    rids = list(registration_ids)
    counter = ProgressCounter(progress, stage=STAGE_DEVICES, total=len(rids), label="read devices")
    counter.start()

    async def one(rid: str) -> None:
        try:
            data = await client.get_device(rid)
        except AuthError:
            raise
        except ApiError as exc:
            if _is_unknown_device(exc):
                reads.unknown[rid] = _unknown_text(exc)
            else:
                reads.unreadable[rid] = _unreadable_text(exc)
        except TransportError as exc:
            reads.unreadable[rid] = _unreadable_text(exc)
        else:
            reads.devices[rid] = device_from_api(rid, data)
        counter.advance()

    await run_all(one(rid) for rid in rids)
    return reads


async def read_alias_owners(
    client: LiveReader, aliases: Iterable[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Which device(s) hold each alias now, so the plan can say an alias *moves* from another
    device; and the aliases whose look-up kept failing (alias -> why)."""
    owners: dict[str, tuple[str, ...]] = {}
    failed: dict[str, str] = {}

    async def one(alias: str) -> None:
        try:
            rids = await client.get_alias(alias)
        except NotFoundError:
            rids = []
        except AuthError:
            raise
        except ClientError as exc:
            failed[alias] = str(exc) or type(exc).__name__
            return
        owners[alias] = tuple(sorted(str(r) for r in rids or ()))

    await run_all(one(alias) for alias in aliases)
    return owners, failed


def _is_unknown_device(exc: ApiError) -> bool:
    """A 404 or a plain 400 (e.g. "registration id not in this app") says the API does not know
    the device (docs/api-notes.md "Error bodies and codes"). Rate limiting and server faults
    after the client's retries say nothing about the device: it is unreadable, not unknown."""
    if isinstance(exc, RateLimitedError | ServerError):
        return False
    return isinstance(exc, NotFoundError) or exc.status in (400, 404)


def _unknown_text(exc: ApiError) -> str:
    code = f", code {exc.code}" if exc.code is not None else ""
    return f"the API does not know this device (HTTP {exc.status}{code}: {exc.api_message})"


def _unreadable_text(exc: ClientError) -> str:
    return f"its read kept failing ({exc or type(exc).__name__})"


# -- normalisation -----------------------------------------------------------------------------


def device_from_api(registration_id: str, data: Any) -> LiveDevice:
    """``{"tags": [...], "alias": "..."}``; JPush-style ``null`` for absent items reads as empty."""
    body = data if isinstance(data, dict) else {}
    tags = body.get("tags") or []
    alias = body.get("alias") or ""
    return LiveDevice(
        registration_id=registration_id,
        tags=frozenset(str(t) for t in tags if t is not None and str(t) != ""),
        alias=str(alias),
    )


def schedule_from_api(raw: Any) -> LiveSchedule | None:
    """One list/get item → LiveSchedule; ``raw`` keeps every server field for fingerprints.

    ``trigger`` and ``push`` go through the same normalisation ``diff`` applies to desired
    schedules (lower-case ``time_unit``, sorted upper-case weekdays, ``null`` placeholders and
    empty sections dropped), so ``LiveState`` already reads like a manifest would.

    Items without an id cannot be addressed by any later call, so they are skipped rather than
    guessed at.
    """
    if not isinstance(raw, dict):
        return None
    schedule_id = raw.get("schedule_id")
    if not schedule_id:
        return None
    enabled = raw.get("enabled", True)
    if isinstance(enabled, str):
        enabled = enabled.strip().lower() not in ("false", "0", "")
    push = raw.get("push")
    return LiveSchedule(
        schedule_id=str(schedule_id),
        name=str(raw.get("name") or ""),
        enabled=bool(enabled),
        trigger=normalize_trigger(raw.get("trigger")),
        push=normalize_push(push),
        raw=raw,
    )


def _as_utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
