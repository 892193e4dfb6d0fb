"""EngageLabClient against canned HTTP answers (httpx.MockTransport): errors, retries, endpoints."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from webpush_iac.client import (
    Credentials,
    EngageLabClient,
    check_base_url,
    credentials_from_env,
    resolve_base_url,
)
from webpush_iac.client.ratelimit import TokenBucket
from webpush_iac.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    ClientError,
    ConfigError,
    NotFoundError,
    RateLimitedError,
    ReadOnlyViolation,
    ServerError,
    TransportError,
)

SECRET = "Zq9-distinctive-MASTER-secret-77"
CREDS = Credentials("appkey1", SECRET)
BASE = "https://api.test"

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


def answer(
    status: int = 200, body: Any = b"", headers: dict[str, str] | None = None
) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.Response(status, content=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def nested(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class Server:
    """Records every request and answers from a script (one entry per request; last repeats)."""

    def __init__(self, *script: httpx.Response | BaseException | Handler) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script[min(len(self.requests), len(self.script)) - 1]
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, httpx.Response):
            return step
        result = step(request)
        return await result if not isinstance(result, httpx.Response) else result

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(server: Server, **kw: Any) -> EngageLabClient:
    kw.setdefault("limiter", TokenBucket(10_000))
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("rng", random.Random(7))
    return EngageLabClient(BASE, CREDS, transport=httpx.MockTransport(server), **kw)


# --- base URLs and credentials ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "product", "url"),
    [
        ("sgp", "web", "https://webpushapi-sgp.engagelab.com"),
        ("hk", "web", "https://webpushapi-hk.engagelab.com"),
        ("HK", "web", "https://webpushapi-hk.engagelab.com"),
        ("usva", "app", "https://pushapi-usva.engagelab.com"),
    ],
)
def test_regions_map_to_the_documented_base_urls(region: str, product: str, url: str) -> None:
    assert resolve_base_url(region, product) == url


def test_unknown_region_is_a_config_error_listing_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"'mars'.*valid: hk, sgp"):
        resolve_base_url("mars")


def test_override_wins_over_region_and_loses_trailing_slash_and_v4() -> None:
    assert resolve_base_url("sgp", override="https://proxy.example/push/v4/") == (
        "https://proxy.example/push"
    )


@pytest.mark.parametrize(
    "url", ["http://api.example.com", "http://10.0.0.1:8080", "http://localhost.evil.com"]
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="plain http"):
        check_base_url(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8787", "http://127.3.4.5", "http://[::1]:9000", "http://LOCALHOST"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert check_base_url(url + "/") == url


def test_base_url_with_user_info_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as info:
        check_base_url(f"https://appkey1:{SECRET}@api.test")
    assert SECRET not in str(info.value)


def test_client_refuses_a_plain_http_base_url_to_a_remote_host() -> None:
    with pytest.raises(ConfigError):
        EngageLabClient("http://webpushapi-sgp.engagelab.com", CREDS)


def test_missing_credentials_name_the_variable_never_a_value() -> None:
    env = {"MY_KEY": "appkey1", "MY_SECRET": ""}
    with pytest.raises(ConfigError) as info:
        credentials_from_env("MY_KEY", "MY_SECRET", environ=env)
    assert "MY_SECRET" in str(info.value)
    assert "appkey1" not in str(info.value)
    creds = credentials_from_env("MY_KEY", "MY_SECRET", environ={**env, "MY_SECRET": SECRET})
    assert creds == CREDS


async def test_every_request_carries_basic_auth_of_app_key_and_secret() -> None:
    server = Server(answer(200, {"tags": []}))
    async with make_client(server) as client:
        await client.list_tags()
    scheme, token = server.requests[0].headers["authorization"].split()
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"appkey1:{SECRET}"


# --- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "message"),
    [
        (401, nested(21004, "auth failed"), AuthError, 21004, "auth failed"),
        (403, {"code": 23009, "message": "ip not allowed"}, AuthError, 23009, "ip not allowed"),
        (
            400,
            nested(27001, "verification info empty"),
            AuthError,
            27001,
            "verification info empty",
        ),
        (404, nested(28104, "schedule not exist"), NotFoundError, 28104, "schedule not exist"),
        (429, b"", RateLimitedError, None, "Too Many Requests"),
        (400, nested(23008, "Rate limit exceeded"), RateLimitedError, 23008, "Rate limit exceeded"),
        (200, nested(23008, "Rate limit exceeded"), RateLimitedError, 23008, "Rate limit exceeded"),
        (503, nested(21030, "internal timeout"), ServerError, 21030, "internal timeout"),
        (500, {"code": 27000, "message": "memory"}, ServerError, 27000, "memory"),
        (400, {"code": "21003", "message": "bad value"}, ApiError, 21003, "bad value"),
        (410, b"Gone\n\n   for   good ", ApiError, None, "Gone for good"),
        (
            502,
            b"<html><head><title>502 Bad Gateway</title></head><body> nginx </body></html>",
            ServerError,
            None,
            "502 Bad Gateway nginx",
        ),
    ],
)
async def test_error_answers_map_to_the_exception_tree(
    status: int, body: Any, kind: type[ApiError], code: int | None, message: str
) -> None:
    server = Server(answer(status, body))
    async with make_client(server, max_retries=0) as client:
        with pytest.raises(ApiError) as info:
            await client.request("GET", "/v4/tags")
    err = info.value
    assert type(err) is kind
    assert (err.status, err.code, err.api_message) == (status, code, message)
    assert "GET /v4/tags" in str(err)


async def test_html_error_page_becomes_a_short_one_line_excerpt() -> None:
    page = "<html><style>p{}</style><body>" + "<p>Service   Unavailable</p>\n" * 200 + "</body>"
    server = Server(answer(503, page.encode(), {"content-type": "text/html"}))
    async with make_client(server, max_retries=0) as client:
        with pytest.raises(ServerError) as info:
            await client.request("GET", "/v4/tags")
    message = info.value.api_message
    assert message.startswith("Service Unavailable Service Unavailable")
    assert len(message) <= 200
    assert "<" not in message
    assert "\n" not in message
    assert "p{}" not in message


@pytest.mark.parametrize("body", [b"", b"  \n", b"success", b'"success"', b'{"success": true}'])
async def test_success_bodies_that_only_mean_done_decode_to_none(body: bytes) -> None:
    server = Server(answer(200, body, {"content-type": "application/json"}))
    async with make_client(server) as client:
        assert await client.request("DELETE", "/v4/tags/t1") is None


async def test_json_success_body_is_decoded() -> None:
    server = Server(answer(200, {"schedule_id": "abc", "name": "iac_x"}))
    async with make_client(server) as client:
        assert await client.create_schedule({"name": "iac_x"}) == {
            "schedule_id": "abc",
            "name": "iac_x",
        }
    assert server.bodies() == [{"name": "iac_x"}]


async def test_unreadable_success_body_of_a_read_is_an_api_error() -> None:
    server = Server(answer(200, b"<html>maintenance</html>"))
    async with make_client(server) as client:
        with pytest.raises(ApiError, match="maintenance"):
            await client.request("GET", "/v4/tags")


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


async def test_list_schedules_stops_at_an_empty_page() -> None:
    pages = {
        1: schedule_page(1, ["a"], 3, 2),
        2: schedule_page(2, [], 3, 2),
        3: schedule_page(3, ["zombie"], 3, 2),
    }
    async with make_client(Server(paged(pages))) as client:
        assert [s["schedule_id"] for s in await client.list_schedules()] == ["a"]


async def test_list_schedules_without_a_page_count_reads_until_an_empty_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        items = [{"schedule_id": f"s{page}"}] if page <= 2 else []
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


# --- read-only mode -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_schedule({"name": "x"}),
        lambda c: c.update_schedule("s1", {"enabled": False}),
        lambda c: c.delete_schedule("s1"),
        lambda c: c.update_tag("beta", add=["r1"]),
        lambda c: c.set_device("r1", alias="a"),
        lambda c: c.push({"to": "all"}),
    ],
)
async def test_read_only_client_raises_before_sending_any_write(
    call: Callable[[EngageLabClient], Awaitable[Any]],
) -> None:
    server = Server(answer(200, b""))
    async with make_client(server, read_only=True) as client:
        with pytest.raises(ReadOnlyViolation):
            await call(client)
    assert server.requests == []


async def test_read_only_client_still_reads() -> None:
    server = Server(answer(200, {"tags": ["a"]}))
    async with make_client(server, read_only=True) as client:
        assert await client.list_tags() == ["a"]


# --- retries ------------------------------------------------------------------------------------


async def test_get_is_retried_after_503_then_succeeds() -> None:
    server = Server(answer(503, b"busy"), answer(200, {"tags": ["a"]}))
    sleeps = Sleeps()
    async with make_client(server, sleep=sleeps) as client:
        assert await client.list_tags() == ["a"]
        assert (client.stats.requests, client.stats.retries) == (2, 1)
    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1


async def test_rate_limited_thrice_then_success_retries_and_slows_the_bucket() -> None:
    limited = answer(400, nested(23008, "Rate limit exceeded for the API"))
    server = Server(limited, limited, limited, answer(200, {"tags": []}))
    bucket = TokenBucket(400)
    async with make_client(server, limiter=bucket) as client:
        assert await client.list_tags() == []
        assert client.stats.rate_limited == 3
        assert client.stats.retries == 3
    assert len(server.requests) == 4
    assert bucket.rate < 400


async def test_tag_membership_post_is_idempotent_and_retried() -> None:
    server = Server(answer(502, b""), answer(200, b""))
    async with make_client(server) as client:
        await client.update_tag("beta", add=["r1"])
    assert len(server.requests) == 2


async def test_schedule_create_is_not_retried_on_503_and_is_ambiguous() -> None:
    server = Server(answer(503, nested(21030, "timeout")), answer(200, {"schedule_id": "dup"}))
    async with make_client(server) as client:
        with pytest.raises(AmbiguousWriteError) as info:
            await client.create_schedule({"name": "iac_x"})
    assert len(server.requests) == 1
    cause = info.value.__cause__
    assert isinstance(cause, ServerError)
    assert cause.status == 503
    assert "POST /v4/schedules" in str(info.value)


async def test_schedule_create_read_timeout_is_ambiguous_after_exactly_one_attempt() -> None:
    server = Server(lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("read timed out", request=r)))
    async with make_client(server) as client:
        with pytest.raises(AmbiguousWriteError, match="ReadTimeout"):
            await client.create_schedule({"name": "iac_x"})
    assert len(server.requests) == 1


async def test_schedule_create_connect_error_is_a_plain_transport_error() -> None:
    server = Server(httpx.ConnectError("connection refused"))
    async with make_client(server) as client:
        with pytest.raises(TransportError) as info:
            await client.create_schedule({"name": "iac_x"})
    assert not isinstance(info.value, AmbiguousWriteError)
    assert len(server.requests) == 1


async def test_schedule_create_refused_by_rate_limit_is_sent_again_and_not_ambiguous() -> None:
    server = Server(
        answer(400, nested(23008, "limited")),
        answer(429, b""),
        answer(200, {"schedule_id": "s-1", "name": "iac_x"}),
    )
    async with make_client(server) as client:
        created = await client.create_schedule({"name": "iac_x"})
    assert created["schedule_id"] == "s-1"
    assert len(server.requests) == 3


async def test_schedule_create_failing_with_503_is_not_sent_again() -> None:
    server = Server(answer(503, nested(21030, "busy")), answer(200, {"schedule_id": "s-1"}))
    async with make_client(server) as client:
        with pytest.raises(AmbiguousWriteError):
            await client.create_schedule({"name": "iac_x"})
    assert len(server.requests) == 1


async def test_push_rejected_by_rate_limit_is_neither_retried_nor_ambiguous() -> None:
    server = Server(answer(400, nested(23008, "limited")), answer(200, {"msg_id": "1"}))
    async with make_client(server) as client:
        with pytest.raises(RateLimitedError):
            await client.push({"to": "all"})
    assert len(server.requests) == 1


async def test_connection_reset_is_retried_for_reads_and_ambiguous_for_pushes() -> None:
    server = Server(ConnectionResetError("peer reset"), answer(200, {"tags": []}))
    async with make_client(server) as client:
        assert await client.list_tags() == []
    assert len(server.requests) == 2

    server = Server(ConnectionResetError("peer reset"))
    async with make_client(server) as client:
        with pytest.raises(AmbiguousWriteError, match="ConnectionResetError"):
            await client.push({"to": "all"})


async def test_client_error_is_not_retried() -> None:
    server = Server(answer(400, nested(21003, "bad value")), answer(200, {}))
    async with make_client(server) as client:
        with pytest.raises(ApiError):
            await client.update_schedule("s1", {"enabled": True})
    assert len(server.requests) == 1


@pytest.mark.parametrize("body", [b"oops", json.dumps(nested(28200, "internal")).encode()])
async def test_500_without_a_retriable_code_is_retried_exactly_once(body: bytes) -> None:
    server = Server(answer(500, body))
    async with make_client(server) as client:
        with pytest.raises(ServerError):
            await client.get_schedule("s1")
    assert len(server.requests) == 2


async def test_500_with_retriable_code_27000_is_retried_like_any_transient_failure() -> None:
    server = Server(answer(500, nested(27000, "memory")))
    async with make_client(server, max_retries=3) as client:
        with pytest.raises(ServerError):
            await client.get_device("r1")
    assert len(server.requests) == 4


async def test_retries_stop_after_max_retries() -> None:
    server = Server(answer(503, b""))
    async with make_client(server, max_retries=3) as client:
        with pytest.raises(ServerError):
            await client.list_tags()
    assert len(server.requests) == 4


async def test_backoff_grows_exponentially_with_full_jitter_under_the_cap() -> None:
    server = Server(answer(504, b""))
    sleeps = Sleeps()
    async with make_client(server, sleep=sleeps, max_retries=8) as client:
        with pytest.raises(ServerError):
            await client.list_tags()
    ceilings = [min(10.0, 0.2 * 2**n) for n in range(8)]
    assert len(sleeps.calls) == 8
    assert all(0 <= d <= c for d, c in zip(sleeps.calls, ceilings, strict=True))
    assert max(sleeps.calls[4:]) > 0.8  # later waits really are longer than the first ceiling


async def test_retry_after_header_is_honoured() -> None:
    server = Server(answer(429, b"", {"Retry-After": "7"}), answer(200, {"tags": []}))
    sleeps = Sleeps()
    async with make_client(server, sleep=sleeps) as client:
        await client.list_tags()
    assert sleeps.calls[0] == 7.0  # (a bucket wait for the slowed rate may follow)


async def test_in_flight_requests_never_exceed_the_concurrency_cap() -> None:
    in_flight = 0
    peak = 0
    enough = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight >= 3:
            enough.set()
        await enough.wait()
        in_flight -= 1
        return answer(200, {"tags": []})

    async with make_client(Server(handler), concurrency=3) as client:
        await asyncio.gather(*(client.list_tags() for _ in range(20)))
        assert client.stats.requests == 20
    assert peak == 3


# --- server time and secrets --------------------------------------------------------------------


async def test_server_time_comes_from_the_date_header_in_utc() -> None:
    server = Server(answer(200, {"tags": []}, {"Date": "Tue, 01 Dec 2026 09:30:00 GMT"}))
    async with make_client(server) as client:
        assert client.server_time is None
        await client.list_tags()
        assert client.server_time == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


async def test_server_time_prefers_the_application_date_when_a_framework_adds_another() -> None:
    headers = [("Date", "Sun, 22 Nov 2026 21:49:27 GMT"), ("Date", "Tue, 01 Jan 2030 00:00:00 GMT")]
    server = Server(httpx.Response(200, json={"tags": []}, headers=headers))
    async with make_client(server) as client:
        await client.list_tags()
        assert client.server_time == datetime(2030, 1, 1, tzinfo=UTC)


async def test_secret_appears_in_no_repr_exception_or_log_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = base64.b64encode(f"appkey1:{SECRET}".encode()).decode()

    def echo_auth(request: httpx.Request) -> httpx.Response:  # a server that echoes our header
        return answer(401, nested(21004, f"bad auth {request.headers['authorization']} {SECRET}"))

    server = Server(
        answer(200, {"tags": []}), echo_auth, httpx.ReadTimeout(f"timeout {SECRET}"), echo_auth
    )
    caplog.set_level(logging.DEBUG)
    texts = [repr(CREDS), str(CREDS)]
    async with make_client(server, max_retries=0) as client:
        texts.append(repr(client))
        await client.list_tags()
        for call in (client.list_tags(), client.create_schedule({}), client.list_tags()):
            with pytest.raises(ClientError) as info:
                await call
            texts += [str(info.value), repr(info.value), str(info.value.__cause__)]
    texts += [r.getMessage() for r in caplog.records]
    assert any("GET /v4/tags" in t for t in texts)  # the log really was captured
    leaks = [t for t in texts if SECRET in t or token in t]
    assert leaks == []
