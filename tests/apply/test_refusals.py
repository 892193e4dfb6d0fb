"""Writes refused because a schedule's time passed meanwhile: said in words, others go on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from support.fake_api import FakeApi, Fault, body, client_for, create, plan_of

from webpush_iac.apply import apply_plan
from webpush_iac.plan import ApiRequest, Change

EXPIRED = {"error": {"code": 28100, "message": "expired: the task can no longer be updated"}}
PAST = {"error": {"code": 28100, "message": "trigger.single.time must be in the future"}}


def refuse(method: str, path: str, answer: Any) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response | None:
        if request.method == method and request.url.path == path:
            return httpx.Response(400, json=answer)
        return None

    return fault


def update(name: str, sid: str, kind: str = "single") -> Change:
    trigger = (
        {"single": {"time": "2026-01-01 00:00:00"}}
        if kind == "single"
        else {"periodical": {"end": "2026-01-01 00:00:00"}}
    )
    return Change(
        f"schedule/{name}",
        "update",
        before={"trigger": trigger},
        requests=(ApiRequest("PUT", f"/v4/schedules/{sid}", body(name), "schedule.update"),),
        schedule_id=sid,
    )


async def test_an_update_of_a_task_that_left_the_list_says_it_fired_and_others_go_on(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    gone = api.add_schedule("iac_launch")
    api.faults.append(refuse("PUT", f"/v4/schedules/{gone}", EXPIRED))
    del api.schedules[gone]  # fired: no longer listed
    async with client_for(api) as client:
        result = await apply_plan(
            client, plan_of(update("launch", gone), create("other")), journal_dir=tmp_path
        )
    (failed,) = result.failed
    assert failed.address == "schedule/launch"
    assert "fired before the update reached it" in failed.error
    assert "28100" in failed.error  # the API's own answer is kept
    assert [o.address for o in result.done] == ["schedule/other"]


async def test_an_update_of_a_periodical_that_left_the_list_says_it_expired(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    api.faults.append(refuse("PUT", "/v4/schedules/p1", EXPIRED))
    async with client_for(api) as client:
        result = await apply_plan(
            client, plan_of(update("weekly", "p1", "periodical")), journal_dir=tmp_path
        )
    assert "expired before the update reached it" in result.failed[0].error


async def test_a_refused_update_of_a_task_still_listed_keeps_the_api_answer(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    sid = api.add_schedule("iac_launch")
    api.faults.append(refuse("PUT", f"/v4/schedules/{sid}", PAST))
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(update("launch", sid)), journal_dir=tmp_path)
    (failed,) = result.failed
    assert "must be in the future" in failed.error
    assert "fired before" not in failed.error


async def test_a_delete_of_a_task_that_already_left_the_list_counts_as_done(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    api.faults.append(refuse("DELETE", "/v4/schedules/old", EXPIRED))
    delete = Change(
        "schedule/old",
        "delete",
        requests=(ApiRequest("DELETE", "/v4/schedules/old", None, "schedule.delete"),),
    )
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(delete), journal_dir=tmp_path)
    assert result.ok
    (done,) = result.done
    assert "already left the list" in done.note


async def test_a_create_refused_after_its_time_passed_says_it_will_never_be_sent(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    api.faults.append(refuse("POST", "/v4/schedules", PAST))
    change = create("launch")
    past = {**body("launch"), "trigger": {"single": {"time": "2026-01-01 00:00:00"}}}
    change = Change(
        change.address,
        "create",
        requests=(ApiRequest("POST", "/v4/schedules", past, "schedule.create"),),
    )
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(change), journal_dir=tmp_path)
    (failed,) = result.failed
    assert "its time passed before the create reached the API" in failed.error
    assert "never created" in failed.error
    assert api.schedules == {}
