"""Compare desired and live state and produce a :class:`~webpush_iac.plan.model.Plan` (pure).

Like pip-tools' ``sync.diff``, this only decides; ``apply`` acts. Schedules are paired by their
live name (``schedules``), devices by registration id (``devices``); the result is ordered, carries
every request apply will send, the plan's errors and its deadline (``not_after``).

``now`` is passed in (callers use the API's clock when they have it), so the same inputs always
give the same plan.
"""

from __future__ import annotations

from datetime import UTC, datetime

from webpush_iac.apispec import SCHEDULE_QUOTA, safe_target
from webpush_iac.plan.devices import diff_devices
from webpush_iac.plan.model import PLAN_TTL, Plan, PlanProblem
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
    schedules = diff_schedules(desired, live, zone, now)
    device_changes, problems, warnings = diff_devices(desired, live)
    not_after = min([now + PLAN_TTL, *schedules.deadlines])
    plan = Plan(
        project=desired.project.name,
        created_at=now,
        changes=[*device_changes, *schedules.changes],
        errors=[*problems, *schedules.problems],
        warnings=[*warnings, *schedules.warnings],
        target=safe_target(target),
        not_after=max(not_after, now),
        owned_live_count=schedules.owned_count,
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


__all__ = ["diff"]
