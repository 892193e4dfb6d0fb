"""Shared pieces of the reliability suites (faults, crash-resume): one emulator reached the same way
in process or over a socket, the news_site example's starting state, and the convergence checks.

Some trials run over a real loopback socket, where dropped connections and a killed process behave
as they do in production, so the admin helper takes a transport factory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from support.constants import APP_KEY, EXAMPLE_ENV, MASTER_SECRET, NEWS_SITE
from support.emulator import Admin, TransportFactory
from webpush_iac.emulator import EmulatorConfig, running_server
from webpush_iac.manifest import load
from webpush_iac.state import DesiredState

LOOPBACK = "http://127.0.0.1:9"  # in-process runs: a loopback URL the client accepts, never dialled

# Live state before the first apply, chosen so that every kind of device change is exercised:
# an exact tag to strip, a tombstoned tag, an alias to clear, and an SDK-set tag to leave alone.
NEWS_SITE_START: dict[str, dict[str, Any]] = {
    "0e83f5a7c9b1d31": {"tags": ["topic_politics", "sdk_seen"]},  # not a politics member
    "0d4a2e6b8c1f5a9": {"tags": ["digest_weekly"]},  # in digest_weekly's remove list
    "191e35f7e05d9c4": {"tags": ["qa_team"], "alias": "qa_safari_ios"},  # retired QA device
    "0a91c3e5b7d9f11": {"tags": ["sdk_seen"]},
}

# Every request the reconciler may send for news_site; anything else (a push, a device delete,
# a schedule delete with nothing to prune) would be a bug.
ALLOWED_REQUESTS = [
    ("GET", re.compile(r"/v4/schedules")),
    ("GET", re.compile(r"/v4/schedules/[^/]+")),
    ("POST", re.compile(r"/v4/schedules")),
    ("PUT", re.compile(r"/v4/schedules/[^/]+")),
    ("GET", re.compile(r"/v4/devices/[^/]+")),
    ("POST", re.compile(r"/v4/devices/[^/]+")),
    ("POST", re.compile(r"/v4/tags/[^/]+")),
    ("GET", re.compile(r"/v4/aliases/[^/]+")),
]


def news_site_desired() -> DesiredState:
    return load([NEWS_SITE])


def unexpected_requests(log: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (e["method"], e["path"])
        for e in log
        if not any(e["method"] == m and p.fullmatch(e["path"]) for m, p in ALLOWED_REQUESTS)
    ]


class HttpAdmin(Admin):
    """:class:`support.emulator.Admin` reached through any transport, plus the news_site helpers."""

    def __init__(self, base_url: str, transport: TransportFactory) -> None:
        super().__init__(None, base_url=base_url, transport=transport)

    async def clear_faults(self) -> None:
        await self.faults(fail_rate=0, drop_rate=0, qps=None, commit_then_drop=0, latency_ms=0)

    async def seed_news_site(self, desired: DesiredState) -> None:
        """Register the example's devices, as ``--emulator`` does, with :data:`NEWS_SITE_START`."""
        devices = [
            {"registration_id": rid, **NEWS_SITE_START.get(rid, {})}
            for rid in sorted(desired.devices)
        ]
        await self.devices(*devices)

    async def schedule_names(self) -> Counter[str]:
        return Counter(s["name"] for s in await self.schedules())


def expected_device(desired: DesiredState, rid: str) -> tuple[set[str], str]:
    """Tags and alias a news_site device must carry once converged (design §3.4 semantics)."""
    start = NEWS_SITE_START.get(rid, {})
    device = desired.devices[rid]
    tags = {
        t
        for t in start.get("tags", [])
        if not (desired.is_managed_tag(t) and desired.is_exact_tag(t))
    }
    tags = (tags | set(device.tags)) - set(device.forbidden_tags)
    alias = start.get("alias", "") if device.alias is None else device.alias
    return tags, alias


async def lost_device_changes(admin: HttpAdmin, desired: DesiredState) -> dict[str, Any]:
    """Devices whose live tags or alias differ from :func:`expected_device` (empty = none lost)."""
    wrong: dict[str, Any] = {}
    for rid in sorted(desired.devices):
        live = await admin.device(rid)
        got = (set(live.get("tags") or []), live.get("alias") or "")
        want = expected_device(desired, rid)
        if got != want:
            wrong[rid] = {"live": got, "expected": want}
    return wrong


# -- the real CLI as a process against an emulator on a socket ------------------------------------

PROCESS_TIMEOUT = 120.0
POLL_SECONDS = 0.002  # how often the request log is polled for a moment (not a wait for a result)


@contextmanager
def served_news_site(db: Path, latency_ms: int = 0) -> Iterator[tuple[str, httpx.Client]]:
    """An emulator on a loopback socket seeded with news_site's devices: (base URL, admin)."""
    config = EmulatorConfig(
        app_key=APP_KEY, master_secret=MASTER_SECRET, db_path=str(db), latency_ms=latency_ms
    )
    with (
        running_server(config) as url,
        httpx.Client(base_url=url, auth=(APP_KEY, MASTER_SECRET)) as admin,
    ):
        devices = [
            {"registration_id": rid, **NEWS_SITE_START.get(rid, {})}
            for rid in sorted(news_site_desired().devices)
        ]
        admin.post("/_emulator/devices", json={"devices": devices}).raise_for_status()
        yield url, admin


def cli_process(
    cwd: Path, *args: str, preexec_fn: Callable[[], None] | None = None
) -> subprocess.Popen[str]:
    """``python -m webpush_iac ARGS`` started in ``cwd`` with the news_site credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBPUSH_", "LEDGER_"))}
    env.update(EXAMPLE_ENV)
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "webpush_iac", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec_fn,  # resource limits and signal dispositions only
    )


def request_log(admin: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    since = 0
    while True:
        page = admin.get("/_emulator/requests", params={"since": since, "limit": 1000}).json()
        if not page["requests"]:
            return entries
        entries += page["requests"]
        since = int(page["last_id"])


def wait_for_mutations(proc: subprocess.Popen[str], admin: httpx.Client, k: int) -> int:
    """Poll the request log until ``k`` mutating requests reached the server (or ``proc`` ended)."""
    since, seen = 0, 0
    while proc.poll() is None and seen < k:
        page = admin.get("/_emulator/requests", params={"since": since, "limit": 1000}).json()
        since = int(page["last_id"] or since)
        seen += sum(1 for e in page["requests"] if e["method"] != "GET")
        time.sleep(POLL_SECONDS)  # a poll interval: the loop ends on the log, not the clock
    return seen


def live_names(admin: httpx.Client) -> Counter[str]:
    names: Counter[str] = Counter()
    page = 1
    while True:
        data = admin.get("/v4/schedules", params={"page": page}).json()
        names.update(s["name"] for s in data["schedules"])
        if page >= int(data.get("total_pages") or 0):
            return names
        page += 1
