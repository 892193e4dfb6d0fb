"""Helpers for the end-to-end tests: manifests on disk, the emulator's admin routes, fault wrappers.

The end-to-end tests run the real pipeline (manifest loader, client, live reader, diff, apply) in
process against the real emulator app; only faults that the emulator cannot place on one exact
request are injected by :class:`FailMatching`, an ASGI wrapper in front of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from conftest import APP_KEY, MASTER_SECRET

from webpush_iac.commands.connection import Target

ENV = {"WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": MASTER_SECRET}
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def in_days(days: float) -> str:
    """A wall-clock API time ``days`` from the real now (UTC): manifests are checked against it."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


async def _no_sleep(_seconds: float) -> None:
    return None


def target_for(app: Any) -> Target:
    """Run the pipeline against ``app`` in process; backoff sleeps are skipped to keep tests fast."""
    return Target(emulator=lambda **_: app, client_options={"sleep": _no_sleep})


def project_yaml(
    *,
    prefix: str = "iac_",
    prune: bool = False,
    timezone: str = "UTC",
    managed: tuple[str, ...] = (),
    max_delete_percent: int = 30,
    max_device_changes: int = 10000,
    concurrency: int = 8,
) -> str:
    return textwrap.dedent(
        f"""\
        apiVersion: webpush-iac/v1
        kind: Project
        metadata: {{name: e2e}}
        spec:
          timezone: {timezone}
          ownership: {{prefix: {prefix}}}
          prune: {{schedules: {str(prune).lower()}}}
          tags: {{managed: {json.dumps(list(managed))}}}
          rate_limit: {{qps: 1000, concurrency: {concurrency}}}
          safety: {{max_delete_percent: {max_delete_percent}, max_device_changes: {max_device_changes}}}
        """
    )


def single_schedule(
    name: str,
    *,
    time: str | None = None,
    enabled: bool = True,
    alert: str = "Hello",
    to: str = "all",
) -> str:
    time = time or in_days(90)
    return textwrap.dedent(
        f"""\
        apiVersion: webpush-iac/v1
        kind: Schedule
        metadata: {{name: {name}}}
        spec:
          enabled: {str(enabled).lower()}
          trigger:
            single: {{time: "{time}"}}
          push:
            to: {to}
            notification: {{title: "T {name}", alert: "{alert}", url: "https://example.com/{name}"}}
        """
    )


def periodical_schedule(name: str, *, end: str | None = None) -> str:
    start, end = in_days(1), end or in_days(300)
    return textwrap.dedent(
        f"""\
        apiVersion: webpush-iac/v1
        kind: Schedule
        metadata: {{name: {name}}}
        spec:
          trigger:
            periodical:
              start: "{start}"
              end: "{end}"
              time: "09:00:00"
              time_unit: Week
              point: [fri, MON]
          push:
            to: {{tag: [digest]}}
            notification: {{alert: "Weekly {name}", url: "https://example.com/w"}}
        """
    )


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (replacing the YAML already there)."""
    root.mkdir(parents=True, exist_ok=True)
    for old in [*root.rglob("*.yaml")]:
        old.unlink()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


TransportFactory = Callable[[], httpx.AsyncBaseTransport]


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
        base_url: str = "http://emulator.test",
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


def run_cli(cwd: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``python -m webpush_iac ARGS`` as a real process, with the test credentials and no other
    ``WEBPUSH_*`` variable from the caller's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBPUSH_")}
    env.update({**ENV, **extra_env})
    return subprocess.run(
        [sys.executable, "-m", "webpush_iac", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def mutating(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
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
