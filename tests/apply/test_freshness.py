"""May a saved plan still be applied: expiry, moved objects, another target."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from support.fake_api import NOW, FakeApi, body, client_for, create, plan_of
from support.plan import mixed_plan

from webpush_iac.apply.freshness import CLOCK_SKEW, check_fresh, verify_saved_plan
from webpush_iac.errors import InvalidPlanError, StalePlanError
from webpush_iac.plan import ApiRequest, Change, fingerprint_device, fingerprint_schedule
from webpush_iac.state import LiveDevice


def test_expired_plan_is_stale() -> None:
    plan = mixed_plan()
    assert plan.not_after is not None
    check_fresh(plan, plan.not_after)
    with pytest.raises(StalePlanError, match="expired"):
        check_fresh(plan, plan.not_after + timedelta(seconds=1))


async def test_saved_plan_refused_when_a_touched_schedule_changed(tmp_path: Path) -> None:
    api = FakeApi()
    sid = api.add_schedule("iac_a", trigger={"single": {"time": "2027-01-01 00:00:00"}})
    change = Change(
        "schedule/a",
        "update",
        requests=(ApiRequest("PUT", f"/v4/schedules/{sid}", body("a"), "schedule.update"),),
        fingerprints={f"schedule:{sid}": fingerprint_schedule(api.schedules[sid])},
    )
    plan = plan_of(change)
    async with client_for(api) as client:
        await verify_saved_plan(client, plan, target=plan.target, now=NOW)  # unchanged: fine
        api.schedules[sid]["enabled"] = False  # someone edits it in the console
        with pytest.raises(StalePlanError, match="schedule/a"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)
    assert api.mutations() == []


async def test_saved_plan_refused_when_a_planned_create_now_exists() -> None:
    api = FakeApi()
    plan = plan_of(create("digest"))
    api.add_schedule("iac_digest")
    async with client_for(api) as client:
        with pytest.raises(StalePlanError, match="schedule/digest"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)
    assert api.mutations() == []


async def test_saved_rename_refused_when_the_new_name_appeared_or_the_old_task_changed() -> None:
    api = FakeApi()
    sid = api.add_schedule("iac_digest", trigger={"single": {"time": "2027-01-01 00:00:00"}})
    change = Change(
        "schedule/weekly",
        "update",
        requests=(ApiRequest("PUT", f"/v4/schedules/{sid}", body("weekly"), "schedule.update"),),
        fingerprints={f"schedule:{sid}": fingerprint_schedule(api.schedules[sid])},
        live_name="iac_weekly",
        schedule_id=sid,
        renamed_from="digest",
    )
    plan = plan_of(change)
    async with client_for(api) as client:
        await verify_saved_plan(client, plan, target=plan.target, now=NOW)  # unchanged: fine
        other = api.add_schedule("iac_weekly")  # someone created the new name meanwhile
        with pytest.raises(StalePlanError, match="schedule/weekly"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)
        del api.schedules[other]
        api.schedules[sid]["enabled"] = False  # the renamed task itself moved on
        with pytest.raises(StalePlanError, match="schedule/weekly"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)
    assert api.mutations() == []


async def test_saved_plan_refused_when_a_device_moved_on() -> None:
    api = FakeApi()
    api.devices["r1"] = {"tags": ["beta"], "alias": ""}
    fp = fingerprint_device(LiveDevice("r1", frozenset({"beta"}), ""))
    change = Change(
        "device/r1",
        "update",
        requests=(ApiRequest("POST", "/v4/devices/r1", {"alias": "x"}, "device.update"),),
        fingerprints={"device:r1": fp},
    )
    plan = plan_of(change)
    async with client_for(api) as client:
        await verify_saved_plan(client, plan, target=plan.target, now=NOW)
        api.devices["r1"]["tags"] = ["beta", "qa"]
        with pytest.raises(StalePlanError, match="device/r1"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)


async def test_saved_plan_refused_for_another_target_or_after_not_after() -> None:
    api = FakeApi()
    plan = plan_of(create("digest"))
    plan.not_after = NOW + timedelta(hours=1)
    async with client_for(api) as client:
        with pytest.raises(StalePlanError, match="made for"):
            await verify_saved_plan(client, plan, target="https://other.test", now=NOW)
        with pytest.raises(StalePlanError, match="expired"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW + timedelta(hours=2))
    assert api.log == []


def test_plan_from_the_future_is_refused_beyond_the_clock_skew() -> None:
    plan = mixed_plan()
    check_fresh(plan, plan.created_at - CLOCK_SKEW)  # a runner a little behind: fine
    with pytest.raises(StalePlanError, match="clock skew"):
        check_fresh(plan, plan.created_at - CLOCK_SKEW - timedelta(seconds=1))


def test_plan_61_days_old_is_expired() -> None:
    plan = mixed_plan()
    with pytest.raises(StalePlanError, match="expired"):
        check_fresh(plan, plan.created_at + timedelta(days=61))


async def test_saved_plan_refused_when_a_schedule_it_changes_is_not_owned() -> None:
    """Even with a matching fingerprint: the live name on re-read decides ownership."""
    api = FakeApi()
    sid = api.add_schedule("marketing_blast")
    change = Change(
        "schedule/blast",
        "delete",
        requests=(ApiRequest("DELETE", f"/v4/schedules/{sid}", None, "schedule.delete"),),
        fingerprints={f"schedule:{sid}": fingerprint_schedule(api.schedules[sid])},
        live_name="iac_blast",  # what the plan claims
    )
    plan = plan_of(change)
    plan.owner_prefix = "iac_"
    async with client_for(api) as client:
        with pytest.raises(InvalidPlanError, match="lacks the ownership prefix 'iac_'"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)
    assert api.mutations() == []
    assert ("GET", f"/v4/schedules/{sid}") in api.log


async def test_saved_plan_with_an_owned_schedule_passes_the_ownership_check() -> None:
    api = FakeApi()
    sid = api.add_schedule("iac_blast")
    change = Change(
        "schedule/blast",
        "delete",
        requests=(ApiRequest("DELETE", f"/v4/schedules/{sid}", None, "schedule.delete"),),
        fingerprints={f"schedule:{sid}": fingerprint_schedule(api.schedules[sid])},
        live_name="iac_blast",
    )
    plan = plan_of(change)
    plan.owner_prefix = "iac_"
    async with client_for(api) as client:
        await verify_saved_plan(client, plan, target=plan.target, now=NOW)
