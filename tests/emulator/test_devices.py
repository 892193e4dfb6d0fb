"""Contract tests of the emulator's device, tag and alias API (reference §3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET


async def seed(api: httpx.AsyncClient, **body: Any) -> None:
    answer = await api.post("/_emulator/devices", json=body)
    assert answer.status_code == 200, answer.text


async def device(api: httpx.AsyncClient, rid: str) -> dict[str, Any]:
    answer = await api.get(f"/v4/devices/{rid}")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def assert_error(answer: httpx.Response, status: int, code: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["message"]


async def test_seeded_device_reads_back_tags_and_alias(emulator_client):
    api = emulator_client
    await seed(api, devices=[{"registration_id": "rid1", "tags": ["b", "a"], "alias": "anna"}])
    await seed(api, registration_ids=["rid2"])
    assert await device(api, "rid1") == {"tags": ["a", "b"], "alias": "anna"}
    assert await device(api, "rid2") == {"tags": [], "alias": ""}


async def test_unknown_device_is_404_with_a_device_code(emulator_client):
    assert_error(await emulator_client.get("/v4/devices/nobody"), 404, 27002)
    answer = await emulator_client.post("/v4/devices/nobody", json={"alias": "x"})
    assert_error(answer, 404, 27002)


async def test_device_post_adds_and_removes_tags_and_answers_an_empty_200(emulator_client):
    api = emulator_client
    await seed(api, devices=[{"registration_id": "rid1", "tags": ["old", "keep"]}])
    answer = await api.post("/v4/devices/rid1", json={"tags": {"add": ["new"], "remove": ["old"]}})
    assert answer.status_code == 200
    assert answer.content == b""
    assert (await device(api, "rid1"))["tags"] == ["keep", "new"]


async def test_empty_string_tags_clears_and_empty_alias_removes(emulator_client):
    api = emulator_client
    await seed(api, devices=[{"registration_id": "rid1", "tags": ["a", "b"], "alias": "anna"}])
    await api.post("/v4/devices/rid1", json={"tags": "", "alias": ""})
    assert await device(api, "rid1") == {"tags": [], "alias": ""}
    assert (await api.get("/v4/aliases/anna")).json() == {"registration_ids": []}


async def test_binding_an_alias_moves_it_from_the_device_that_had_it(emulator_client):
    api = emulator_client
    await seed(api, devices=[{"registration_id": "rid1", "alias": "anna"}])
    await seed(api, registration_ids=["rid2"])
    assert (await api.post("/v4/devices/rid2", json={"alias": "anna"})).status_code == 200
    assert (await device(api, "rid1"))["alias"] == ""
    assert (await device(api, "rid2"))["alias"] == "anna"
    assert (await api.get("/v4/aliases/anna")).json() == {"registration_ids": ["rid2"]}


async def test_a_device_holds_one_alias_so_rebinding_replaces_it(emulator_client):
    api = emulator_client
    await seed(api, devices=[{"registration_id": "rid1", "alias": "anna"}])
    await api.post("/v4/devices/rid1", json={"alias": "bob"})
    assert (await api.get("/v4/aliases/anna")).json() == {"registration_ids": []}
    assert (await api.get("/v4/aliases/bob")).json() == {"registration_ids": ["rid1"]}


async def test_a_device_carries_at_most_100_tags_and_a_refused_call_changes_nothing(
    emulator_client,
):
    api = emulator_client
    tags = [f"t{i}" for i in range(100)]
    await seed(api, devices=[{"registration_id": "rid1", "tags": tags}])
    answer = await api.post("/v4/devices/rid1", json={"tags": {"add": ["one_more"]}})
    assert_error(answer, 400, 27002)
    assert len((await device(api, "rid1"))["tags"]) == 100
    answer = await api.post("/v4/tags/one_more", json={"registration_ids": {"add": ["rid1"]}})
    assert_error(answer, 400, 27002)
    assert "one_more" not in (await device(api, "rid1"))["tags"]


BAD_DEVICE_BODIES = {
    "tag of 41 bytes": {"tags": {"add": ["x" * 41]}},
    "tag of 14 CJK characters (42 bytes)": {"tags": {"add": ["标" * 14]}},
    "tag with a hyphen": {"tags": {"add": ["a-b"]}},
    "alias with a space": {"alias": "anna b"},
    "alias of 41 bytes": {"alias": "a" * 41},
    "tags as a list": {"tags": ["a"]},
    "same tag added and removed": {"tags": {"add": ["a"], "remove": ["a"]}},
    "unknown field": {"mobile": "123"},
    "empty object": {},
    "alias as a number": {"alias": 7},
    "101 tags added at once": {"tags": {"add": [f"t{i}" for i in range(101)]}},
}


@pytest.mark.parametrize("body", BAD_DEVICE_BODIES.values(), ids=BAD_DEVICE_BODIES.keys())
async def test_bad_device_updates_are_refused_with_27002(emulator_client, body):
    await seed(emulator_client, registration_ids=["rid1"])
    assert_error(await emulator_client.post("/v4/devices/rid1", json=body), 400, 27002)
    assert await device(emulator_client, "rid1") == {"tags": [], "alias": ""}


async def test_cjk_tags_of_40_bytes_work_through_url_encoded_paths(emulator_client):
    api = emulator_client
    tag = "标签" * 6 + "ab_x"  # 36 + 4 bytes
    await seed(api, registration_ids=["rid1"])
    answer = await api.post(f"/v4/tags/{quote(tag)}", json={"registration_ids": {"add": ["rid1"]}})
    assert answer.status_code == 200, answer.text
    assert answer.content == b""
    assert (await api.get(f"/v4/tags/{quote(tag)}/registration_ids/rid1")).json() == {
        "result": True
    }
    assert (await device(api, "rid1"))["tags"] == [tag]


async def test_bulk_tag_call_takes_1000_ids_and_refuses_1001(emulator_client):
    api = emulator_client
    rids = [f"rid{i}" for i in range(1001)]
    await seed(api, registration_ids=rids)
    answer = await api.post("/v4/tags/beta", json={"registration_ids": {"add": rids[:1000]}})
    assert answer.status_code == 200
    assert (await api.get("/v4/tags_count", params={"tags": "beta"})).json() == {
        "tagsCount": {"beta": 1000}
    }
    answer = await api.post("/v4/tags/beta", json={"registration_ids": {"remove": rids}})
    assert_error(answer, 400, 27002)


async def test_bulk_tag_call_naming_an_unknown_device_changes_nothing(emulator_client):
    api = emulator_client
    await seed(api, registration_ids=["rid1"])
    body = {"registration_ids": {"add": ["rid1", "ghost"]}}
    answer = await api.post("/v4/tags/beta", json=body)
    assert_error(answer, 400, 27002)
    assert "ghost" in answer.json()["error"]["message"]
    assert (await device(api, "rid1"))["tags"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"registration_ids": {}},
        {"registration_ids": {"add": [], "remove": []}},
        {"registration_ids": ["rid1"]},
        {"registration_ids": {"add": ["rid1"], "remove": ["rid1"]}},
        {"add": ["rid1"]},
        [],
    ],
)
async def test_bad_bulk_tag_bodies_are_refused(emulator_client, body):
    await seed(emulator_client, registration_ids=["rid1"])
    assert_error(await emulator_client.post("/v4/tags/beta", json=body), 400, 27002)


async def test_bulk_tag_remove_and_tag_queries(emulator_client):
    api = emulator_client
    await seed(
        api,
        devices=[
            {"registration_id": "rid1", "tags": ["beta", "qa"]},
            {"registration_id": "rid2", "tags": ["beta"]},
        ],
    )
    await api.post("/v4/tags/beta", json={"registration_ids": {"remove": ["rid1"]}})
    assert (await api.get("/v4/tags/beta/registration_ids/rid1")).json() == {"result": False}
    assert (await api.get("/v4/tags/beta/registration_ids/rid2")).json() == {"result": True}
    assert (await api.get("/v4/tags")).json() == {"tags": ["beta", "qa"]}
    counts = await api.get(
        "/v4/tags_count", params=[("tags", "beta"), ("tags", "qa"), ("tags", "none")]
    )
    assert counts.json() == {"tagsCount": {"beta": 1, "qa": 1, "none": 0}}
    assert (await api.delete("/v4/tags/beta")).status_code == 200
    assert (await device(api, "rid2"))["tags"] == []
    assert (await api.get("/v4/tags")).json() == {"tags": ["qa"]}


async def test_tags_count_needs_tags_and_a_web_platform(emulator_client):
    assert_error(await emulator_client.get("/v4/tags_count"), 400, 27002)
    answer = await emulator_client.get("/v4/tags_count", params={"tags": "a", "platform": "ios"})
    assert_error(answer, 400, 27002)
    answer = await emulator_client.get("/v4/tags_count", params={"tags": "a", "platform": "web"})
    assert answer.json() == {"tagsCount": {"a": 0}}


async def test_alias_lookup_and_delete(emulator_client):
    api = emulator_client
    await seed(api, devices=[{"registration_id": "rid1", "alias": "anna"}])
    assert (await api.get("/v4/aliases/anna")).json() == {"registration_ids": ["rid1"]}
    assert (await api.get("/v4/aliases/nobody")).json() == {"registration_ids": []}
    answer = await api.delete("/v4/aliases/anna")
    assert answer.status_code == 200
    assert answer.content == b""
    assert (await device(api, "rid1"))["alias"] == ""


async def test_delete_device_answers_success_true_and_forgets_it(emulator_client):
    api = emulator_client
    await seed(api, devices=[{"registration_id": "rid1", "tags": ["a"], "alias": "anna"}])
    answer = await api.delete("/v4/devices/rid1")
    assert answer.json() == {"success": True}
    assert_error(await api.get("/v4/devices/rid1"), 404, 27002)
    assert (await api.get("/v4/aliases/anna")).json() == {"registration_ids": []}
    assert (await api.get("/v4/tags")).json() == {"tags": []}


async def test_devices_status_is_an_array_of_known_devices(emulator_client):
    api = emulator_client
    await seed(api, registration_ids=["rid1", "rid2"])
    answer = await api.post("/v4/devices/status", json={"registration_ids": ["rid2", "ghost"]})
    assert answer.status_code == 200
    [entry] = answer.json()
    assert entry["regid"] == "rid2"
    assert entry["online"] is False
    assert len(entry["last_online_time"]) == len("2030-01-01 00:00:00")
    too_many = {"registration_ids": [f"r{i}" for i in range(1001)]}
    assert_error(await api.post("/v4/devices/status", json=too_many), 400, 27002)


async def test_ten_thousand_devices_are_seeded_and_bulk_tagged(emulator_client):
    api = emulator_client
    rids = [f"device_{i:05d}" for i in range(10_000)]
    await seed(api, registration_ids=rids)
    for start in range(0, 10_000, 1000):
        body = {"registration_ids": {"add": rids[start : start + 1000]}}
        assert (await api.post("/v4/tags/everyone", json=body)).status_code == 200
    counts = (await api.get("/v4/tags_count", params={"tags": "everyone"})).json()
    assert counts == {"tagsCount": {"everyone": 10_000}}
    assert (await device(api, "device_09999"))["tags"] == ["everyone"]


async def test_device_routes_use_27001_for_missing_and_27004_for_wrong_credentials(emulator_app):
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL) as client:
        assert_error(await client.get("/v4/devices/rid1"), 401, 27001)
        answer = await client.get("/v4/tags", auth=(APP_KEY, MASTER_SECRET + "x"))
        assert_error(answer, 401, 27004)
        answer = await client.get("/v4/tags", headers={"Authorization": "Basic !!!"})
        assert_error(answer, 401, 27004)
        answer = await client.get("/v4/tags", headers={"Authorization": "Bearer token"})
        assert_error(answer, 401, 27004)
