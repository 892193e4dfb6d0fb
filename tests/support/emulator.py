"""The emulator's test-only routes, and faults it cannot place on one exact request.

:class:`Admin` drives ``/_emulator`` (devices, clock, faults, the request log) and reads back what
the API holds, in process or over a socket; :func:`set_faults` and :func:`pin_clock` do the same on
a raw ``httpx.AsyncClient`` for the emulator's own contract tests. :class:`FailMatching` sits in
front of the app and fails only the requests that match, for tests that need one particular call
to fail.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
TransportFactory = Callable[[], httpx.AsyncBaseTransport]


# A minimal valid push, and a schedule that fires only when a test moves the clock past 2030-06-01.
PUSH = {
    "to": "all",
    "body": {"platform": "web", "notification": {"web": {"alert": "a", "url": "https://e.x"}}},
}
SCHEDULE = {
    "name": "ambiguous",
    "enabled": True,
    "trigger": {"intelligent": {"backup_time": "2030-06-01 00:00:00"}},
    "push": PUSH,
}


async def set_faults(api: httpx.AsyncClient, **faults: Any) -> dict[str, Any]:
    """Set fault settings through ``/_emulator/faults`` on a raw client; returns them all."""
    answer = await api.post("/_emulator/faults", json=faults)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def pin_clock(api: httpx.AsyncClient, now: str = "2030-01-01 00:00:00") -> None:
    """Pin the emulator clock (UTC wall-clock text) on a raw client."""
    assert (await api.post("/_emulator/clock", json={"now": now})).status_code == 200


class Admin:
    """The emulator's ``/_emulator`` routes (and plain API reads), in process or over a socket.

    ``Admin(app)`` calls the app in process; ``Admin(None, base_url=url, transport=factory)`` goes
    over a real connection (a fresh transport per call, so a dropped connection spoils nothing).
    """

    def __init__(
        self,
        app: Any,
        auth: tuple[str, str] = (APP_KEY, MASTER_SECRET),
        *,
        base_url: str = EMULATOR_BASE_URL,
        transport: TransportFactory | None = None,
    ) -> None:
        self.auth = auth
        self.base_url = base_url
        self.transport = transport or (lambda: httpx.ASGITransport(app=app))

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(
            transport=self.transport(), base_url=self.base_url, auth=self.auth
        ) as client:
            response = await client.request(method, path, json=body)
            response.raise_for_status()
            return response.json() if response.content else None

    async def devices(self, *devices: dict[str, Any]) -> None:
        await self.call("POST", "/_emulator/devices", {"devices": list(devices)})

    async def advance(self, seconds: float) -> None:
        await self.call("POST", "/_emulator/clock", {"advance_seconds": seconds})

    async def set_now(self, utc: str) -> None:
        await self.call("POST", "/_emulator/clock", {"now": utc})

    async def faults(self, **settings: Any) -> None:
        await self.call("POST", "/_emulator/faults", settings)

    async def mark(self) -> int:
        """The id of the newest log entry: pass it to :meth:`requests` to see only what follows."""
        data = await self.call("GET", "/_emulator/requests?since=0&limit=1000")
        last = int(data["last_id"])
        while data["requests"]:
            data = await self.call("GET", f"/_emulator/requests?since={last}&limit=1000")
            last = int(data["last_id"])
        return last

    async def requests(self, since: int = 0) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            data = await self.call("GET", f"/_emulator/requests?since={since}&limit=1000")
            out += data["requests"]
            if not data["requests"]:
                return out
            since = int(data["last_id"])

    async def schedules(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            data = await self.call("GET", f"/v4/schedules?page={page}")
            items += data["schedules"]
            if page >= int(data.get("total_pages") or 0):
                return items
            page += 1

    async def device(self, rid: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/v4/devices/{rid}")
        return result


def mutating(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(method, path)`` of every request in a log slice that could have changed something."""
    return [(e["method"], e["path"]) for e in entries if e["method"] != "GET"]


class FailMatching:
    """ASGI wrapper answering 503/21030 to requests whose method, path and body match.

    For the partial-failure tests: the emulator's own fault dice cannot target one request.
    """

    def __init__(self, app: Any, method: str, path: str, body_contains: str = "") -> None:
        self.app = app
        self.method = method
        self.path = path
        self.body_contains = body_contains.encode()
        self.enabled = True
        self.hits = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        if scope["method"] != self.method or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if self.body_contains in body:
            self.hits += 1
            payload = json.dumps({"error": {"code": 21030, "message": "injected"}}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = [False]

        async def replay() -> MutableMapping[str, Any]:
            if not replayed[0]:
                replayed[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class AnswerMatching:
    """ASGI wrapper answering ``status``/``body`` to every request with this method and path.

    For a server that answers 200 with something malformed (a schedule list of ``{}``): the
    emulator keeps its own reading of the API and has no way to misbehave like that.
    """

    def __init__(self, app: Any, method: str, path: str, body: bytes, status: int = 200) -> None:
        self.app = app
        self.method = method
        self.path = path
        self.body = body
        self.status = status
        self.hits = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != (self.method, self.path):
            await self.app(scope, receive, send)
            return
        self.hits += 1
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})
