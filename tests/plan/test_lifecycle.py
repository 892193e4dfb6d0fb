"""The list beats the clock: listed tasks are diffed whatever the clock says; only absent ones are
fired, expired or missed, and git (``--baseline``) tells a fired single from a never-created one."""

from __future__ import annotations

from datetime import timedelta

from support.plan import (
    NOW,
    desired_state,
    intelligent,
    live_from,
    live_state,
    periodical,
    push,
    schedule,
    single,
)

from webpush_iac.plan import Change, Plan, build_audit, diff
from webpush_iac.render import render_audit, render_plan

# NOW is 2026-06-01 12:00 UTC. 2026-06-02 01:00 in UTC+14 is 11:00 UTC on June 1st: passed where
# the day starts first, still ahead in every zone west of UTC+13.
ZONE2_WINDOW = "2026-06-02 01:00:00"


def only(plan: Plan, address: str) -> Change:
    found = [c for c in plan.changes if c.address == address]
    assert len(found) == 1, [c.address for c in plan.changes]
    return found[0]


def codes(plan: Plan) -> list[tuple[str, str]]:
    return [(w.address, w.code) for w in plan.warnings]


# --- listed: paired and diffed whatever the clock says ---------------------------------------------


def test_listed_zone_type_2_single_past_utc_plus_14_gets_its_correction() -> None:
    want = schedule("local", single(ZONE2_WINDOW, zone_type=2), push(title="fixed"))
    have = live_from(schedule("local", single(ZONE2_WINDOW, zone_type=2), push(title="typo")))
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    change = only(plan, "schedule/local")
    assert change.action == "update"
    assert [r.kind for r in change.requests] == ["schedule.update"]
    assert plan.errors == []
    assert "no longer accepts" not in render_plan(plan, "text")


def test_listed_intelligent_past_its_backup_time_is_drift_in_audit() -> None:
    want = schedule("smart", intelligent("2026-05-31 09:00:00"), push(title="fixed"))
    have = live_from(schedule("smart", intelligent("2026-05-31 09:00:00"), push(title="typo")))
    report = build_audit(desired_state([want]), live_state([have]), now=NOW)
    assert report.has_drift
    assert [c.address for c in report.drift] == ["schedule/smart"]
    assert report.fired == []
    assert render_audit(report, "text").splitlines()[-1] == "Drift found."


def test_listed_task_past_its_time_and_equal_is_noop_not_fired() -> None:
    want = schedule("local", single(ZONE2_WINDOW, zone_type=2))
    plan = diff(desired_state([want]), live_state([live_from(want)]), now=NOW)
    assert only(plan, "schedule/local").action == "noop"
    assert plan.warnings == []


def test_a_time_moved_into_the_past_while_the_live_copy_is_pending_stops_the_plan() -> None:
    want = schedule("launch", single("2026-05-01 09:00:00"))
    have = live_from(schedule("launch", single("2026-07-01 09:00:00")), schedule_id="l1")
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    (problem,) = plan.errors
    assert problem.address == "schedule/launch"
    assert "l1" in problem.message
    assert "would send as it is" in problem.message


def test_a_kind_change_to_a_past_time_stops_the_plan_instead_of_deleting_the_live_task() -> None:
    want = schedule("flash", single("2026-05-01 09:00:00"))
    have = live_from(schedule("flash", periodical()), schedule_id="f1")
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    assert only(plan, "schedule/flash").action == "replace"
    (problem,) = plan.errors
    assert "f1" in problem.message
    assert "refuses" in problem.message


def test_an_update_sets_no_deadline_from_a_time_already_passed() -> None:
    want = schedule("local", single(ZONE2_WINDOW, zone_type=2), push(title="fixed"))
    have = live_from(schedule("local", single(ZONE2_WINDOW, zone_type=2), push(title="typo")))
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    assert plan.not_after == NOW + timedelta(hours=24)


# --- absent and passed: git is the memory ---------------------------------------------------------


def test_past_single_absent_without_baseline_is_fired_with_a_warning_saying_how_to_tell() -> None:
    want = schedule("launch", single("2026-05-01 09:00:00"))
    plan = diff(desired_state([want]), live_state(), now=NOW)
    assert only(plan, "schedule/launch").action == "fired"
    assert plan.errors == []
    (warning,) = plan.warnings
    assert (warning.address, warning.code) == ("schedule/launch", "past_absent_unknown")
    assert "--baseline" in warning.message
    assert "msg-ids" in warning.message
    assert not plan.has_mutations


def test_past_single_absent_and_declared_at_the_baseline_is_fired_quietly() -> None:
    want = schedule("launch", single("2026-05-01 09:00:00"))
    plan = diff(desired_state([want], baseline=["launch"]), live_state(), now=NOW)
    assert only(plan, "schedule/launch").action == "fired"
    assert plan.errors == []
    assert plan.warnings == []


def test_past_single_absent_and_new_since_the_baseline_is_a_plan_error_naming_it() -> None:
    want = schedule("launch", single("2026-05-01 09:00:00"))
    plan = diff(desired_state([want], baseline=["other"]), live_state(), now=NOW)
    change = only(plan, "schedule/launch")
    assert change.action == "missed"
    assert change.requests == ()
    (problem,) = plan.errors
    assert problem.address == "schedule/launch"
    assert "would never be sent" in problem.message
    assert "move the time forward or remove the document" in problem.message
    assert "missed  schedule/launch" in render_plan(plan, "text")


def test_past_intelligent_new_since_the_baseline_is_a_plan_error_too() -> None:
    want = schedule("smart", intelligent("2026-05-31 09:00:00"))
    plan = diff(desired_state([want], baseline=[]), live_state(), now=NOW)
    assert only(plan, "schedule/smart").action == "missed"
    assert [p.address for p in plan.errors] == ["schedule/smart"]


def test_a_renamed_schedule_declared_at_the_baseline_under_its_old_name_is_fired() -> None:
    want = schedule("launch_v2", single("2026-05-01 09:00:00"), renamed_from="launch")
    plan = diff(desired_state([want], baseline=["launch"]), live_state(), now=NOW)
    assert only(plan, "schedule/launch_v2").action == "fired"
    assert plan.errors == []


def test_absent_zone_type_2_single_past_utc_plus_14_follows_the_baseline_rule() -> None:
    want = schedule("local", single(ZONE2_WINDOW, zone_type=2))
    new = diff(desired_state([want], baseline=[]), live_state(), now=NOW)
    assert only(new, "schedule/local").action == "missed"
    unknown = diff(desired_state([want]), live_state(), now=NOW)
    assert codes(unknown) == [("schedule/local", "past_absent_unknown")]


def test_future_single_absent_is_created_whatever_the_baseline_says() -> None:
    want = schedule("launch", single("2026-07-01 09:00:00"))
    plan = diff(desired_state([want], baseline=[]), live_state(), now=NOW)
    assert only(plan, "schedule/launch").action == "create"
    assert plan.errors == []
