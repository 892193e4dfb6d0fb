"""Small builders of DesiredState / LiveState for the diff, plan, render and audit tests.

The live side is built the way the API echoes a schedule back (``schedule_id``, ``raw``), so the
tests exercise the same normalisation a real read goes through.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from webpush_iac.state import (
    DesiredDevice,
    DesiredSchedule,
    DesiredState,
    LiveDevice,
    LiveSchedule,
    LiveState,
    ProjectSettings,
    TagPolicy,
)

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
PREFIX = "iac_"


def push(
    title: str = "Weekly digest",
    *,
    to: Any = None,
    alert: str = "Your digest is ready",
    url: str = "https://example.com/digest",
    ttl: int | None = 3600,
    languages: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if ttl is not None:
        options["time_to_live"] = ttl
    if languages:
        options["multi_language"] = languages
    body: dict[str, Any] = {
        "platform": "web",
        "notification": {"web": {"title": title, "alert": alert, "url": url}},
    }
    if options:
        body["options"] = options
    return {"from": "push", "to": to if to is not None else {"tag": ["digest"]}, "body": body}


def single(time: str = "2026-12-01 09:00:00", zone_type: int | None = 1) -> dict[str, Any]:
    spec: dict[str, Any] = {"time": time}
    if zone_type is not None:
        spec["zone_type"] = zone_type
    return {"single": spec}


def periodical(
    *,
    time: str = "09:00:00",
    unit: str = "week",
    point: list[str] | None = None,
    start: str = "2026-01-01 00:00:00",
    end: str = "2026-12-31 23:59:59",
    frequency: int = 1,
    zone_type: int | None = 1,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "start": start,
        "end": end,
        "time": time,
        "time_unit": unit,
        "frequency": frequency,
    }
    if point is not None:
        spec["point"] = point
    elif unit == "week":
        spec["point"] = ["MON"]
    if zone_type is not None:
        spec["zone_type"] = zone_type
    return {"periodical": spec}


def intelligent(backup_time: str = "2026-12-01 09:00:00") -> dict[str, Any]:
    return {"intelligent": {"backup_time": backup_time}}


def schedule(
    name: str,
    trigger: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    *,
    enabled: bool = True,
    prefix: str = PREFIX,
) -> DesiredSchedule:
    return DesiredSchedule(
        name=name,
        live_name=prefix + name,
        enabled=enabled,
        trigger=trigger if trigger is not None else single(),
        push=payload if payload is not None else push(),
    )


def live_schedule(
    name: str,
    trigger: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    *,
    schedule_id: str | None = None,
    enabled: bool = True,
) -> LiveSchedule:
    """A live schedule with its API ``raw`` form; ``name`` is the live name."""
    trig = copy.deepcopy(trigger if trigger is not None else single())
    body = copy.deepcopy(payload if payload is not None else push())
    sid = schedule_id or f"id-{name}"
    raw = {"schedule_id": sid, "name": name, "enabled": enabled, "trigger": trig, "push": body}
    return LiveSchedule(
        schedule_id=sid, name=name, enabled=enabled, trigger=trig, push=body, raw=raw
    )


def live_from(desired: DesiredSchedule, schedule_id: str | None = None) -> LiveSchedule:
    """The live copy a converged system would hold for ``desired``."""
    return live_schedule(
        desired.live_name,
        desired.trigger,
        desired.push,
        schedule_id=schedule_id,
        enabled=desired.enabled,
    )


def device(
    rid: str,
    tags: set[str] | frozenset[str] = frozenset(),
    *,
    forbidden: set[str] | frozenset[str] = frozenset(),
    alias: str | None = None,
) -> DesiredDevice:
    return DesiredDevice(
        registration_id=rid,
        tags=frozenset(tags),
        forbidden_tags=frozenset(forbidden),
        alias=alias,
    )


def live_device(
    rid: str, tags: set[str] | frozenset[str] = frozenset(), alias: str = ""
) -> LiveDevice:
    return LiveDevice(registration_id=rid, tags=frozenset(tags), alias=alias)


def desired_state(
    schedules: Sequence[DesiredSchedule] = (),
    devices: Sequence[DesiredDevice] = (),
    *,
    tags: dict[str, str] | None = None,
    **project: Any,
) -> DesiredState:
    """``tags`` maps tag name to mode; tags named by devices default to exact, as the loader does."""
    modes = dict(tags or {})
    for d in devices:
        for t in d.tags | d.forbidden_tags:
            modes.setdefault(t, "exact")
    return DesiredState(
        project=ProjectSettings(name=project.pop("name", "acme-web"), **project),
        schedules={s.name: s for s in schedules},
        devices={d.registration_id: d for d in devices},
        tags={t: TagPolicy(t, mode) for t, mode in modes.items()},  # type: ignore[arg-type]
    )


def live_state(
    schedules: Sequence[LiveSchedule] = (),
    devices: Sequence[LiveDevice] = (),
    *,
    device_errors: dict[str, str] | None = None,
    alias_owners: dict[str, tuple[str, ...]] | None = None,
) -> LiveState:
    return LiveState(
        schedules=tuple(schedules),
        devices={d.registration_id: d for d in devices},
        device_errors=device_errors or {},
        alias_owners=alias_owners or {},
    )
