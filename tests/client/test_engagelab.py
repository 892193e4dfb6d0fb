"""EngageLabClient itself: Basic auth on every request, read-only mode, the concurrency cap, secrets."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from support.mock_http import CREDS, SECRET, Server, answer, make_client, nested

from webpush_iac.client import EngageLabClient
from webpush_iac.errors import ClientError, ReadOnlyViolation


async def test_every_request_carries_basic_auth_of_app_key_and_secret() -> None:
    server = Server(answer(200, {"tags": []}))
    async with make_client(server) as client:
        await client.list_tags()
    scheme, token = server.requests[0].headers["authorization"].split()
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"appkey1:{SECRET}"


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


async def test_debug_log_tells_each_request_and_every_retry_decision(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Server(
        answer(503, nested(21030, "busy")),
        answer(429, nested(23008, "slow down")),
        answer(200, {"tags": []}),
        answer(400, nested(21003, "bad")),
    )
    caplog.set_level(logging.DEBUG, logger="webpush_iac.client")
    async with make_client(server) as client:
        await client.list_tags()
        with pytest.raises(ClientError):
            await client.list_tags()
        with pytest.raises(ClientError):
            await client.create_schedule({})
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("GET /v4/tags -> 503 (attempt 1, ")
    assert lines[1].startswith("GET /v4/tags: retry 1 in ")
    assert lines[1].endswith("s after HTTP 503 code 21030")
    assert lines[3] == "rate limited by the server: pacing at 5000.0 requests/s"
    assert lines[4].endswith("s after HTTP 429 code 23008")
    assert any(
        line.startswith("GET /v4/tags: not retried (not a retriable error): ") for line in lines
    )
    assert lines[-1].startswith("POST /v4/schedules: not retried (not idempotent): ")
