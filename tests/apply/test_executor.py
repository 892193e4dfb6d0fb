"""apply_plan against canned HTTP answers: ordering, dependencies, ambiguity, partial failure.

These drive the real client through ``httpx.MockTransport`` with a small stateful fake
(:mod:`support.fake_api`) so that each failure can be placed on one exact request; the
emulator-based end-to-end tests cover the rest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from support.constants import ENV
from support.e2e import target_for
from support.fake_api import SECRET, FakeApi, Fault, client_for, create, plan_of
from support.manifests import project_yaml, single_schedule, write_tree
from support.progress import counted

from webpush_iac.apply.executor import apply_plan, chain_changes
from webpush_iac.apply.journal import in_flight, read_journal
from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.commands.operations import apply_command
from webpush_iac.errors import PlanError
from webpush_iac.plan import ApiRequest, Change, PlanProblem
from webpush_iac.progress import STAGE_APPLY


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


async def test_apply_reports_every_request_as_counted_progress(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    files = {"webpush-iac.yaml": project_yaml()}
    files.update({f"s{i}.yaml": single_schedule(f"s{i}", enabled=i != 0) for i in range(3)})
    root = write_tree(tmp_path / "m", files)
    events: list[str] = []
    run = await apply_command(
        [root],
        target=target_for(emulator_app),
        environ=ENV,
        journal_dir=tmp_path / "j",
        progress=events.append,
    )
    assert run.result.ok
    total = len(run.result.done)
    assert total == 4  # three creates and the PUT that disables s0
    assert counted(events, STAGE_APPLY)[-1] == (total, total)


async def test_a_call_cancelled_while_it_waits_to_be_sent_leaves_no_intent(tmp_path: Path) -> None:
    """Only a call that went on the wire has an intent: ctrl-C while 19 calls wait behind one
    that hangs leaves exactly that one in flight, not 20."""
    sent: list[str] = []
    started = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        started.set()
        await asyncio.Event().wait()  # the answer never comes
        raise AssertionError("unreachable")

    plan = plan_of(*(tag(f"t{i:02d}", ["r1"]) for i in range(20)))
    client = EngageLabClient(
        "https://api.example.test",
        Credentials("app", SECRET),
        transport=httpx.MockTransport(hang),
        concurrency=1,
    )
    async with client:
        run = asyncio.create_task(apply_plan(client, plan, journal_dir=tmp_path))
        await started.wait()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
    (path,) = journal_files(tmp_path)
    records = read_journal(path)
    assert [r["path"] for r in in_flight(records)] == sent == ["/v4/tags/t00"]
    assert [r["event"] for r in records if r["event"] in ("intent", "not_sent")] == ["intent"]
    assert records[-1]["event"] == "aborted"
