"""When a request really goes out (the ``before_send`` hook) and how long a silent server may cost.

The hook is what makes a journal's "in flight" mean in flight: it must run after the in-flight
slot and the rate-limit permit, once per attempt, and a hook that raises must keep the request
off the wire. Timeouts are checked against a mock transport for the retry rule and against a real
loopback socket that accepts and never answers for the whole path, message included.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from support.mock_http import CREDS, Server, answer, make_client
from support.silent_server import silent_server

from webpush_iac.client import EngageLabClient
from webpush_iac.errors import AmbiguousWriteError, NoAnswerError, TransportError
from webpush_iac.state import TIMEOUT_ATTEMPTS


class Refused(Exception):
    pass


async def test_before_send_runs_once_per_attempt_right_before_the_request_leaves() -> None:
    order: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        order.append("sent")
        return answer(502) if order.count("sent") == 1 else answer(200, {"tags": []})

    async with make_client(Server(record)) as client:
        await client.request("GET", "/v4/tags", before_send=lambda: order.append("hook"))
    assert order == ["hook", "sent", "hook", "sent"]  # the retry goes out again, hooked again


async def test_before_send_that_raises_keeps_the_request_off_the_wire() -> None:
    server = Server(answer(200, {}))

    def refuse() -> None:
        raise Refused("journal full")

    async with make_client(server) as client:
        with pytest.raises(Refused):
            await client.request("POST", "/v4/schedules", json={"name": "x"}, before_send=refuse)
        assert client.stats.requests == 0
    assert server.requests == []


async def test_before_send_waits_for_the_in_flight_slot() -> None:
    """With one slot, the second call's hook runs only once the first call has its answer."""
    release, arrived = asyncio.Event(), asyncio.Event()
    events: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        events.append(f"server {request.url.path}")
        if request.url.path == "/v4/tags/a":
            arrived.set()
            await release.wait()
        return answer(200, b"")

    async with make_client(Server(slow), concurrency=1) as client:

        async def call(tag: str) -> None:
            await client.request(
                "POST", f"/v4/tags/{tag}", json={}, before_send=lambda: events.append(f"hook {tag}")
            )

        first = asyncio.create_task(call("a"))
        second = asyncio.create_task(call("b"))
        await arrived.wait()
        for _ in range(20):
            await asyncio.sleep(0)  # give the second call every chance to run its hook early
        assert events == ["hook a", "server /v4/tags/a"]
        release.set()
        await asyncio.gather(first, second)
    assert events == ["hook a", "server /v4/tags/a", "hook b", "server /v4/tags/b"]


async def test_read_timeouts_of_an_idempotent_call_stop_after_three_attempts() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("", request=request)

    server = Server(hang)
    async with make_client(server, timeout=4, max_retries=5) as client:
        with pytest.raises(NoAnswerError) as info:
            await client.list_schedules()
    assert len(server.requests) == TIMEOUT_ATTEMPTS == 3
    assert str(info.value) == (
        "GET /v4/schedules: no answer within 4 s (read timeout) after 3 attempts; "
        "check the network or raise --timeout"
    )


async def test_a_timeout_then_an_answer_is_a_normal_retry() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("", request=request)

    server = Server(hang, answer(200, {"tags": []}))
    async with make_client(server) as client:
        assert await client.list_tags() == []
    assert len(server.requests) == 2


async def test_a_timed_out_create_is_ambiguous_and_says_which_wait_ran_out() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.WriteTimeout("", request=request)

    server = Server(hang)
    async with make_client(server, timeout=2.5) as client:
        with pytest.raises(AmbiguousWriteError, match=r"no answer within 2\.5 s \(write timeout\)"):
            await client.create_schedule({"name": "iac_x"})
    assert len(server.requests) == 1


async def test_a_connect_timeout_of_a_create_says_it_was_not_sent() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("", request=request)

    async with make_client(Server(hang)) as client:
        with pytest.raises(TransportError, match=r"connect timeout\); request not sent") as info:
            await client.create_schedule({"name": "iac_x"})
    assert not isinstance(info.value, AmbiguousWriteError)


def test_a_timeout_must_be_positive() -> None:
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="timeout"):
            EngageLabClient("https://api.test", CREDS, timeout=bad)


async def test_a_server_that_accepts_and_never_answers_costs_three_timeouts() -> None:
    with silent_server() as server:

        async def no_sleep(_seconds: float) -> None:
            return None

        client_args: dict[str, Any] = {"timeout": 0.2, "sleep": no_sleep}
        async with EngageLabClient(server.url, CREDS, **client_args) as client:
            with pytest.raises(NoAnswerError) as info:
                await client.list_schedules()
        assert "GET /v4/schedules: no answer within 0.2 s (read timeout) after 3 attempts" in str(
            info.value
        )
        assert server.received(3) == [b"GET /v4/schedules?page=1 HTTP/1.1"] * 3
