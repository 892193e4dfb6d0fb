"""Normalisation: spellings the API treats as equal must not show up as drift, and real drift must."""

from __future__ import annotations

import copy
from typing import Any

from support.plan import (
    NOW,
    desired_state,
    live_from,
    live_schedule,
    live_state,
    periodical,
    push,
    schedule,
    single,
)

from webpush_iac.plan import Plan, diff
from webpush_iac.plan.normalize import (
    normalize_live,
    normalize_push,
    normalize_trigger,
    prune_empty,
)
from webpush_iac.state import LiveSchedule


def plan_for(
    want_trigger: dict[str, Any],
    live_trigger: dict[str, Any],
    live_push: dict[str, Any] | None = None,
) -> Plan:
    want = schedule("s", want_trigger)
    have = live_schedule("iac_s", live_trigger, live_push if live_push is not None else want.push)
    return diff(desired_state([want]), live_state([have]), now=NOW)


def with_push(have: LiveSchedule, payload: dict[str, Any]) -> LiveSchedule:
    raw = {**have.raw, "push": payload}
    return LiveSchedule(have.schedule_id, have.name, have.enabled, have.trigger, payload, raw)


def test_mixed_case_time_unit_and_weekday_points_from_live_produce_no_diff() -> None:
    plan = plan_for(
        periodical(unit="week", point=["MON", "WED"]),
        periodical(unit="WEEK", point=["wed", "Mon"]),
    )
    assert not plan.has_mutations


def test_weekday_points_are_compared_as_a_set() -> None:
    plan = plan_for(periodical(point=["FRI", "MON"]), periodical(point=["MON", "FRI", "MON"]))
    assert not plan.has_mutations


def test_month_points_compare_as_two_digit_strings() -> None:
    plan = plan_for(
        periodical(unit="month", point=["01", "15"]), periodical(unit="Month", point=[15, "1"])
    )
    assert not plan.has_mutations


def test_missing_zone_type_means_1_on_either_side() -> None:
    assert not plan_for(single(zone_type=None), single(zone_type=1)).has_mutations
    assert not plan_for(periodical(zone_type=1), periodical(zone_type=None)).has_mutations
    assert plan_for(single(zone_type=2), single(zone_type=None)).has_mutations


def test_numbers_sent_back_as_strings_are_not_drift() -> None:
    live = periodical()
    live["periodical"]["frequency"] = "1"
    live["periodical"]["zone_type"] = "1"
    assert not plan_for(periodical(), live).has_mutations


def test_null_placeholders_for_unused_trigger_kinds_are_ignored() -> None:
    live = {**single(), "periodical": None, "intelligent": None}
    assert not plan_for(single(), live).has_mutations


def test_server_added_push_fields_are_not_drift() -> None:
    want = schedule("s", payload=push(ttl=None))
    payload = copy.deepcopy(want.push)
    payload["request_id"] = "generated-by-server"
    payload["schedule_id"] = "abc"
    payload["msg_id"] = "123"
    payload["body"]["options"] = {"time_to_live": 86400}
    payload["body"]["notification"]["web"]["server_flag"] = 1
    have = with_push(live_from(want), payload)
    assert not diff(desired_state([want]), live_state([have]), now=NOW).has_mutations


def test_from_echoed_by_the_server_is_not_drift_when_desired_omits_it() -> None:
    payload = push()
    del payload["from"]
    want = schedule("s", payload=payload)
    have = with_push(live_from(want), {**payload, "from": "push"})
    assert not diff(desired_state([want]), live_state([have]), now=NOW).has_mutations


def test_documented_push_field_set_elsewhere_is_drift() -> None:
    want = schedule("s")
    payload = copy.deepcopy(want.push)
    payload["body"]["notification"]["web"]["image"] = "https://example.com/x.png"
    have = with_push(live_from(want), payload)
    plan = diff(desired_state([want]), live_state([have]), now=NOW)
    (change,) = [c for c in plan.changes if c.address == "schedule/s"]
    assert change.action == "update"
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("push.body.notification.web.image", "https://example.com/x.png", None)
    ]


def test_non_default_time_to_live_set_live_is_drift() -> None:
    want = schedule("s", payload=push(ttl=None))
    payload = copy.deepcopy(want.push)
    payload["body"]["options"] = {"time_to_live": 60}
    have = with_push(live_from(want), payload)
    assert diff(desired_state([want]), live_state([have]), now=NOW).has_mutations


def test_audience_lists_are_sets() -> None:
    want = schedule("s", payload=push(to={"tag": ["a", "b"]}))
    have = with_push(live_from(want), push(to={"tag": ["b", "a", "a"]}))
    assert not diff(desired_state([want]), live_state([have]), now=NOW).has_mutations


def test_empty_sections_and_nones_are_dropped() -> None:
    want = schedule("s")
    payload = copy.deepcopy(want.push)
    payload["custom_args"] = {}
    payload["body"]["notification"]["web"]["icon"] = None
    payload["body"]["message"] = None
    have = with_push(live_from(want), payload)
    assert not diff(desired_state([want]), live_state([have]), now=NOW).has_mutations


def test_free_form_extras_are_compared_whole() -> None:
    want = schedule("s")
    payload = copy.deepcopy(want.push)
    payload["body"]["notification"]["web"]["extras"] = {"campaign": "x"}
    have = with_push(live_from(want), payload)
    assert diff(desired_state([want]), live_state([have]), now=NOW).has_mutations


def test_day_unit_drops_an_empty_point_list() -> None:
    assert normalize_trigger(periodical(unit="DAY", point=[])) == normalize_trigger(
        periodical(unit="day")
    )


def test_prune_empty_keeps_falsy_scalars() -> None:
    assert prune_empty({"a": 0, "b": False, "c": "", "d": None, "e": {"f": []}}) == {
        "a": 0,
        "b": False,
        "c": "",
    }


def test_live_normalisation_without_a_desired_side_drops_server_defaults() -> None:
    have = live_schedule("iac_x", payload={**push(), "request_id": "r"})
    assert "request_id" not in normalize_live(have)["push"]
    assert "from" not in normalize_live(have)["push"]


def test_documented_shapes_are_compared_as_written_never_rewritten() -> None:
    shaped = {
        "from": "console",
        "to": "all",
        "custom_args": "business info",
        "body": {
            "platform": ["web"],
            "notification": {
                "alert": "Hi",
                "web": {"alert": {"text": "Hi"}, "url": "https://e.com", "icon": "", "image": ""},
            },
            "options": {"time_to_live": "3600"},
        },
    }
    assert normalize_push(copy.deepcopy(shaped)) == shaped
    trigger = {"intelligent": {"backup_time": "2027-02-01 10:00:00", "zone_type": 2}}
    assert normalize_trigger(trigger) == trigger
    live = LiveSchedule("id1", "iac_s", True, trigger, copy.deepcopy(shaped))
    want = schedule("s", trigger, shaped)
    assert normalize_live(live, want) == {"enabled": True, "trigger": trigger, "push": shaped}
