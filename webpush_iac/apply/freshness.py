"""The one home of "may this saved plan still be applied?", each reason with one message.

``apply --plan`` sends exactly the reviewed requests; that is only safe while the objects they
touch are as they were read at planning time. So before the first mutating call every touched
object is re-read with GET and its fingerprint compared, a schedule the plan creates must still be
absent (else the create would make a duplicate), the target must be the one planned against, and
the plan must be within ``not_after``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from webpush_iac.apply.calls import Requester
from webpush_iac.apply.creates import ids_deleted_by
from webpush_iac.apply.executor import SCHEDULES_PATH
from webpush_iac.concurrency import run_all
from webpush_iac.errors import InvalidPlanError, NotFoundError, StalePlanError
from webpush_iac.live import device_from_api
from webpush_iac.plan import Plan, fingerprint_device, fingerprint_schedule
from webpush_iac.times import format_time

#: How far a plan's ``created_at`` may lie ahead of the clock that checks it (runners' clocks
#: drift a little); a plan from further in the future is refused rather than given a longer life.
CLOCK_SKEW: Final = timedelta(minutes=5)


def check_fresh(plan: Plan, now: datetime) -> None:
    """A plan is only good until ``not_after``: after that a single schedule may have fired, or
    a day of drift may have piled up, and its requests would no longer mean what was reviewed.
    Nor may it come from the future: that would stretch its life past what was reviewed."""
    if plan.created_at > now + CLOCK_SKEW:
        raise StalePlanError(
            f"saved plan claims to be made at {format_time(plan.created_at)}, after now "
            f"({format_time(now)}) by more than the {CLOCK_SKEW.total_seconds() / 60:g} minutes "
            "of clock skew allowed; check the clocks and re-run plan (nothing was sent)"
        )
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
    GET device) and its fingerprint compared, and every schedule it updates or deletes must still
    carry the ownership prefix; a schedule the plan creates, or the new name of one it renames,
    must still be absent (else applying would make a duplicate). ``not_after`` is checked again
    against the server's clock once we have it, because the server is what fires schedules.
    """
    check_offline(plan, target=target, now=now)
    mutating = [c for c in plan.changes if c.requests]
    expected = plan.checked_fingerprints()
    moved: set[str] = set()
    unowned: set[str] = set()

    async def check(key: str, value: str, address: str) -> None:
        kind, _, ident = key.partition(":")
        if kind == "schedule":
            raw = await client.get_schedule(ident)
            if raw is not None and not str(raw.get("name", "")).startswith(plan.owner_prefix):
                unowned.add(f"{address} (schedule {ident})")
            current = fingerprint_schedule(raw) if raw is not None else None
        else:
            current = await _device_fingerprint(client, ident) if kind == "device" else None
        if current != value:  # a fingerprint kind this version does not know counts as moved
            moved.add(address)

    await run_all(check(key, value, address) for key, (value, address) in expected.items())
    if unowned:
        raise InvalidPlanError(
            f"the saved plan changes live schedules whose name lacks the ownership prefix "
            f"{plan.owner_prefix!r}: {', '.join(sorted(unowned))}; refusing (nothing was sent)"
        )
    creates = {
        str((r.body or {}).get("name")): c
        for c in mutating
        for r in c.requests
        if r.method.upper() == "POST" and r.path.rstrip("/") == SCHEDULES_PATH
    }
    # A rename must not land beside a task that took the new name meanwhile: two would send.
    renames = {c.live_name: c for c in mutating if c.renamed_from and c.live_name}
    if creates or renames:
        for live in await client.list_schedules():
            name, schedule_id = str(live.get("name")), str(live.get("schedule_id"))
            creator = creates.get(name)
            if creator is not None and schedule_id not in ids_deleted_by(creator):
                moved.add(creator.address)
            renamer = renames.get(name)
            if renamer is not None and schedule_id != renamer.schedule_id:
                moved.add(renamer.address)
    if client.server_time is not None:
        check_fresh(plan, client.server_time)
    if moved:
        listing = ", ".join(sorted(moved))
        raise StalePlanError(
            f"live state changed since the plan was made ({listing}); "
            "re-run plan (nothing was sent)"
        )


async def _device_fingerprint(client: Requester, rid: str) -> str | None:
    try:
        data = await client.get_device(rid)
    except NotFoundError:
        return None
    return fingerprint_device(device_from_api(rid, data))


__all__ = ["CLOCK_SKEW", "check_fresh", "check_offline", "check_target", "verify_saved_plan"]
