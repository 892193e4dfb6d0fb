"""The post-create duplicate check: what a second apply on another runner created meanwhile is
deleted, keeping the lowest schedule_id, journalled and reported.

The concurrent apply is played by a fault on :class:`support.fake_api.FakeApi` that creates the
same name just before (or just after) our create reaches the server; the reliability suite races
two real processes against the emulator.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from support.fake_api import FakeApi, client_for, create, plan_of

from webpush_iac.apply.executor import apply_plan
from webpush_iac.apply.journal import Journal, in_flight, read_journal
from webpush_iac.plan import ApiRequest, Change


def racing_create(api: FakeApi, name: str, *, first: bool) -> None:
    """Another apply creates ``name`` as ours arrives: before it (lower id) or after it."""
    done = [False]

    def race(request: httpx.Request) -> httpx.Response | None:
        if done[0] or (request.method, request.url.path) != ("POST", "/v4/schedules"):
            return None
        done[0] = True
        if first:
            api.add_schedule(name)
            return None  # ours is handled next and gets the higher id
        answer = api.handle(request)
        api.add_schedule(name)
        return answer

    api.faults.append(race)


@pytest.mark.parametrize("theirs_first", [True, False])
async def test_a_copy_created_by_a_concurrent_apply_is_deleted_keeping_the_lowest_id(
    tmp_path: Path, theirs_first: bool
) -> None:
    api = FakeApi()
    racing_create(api, "iac_new", first=theirs_first)
    journal = Journal(tmp_path)
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(create("new")), journal=journal)
    journal.close()

    (created,) = [o for o in result.done if o.request.method == "POST"]
    assert created.created_id == ("sid-2" if theirs_first else "sid-1")
    extra = "sid-2"  # the higher id goes, whoever made it
    assert list(api.schedules) == ["sid-1"]
    (deleted,) = [o for o in result.done if o.request.method == "DELETE"]
    assert deleted.request.path == f"/v4/schedules/{extra}"
    assert deleted.address == "schedule/new"
    assert deleted.note.startswith("deletes a duplicate of sid-1")
    assert result.ok

    records = read_journal(journal.path)
    assert in_flight(records) == []
    delete_intents = [r for r in records if r["event"] == "intent" and r["method"] == "DELETE"]
    assert [r["path"] for r in delete_intents] == [f"/v4/schedules/{extra}"]
    (found,) = [r for r in records if r["event"] == "duplicate_found"]
    assert (found["name"], found["kept"], found["deleting"]) == ("iac_new", "sid-1", [extra])


async def test_duplicates_of_names_this_apply_did_not_create_are_left_to_the_plan(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    api.add_schedule("iac_other")
    api.add_schedule("iac_other")
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(create("new")), journal_dir=tmp_path)
    assert result.ok
    assert Counter(s["name"] for s in api.schedules.values()) == {"iac_other": 2, "iac_new": 1}
    assert [m for m, _p in api.mutations()] == ["POST"]


async def test_a_run_without_creates_lists_nothing_after_its_phases(tmp_path: Path) -> None:
    api = FakeApi()
    tag = ApiRequest("POST", "/v4/tags/beta", {"registration_ids": {"add": ["r1"]}}, "tag.update")
    async with client_for(api) as client:
        await apply_plan(
            client, plan_of(Change("tag/beta", "update", requests=(tag,))), journal_dir=tmp_path
        )
    assert api.log == [("POST", "/v4/tags/beta")]


async def test_a_duplicate_delete_that_fails_makes_the_run_partial(tmp_path: Path) -> None:
    api = FakeApi()
    racing_create(api, "iac_new", first=False)

    def refuse_delete(request: httpx.Request) -> httpx.Response | None:
        if request.method == "DELETE":
            return httpx.Response(400, json={"error": {"code": 28100, "message": "refused"}})
        return None

    api.faults.append(refuse_delete)
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(create("new")), journal_dir=tmp_path)
    (failed,) = result.failed
    assert failed.request.path == "/v4/schedules/sid-2"
    assert "refused" in failed.error
    assert failed.note.startswith("deletes a duplicate of sid-1")
    assert not result.ok


async def test_a_failed_listing_is_a_warning_not_a_lost_result(tmp_path: Path) -> None:
    api = FakeApi()
    lists = [0]

    def fail_listing(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.path == "/v4/schedules":
            lists[0] += 1
            return httpx.Response(403, json={"error": {"code": 27001, "message": "no"}})
        return None

    api.faults.append(fail_listing)
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(create("new")), journal_dir=tmp_path)
    assert lists[0] == 1
    assert [o.request.method for o in result.done] == ["POST"]
    (warning,) = result.warnings
    assert warning.startswith("the duplicate check after the creates could not list schedules")
