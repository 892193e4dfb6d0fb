"""apply_plan against canned HTTP answers: ordering, dependencies, ambiguity, partial failure.

These drive the real client through ``httpx.MockTransport`` with a small stateful fake so that each
failure can be placed on one exact request; the emulator-based end-to-end tests cover the rest.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from webpush_iac.apply.executor import apply_plan, chain_changes
from webpush_iac.apply.freshness import verify_saved_plan
from webpush_iac.apply.journal import in_flight, read_journal
from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.errors import PlanError, StalePlanError
from webpush_iac.plan import (
    ApiRequest,
    Change,
    Plan,
    PlanProblem,
    fingerprint_device,
    fingerprint_schedule,
)
from webpush_iac.state import LiveDevice

SECRET = "apply-unit-canary-secret"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
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


def fail_on(method: str, path: str, status: int = 400, *, times: int = 1) -> Fault:
    remaining = [times]

    def fault(request: httpx.Request) -> httpx.Response | None:
        if request.method == method and request.url.path == path and remaining[0] > 0:
            remaining[0] -= 1
            code = {400: 28100, 401: 27004, 503: 21030}.get(status, 1)
            return httpx.Response(status, json={"error": {"code": code, "message": "injected"}})
        return None

    return fault


def commit_then_timeout(api: FakeApi, *, commit: bool) -> Fault:
    """The ambiguous create: the server (maybe) stores it, the answer never arrives."""
    used = [False]

    def fault(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path == "/v4/schedules" and not used[0]:
            used[0] = True
            if commit:
                api.handle(request)
            raise httpx.ReadTimeout("timed out", request=request)
        return None

    return fault


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


def delete(name: str, sid: str) -> Change:
    req = ApiRequest("DELETE", f"/v4/schedules/{sid}", None, "schedule.delete")
    return Change(f"schedule/{name}", "delete", requests=(req,), schedule_id=sid)


def tag(name: str, add: list[str]) -> Change:
    req = ApiRequest("POST", f"/v4/tags/{name}", {"registration_ids": {"add": add}}, "tag.update")
    return Change(f"tag/{name}", "update", requests=(req,))


def alias(rid: str, value: str, *, extra: tuple[ApiRequest, ...] = ()) -> Change:
    req = ApiRequest("POST", f"/v4/devices/{rid}", {"alias": value}, "device.update")
    return Change(f"device/{rid}", "update", requests=(*extra, req))


def journal_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def plan_of(*changes: Change) -> Plan:
    return Plan(
        project="p", created_at=NOW, changes=list(changes), target="https://api.example.test"
    )


async def test_phases_run_devices_then_schedules_then_deletes(tmp_path: Path) -> None:
    api = FakeApi()
    old = api.add_schedule("iac_old")
    plan = plan_of(delete("old", old), create("new"), tag("beta", ["r1"]))
    async with client_for(api) as client:
        result = await apply_plan(client, plan, journal_dir=tmp_path)
    assert result.ok
    assert api.mutations() == [
        ("POST", "/v4/tags/beta"),
        ("POST", "/v4/schedules"),
        ("DELETE", f"/v4/schedules/{old}"),
    ]


async def test_disabled_schedule_is_created_then_disabled_by_its_new_id(tmp_path: Path) -> None:
    api = FakeApi()
    async with client_for(api) as client:
        result = await apply_plan(
            client, plan_of(create("quiet", disable=True)), journal_dir=tmp_path
        )
    (sid,) = api.schedules
    assert api.mutations() == [("POST", "/v4/schedules"), ("PUT", f"/v4/schedules/{sid}")]
    assert api.schedules[sid]["enabled"] is False
    assert [o.created_id for o in result.done] == [sid, None]
    assert result.done[1].request.path == f"/v4/schedules/{sid}"


async def test_failed_create_skips_its_disable_but_independent_changes_continue(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    old = api.add_schedule("iac_old")
    api.faults.append(
        lambda r: (
            httpx.Response(400, json={"error": {"code": 28100, "message": "bad trigger"}})
            if r.method == "POST" and b"iac_broken" in r.content
            else None
        )
    )
    plan = plan_of(create("broken", disable=True), create("fine"), delete("old", old))
    async with client_for(api) as client:
        result = await apply_plan(client, plan, journal_dir=tmp_path)

    assert not result.ok
    assert [(o.address, o.request.method) for o in result.failed] == [("schedule/broken", "POST")]
    assert "28100" in result.failed[0].error
    assert [(o.address, o.request.method) for o in result.not_attempted] == [
        ("schedule/broken", "PUT")
    ]
    assert sorted(o.address for o in result.done) == ["schedule/fine", "schedule/old"]
    assert [s["name"] for s in api.schedules.values()] == ["iac_fine"]


async def test_ambiguous_create_that_landed_is_found_by_name_and_not_sent_again(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    api.faults.append(commit_then_timeout(api, commit=True))
    async with client_for(api) as client:
        result = await apply_plan(
            client, plan_of(create("digest", disable=True)), journal_dir=tmp_path
        )

    assert result.ok
    assert [s["name"] for s in api.schedules.values()] == ["iac_digest"]
    (sid,) = api.schedules
    assert api.mutations() == [("POST", "/v4/schedules"), ("PUT", f"/v4/schedules/{sid}")]
    assert result.done[0].created_id == sid
    (path,) = journal_files(tmp_path)
    records = read_journal(path)
    assert [r["status"] for r in records if r["event"] == "outcome"] == ["ambiguous", "ok"]
    check = next(r for r in records if r["event"] == "ambiguous_create_check")
    assert check["found"] == [sid]


async def test_ambiguous_create_that_did_not_land_is_created_exactly_once_more(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    api.faults.append(commit_then_timeout(api, commit=False))
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(create("digest")), journal_dir=tmp_path)
    assert result.ok
    assert [s["name"] for s in api.schedules.values()] == ["iac_digest"]
    assert api.mutations() == [("POST", "/v4/schedules"), ("POST", "/v4/schedules")]


async def test_create_failing_with_5xx_twice_fails_without_a_duplicate(tmp_path: Path) -> None:
    api = FakeApi()
    api.faults.append(fail_on("POST", "/v4/schedules", 503, times=2))
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(create("digest")), journal_dir=tmp_path)
    assert [o.address for o in result.failed] == ["schedule/digest"]
    assert api.schedules == {}
    assert api.mutations() == [("POST", "/v4/schedules"), ("POST", "/v4/schedules")]


async def test_authentication_failure_stops_starting_new_changes(tmp_path: Path) -> None:
    api = FakeApi()
    api.faults.append(fail_on("POST", "/v4/tags/beta", 401))
    plan = plan_of(tag("beta", ["r1"]), create("a"), create("b"))
    async with client_for(api) as client:
        result = await apply_plan(client, plan, journal_dir=tmp_path)
    assert [o.address for o in result.failed] == ["tag/beta"]
    assert sorted(o.address for o in result.not_attempted) == ["schedule/a", "schedule/b"]
    assert "authentication failed" in result.not_attempted[0].error
    assert api.mutations() == [("POST", "/v4/tags/beta")]


async def test_deleting_an_already_absent_schedule_counts_as_done(tmp_path: Path) -> None:
    api = FakeApi()
    async with client_for(api) as client:
        result = await apply_plan(client, plan_of(delete("gone", "sid-404")), journal_dir=tmp_path)
    assert result.ok
    assert [o.address for o in result.done] == ["schedule/gone"]


async def test_plan_with_errors_is_refused_before_sending(tmp_path: Path) -> None:
    api = FakeApi()
    plan = plan_of(create("a"))
    plan.errors.append(PlanProblem("device/ghost", "cannot plan: unknown device"))
    async with client_for(api) as client:
        with pytest.raises(PlanError, match="device/ghost"):
            await apply_plan(client, plan, journal_dir=tmp_path)
    assert api.log == []
    assert journal_files(tmp_path) == []


async def test_journal_has_an_intent_and_outcome_per_call_and_no_secret(tmp_path: Path) -> None:
    api = FakeApi()
    api.faults.append(fail_on("POST", "/v4/tags/qa", 400))
    plan = plan_of(tag("beta", ["r1"]), tag("qa", ["r2"]), create("a", disable=True))
    async with client_for(api) as client:
        await apply_plan(client, plan, journal_dir=tmp_path, redact=[SECRET])
    (path,) = journal_files(tmp_path)
    records = read_journal(path)
    intents = [r for r in records if r["event"] == "intent"]
    outcomes = [r for r in records if r["event"] == "outcome"]
    assert len(intents) == len(outcomes) == 4
    assert in_flight(records) == []
    assert records[0]["event"] == "start"
    assert records[-1] == {**records[-1], "event": "finish", "done": 3, "failed": 1}
    assert SECRET not in path.read_text(encoding="utf-8")


def test_changes_touching_one_device_are_chained_in_plan_order() -> None:
    # device/a takes alias "x" from device/b, whose own change gives it "y": same object, one chain.
    frees_b = ApiRequest("POST", "/v4/devices/b", {"alias": "y"}, "device.update")
    a = alias("a", "x", extra=(frees_b,))
    b = alias("b", "y")
    c = alias("c", "z")
    chains = chain_changes([(0, a), (1, b), (2, c)])
    assert sorted([[i for i, _ in chain] for chain in chains]) == [[0, 1], [2]]


def test_creates_of_different_schedules_are_not_chained() -> None:
    chains = chain_changes([(0, create("a")), (1, create("b"))])
    assert len(chains) == 2


# -- saved-plan freshness ------------------------------------------------------------------------


async def test_saved_plan_refused_when_a_touched_schedule_changed(tmp_path: Path) -> None:
    api = FakeApi()
    sid = api.add_schedule("iac_a", trigger={"single": {"time": "2027-01-01 00:00:00"}})
    change = Change(
        "schedule/a",
        "update",
        requests=(ApiRequest("PUT", f"/v4/schedules/{sid}", body("a"), "schedule.update"),),
        fingerprints={f"schedule:{sid}": fingerprint_schedule(api.schedules[sid])},
    )
    plan = plan_of(change)
    async with client_for(api) as client:
        await verify_saved_plan(client, plan, target=plan.target, now=NOW)  # unchanged: fine
        api.schedules[sid]["enabled"] = False  # someone edits it in the console
        with pytest.raises(StalePlanError, match="schedule/a"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)
    assert api.mutations() == []


async def test_saved_plan_refused_when_a_planned_create_now_exists() -> None:
    api = FakeApi()
    plan = plan_of(create("digest"))
    api.add_schedule("iac_digest")
    async with client_for(api) as client:
        with pytest.raises(StalePlanError, match="schedule/digest"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)
    assert api.mutations() == []


async def test_saved_plan_refused_when_a_device_moved_on() -> None:
    api = FakeApi()
    api.devices["r1"] = {"tags": ["beta"], "alias": ""}
    fp = fingerprint_device(LiveDevice("r1", frozenset({"beta"}), ""))
    change = Change(
        "device/r1",
        "update",
        requests=(ApiRequest("POST", "/v4/devices/r1", {"alias": "x"}, "device.update"),),
        fingerprints={"device:r1": fp},
    )
    plan = plan_of(change)
    async with client_for(api) as client:
        await verify_saved_plan(client, plan, target=plan.target, now=NOW)
        api.devices["r1"]["tags"] = ["beta", "qa"]
        with pytest.raises(StalePlanError, match="device/r1"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW)


async def test_saved_plan_refused_for_another_target_or_after_not_after() -> None:
    api = FakeApi()
    plan = plan_of(create("digest"))
    plan.not_after = NOW + timedelta(hours=1)
    async with client_for(api) as client:
        with pytest.raises(StalePlanError, match="made for"):
            await verify_saved_plan(client, plan, target="https://other.test", now=NOW)
        with pytest.raises(StalePlanError, match="expired"):
            await verify_saved_plan(client, plan, target=plan.target, now=NOW + timedelta(hours=2))
    assert api.log == []
