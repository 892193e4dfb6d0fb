"""Compare desired and live state and produce a :class:`~webpush_iac.plan.model.Plan` (pure).

Like pip-tools' ``sync.diff``, this only decides; ``apply`` acts. Schedules are paired by their
live name (``schedules``), devices by registration id (``devices``); the result is ordered, carries
every request apply will send, the plan's errors and its deadline (``not_after``).

``now`` is passed in (callers use the API's clock when they have it), so the same inputs always
give the same plan.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from webpush_iac.apispec import SCHEDULE_QUOTA, safe_target
from webpush_iac.plan.devices import diff_devices
from webpush_iac.plan.lifecycle import lifecycle
from webpush_iac.plan.model import PLAN_TTL, Change, Plan, PlanProblem
from webpush_iac.plan.planfile import saved_settings
from webpush_iac.plan.schedules import diff_schedules
from webpush_iac.state import DesiredState, LiveState
from webpush_iac.times import project_zone


def diff(desired: DesiredState, live: LiveState, now: datetime, *, target: str = "") -> Plan:
    """Everything that differs, as an ordered plan with its requests, errors and deadline.

    ``now`` must be timezone-aware (a naive value is taken as UTC). ``target`` is the API base URL
    shown in the plan; any credentials or query in it are dropped.
    """
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    zone = project_zone(desired.project.timezone)
    schedule_changes, owned_count, deadlines = diff_schedules(desired, live, zone, now)
    device_changes, problems, warnings = diff_devices(desired, live)
    problems.extend(_moved_into_the_past(schedule_changes, live, zone, now))
    not_after = min([now + PLAN_TTL, *deadlines])
    plan = Plan(
        project=desired.project.name,
        created_at=now,
        changes=[*device_changes, *schedule_changes],
        errors=problems,
        warnings=warnings,
        target=safe_target(target),
        not_after=max(not_after, now),
        owned_live_count=owned_count,
        live_schedule_count=len(live.schedules),
        owner_prefix=desired.project.prefix,
        settings=saved_settings(desired.project),
    )
    after = plan.schedules_after_apply()
    if after > SCHEDULE_QUOTA:
        summary = plan.summary()
        plan.errors.append(
            PlanProblem(
                "schedules",
                f"{after} valid schedules after apply (live {plan.live_schedule_count} "
                f"- {summary['delete']} deleted + {summary['create']} created), above the API "
                f"limit of {SCHEDULE_QUOTA} per AppKey",
            )
        )
        plan.errors.sort()
    return plan


def _moved_into_the_past(
    changes: list[Change], live: LiveState, zone: ZoneInfo, now: datetime
) -> list[PlanProblem]:
    """A live task still to come whose desired time has already passed would send at its OLD time.

    That is almost always an edit mistake (a past date typed into a pending schedule); calling it
    ``fired`` would let the stale copy go out, so the plan refuses until the manifest says a future
    time or the schedule is removed.
    """
    by_id = {s.schedule_id: s for s in live.schedules}
    problems = []
    for change in changes:
        have = by_id.get(change.schedule_id or "")
        if change.action not in ("fired", "expired") or have is None or not change.fields:
            continue
        if lifecycle(have.trigger, zone, now) is None:
            problems.append(
                PlanProblem(
                    change.address,
                    f"the manifest's time has passed but the live task {have.schedule_id} is still "
                    "scheduled with other settings and would send as it is; set a future time, "
                    "or delete the schedule from the manifests (with prune on) to cancel it",
                )
            )
    return problems


__all__ = ["diff"]
