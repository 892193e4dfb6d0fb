"""A scripted server behind ``httpx.MockTransport`` for the client tests (no emulator, no socket).

:class:`Server` answers each request from a script and records it; :class:`Sleeps` records the
backoff the client would have slept; :func:`make_client` wires both into a real client with a
fast bucket and a seeded jitter.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.client.ratelimit import TokenBucket

SECRET = "Zq9-distinctive-MASTER-secret-77"  # a canary, as distinctive as the real one
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
    """A ``sleep`` that records how long it was asked to wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(server: Server, **kw: Any) -> EngageLabClient:
    kw.setdefault("limiter", TokenBucket(10_000))
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("rng", random.Random(7))
    return EngageLabClient(BASE, CREDS, transport=httpx.MockTransport(server), **kw)
