"""Fired, expired and missed: what the clock may conclude about a schedule, and only when.

The list beats the clock (docs/api-notes.md "Lifecycle"): a task present in the live list is still
valid, whatever the clock says, so it is paired and diffed like any other; the clock only speaks
about a schedule **absent** from the list. One rule for the planner and audit, read by the
zone_type rule of :mod:`webpush_iac.times` (a zone_type 2 time has passed once it passed in
UTC+14): a single or intelligent task has then fired, a periodical has expired.

An absent single whose time has passed is either fired or was never created; the API cannot tell.
Git can (``--baseline REF``): declared at the baseline means applied before, so fired; not declared
means new, so it would never be sent. Without a baseline it is a warning saying how to find out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from webpush_iac.plan.model import Change, PlanProblem, PlanWarning
from webpush_iac.state import JSON, DesiredSchedule, LiveSchedule
from webpush_iac.times import end_time, fire_time

Passed = Literal["fired", "expired"]


def lifecycle(trigger: JSON, zone: ZoneInfo, now: datetime) -> Passed | None:
    """``"fired"``, ``"expired"`` or ``None`` (still to come) for a trigger at ``now``."""
    fired = fire_time(trigger, zone)
    if fired is not None and fired <= now:
        return "fired"
    ended = end_time(trigger, zone)
    if ended is not None and ended <= now:
        return "expired"
    return None


def absent_passed(
    want: DesiredSchedule, base: Change, passed: Passed, baseline: frozenset[str] | None
) -> tuple[Change, list[PlanProblem], list[PlanWarning]]:
    """The change for a declared schedule absent live whose time (or end) has passed."""
    if passed == "expired":
        return replace(base, action="expired", reason=passed_reason(want, "expired")), [], []
    fired = replace(base, action="fired", reason=passed_reason(want, "fired"))
    when = _when(want)
    if baseline is None:
        return (
            fired,
            [],
            [
                PlanWarning(
                    base.address,
                    "past_absent_unknown",
                    f"{want.trigger_kind} time {when} has passed and no live task is named "
                    f"{want.live_name}: it either fired, or was never created and will never be "
                    "sent, and without --baseline REF the tool cannot tell which; plan with "
                    "--baseline (the commit last applied, e.g. the merge base), or check the "
                    "task's msg-ids or the EngageLab console",
                )
            ],
        )
    if want.name in baseline or (want.renamed_from is not None and want.renamed_from in baseline):
        return fired, [], []
    missed = replace(
        base,
        action="missed",
        reason=f"{want.trigger_kind} time {when} has passed and the baseline did not declare it: "
        "never created, so never sent",
    )
    problem = PlanProblem(
        base.address,
        f"{want.trigger_kind} time {when} has passed and the schedule is new since the baseline: "
        "it would never be sent; move the time forward or remove the document",
    )
    return missed, [problem], []


def passed_while_listed(
    want: DesiredSchedule, have: LiveSchedule, change: Change, zone: ZoneInfo, now: datetime
) -> PlanProblem | None:
    """A listed task is updated whatever the clock says, with two exceptions that would lose the
    send instead of correcting it.

    * The manifest moved the time into the past while the live copy is still to come: the PUT
      would carry a past time, and the live copy would otherwise go out as it is. Almost always an
      edit mistake, so the plan stops until the time is in the future or the document is removed.
    * A replace (trigger kind change) whose new time has passed: the delete would land and the
      create be refused, leaving nothing to send.
    """
    if not any(r.kind in ("schedule.update", "schedule.create") for r in change.requests):
        return None
    if lifecycle(want.trigger, zone, now) is None:
        return None
    if any(r.kind == "schedule.create" for r in change.requests):
        return PlanProblem(
            change.address,
            f"the new trigger's time has passed: replacing live task {have.schedule_id} would "
            "delete it and create one the API refuses; set a future time, or keep the old kind",
        )
    if lifecycle(have.trigger, zone, now) is not None:
        return None  # both passed and still listed: the task is valid, the correction goes out
    return PlanProblem(
        change.address,
        f"the manifest's time has passed but the live task {have.schedule_id} is still scheduled "
        "with other settings and would send as it is; set a future time, or delete the schedule "
        "from the manifests (with prune on) to cancel it",
    )


def passed_reason(want: DesiredSchedule, passed: Passed) -> str:
    if passed == "expired":
        spec: JSON = next(iter(want.trigger.values()), {})
        return f"periodical end {spec.get('end')} has passed; not created"
    return f"{want.trigger_kind} fire time {_when(want)} has passed; never re-created"


def _when(want: DesiredSchedule) -> object:
    spec: JSON = next(iter(want.trigger.values()), {})
    return spec.get("time") or spec.get("backup_time")


__all__ = ["Passed", "absent_passed", "lifecycle", "passed_reason", "passed_while_listed"]
