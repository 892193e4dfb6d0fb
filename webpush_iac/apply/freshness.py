"""The one home of "may this saved plan still be applied?", each reason with one message.

``apply --plan`` sends exactly the reviewed requests; that is only safe while the objects they
touch are as they were read at planning time. So before the first mutating call every touched
object is re-read with GET and its fingerprint compared, a schedule the plan creates must still be
absent (else the create would make a duplicate), the target must be the one planned against, and
the plan must be within ``not_after``.
"""

from __future__ import annotations

from datetime import datetime

from webpush_iac.apply.calls import Requester
from webpush_iac.apply.creates import ids_deleted_by
from webpush_iac.apply.executor import SCHEDULES_PATH
from webpush_iac.concurrency import run_all
from webpush_iac.errors import NotFoundError, StalePlanError
from webpush_iac.live import device_from_api
from webpush_iac.plan import Plan, fingerprint_device, fingerprint_schedule
from webpush_iac.times import format_time


def check_fresh(plan: Plan, now: datetime) -> None:
    """A plan is only good until ``not_after``: after that a single schedule may have fired, or
    a day of drift may have piled up, and its requests would no longer mean what was reviewed."""
    if plan.not_after is not None and now > plan.not_after:
        raise StalePlanError(
            f"saved plan expired at {format_time(plan.not_after)} (now {format_time(now)}); "
            "re-run plan (nothing was sent)"
        )


def check_target(plan: Plan, target: str) -> None:
    """A plan's requests only mean what was reviewed against the target it was read from."""
    if plan.target and plan.target != target:
        raise StalePlanError(
            f"saved plan was made for {plan.target}, not {target}; re-run plan (nothing was sent)"
        )


def check_offline(plan: Plan, *, target: str, now: datetime) -> None:
    """Everything that can be decided before a request is sent: errors, expiry, target."""
    plan.raise_for_errors()
    check_fresh(plan, now)
    check_target(plan, target)


async def verify_saved_plan(client: Requester, plan: Plan, *, target: str, now: datetime) -> None:
    """Refuse (``StalePlanError``, nothing sent) a saved plan that no longer describes live state.

    Checked in order: ``not_after``, the target, then every touched object is re-read (GET by id,
    GET device) and its fingerprint compared; a schedule the plan creates must still be absent (else
    applying would make a duplicate). ``not_after`` is checked again against the server's clock once
    we have it, because the server is what fires schedules.
    """
    check_offline(plan, target=target, now=now)
    mutating = [c for c in plan.changes if c.requests]
    # A device whose only change is its tags sends nothing itself (the bulk tag/NAME changes do),
    # yet those bulk lists were computed from its live tags: it is touched too.
    touched = [c for c in plan.changes if c.requests or (c.kind == "device" and c.fields)]
    expected: dict[str, tuple[str, str]] = {}  # fingerprint key -> (hash, address)
    for change in touched:
        for key, value in change.fingerprints.items():
            expected.setdefault(key, (value, change.address))
    moved: set[str] = set()

    async def check(key: str, value: str, address: str) -> None:
        if await _current_fingerprint(client, key) != value:
            moved.add(address)

    await run_all(check(key, value, address) for key, (value, address) in expected.items())
    creates = {
        str((r.body or {}).get("name")): c
        for c in mutating
        for r in c.requests
        if r.method.upper() == "POST" and r.path.rstrip("/") == SCHEDULES_PATH
    }
    if creates:
        for live in await client.list_schedules():
            creator = creates.get(str(live.get("name")))
            if creator is not None and str(live.get("schedule_id")) not in ids_deleted_by(creator):
                moved.add(creator.address)
    if client.server_time is not None:
        check_fresh(plan, client.server_time)
    if moved:
        listing = ", ".join(sorted(moved))
        raise StalePlanError(
            f"live state changed since the plan was made ({listing}); "
            "re-run plan (nothing was sent)"
        )


async def _current_fingerprint(client: Requester, key: str) -> str | None:
    kind, _, ident = key.partition(":")
    if kind == "schedule":
        raw = await client.get_schedule(ident)
        return fingerprint_schedule(raw) if raw is not None else None
    if kind == "device":
        try:
            data = await client.get_device(ident)
        except NotFoundError:
            return None
        return fingerprint_device(device_from_api(ident, data))
    return None  # a fingerprint kind this version does not know: treat as moved


__all__ = ["check_fresh", "check_offline", "check_target", "verify_saved_plan"]
