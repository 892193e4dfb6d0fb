"""Safety thresholds: plans deleting or touching more than the project allows are refused."""

from __future__ import annotations

import pytest
from support.plan import (
    NOW,
    desired_state,
    device,
    live_device,
    live_from,
    live_state,
    periodical,
    schedule,
)

from webpush_iac.errors import SafetyError
from webpush_iac.plan import ApiRequest, Change, Plan, check_safety, diff
from webpush_iac.state import ProjectSettings


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
