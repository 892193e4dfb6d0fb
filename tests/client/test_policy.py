"""The client's HTTP policy through canned answers: error mapping, body decoding, retries, time."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from support.mock_http import Server, Sleeps, answer, make_client, nested

from webpush_iac.client.ratelimit import TokenBucket
from webpush_iac.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)

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
        with pytest.raises(AmbiguousWriteError, match=r"no answer within .* \(read timeout\)"):
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
    async with make_client(server, read_budget=(3, 60.0)) as client:
        with pytest.raises(ServerError):
            await client.get_device("r1")
    assert len(server.requests) == 4


async def test_write_retries_stop_after_max_retries() -> None:
    server = Server(answer(503, b""))
    async with make_client(server, max_retries=3) as client:
        with pytest.raises(ServerError):
            await client.request("PUT", "/v4/schedules/s1", json={"enabled": True})
    assert len(server.requests) == 4


async def test_read_retries_stop_after_the_read_budgets_count() -> None:
    server = Server(answer(503, b""))
    async with make_client(server, max_retries=0, read_budget=(3, 60.0)) as client:
        with pytest.raises(ServerError):
            await client.list_tags()
    assert len(server.requests) == 4


async def test_a_read_rides_out_a_burst_that_would_exhaust_a_writes_retries() -> None:
    burst = [answer(503, nested(21030, "busy"))] * 9
    reads = Server(*burst, answer(200, {"tags": []}))
    async with make_client(reads) as client:
        assert await client.list_tags() == []
    assert len(reads.requests) == 10
    writes = Server(*burst, answer(200, b""))
    async with make_client(writes) as client:
        with pytest.raises(ServerError):
            await client.request("PUT", "/v4/schedules/s1", json={"enabled": True})
    assert len(writes.requests) == 1 + client.max_retries


async def test_a_read_stops_once_its_backoff_would_pass_the_time_budget(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Server(answer(503, b""))
    sleeps = Sleeps()
    caplog.set_level(logging.DEBUG, logger="webpush_iac.client")
    async with make_client(server, sleep=sleeps, read_budget=(20, 5.0)) as client:
        with pytest.raises(ServerError):
            await client.list_tags()
    backoff = [d for d in sleeps.calls if d > 0]  # the token bucket may add zero waits
    assert sum(backoff) <= 5.0
    assert len(server.requests) == len(sleeps.calls) + 1 < 1 + client.read_budget[0]
    assert any("giving up after" in r.getMessage() for r in caplog.records)


async def test_backoff_grows_exponentially_with_full_jitter_under_the_cap() -> None:
    server = Server(answer(504, b""))
    sleeps = Sleeps()
    async with make_client(server, sleep=sleeps, read_budget=(8, 60.0)) as client:
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


# --- server time --------------------------------------------------------------------------------


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
