"""diff as a whole: plan errors, the quota, the deadline (not_after), the target, change order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.plan import (
    NOW,
    desired_state,
    device,
    live_device,
    live_from,
    live_schedule,
    live_state,
    schedule,
    single,
)

from webpush_iac.plan import diff


def test_pending_live_task_moved_into_the_past_is_a_plan_error_not_fired() -> None:
    # The live task still fires on 2026-07-01; the manifest now says a time already passed. Calling
    # it "fired" would let the stale copy send at its old time.
    want = schedule("launch", single("2026-05-01 09:00:00"))
    have = live_from(schedule("launch", single("2026-07-01 09:00:00")), schedule_id="s-1")
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    assert [(p.address, "s-1" in p.message) for p in plan.errors] == [("schedule/launch", True)]


def test_quota_above_1000_valid_schedules_is_a_plan_error() -> None:
    others = [live_schedule(f"other_{i}", schedule_id=f"o{i}") for i in range(1000)]
    plan = diff(desired_state([schedule("one_more")]), live_state(others), now=NOW)
    assert [p.address for p in plan.errors] == ["schedules"]
    assert "1001" in plan.errors[0].message
    assert "1000" in plan.errors[0].message


def test_quota_counts_deletes_before_creates() -> None:
    others = [live_schedule(f"other_{i}", schedule_id=f"o{i}") for i in range(999)]
    doomed = live_schedule("iac_doomed", schedule_id="d")
    plan = diff(
        desired_state([schedule("new")], prune_schedules=True),
        live_state([*others, doomed]),
        now=NOW,
    )
    assert plan.errors == []
    assert plan.schedules_after_apply() == 1000


def test_not_after_is_the_earliest_single_fire_time_among_creates_and_updates() -> None:
    soon = schedule("soon", single("2026-06-01 15:00:00"))
    later = schedule("later", single("2026-06-01 18:00:00"))
    plan = diff(desired_state([soon, later]), live_state(), now=NOW)
    assert plan.not_after == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


def test_not_after_is_capped_at_24_hours_after_planning() -> None:
    plan = diff(
        desired_state([schedule("far", single("2026-12-01 09:00:00"))]), live_state(), now=NOW
    )
    assert plan.not_after == NOW + timedelta(hours=24)
    assert plan.created_at == NOW


def test_not_after_ignores_fire_times_of_unchanged_schedules() -> None:
    soon = schedule("soon", single("2026-06-01 15:00:00"))
    plan = diff(desired_state([soon]), live_state([live_from(soon)]), now=NOW)
    assert plan.not_after == NOW + timedelta(hours=24)


def test_target_keeps_scheme_host_and_path_but_drops_credentials() -> None:
    plan = diff(
        desired_state(),
        live_state(),
        now=NOW,
        target="https://key:secret@webpushapi-sgp.engagelab.com/?token=x",
    )
    assert plan.target == "https://webpushapi-sgp.engagelab.com/"


def test_naive_now_is_taken_as_utc() -> None:
    plan = diff(desired_state(), live_state(), now=NOW.replace(tzinfo=None))
    assert plan.created_at == NOW


def test_changes_are_ordered_devices_tags_writes_deletes_then_notes() -> None:
    plan = diff(
        desired_state(
            [schedule("b_new"), schedule("a_fired", single("2026-01-01 00:00:00"))],
            [device("rid00000001", {"beta"})],
            prune_schedules=True,
        ),
        live_state(
            [live_schedule("iac_gone"), live_schedule("unowned_one")],
            [live_device("rid00000001")],
        ),
        now=NOW,
    )
    assert [(c.address, c.action) for c in plan.changes] == [
        ("device/rid00000001", "update"),
        ("tag/beta", "update"),
        ("schedule/b_new", "create"),
        ("schedule/gone", "delete"),
        ("schedule/a_fired", "fired"),
        ("schedule/unowned_one", "unowned"),
    ]
