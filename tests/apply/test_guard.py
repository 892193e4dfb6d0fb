"""The last check before a request leaves: only what a plan may contain reaches the API."""

from __future__ import annotations

from typing import Any

import pytest
from support.fake_api import FakeApi, body, client_for

from webpush_iac.apply.guard import GuardedRequester
from webpush_iac.errors import InvalidPlanError

SCHEDULE = body("a")  # {"name": "iac_a", ...}
TAG = {"registration_ids": {"add": ["rid000000000001"]}}


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("POST", "/v4/schedules", SCHEDULE),
        ("PUT", "/v4/schedules/sid-1", SCHEDULE),
        ("DELETE", "/v4/schedules/sid-1", None),
        ("POST", "/v4/tags/beta", TAG),
        ("POST", "/v4/tags/标签", TAG),
        ("POST", "/v4/devices/rid000000000001", {"alias": "qa_anna"}),
    ],
)
async def test_every_allowed_kind_passes_through(method: str, path: str, json: Any) -> None:
    api = FakeApi()
    api.add_schedule("iac_a")
    async with client_for(api) as client:
        await GuardedRequester(client, prefix="iac_").request(method, path, json=json)
    assert api.mutations() == [(method, path)]


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("POST", "/v4/push", {"from": "push", "to": "all", "body": {}}),
        ("POST", "/v4/batch/push/regid", {"requests": []}),
        ("POST", "/_emulator/reset", {}),
        ("POST", "/v4/tags/../../_emulator/reset", {}),
        ("PUT", "/v4/schedules/a/b", SCHEDULE),  # an id the server answered with a slash in it
        ("DELETE", "/v4/tags/beta", None),
        ("PATCH", "/v4/schedules/sid-1", SCHEDULE),
        ("POST", "/v4/schedules", {**SCHEDULE, "name": "marketing_blast"}),
        ("POST", "/v4/devices/rid000000000001", {"tags": ""}),
        ("GET", "/v4/schedules", None),
        ("POST", "/v4/tags/%E6%A0%87%E7%AD%BE", TAG),  # not how apispec spells the segment
    ],
)
async def test_anything_else_is_refused_before_it_is_sent(
    method: str, path: str, json: Any
) -> None:
    api = FakeApi()
    async with client_for(api) as client:
        guarded = GuardedRequester(client, prefix="iac_")
        with pytest.raises(InvalidPlanError, match="refusing to send") as info:
            await guarded.request(method, path, json=json)
    assert "\n" not in str(info.value)
    assert api.log == []


async def test_a_query_string_is_refused() -> None:
    api = FakeApi()
    async with client_for(api) as client:
        with pytest.raises(InvalidPlanError, match="query"):
            await GuardedRequester(client, prefix="iac_").request(
                "DELETE", "/v4/schedules/sid-1", params={"force": "1"}
            )
    assert api.log == []


async def test_reads_pass_through_unchanged() -> None:
    api = FakeApi()
    sid = api.add_schedule("iac_a")
    async with client_for(api) as client:
        guarded = GuardedRequester(client, prefix="iac_")
        assert [s["schedule_id"] for s in await guarded.list_schedules()] == [sid]
        assert (await guarded.get_schedule(sid) or {})["name"] == "iac_a"
        assert guarded.server_time == client.server_time
