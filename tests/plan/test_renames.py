"""Renames: ``renamed_from`` renames the live task in place with one PUT; without it, an orphan
equal to a create is a ``likely_rename`` warning, since both copies would send."""

from __future__ import annotations

from support.plan import (
    NOW,
    PLAN_KEY,
    desired_state,
    live_from,
    live_schedule,
    live_state,
    periodical,
    push,
    saved,
    schedule,
)

from webpush_iac.plan import Change, Plan, diff, plan_from_data
from webpush_iac.render import render_plan


def only(plan: Plan, address: str) -> Change:
    found = [c for c in plan.changes if c.address == address]
    assert len(found) == 1, [c.address for c in plan.changes]
    return found[0]


def test_renamed_from_renames_the_live_task_with_one_put_and_no_delete_or_create() -> None:
    old = live_from(schedule("digest"), schedule_id="d1")
    want = schedule("weekly_digest", renamed_from="digest")
    plan = diff(desired_state([want], prune_schedules=True), live_state([old]), now=NOW)
    change = only(plan, "schedule/weekly_digest")
    assert change.action == "update"
    assert change.renamed_from == "digest"
    assert [(r.method, r.path) for r in change.requests] == [("PUT", "/v4/schedules/d1")]
    assert change.requests[0].body == want.api_body()
    assert change.requests[0].body["name"] == "iac_weekly_digest"
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("name", "iac_digest", "iac_weekly_digest")
    ]
    assert [r.kind for r in plan.requests] == ["schedule.update"]
    assert "schedule/digest" not in [c.address for c in plan.changes]  # not an orphan, no delete
    assert plan.summary()["update"] == 1


def test_one_rename_put_also_carries_the_other_changed_sections() -> None:
    old = live_from(schedule("digest", payload=push(title="Old")), schedule_id="d1")
    want = schedule("weekly_digest", payload=push(title="New"), renamed_from="digest")
    change = only(diff(desired_state([want]), live_state([old]), now=NOW), "schedule/weekly_digest")
    assert [f.path for f in change.fields] == ["name", "push.body.notification.web.title"]
    (put,) = change.requests
    assert put.body is not None
    assert put.body["push"]["body"]["notification"]["web"]["title"] == "New"


def test_rename_is_shown_with_its_old_name_in_text_and_markdown() -> None:
    old = live_from(schedule("digest"), schedule_id="d1")
    plan = diff(
        desired_state([schedule("weekly_digest", renamed_from="digest")]),
        live_state([old]),
        now=NOW,
    )
    assert "~ schedule/weekly_digest (renamed from digest) (id d1)" in render_plan(plan, "text")
    assert "schedule/weekly_digest (renamed from digest)" in render_plan(plan, "markdown")


def test_once_the_rename_landed_renamed_from_is_a_no_op() -> None:
    want = schedule("weekly_digest", renamed_from="digest")
    plan = diff(desired_state([want]), live_state([live_from(want)]), now=NOW)
    assert only(plan, "schedule/weekly_digest").action == "noop"
    assert not plan.has_mutations
    assert plan.errors == []
    assert plan.warnings == []


def test_renamed_from_with_neither_name_live_is_a_plain_create() -> None:
    want = schedule("weekly_digest", renamed_from="digest")
    change = only(diff(desired_state([want]), live_state(), now=NOW), "schedule/weekly_digest")
    assert change.action == "create"
    assert change.renamed_from is None


def test_both_the_old_and_the_new_name_live_is_a_plan_error() -> None:
    want = schedule("weekly_digest", renamed_from="digest")
    old = live_from(schedule("digest"), schedule_id="d1")
    new = live_from(want, schedule_id="w1")
    plan = diff(desired_state([want]), live_state([old, new]), now=NOW)
    (problem,) = plan.errors
    assert problem.address == "schedule/weekly_digest"
    assert "iac_digest" in problem.message
    assert "iac_weekly_digest" in problem.message
    assert "d1" in problem.message
    assert "w1" in problem.message


def test_a_rename_that_also_changes_the_trigger_kind_is_a_replace() -> None:
    old = live_from(schedule("digest"), schedule_id="d1")
    want = schedule("weekly_digest", periodical(), renamed_from="digest")
    change = only(diff(desired_state([want]), live_state([old]), now=NOW), "schedule/weekly_digest")
    assert change.action == "replace"
    assert [(r.method, r.path) for r in change.requests] == [
        ("DELETE", "/v4/schedules/d1"),
        ("POST", "/v4/schedules"),
    ]
    assert "renamed from digest" in change.reason


def test_a_saved_plan_keeps_the_rename_and_fingerprints_the_renamed_task() -> None:
    old = live_from(schedule("digest"), schedule_id="d1")
    plan = diff(
        desired_state([schedule("weekly_digest", renamed_from="digest")]),
        live_state([old]),
        now=NOW,
        target="https://webpushapi-sgp.engagelab.com",
    )
    change = only(plan, "schedule/weekly_digest")
    assert set(change.fingerprints) == {"schedule:d1"}
    again = plan_from_data(saved(plan), PLAN_KEY)
    assert only(again, "schedule/weekly_digest").renamed_from == "digest"
    assert again == plan


# --- without renamed_from ---------------------------------------------------------------------------


def test_an_orphan_equal_to_a_create_is_a_likely_rename_warning() -> None:
    old = live_from(schedule("digest"), schedule_id="d1")
    plan = diff(desired_state([schedule("weekly_digest")]), live_state([old]), now=NOW)
    assert only(plan, "schedule/weekly_digest").action == "create"
    assert only(plan, "schedule/digest").action == "orphan"
    (warning,) = plan.warnings
    assert (warning.address, warning.code) == ("schedule/weekly_digest", "likely_rename")
    assert "both copies will send" in warning.message
    assert "renamed_from: digest" in warning.message
    assert "enable prune" in warning.message


def test_no_likely_rename_when_the_push_differs_or_prune_deletes_the_old_copy() -> None:
    old = live_from(schedule("digest", payload=push(title="Other")), schedule_id="d1")
    differs = diff(desired_state([schedule("weekly_digest")]), live_state([old]), now=NOW)
    assert differs.warnings == []
    same = live_from(schedule("digest"), schedule_id="d1")
    pruned = diff(
        desired_state([schedule("weekly_digest")], prune_schedules=True),
        live_state([same]),
        now=NOW,
    )
    assert pruned.warnings == []


def test_likely_rename_ignores_server_added_fields_on_the_orphan() -> None:
    old = live_from(schedule("digest"), schedule_id="d1")
    echoed = live_schedule(
        "iac_digest",
        old.trigger,
        {**old.push, "request_id": "r-42"},
        schedule_id="d1",
    )
    plan = diff(desired_state([schedule("weekly_digest")]), live_state([echoed]), now=NOW)
    assert [w.code for w in plan.warnings] == ["likely_rename"]
