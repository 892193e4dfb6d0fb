"""Plan model: counts, safety thresholds, fingerprints, and the saved-plan file."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from plan_builders import (
    NOW,
    desired_state,
    device,
    live_device,
    live_from,
    live_schedule,
    live_state,
    periodical,
    push,
    schedule,
)

from webpush_iac.apply.freshness import check_fresh
from webpush_iac.errors import PlanError, SafetyError, StalePlanError
from webpush_iac.plan import (
    ApiRequest,
    Change,
    Plan,
    PlanProblem,
    check_safety,
    diff,
    fingerprint_device,
    fingerprint_schedule,
    plan_from_data,
    plan_to_data,
)
from webpush_iac.state import LiveDevice, ProjectSettings


def mixed_plan() -> Plan:
    keep = schedule("keep", payload=push(title="new"))
    return diff(
        desired_state(
            [schedule("new", enabled=False), keep],
            [device("rid000000000001", {"beta"}, alias="qa_anna")],
            prune_schedules=True,
        ),
        live_state(
            [live_from(schedule("keep", payload=push(title="old"))), live_schedule("iac_gone")],
            [live_device("rid000000000001", {"old"})],
            alias_owners={"qa_anna": ("rid000000000002",)},
        ),
        now=NOW,
        target="https://webpushapi-sgp.engagelab.com",
    )


def test_counts_summary_and_has_mutations() -> None:
    plan = mixed_plan()
    counts = plan.counts()
    assert (counts["create"], counts["update"], counts["delete"], counts["device"]) == (1, 1, 1, 1)
    assert counts["tag"] == 1  # beta gains the device; "old" is not managed, so it stays
    assert plan.summary() == {"create": 1, "update": 1, "delete": 1, "devices": 2, "requests": 7}
    assert plan.has_mutations


def test_plan_with_only_informational_changes_has_no_mutations() -> None:
    plan = Plan(project="p", created_at=NOW, changes=[Change("schedule/x", "orphan")])
    assert not plan.has_mutations
    assert plan.not_after == NOW + timedelta(hours=24)


def test_raise_for_errors_lists_every_problem() -> None:
    plan = Plan(
        project="p",
        created_at=NOW,
        errors=[PlanProblem("device/b", "too many tags"), PlanProblem("device/a", "unreadable")],
    )
    with pytest.raises(PlanError) as info:
        plan.raise_for_errors()
    assert "2 errors" in str(info.value)
    assert str(info.value).index("device/a") < str(info.value).index("device/b")


# -- fingerprints -----------------------------------------------------------------------------


def test_schedule_fingerprint_ignores_key_order_but_not_values() -> None:
    raw = {"schedule_id": "s", "name": "n", "push": {"a": 1, "b": [1, 2]}}
    reordered = {"push": {"b": [1, 2], "a": 1}, "name": "n", "schedule_id": "s"}
    assert fingerprint_schedule(raw) == fingerprint_schedule(reordered)
    assert fingerprint_schedule(raw) != fingerprint_schedule({**raw, "name": "m"})


def test_device_fingerprint_treats_tags_as_a_set() -> None:
    a = LiveDevice("r", frozenset({"x", "y"}), "al")
    b = LiveDevice("r", frozenset({"y", "x"}), "al")
    assert fingerprint_device(a) == fingerprint_device(b)
    assert fingerprint_device(a) != fingerprint_device(LiveDevice("r", frozenset({"x"}), "al"))
    assert fingerprint_device(a) != fingerprint_device(LiveDevice("r", a.tags, ""))


# -- safety -----------------------------------------------------------------------------------


def deletes_plan(owned: int, deletes: int) -> Plan:
    changes = [
        Change(
            f"schedule/d{i}",
            "delete",
            requests=(ApiRequest("DELETE", f"/v4/schedules/{i}", None, "schedule.delete"),),
        )
        for i in range(deletes)
    ]
    return Plan(project="p", created_at=NOW, changes=changes, owned_live_count=owned)


def test_safety_refuses_deletes_above_the_percentage_naming_numbers_and_flag() -> None:
    with pytest.raises(SafetyError) as info:
        check_safety(deletes_plan(owned=10, deletes=4), ProjectSettings(name="p"))
    message = str(info.value)
    assert "4 of 10" in message
    assert "40%" in message
    assert "30%" in message
    assert "--allow-large-changes" in message
    assert info.value.exit_code == 3


def test_safety_allows_deletes_at_the_percentage() -> None:
    check_safety(deletes_plan(owned=10, deletes=3), ProjectSettings(name="p"))


def test_safety_exempts_projects_with_fewer_than_10_owned_schedules() -> None:
    check_safety(deletes_plan(owned=9, deletes=9), ProjectSettings(name="p"))


def test_safety_uses_the_explicit_owned_count_when_given() -> None:
    with pytest.raises(SafetyError):
        check_safety(
            deletes_plan(owned=0, deletes=5), ProjectSettings(name="p"), owned_live_count=10
        )


def test_safety_counts_replaces_and_conflict_extras_as_deletes() -> None:
    want = schedule("dup")
    lives = [live_from(want, schedule_id=f"c{i}") for i in range(4)]  # 3 extra copies
    lives += [live_from(schedule(f"other{i}"), schedule_id=f"o{i}") for i in range(6)]
    others = [schedule(f"other{i}") for i in range(1, 6)]
    kind_change = schedule("other0", periodical())  # a replace deletes its live copy
    desired = desired_state([want, kind_change, *others], prune_schedules=True)
    plan = diff(desired, live_state(lives), now=NOW)
    assert plan.owned_live_count == 10
    with pytest.raises(SafetyError, match="4 of 10"):
        check_safety(plan, desired.project)


def test_safety_refuses_too_many_device_changes() -> None:
    rids = [f"rid{i:06d}" for i in range(6)]
    desired = desired_state([], [device(r, {"beta"}) for r in rids], max_device_changes=5)
    plan = diff(desired, live_state(devices=[live_device(r) for r in rids]), now=NOW)
    with pytest.raises(SafetyError, match="6 devices"):
        check_safety(plan, desired.project)
    check_safety(plan, desired.project, allow_large=True)


def test_allow_large_changes_overrides_every_threshold() -> None:
    check_safety(deletes_plan(owned=10, deletes=10), ProjectSettings(name="p"), True)


# -- saved plan -------------------------------------------------------------------------------


def test_saved_plan_round_trips_through_json() -> None:
    plan = mixed_plan()
    data = json.loads(json.dumps(plan_to_data(plan)))
    assert data["format_version"] == 1
    assert data["summary"]["create"] == 1
    assert data["checksum"].startswith("sha256:")
    assert plan_from_data(data) == plan


def test_saved_plan_holds_every_request_and_fingerprint() -> None:
    data = plan_to_data(mixed_plan())
    requests = [(r["method"], r["path"]) for c in data["changes"] for r in c["requests"]]
    assert ("PUT", "/v4/schedules/{created_id}") in requests
    assert ("POST", "/v4/devices/rid000000000002") in requests
    assert any(c["fingerprints"] for c in data["changes"])


def test_tampered_saved_plan_is_refused() -> None:
    data = plan_to_data(mixed_plan())
    tampered = copy.deepcopy(data)
    tampered["changes"][0]["requests"][0]["path"] = "/v4/schedules/someone-else"
    with pytest.raises(StalePlanError, match="checksum"):
        plan_from_data(tampered)


def test_saved_plan_without_checksum_is_refused() -> None:
    data = plan_to_data(mixed_plan())
    del data["checksum"]
    with pytest.raises(StalePlanError, match="checksum"):
        plan_from_data(data)


def test_saved_plan_of_another_format_version_is_refused() -> None:
    data = {**plan_to_data(mixed_plan()), "format_version": 2}
    with pytest.raises(StalePlanError, match="format_version 2"):
        plan_from_data(data)


@pytest.mark.parametrize("data", [None, [], "plan"])
def test_non_object_saved_plan_is_refused(data: object) -> None:
    with pytest.raises(StalePlanError):
        plan_from_data(data)


def test_structurally_broken_plan_with_valid_checksum_is_refused() -> None:
    from webpush_iac.plan import sha256_hex
    from webpush_iac.plan.planfile import _CHECKSUM_PREFIX

    body = {"format_version": 1, "project": "p", "created_at": "2026-01-01T00:00:00Z"}
    with pytest.raises(StalePlanError, match="malformed"):
        plan_from_data({**body, "checksum": _CHECKSUM_PREFIX + sha256_hex(body)})


def test_expired_plan_is_stale() -> None:
    plan = mixed_plan()
    assert plan.not_after is not None
    check_fresh(plan, plan.not_after)
    with pytest.raises(StalePlanError, match="expired"):
        check_fresh(plan, plan.not_after + timedelta(seconds=1))


def test_saved_plan_never_holds_credentials_from_the_target() -> None:
    desired = desired_state([schedule("x")])
    plan = diff(desired, live_state(), now=NOW, target="https://appkey:s3cr3t@host.example/")
    text = json.dumps(plan_to_data(plan))
    assert "s3cr3t" not in text
    assert "appkey" not in text
