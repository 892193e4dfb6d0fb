"""Each v4 endpoint through canned answers: paths, chunking, paging and defensive reading."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from support.mock_http import Handler, Server, answer, make_client, nested

from webpush_iac.client import endpoints
from webpush_iac.errors import ClientError

# --- schedules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (answer(200, [{"schedule_id": "s1", "name": "a"}]), {"schedule_id": "s1", "name": "a"}),
        (answer(200, {"schedule_id": "s1", "name": "a"}), {"schedule_id": "s1", "name": "a"}),
        (answer(200, []), None),
        (answer(404, nested(28104, "not exist")), None),
    ],
)
async def test_get_schedule_accepts_array_object_empty_and_missing(
    reply: httpx.Response, expected: dict[str, Any] | None
) -> None:
    server = Server(reply)
    async with make_client(server) as client:
        assert await client.get_schedule("s1") == expected
    assert server.paths == ["/v4/schedules/s1"]


def schedule_page(page: int, ids: list[str], total_pages: int, total: int) -> httpx.Response:
    items = [{"schedule_id": i, "name": f"n_{i}"} for i in ids]
    return answer(
        200, {"page": page, "total_pages": total_pages, "total_count": total, "schedules": items}
    )


def paged(pages: dict[int, httpx.Response]) -> Handler:
    return lambda request: pages[int(request.url.params["page"])]


async def test_list_schedules_reads_every_page() -> None:
    pages = {
        1: schedule_page(1, ["a", "b"], 3, 5),
        2: schedule_page(2, ["c", "d"], 3, 5),
        3: schedule_page(3, ["e"], 3, 5),
    }
    server = Server(paged(pages))
    async with make_client(server) as client:
        listed = await client.list_schedules()
    assert [s["schedule_id"] for s in listed] == ["a", "b", "c", "d", "e"]
    assert sorted(r.url.params["page"] for r in server.requests) == ["1", "2", "3"]


async def test_list_schedules_accepts_an_empty_last_page_within_the_page_count() -> None:
    pages = {1: schedule_page(1, ["a", "b"], 2, 2), 2: schedule_page(2, [], 2, 2)}
    async with make_client(Server(paged(pages))) as client:
        assert [s["schedule_id"] for s in await client.list_schedules()] == ["a", "b"]


async def test_list_schedules_refuses_schedules_listed_after_an_empty_page() -> None:
    pages = {
        1: schedule_page(1, ["a"], 3, 2),
        2: schedule_page(2, [], 3, 2),
        3: schedule_page(3, ["zombie"], 3, 2),
    }
    server = Server(paged(pages))
    async with make_client(server) as client:
        with pytest.raises(ClientError, match="page 3 lists schedules after the empty page 2"):
            await client.list_schedules()
    assert len(server.requests) == 3 * 3  # read again twice before giving up


ITEM = {"schedule_id": "s1", "name": "iac_a"}
MALFORMED_LISTS = {
    "empty object": answer(200, {}),
    "bare success": answer(200, b"success"),
    "JSON success": answer(200, "success"),
    "success true": answer(200, {"success": True}),
    "empty body": answer(200, b""),
    "null": answer(200, None),
    "array": answer(200, [ITEM]),
    "renamed key": answer(200, {"total_count": 1, "total_pages": 1, "page": 1, "items": [ITEM]}),
    "count without items": answer(200, {"total_count": 5}),
    "schedules not a list": answer(200, {"schedules": {"s1": ITEM}}),
    "item not an object": answer(200, {"schedules": ["s1"]}),
    "item without an id": answer(200, {"schedules": [{"name": "iac_a"}]}),
    "item with an empty id": answer(200, {"schedules": [{"schedule_id": "", "name": "iac_a"}]}),
    "item without a name": answer(200, {"schedules": [{"schedule_id": "s1"}]}),
    "count as text": answer(200, {"total_count": "1", "schedules": [ITEM]}),
    "negative count": answer(200, {"total_count": -1, "schedules": [ITEM]}),
    "boolean page count": answer(200, {"total_pages": True, "schedules": [ITEM]}),
    "page count past the cap": answer(200, {"total_pages": 10**6, "schedules": [ITEM]}),
}


@pytest.mark.parametrize("reply", MALFORMED_LISTS.values(), ids=MALFORMED_LISTS.keys())
async def test_list_schedules_refuses_an_answer_it_cannot_account_for(
    reply: httpx.Response,
) -> None:
    server = Server(reply)
    async with make_client(server) as client:
        with pytest.raises(ClientError, match=r"GET /v4/schedules\?page=1 answered .*nothing"):
            await client.list_schedules()
    assert {(r.method, r.url.path) for r in server.requests} == {("GET", "/v4/schedules")}


async def test_list_schedules_refuses_a_count_with_no_items_after_reading_again() -> None:
    server = Server(answer(200, {"total_count": 5, "total_pages": 1, "page": 1, "schedules": []}))
    async with make_client(server) as client:
        with pytest.raises(ClientError, match="total_count says 5 schedules but the pages list 0"):
            await client.list_schedules()
    assert len(server.requests) == 3


async def test_list_schedules_reads_again_when_pages_list_fewer_than_the_count() -> None:
    short = {1: schedule_page(1, ["a"], 1, 2)}
    full = {1: schedule_page(1, ["a", "b"], 1, 2)}
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return (short if len(calls) == 1 else full)[int(request.url.params["page"])]

    async with make_client(Server(handler)) as client:
        assert [s["schedule_id"] for s in await client.list_schedules()] == ["a", "b"]
    assert len(calls) == 2


async def test_list_schedules_refuses_pages_that_never_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoints, "MAX_SCHEDULE_PAGES", 5)

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return answer(200, {"page": page, "schedules": [{"schedule_id": "same", "name": "n"}]})

    server = Server(handler)
    async with make_client(server) as client:
        with pytest.raises(ClientError, match="no empty page within 5 pages"):
            await client.list_schedules()
    assert len(server.requests) == 5


async def test_list_schedules_without_a_page_count_reads_until_an_empty_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        items = [{"schedule_id": f"s{page}", "name": f"n{page}"}] if page <= 2 else []
        return answer(200, {"page": page, "schedules": items})

    server = Server(handler)
    async with make_client(server) as client:
        assert [s["schedule_id"] for s in await client.list_schedules()] == ["s1", "s2"]
    assert [r.url.params["page"] for r in server.requests] == ["1", "2", "3"]


async def test_list_schedules_rereads_when_a_task_expires_between_pages() -> None:
    # First pass: "a" expires after page 1 is read, so "c" shifts onto page 1 and would be missed.
    first_pass = {1: schedule_page(1, ["a", "b"], 2, 4), 2: schedule_page(2, ["d"], 2, 3)}
    second_pass = {1: schedule_page(1, ["b", "c"], 2, 3), 2: schedule_page(2, ["d"], 2, 3)}
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        calls.append(page)
        return (first_pass if len(calls) <= 2 else second_pass)[page]

    async with make_client(Server(handler)) as client:
        listed = await client.list_schedules()
    assert [s["schedule_id"] for s in listed] == ["b", "c", "d"]


async def test_list_schedules_gives_up_when_the_list_never_settles() -> None:
    counter = iter(range(100, 1000))

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return schedule_page(page, [f"x{page}"], 2, next(counter))

    async with make_client(Server(handler)) as client:
        with pytest.raises(ClientError, match="kept changing"):
            await client.list_schedules()


async def test_schedule_msg_ids_accepts_encoded_bare_and_object_elements() -> None:
    ids = [
        json.dumps({"msg_id": "111", "error": {"code": 0, "message": ""}, "needRetry": False}),
        "222",
        {"msg_id": 333},
        "0444",
    ]
    server = Server(answer(200, {"count": 4, "MsgIds": ids}))
    async with make_client(server) as client:
        assert await client.schedule_msg_ids("s1") == ["111", "222", "333", "0444"]
    assert server.paths == ["/v4/schedules/s1/msg-ids"]


# --- devices, tags, aliases ---------------------------------------------------------------------


async def test_update_tag_splits_2500_ids_into_three_add_calls() -> None:
    rids = [f"rid{i}" for i in range(2500)]
    server = Server(answer(200, b""))
    async with make_client(server) as client:
        assert await client.update_tag("beta", add=rids) == 3
    sizes = [len(b["registration_ids"]["add"]) for b in server.bodies()]
    assert sizes == [1000, 1000, 500]
    assert [i for b in server.bodies() for i in b["registration_ids"]["add"]] == rids
    assert server.paths == ["/v4/tags/beta"] * 3


async def test_update_tag_pairs_add_and_remove_chunks_in_the_same_calls() -> None:
    server = Server(answer(200, b""))
    async with make_client(server) as client:
        await client.update_tag("beta", add=[f"a{i}" for i in range(1500)], remove=["r1", "r2"])
    bodies = [b["registration_ids"] for b in server.bodies()]
    assert [(len(b.get("add", [])), len(b.get("remove", []))) for b in bodies] == [
        (1000, 2),
        (500, 0),
    ]


async def test_tag_and_alias_path_segments_are_percent_encoded() -> None:
    server = Server(answer(200, {"registration_ids": ["r1"]}))
    async with make_client(server) as client:
        await client.update_tag("中文标签", add=["r1"])
        assert await client.get_alias("a/b c") == ["r1"]
    assert server.requests[0].url.raw_path == b"/v4/tags/%E4%B8%AD%E6%96%87%E6%A0%87%E7%AD%BE"
    assert server.requests[1].url.raw_path == b"/v4/aliases/a%2Fb%20c"


async def test_set_device_sends_only_what_changes() -> None:
    server = Server(answer(200, b""))
    async with make_client(server) as client:
        await client.set_device("r1", add_tags=["t1"], alias="")
        await client.set_device("r2", clear_tags=True)
        await client.set_device("r3")  # nothing to change: nothing sent
    assert server.paths == ["/v4/devices/r1", "/v4/devices/r2"]
    assert server.bodies() == [{"tags": {"add": ["t1"]}, "alias": ""}, {"tags": ""}]


async def test_get_device_normalises_null_tags_and_alias() -> None:
    async with make_client(Server(answer(200, {"tags": None, "alias": None}))) as client:
        assert await client.get_device("r1") == {"tags": [], "alias": ""}


async def test_tags_count_repeats_the_tags_key_with_one_platform() -> None:
    server = Server(answer(200, {"tagsCount": {"a": 3, "b": 0}}))
    async with make_client(server) as client:
        assert await client.tags_count(["a", "b"]) == {"a": 3, "b": 0}
    assert server.requests[0].url.query == b"tags=a&tags=b&platform=web"


async def test_message_details_are_fetched_100_ids_at_a_time_and_merged() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["message_ids"].split(",")
        return answer(200, {i: {"sent": 1} for i in ids})

    server = Server(handler)
    async with make_client(server) as client:
        details = await client.message_details(str(i) for i in range(150))
    assert len(details) == 150
    assert [len(r.url.params["message_ids"].split(",")) for r in server.requests] == [100, 50]


async def test_devices_status_accepts_rows_or_a_map_keyed_by_id() -> None:
    server = Server(answer(200, {"r1": {"online": True}}))
    async with make_client(server) as client:
        assert await client.devices_status(["r1"]) == [{"regid": "r1", "online": True}]


async def test_tag_membership_check_reads_result_and_treats_404_as_absent() -> None:
    server = Server(answer(200, {"result": True}), answer(404, nested(27404, "no such tag")))
    async with make_client(server) as client:
        assert await client.tag_has_device("beta", "r1") is True
        assert await client.tag_has_device("gone", "r1") is False
    assert server.paths[0] == "/v4/tags/beta/registration_ids/r1"


async def test_batch_push_refuses_more_than_500_targets_before_sending() -> None:
    server = Server(answer(200, {}))
    async with make_client(server) as client:
        with pytest.raises(ValueError):
            await client.batch_push("regid", [{"target": f"r{i}"} for i in range(501)])
    assert server.requests == []
