"""A small stateful fake of the API behind ``httpx.MockTransport``, and hand-made plan changes.

For apply's unit tests: the real client sends the requests, the fake answers from its own state,
and ``faults`` place a failure on one exact request. The emulator-based tests cover the rest.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.plan import ApiRequest, Change, Plan

SECRET = "apply-unit-canary-secret"  # the fake client's master secret: a canary
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # when the hand-made plans were made
Fault = Callable[[httpx.Request], "httpx.Response | None"]


class FakeApi:
    """Just enough of /v4/schedules, /v4/tags and /v4/devices; ``faults`` intercept requests."""

    def __init__(self) -> None:
        self.schedules: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add_schedule(self, name: str, **fields: Any) -> str:
        sid = f"sid-{next(self._ids)}"
        self.schedules[sid] = {"schedule_id": sid, "name": name, "enabled": True, **fields}
        return sid

    def mutations(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.log if m != "GET"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.method, request.url.path))
        for fault in self.faults:
            answer = fault(request)
            if answer is not None:
                return answer
        return self.handle(request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        payload: Any = json.loads(request.content) if request.content else None
        if path == "/v4/schedules" and method == "GET":
            items = list(self.schedules.values())
            return httpx.Response(200, json={"total_pages": 1, "page": 1, "schedules": items})
        if path == "/v4/schedules" and method == "POST":
            sid = self.add_schedule(
                payload["name"], **{k: v for k, v in payload.items() if k != "name"}
            )
            return httpx.Response(200, json={"schedule_id": sid, "name": payload["name"]})
        if path.startswith("/v4/schedules/"):
            sid = path.rsplit("/", 1)[1]
            if sid not in self.schedules:
                return httpx.Response(404, json={"error": {"code": 28104, "message": "not found"}})
            if method == "GET":
                return httpx.Response(200, json=[self.schedules[sid]])
            if method == "PUT":
                self.schedules[sid].update(payload)
                return httpx.Response(200, json=self.schedules[sid])
            if method == "DELETE":
                del self.schedules[sid]
                return httpx.Response(200)
        if path.startswith("/v4/devices/"):
            rid = path.rsplit("/", 1)[1]
            device = self.devices.setdefault(rid, {"tags": [], "alias": ""})
            if method == "POST" and "alias" in payload:
                device["alias"] = payload["alias"]
            return httpx.Response(200, json=device if method == "GET" else None)
        if path.startswith("/v4/tags/") and method == "POST":
            return httpx.Response(200)
        return httpx.Response(400, json={"error": {"code": 1, "message": f"no route {path}"}})


def client_for(api: FakeApi) -> EngageLabClient:
    async def no_sleep(_seconds: float) -> None:
        return None

    return EngageLabClient(
        "https://api.example.test",
        Credentials("app", SECRET),
        transport=httpx.MockTransport(api),
        sleep=no_sleep,
        concurrency=4,
    )


def body(name: str) -> dict[str, Any]:
    return {
        "name": f"iac_{name}",
        "enabled": True,
        "trigger": {"single": {"time": "2027-01-05 09:00:00", "zone_type": 1}},
        "push": {"to": "all", "body": {"platform": "web"}},
    }


def create(name: str, *, disable: bool = False) -> Change:
    requests = [ApiRequest("POST", "/v4/schedules", body(name), "schedule.create")]
    if disable:
        requests.append(
            ApiRequest(
                "PUT",
                "/v4/schedules/{created_id}",
                {**body(name), "enabled": False},
                "schedule.update",
            )
        )
    return Change(f"schedule/{name}", "create", requests=tuple(requests), live_name=f"iac_{name}")


def plan_of(*changes: Change) -> Plan:
    return Plan(
        project="p", created_at=NOW, changes=list(changes), target="https://api.example.test"
    )
