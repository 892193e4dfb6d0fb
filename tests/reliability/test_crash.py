"""Crash-resume (issue 5): ``webpush-iac apply`` is SIGKILLed at a seeded point; the journal it
leaves explains the crash, and the next plan + apply converges with no duplicate schedule.

Each trial runs the real CLI as a subprocess against the emulator on a loopback socket, with
latency so that requests are in flight when the kill lands. The kill point is the k-th mutating
request showing up in the emulator's request log (polled, no fixed sleeps). Stopping the server
then waits for the requests the dead process left behind to finish, exactly as a real API keeps
working after a CI runner dies; a second server on the same SQLite file answers the resume.

What "explains" means, checked against the emulator's log of the killed run:

* the journal's first line says what was applied (run id, project, target, plan checksum), and it
  has no final line: a SIGKILLed run is told apart from a finished or an aborted one;
* nothing reached the server without an intent line first;
* every intent whose outcome is ``ok`` reached the server;
* every request the server saw that has no ``ok`` outcome is an intent without an outcome, i.e.
  a call that was in flight when the process died; there are never more than the in-flight cap.

The commit-then-kill case for schedule creates (the create landed, its answer never read) is
covered when the kill falls in the create phase: the resume's plan must see those schedules.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.constants import APP_KEY, EXAMPLE_ENV, MASTER_SECRET, NEWS_SITE
from support.e2e import no_sleep, target_for
from support.emulator import Admin
from support.reliability import (
    NEWS_SITE_START,
    HttpAdmin,
    lost_device_changes,
    news_site_desired,
    unexpected_requests,
)

from webpush_iac.apply.journal import in_flight, read_journal, run_status
from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command, plan_command
from webpush_iac.emulator import EmulatorConfig, running_server

pytestmark = pytest.mark.slow  # SIGKILLed apply subprocesses over a socket: seconds per trial

TRIALS = range(int(os.environ.get("CRASH_TRIALS", "10")))
LATENCY_MS = 60
POLL_SECONDS = 0.002  # how often the log is polled for the kill point (not a wait for a result)
PROCESS_TIMEOUT = 60.0
CONCURRENCY = 16  # news_site's rate_limit.concurrency: the most calls that can be in flight


def canonical(method: str, path: str, body: Any) -> tuple[str, str, str]:
    return method, path, json.dumps(body, sort_keys=True, ensure_ascii=False)


def mutations(log: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [canonical(e["method"], e["path"], e["body"]) for e in log if e["method"] != "GET"]


@contextmanager
def served(db: Path, latency_ms: int) -> Iterator[tuple[str, httpx.Client]]:
    config = EmulatorConfig(
        app_key=APP_KEY, master_secret=MASTER_SECRET, db_path=str(db), latency_ms=latency_ms
    )
    with (
        running_server(config) as url,
        httpx.Client(base_url=url, auth=(APP_KEY, MASTER_SECRET)) as admin,
    ):
        yield url, admin


def start_apply(cwd: Path, url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBPUSH_", "LEDGER_"))}
    env.update(EXAMPLE_ENV)
    command = [sys.executable, "-m", "webpush_iac", "apply", str(NEWS_SITE), "--auto-approve"]
    return subprocess.Popen(
        [*command, "--base-url", url],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_at_mutation(proc: subprocess.Popen[str], admin: httpx.Client, k: int) -> int:
    """SIGKILL ``proc`` once the k-th mutating request is in the log; returns how many were."""
    since, seen = 0, 0
    while proc.poll() is None:
        page = admin.get("/_emulator/requests", params={"since": since, "limit": 1000}).json()
        since = int(page["last_id"] or since)
        seen += sum(1 for e in page["requests"] if e["method"] != "GET")
        if seen >= k:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(POLL_SECONDS)  # a poll interval: the loop ends on the log, not the clock
    proc.wait(timeout=PROCESS_TIMEOUT)
    return seen


def seed_devices(admin: httpx.Client) -> None:
    devices = [
        {"registration_id": rid, **NEWS_SITE_START.get(rid, {})}
        for rid in sorted(news_site_desired().devices)
    ]
    admin.post("/_emulator/devices", json={"devices": devices}).raise_for_status()


async def planned_requests(url: str) -> int:
    """How many mutating requests a fresh apply sends (to place the kill point)."""
    target = Target(base_url=url, client_options={"sleep": no_sleep})
    run = await plan_command([NEWS_SITE], target=target, environ=EXAMPLE_ENV)
    return len(run.plan.requests)


def killed_run(tmp_path: Path, db: Path, trial: int) -> tuple[int, int]:
    """Run apply against a slow emulator and kill it at the trial's point: (k, requests seen)."""
    with served(db, LATENCY_MS) as (url, admin):
        seed_devices(admin)
        total = asyncio.run(planned_requests(url))
        k = random.Random(trial).randint(1, total - 1)
        proc = start_apply(tmp_path, url)
        seen = kill_at_mutation(proc, admin, k)
        _out, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, err)
        assert MASTER_SECRET not in _out + err
    # Leaving the block stopped the server, which first finished what the dead process had sent.
    return k, seen


def check_journal_explains(journal: Path, log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The assertions of the module docstring; returns the intents left in flight."""
    records = read_journal(journal)
    start = records[0]
    assert start["event"] == "start"
    assert {"run_id", "pid", "project", "target", "plan_created_at", "summary"} <= set(start)
    assert run_status(records) == "killed"

    outcomes = {r["seq"]: r for r in records if r["event"] == "outcome"}
    intents = [r for r in records if r["event"] == "intent"]
    assert not [o for o in outcomes.values() if o["status"] != "ok"]  # no faults were injected
    sent = [canonical(i["method"], i["path"], i["body"]) for i in intents]
    landed = mutations(log)
    assert set(landed) <= set(sent), "a request reached the server without an intent line"
    ok = {canonical(i["method"], i["path"], i["body"]) for i in intents if i["seq"] in outcomes}
    assert ok <= set(landed), "an intent marked ok never reached the server"

    open_intents = in_flight(records)
    assert len(open_intents) <= CONCURRENCY
    open_calls = {canonical(i["method"], i["path"], i["body"]) for i in open_intents}
    assert set(landed) - ok <= open_calls, "a landed call is neither ok nor in flight"
    return open_intents


async def resume(url: str, tmp_path: Path) -> None:
    """plan + apply until the plan is empty (two rounds at most: one apply should do)."""
    target = Target(base_url=url, client_options={"sleep": no_sleep})
    for _round in range(2):
        planned = await plan_command([NEWS_SITE], target=target, environ=EXAMPLE_ENV)
        if not planned.plan.has_mutations:
            return
        run = await apply_command(
            [NEWS_SITE], target=target, environ=EXAMPLE_ENV, journal_dir=tmp_path / "resume"
        )
        assert run.result.ok, run.result.to_data()
    raise AssertionError("the resumed apply did not converge")


@pytest.mark.parametrize("trial", TRIALS)
async def test_killed_apply_leaves_an_explaining_journal_and_the_next_apply_converges(
    trial: int, tmp_path: Path
) -> None:
    db = tmp_path / "emulator.sqlite"
    k, seen = await asyncio.to_thread(killed_run, tmp_path, db, trial)
    assert seen >= k

    with served(db, 0) as (url, _sync_admin):
        admin = HttpAdmin(url, httpx.AsyncHTTPTransport)
        log = await admin.requests()
        journals = list((tmp_path / ".webpush-iac" / "journal").glob("*.jsonl"))
        assert len(journals) == 1
        open_intents = check_journal_explains(journals[0], log)

        desired = news_site_desired()
        await resume(url, tmp_path)
        names = await admin.schedule_names()
        assert names == {s.live_name: 1 for s in desired.schedules.values()}, "duplicate or lost"
        assert await lost_device_changes(admin, desired) == {}
        assert unexpected_requests(await admin.requests()) == []

        # Creates that landed after the kill were seen by the resume, not sent again.
        landed = set(mutations(log))
        for intent in open_intents:
            call = canonical(intent["method"], intent["path"], intent["body"])
            if intent["kind"] == "schedule.create" and call in landed:
                resumed = mutations((await admin.requests())[len(log) :])
                assert call not in resumed


def list_journals(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


class Killed(BaseException):
    """Stands in for SIGKILL in process: a BaseException nothing in the reconciler may swallow."""


class DieAfterFirstCreate:
    """ASGI wrapper: lets the first schedule create commit, discards its answer, then kills."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.fired = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        is_create = scope["type"] == "http" and (scope["method"], scope["path"]) == (
            "POST",
            "/v4/schedules",
        )
        if not is_create or self.fired:
            await self.app(scope, receive, send)
            return
        self.fired = True

        async def lost(_message: Any) -> None:
            return None  # the answer never reaches the (dead) process

        await self.app(scope, receive, lost)
        raise Killed


async def test_a_create_committed_just_before_the_process_died_is_not_created_again(
    tmp_path: Path, emulator_app: Any
) -> None:
    """The deterministic twin of the kill trials' create phase: the create landed, the journal
    shows it in flight, and the next plan finds it live instead of creating a second copy."""
    desired = news_site_desired()
    admin = Admin(emulator_app)
    await admin.devices(
        *({"registration_id": r, **NEWS_SITE_START.get(r, {})} for r in sorted(desired.devices))
    )
    dying = DieAfterFirstCreate(emulator_app)
    with pytest.raises(Killed):
        await apply_command(
            [NEWS_SITE], target=target_for(dying), environ=EXAMPLE_ENV, journal_dir=tmp_path
        )
    (journal,) = list_journals(tmp_path)
    records = read_journal(journal)
    assert run_status(records) == "aborted"
    (landed_create,) = [i for i in in_flight(records) if i["kind"] == "schedule.create"]
    landed_name = landed_create["body"]["name"]
    assert Counter(s["name"] for s in await admin.schedules())[landed_name] == 1

    planned = await plan_command([NEWS_SITE], target=target_for(emulator_app), environ=EXAMPLE_ENV)
    creates = [(r.body or {})["name"] for r in planned.plan.requests if r.kind == "schedule.create"]
    assert landed_name not in creates
    run = await apply_command(
        [NEWS_SITE], target=target_for(emulator_app), environ=EXAMPLE_ENV, journal_dir=tmp_path
    )
    assert run.result.ok
    names = Counter(s["name"] for s in await admin.schedules())
    assert names == {s.live_name: 1 for s in desired.schedules.values()}
