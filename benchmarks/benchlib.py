"""Shared pieces of the benchmarks: generated manifests, an emulator to aim at, the request log.

Why generated manifests on disk rather than in-memory states: the benchmarks measure the same
code path the CLI runs (manifest loading and template rendering included), so the scenario has to
be real YAML files. Why the emulator in a *separate process* by default: the API is a remote server;
served from a thread of the benchmark process it would share one GIL with the reconciler and the
numbers would measure that contention, not the reconciler (``--emulator-mode thread`` shows it).

Used by the ``bench_*.py`` scripts and by ``tests/e2e/test_benchmark_smoke.py`` (at ~200 devices).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from webpush_iac.emulator import EmulatorConfig, running_server

APP_KEY = "bench-app-key"
MASTER_SECRET = "bench-master-secret-do-not-leak"
ENV = {"BENCH_WEBPUSH_APP_KEY": APP_KEY, "BENCH_WEBPUSH_MASTER_SECRET": MASTER_SECRET}
RATE_LIMITED_STATUS = 400  # the emulator answers 23008 with HTTP 400 (API reference: DOC*)
BASE_TAG = "bench_all"
NEW_TAG = "bench_new"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def registration_ids(count: int) -> list[str]:
    """Distinct ids shaped like real ones (lower-case hex, 19 characters)."""
    return [f"1a0{i:016x}" for i in range(count)]


# Schedule times are relative to one anchor per process, so regenerating the manifests (the apply
# benchmark adds a tag) yields byte-identical schedules instead of updates.
_ANCHOR = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _api_time(days: float) -> str:
    moment = _ANCHOR + timedelta(days=days)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _schedule(index: int) -> str:
    """A third periodical (weekly), the rest single; all in the future, all on one template."""
    if index % 3 == 0:
        trigger = (
            f'periodical: {{start: "{_api_time(1)}", end: "{_api_time(300)}", '
            f'time: "09:{index % 60:02d}:00", time_unit: week, point: [MON, THU]}}'
        )
    else:
        trigger = f'single: {{time: "{_api_time(30 + index % 300)}"}}'
    return textwrap.dedent(
        f"""\
        apiVersion: webpush-iac/v1
        kind: Schedule
        metadata: {{name: s{index:04d}}}
        spec:
          trigger:
            {trigger}
          push:
            to: {{tag: [{BASE_TAG}]}}
            template: digest
            vars: {{edition: "Edition {index}"}}
            options: {{time_to_live: {3600 + index}}}
        """
    )


def write_manifests(
    root: Path,
    *,
    devices: int,
    schedules: int,
    qps: float = 450,
    concurrency: int = 32,
    new_tag: bool = False,
) -> Path:
    """A project of ``schedules`` schedules and ``devices`` known devices, all in tag bench_all.

    With ``new_tag`` every device is also listed in an additive tag ``bench_new`` (the apply
    benchmark: one tag added to every device).
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "webpush-iac.yaml").write_text(
        textwrap.dedent(
            f"""\
            apiVersion: webpush-iac/v1
            kind: Project
            metadata: {{name: bench}}
            spec:
              credentials:
                app_key: {{env: BENCH_WEBPUSH_APP_KEY}}
                master_secret: {{env: BENCH_WEBPUSH_MASTER_SECRET}}
              ownership: {{prefix: bench_}}
              rate_limit: {{qps: {qps}, concurrency: {concurrency}}}
              safety: {{max_device_changes: {max(10_000, devices)}}}
              vars: {{site: "https://news.example"}}
            """
        ),
        "utf-8",
    )
    (root / "templates.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: webpush-iac/v1
            kind: Template
            metadata: {name: digest}
            spec:
              variables: {edition: {required: true}}
              notification:
                title: "{{ edition }} digest"
                alert: "Your {{ edition }} digest is ready"
                url: "{{ site }}/digest"
              languages:
                fr: {title: "Résumé {{ edition }}", alert: "Votre résumé est prêt"}
            """
        ),
        "utf-8",
    )
    (root / "schedules.yaml").write_text(
        "---\n".join(_schedule(i) for i in range(schedules)), "utf-8"
    )
    (root / "members.txt").write_text(
        "# every benchmark device\n" + "\n".join(registration_ids(devices)) + "\n", "utf-8"
    )
    tags = [
        f"apiVersion: webpush-iac/v1\nkind: Tag\nmetadata: {{name: {BASE_TAG}}}\n"
        "spec: {mode: exact, members_file: members.txt}\n"
    ]
    if new_tag:
        tags.append(
            f"apiVersion: webpush-iac/v1\nkind: Tag\nmetadata: {{name: {NEW_TAG}}}\n"
            "spec: {mode: additive, members_file: members.txt}\n"
        )
    (root / "tags.yaml").write_text("---\n".join(tags), "utf-8")
    return root


# -- the emulator -------------------------------------------------------------------------------


@dataclass
class Emulator:
    """A running emulator: its base URL and its ``/_emulator`` admin routes."""

    url: str

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        with httpx.Client(base_url=self.url, auth=(APP_KEY, MASTER_SECRET), timeout=60) as http:
            response = http.request(method, path, json=body)
            response.raise_for_status()
            return response.json() if response.content else None

    def faults(self, **settings: Any) -> None:
        self._admin("POST", "/_emulator/faults", settings)

    def seed_devices(self, rids: Sequence[str], tags: Sequence[str] = (BASE_TAG,)) -> None:
        for start in range(0, len(rids), 1000):
            devices = [
                {"registration_id": r, "tags": list(tags)} for r in rids[start : start + 1000]
            ]
            self._admin("POST", "/_emulator/devices", {"devices": devices})

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Every logged API call after entry ``since`` (admin routes are never logged)."""
        out: list[dict[str, Any]] = []
        while True:
            data = self._admin("GET", f"/_emulator/requests?since={since}&limit=1000")
            if not data["requests"]:
                return out
            out += data["requests"]
            since = int(data["last_id"])

    def mark(self) -> int:
        """The id of the newest log entry, so a later :meth:`requests` sees only what follows."""
        entries = self.requests(0)
        return int(entries[-1]["id"]) if entries else 0


@contextmanager
def emulator(mode: str = "process") -> Iterator[Emulator]:
    """An empty emulator on a free loopback port, no limits yet (set them with ``faults``)."""
    if mode == "thread":
        config = EmulatorConfig(APP_KEY, MASTER_SECRET)
        with running_server(config) as url:
            yield Emulator(url)
        return
    env = {**os.environ, "WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": MASTER_SECRET}
    command = [sys.executable, "-m", "webpush_iac", "emulator", "serve", "--port", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield Emulator(line.rsplit("listening on ", 1)[1].strip())
    finally:
        process.terminate()
        process.wait(30)


@dataclass
class Traffic:
    """What the emulator saw between two marks."""

    total: int
    rate_limited: int
    by_method: dict[str, int]

    @property
    def writes(self) -> int:
        return sum(n for method, n in self.by_method.items() if method != "GET")

    @property
    def answered(self) -> int:
        """Requests that did work (the rate-limited ones were refused and re-sent)."""
        return self.total - self.rate_limited


def traffic(entries: list[dict[str, Any]]) -> Traffic:
    return Traffic(
        total=len(entries),
        rate_limited=sum(1 for e in entries if e["status"] == RATE_LIMITED_STATUS),
        by_method=dict(Counter(str(e["method"]) for e in entries)),
    )


# -- reporting ----------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table (readable in a terminal too)."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    """One line naming the machine, for the results."""
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def append_results(title: str, command: str, body: str) -> None:
    """Append one dated section to RESULTS.md (``--append``)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(f"\n### {title} ({stamp})\n\n`{command}` — {machine()}\n\n{body}\n")
