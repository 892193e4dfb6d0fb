"""Schedules: every action and its requests, and the clock rules (fired, expired, zone types)."""

from __future__ import annotations

from support.plan import (
    NOW,
    desired_state,
    intelligent,
    live_from,
    live_schedule,
    live_state,
    periodical,
    push,
    schedule,
    single,
)

from webpush_iac.plan import CREATED_ID, Change, Plan, diff


def only(plan: Plan, address: str) -> Change:
    found = [c for c in plan.changes if c.address == address]
    assert len(found) == 1, [c.address for c in plan.changes]
    return found[0]


def test_plan_creates_declared_schedule_absent_live() -> None:
    want = schedule("digest")
    plan = diff(desired_state([want]), live_state(), now=NOW)
    change = only(plan, "schedule/digest")
    assert change.action == "create"
    assert [(r.method, r.path, r.kind) for r in change.requests] == [
        ("POST", "/v4/schedules", "schedule.create")
    ]
    assert change.requests[0].body == want.api_body()
    assert change.live_name == "iac_digest"
    assert plan.has_mutations


def test_create_of_disabled_schedule_posts_enabled_then_disables_with_full_put() -> None:
    want = schedule("quiet", enabled=False)
    change = only(diff(desired_state([want]), live_state(), now=NOW), "schedule/quiet")
    post, put = change.requests
    assert post.body is not None
    assert post.body["enabled"] is True
    assert (put.method, put.path, put.kind) == (
        "PUT",
        f"/v4/schedules/{CREATED_ID}",
        "schedule.update",
    )
    assert put.body == {**want.api_body(), "enabled": False}
    assert set(put.body) == {"name", "enabled", "trigger", "push"}


def test_create_request_body_is_a_copy_of_the_desired_payload() -> None:
    want = schedule("digest")
    change = only(diff(desired_state([want]), live_state(), now=NOW), "schedule/digest")
    assert change.requests[0].body is not None
    change.requests[0].body["push"]["body"]["platform"] = "mutated"
    assert want.push["body"]["platform"] == "web"


def test_update_reports_field_level_paths_and_puts_the_full_body() -> None:
    want = schedule("digest", payload=push(title="New title"))
    have = live_schedule("iac_digest", want.trigger, push(title="Old title"), schedule_id="s1")
    change = only(diff(desired_state([want]), live_state([have]), now=NOW), "schedule/digest")
    assert change.action == "update"
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("push.body.notification.web.title", "Old title", "New title")
    ]
    (put,) = change.requests
    assert (put.method, put.path, put.kind) == ("PUT", "/v4/schedules/s1", "schedule.update")
    assert put.body == want.api_body()
    assert change.schedule_id == "s1"


def test_enabled_toggle_is_an_update_of_the_enabled_field() -> None:
    want = schedule("digest", enabled=False)
    have = live_from(schedule("digest", enabled=True))
    change = only(diff(desired_state([want]), live_state([have]), now=NOW), "schedule/digest")
    assert change.action == "update"
    assert [(f.path, f.before, f.after) for f in change.fields] == [("enabled", True, False)]


def test_periodical_time_change_has_trigger_path() -> None:
    want = schedule("weekly", periodical(time="10:00:00"))
    have = live_from(schedule("weekly", periodical(time="09:00:00")))
    change = only(diff(desired_state([want]), live_state([have]), now=NOW), "schedule/weekly")
    assert [f.path for f in change.fields] == ["trigger.periodical.time"]


def test_trigger_kind_change_is_a_replace_that_deletes_then_creates() -> None:
    want = schedule("flash", periodical())
    have = live_from(schedule("flash", single()), schedule_id="old")
    change = only(diff(desired_state([want]), live_state([have]), now=NOW), "schedule/flash")
    assert change.action == "replace"
    assert [(r.method, r.path) for r in change.requests] == [
        ("DELETE", "/v4/schedules/old"),
        ("POST", "/v4/schedules"),
    ]
    assert [(f.path, f.before is None, f.after is None) for f in change.fields] == [
        ("trigger.periodical", True, False),
        ("trigger.single", False, True),
    ]


def test_prune_deletes_owned_undeclared_schedule() -> None:
    have = live_schedule("iac_gone", schedule_id="g1")
    plan = diff(desired_state(prune_schedules=True), live_state([have]), now=NOW)
    change = only(plan, "schedule/gone")
    assert change.action == "delete"
    assert [(r.method, r.path, r.kind) for r in change.requests] == [
        ("DELETE", "/v4/schedules/g1", "schedule.delete")
    ]
    assert "schedule:g1" in change.fingerprints


def test_prune_off_reports_orphan_without_requests() -> None:
    have = live_schedule("iac_gone")
    plan = diff(desired_state(), live_state([have]), now=NOW)
    change = only(plan, "schedule/gone")
    assert change.action == "orphan"
    assert change.requests == ()
    assert not plan.has_mutations


def test_unowned_schedule_is_reported_and_never_touched_even_with_prune() -> None:
    have = live_schedule("marketing_blast", schedule_id="m1")
    plan = diff(desired_state(prune_schedules=True), live_state([have]), now=NOW)
    change = only(plan, "schedule/marketing_blast")
    assert change.action == "unowned"
    assert change.requests == ()
    assert change.schedule_id == "m1"
    assert not plan.has_mutations


def test_converged_schedule_is_noop() -> None:
    want = schedule("digest")
    plan = diff(desired_state([want]), live_state([live_from(want)]), now=NOW)
    assert only(plan, "schedule/digest").action == "noop"
    assert not plan.has_mutations


def test_plan_does_not_recreate_fired_single_schedule() -> None:
    want = schedule("launch", single("2026-05-01 09:00:00"))
    plan = diff(desired_state([want]), live_state(), now=NOW)
    change = only(plan, "schedule/launch")
    assert change.action == "fired"
    assert change.requests == ()
    assert not plan.has_mutations


def test_single_fire_time_is_read_in_the_project_timezone() -> None:
    # 19:30 in Singapore (UTC+8) is 11:30 UTC: past at 12:00 UTC; in UTC it is still to come.
    want = schedule("evening", single("2026-06-01 19:30:00"))
    in_sgp = diff(desired_state([want], timezone="Asia/Singapore"), live_state(), now=NOW)
    in_utc = diff(desired_state([want], timezone="UTC"), live_state(), now=NOW)
    assert only(in_sgp, "schedule/evening").action == "fired"
    assert only(in_utc, "schedule/evening").action == "create"


def test_zone_type_2_single_counts_as_fired_once_utc_plus_14_reached_it() -> None:
    # 01:00 on June 2nd in UTC+14 is 11:00 UTC on June 1st.
    device_local = schedule("local", single("2026-06-02 01:00:00", zone_type=2))
    console_zone = schedule("console", single("2026-06-02 01:00:00", zone_type=1))
    plan = diff(desired_state([device_local, console_zone]), live_state(), now=NOW)
    assert only(plan, "schedule/local").action == "fired"
    assert only(plan, "schedule/console").action == "create"


def test_listed_single_past_its_time_is_still_updated_the_list_beats_the_clock() -> None:
    want = schedule("launch", single("2026-05-01 09:00:00"), push(title="new"))
    have = live_from(
        schedule("launch", single("2026-05-01 09:00:00"), push(title="old")), schedule_id="l1"
    )
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    change = only(plan, "schedule/launch")
    assert change.action == "update"
    assert [(r.method, r.path) for r in change.requests] == [("PUT", "/v4/schedules/l1")]
    assert [f.path for f in change.fields] == ["push.body.notification.web.title"]
    assert plan.errors == []
    assert plan.not_after is not None
    assert plan.not_after > NOW  # a past time sets no deadline


def test_fired_single_still_listed_live_and_equal_is_noop() -> None:
    want = schedule("launch", single("2026-05-01 09:00:00"))
    plan = diff(desired_state([want]), live_state([live_from(want)]), now=NOW)
    assert only(plan, "schedule/launch").action == "noop"


def test_absent_periodical_past_its_end_is_expired_and_never_created() -> None:
    old = periodical(start="2025-01-01 00:00:00", end="2025-12-31 23:59:59")
    plan = diff(desired_state([schedule("old_series", old)]), live_state(), now=NOW)
    assert only(plan, "schedule/old_series").action == "expired"
    assert not plan.has_mutations
    assert plan.warnings == []  # a periodical past its end cannot send again either way


def test_listed_periodical_past_its_end_is_paired_and_updated() -> None:
    old = periodical(start="2025-01-01 00:00:00", end="2025-12-31 23:59:59")
    want = schedule("old_listed", old, push(title="new"))
    have = live_from(schedule("old_listed", old, push(title="old")))
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    assert only(plan, "schedule/old_listed").action == "update"
    assert plan.errors == []


def test_intelligent_counts_as_fired_once_backup_time_passed() -> None:
    past = schedule("smart_past", intelligent("2026-05-31 09:00:00"))
    future = schedule("smart_future", intelligent("2026-06-02 09:00:00"))
    plan = diff(desired_state([past, future]), live_state(), now=NOW)
    assert only(plan, "schedule/smart_past").action == "fired"
    assert only(plan, "schedule/smart_future").action == "create"


def test_duplicates_are_deleted_with_prune_off_keeping_the_copy_that_matches_the_manifest() -> None:
    want = schedule("dup", payload=push(title="new"))
    stale = live_from(schedule("dup", payload=push(title="old")), schedule_id="a1")
    matching = live_from(want, schedule_id="b2")
    plan = diff(desired_state([want]), live_state([stale, matching]), now=NOW)
    change = only(plan, "schedule/dup")
    assert change.action == "conflict"
    assert change.schedule_id == "b2"
    assert [(r.method, r.path) for r in change.requests] == [("DELETE", "/v4/schedules/a1")]
    assert "keeps b2 (it matches the manifest)" in change.reason
    assert set(change.fingerprints) == {"schedule:a1", "schedule:b2"}
    assert plan.has_mutations  # --detailed-exitcode exits 2, never a silent no-op


def test_duplicates_none_matching_keep_the_lowest_id_and_update_it_whatever_the_list_order() -> (
    None
):
    want = schedule("dup", payload=push(title="new"))
    copies = [
        live_from(schedule("dup", payload=push(title=f"old {i}")), schedule_id=sid)
        for i, sid in enumerate(("c3", "a1", "b2"))
    ]
    for prune in (False, True):
        plan = diff(desired_state([want], prune_schedules=prune), live_state(copies), now=NOW)
        change = only(plan, "schedule/dup")
        assert change.action == "conflict"
        assert [(r.method, r.path) for r in change.requests] == [
            ("DELETE", "/v4/schedules/b2"),
            ("DELETE", "/v4/schedules/c3"),
            ("PUT", "/v4/schedules/a1"),
        ]
        assert set(change.fingerprints) == {"schedule:a1", "schedule:b2", "schedule:c3"}
        assert plan.schedule_deletes() == 2


def test_numeric_schedule_ids_are_compared_by_value() -> None:
    want = schedule("dup")
    copies = [live_from(want, schedule_id=sid) for sid in ("10", "9")]
    change = only(diff(desired_state([want]), live_state(copies), now=NOW), "schedule/dup")
    assert change.schedule_id == "9"
    assert [r.path for r in change.requests] == ["/v4/schedules/10"]


def test_undeclared_duplicates_with_prune_off_lose_their_extra_copies_only() -> None:
    copies = [live_schedule("iac_old", schedule_id=i) for i in ("x2", "x1", "x3")]
    plan = diff(desired_state(), live_state(copies), now=NOW)
    change = only(plan, "schedule/old")
    assert change.action == "conflict"
    assert change.schedule_id == "x1"
    assert [r.path for r in change.requests] == ["/v4/schedules/x2", "/v4/schedules/x3"]
    assert "prune is off" in change.reason
    assert plan.has_mutations


def test_undeclared_duplicates_with_prune_are_all_deleted() -> None:
    copies = [live_schedule("iac_old", schedule_id=i) for i in ("x1", "x2")]
    plan = diff(desired_state(prune_schedules=True), live_state(copies), now=NOW)
    change = only(plan, "schedule/old")
    assert change.action == "delete"
    assert [r.path for r in change.requests] == ["/v4/schedules/x1", "/v4/schedules/x2"]


def test_broadcast_flag_and_preview_come_from_the_desired_push() -> None:
    payload = push(title="Sale", to="all", languages={"fr": {"title": "Soldes", "content": "Vite"}})
    change = only(
        diff(desired_state([schedule("sale", payload=payload)]), live_state(), now=NOW),
        "schedule/sale",
    )
    assert change.broadcast is True
    assert change.preview == {
        "title": "Sale",
        "alert": "Your digest is ready",
        "url": "https://example.com/digest",
        "languages": {"fr": {"title": "Soldes", "alert": "Vite"}},
    }
