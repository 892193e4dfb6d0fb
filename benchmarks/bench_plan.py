"""Benchmark: ``plan`` over many known devices and schedules against the emulator over loopback.

Two scenarios per device count, both against a converged project (so the plan is all reads):

1. *rate-limited*: the emulator allows 500 QPS (the API's limit) and adds 5 ms to each call. The
   floor is N/500 s for N requests; the target is wall time ≤ 1.15 × that floor and zero 23008s.
   The client's default rate is 450 QPS (under the limit on purpose), so N/450 is shown too.
2. *unlimited*: no QPS limit, 20 ms per call. The reconciler (at the project's default
   ``rate_limit`` and at a raised ``qps``) against a naive sequential loop of GET calls, the way the
   vendor's sample client reads; target speed-up ≥ 15×.

Run: ``.venv/bin/python benchmarks/bench_plan.py --devices 1000 10000 --schedules 500``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
from benchlib import (
    APP_KEY,
    ENV,
    MASTER_SECRET,
    Emulator,
    append_results,
    emulator,
    registration_ids,
    table,
    traffic,
    write_manifests,
)

from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command, plan_command


def converge(root: Path, emu: Emulator, journal: Path) -> None:
    """Seed the devices (already tagged) and create the schedules, with no limits in the way."""
    emu.faults(qps=None, latency_ms=0)
    run = asyncio.run(
        apply_command([root], target=Target(base_url=emu.url), environ=ENV, journal_dir=journal)
    )
    if not run.result.ok:
        raise RuntimeError("setting up the benchmark state failed")


def timed_plan(root: Path, emu: Emulator) -> tuple[float, int, int, int]:
    """(wall seconds, requests, 23008 answers, mutating changes) of one plan."""
    since = emu.mark()
    started = time.perf_counter()
    run = asyncio.run(plan_command([root], target=Target(base_url=emu.url), environ=ENV))
    wall = time.perf_counter() - started
    seen = traffic(emu.requests(since))
    return wall, seen.total, seen.rate_limited, run.plan.summary()["requests"]


def naive_loop(url: str, rids: list[str], limit: int | None) -> tuple[float, int]:
    """Sequential GETs, one at a time (list pages, then each device); (seconds, requests).

    With ``limit`` only that many device reads are timed and the rest extrapolated.
    """
    sample = rids if limit is None else rids[:limit]
    sent = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, auth=(APP_KEY, MASTER_SECRET), timeout=30) as http:
        page, pages = 1, 1
        while page <= pages:
            data = http.get("/v4/schedules", params={"page": page}).json()
            pages = int(data.get("total_pages") or 0)
            page, sent = page + 1, sent + 1
        for rid in sample:
            http.get(f"/v4/devices/{rid}").raise_for_status()
            sent += 1
    wall = time.perf_counter() - started
    pages_sent = sent - len(sample)
    per_device = (wall / sent) if sent else 0.0
    return wall + per_device * (len(rids) - len(sample)), pages_sent + len(rids)


def run_size(devices: int, schedules: int, args: argparse.Namespace) -> list[list[object]]:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp, emulator(args.emulator_mode) as emu:
        root = write_manifests(Path(tmp) / "m", devices=devices, schedules=schedules)
        emu.seed_devices(registration_ids(devices))
        converge(root, emu, Path(tmp) / "journal")

        emu.faults(qps=500, latency_ms=5)
        wall, n, limited, changes = timed_plan(root, emu)
        assert changes == 0, "the benchmark project should be converged"
        good = n - limited
        rows.append(
            [
                "qps 500, 5 ms",
                devices,
                n,
                limited,
                f"{wall:.2f}",
                f"{good / 500:.2f}",
                f"{wall / (good / 500):.3f}",
                f"{wall / (good / 450):.3f}",
                "",
            ]
        )

        emu.faults(qps=None, latency_ms=20)
        naive_s, naive_n = naive_loop(emu.url, registration_ids(devices), args.naive_sample)
        for qps in (450, args.raised_qps):
            write_manifests(root, devices=devices, schedules=schedules, qps=qps)
            wall, n, limited, _ = timed_plan(root, emu)
            rows.append(
                [
                    f"no limit, 20 ms, client qps {qps:g}",
                    devices,
                    n,
                    limited,
                    f"{wall:.2f}",
                    "",
                    "",
                    "",
                    f"{naive_s / wall:.1f}×",
                ]
            )
        sampled = "" if args.naive_sample is None else f" (first {args.naive_sample} timed)"
        rows.append(
            [
                f"naive sequential GET loop{sampled}",
                devices,
                naive_n,
                0,
                f"{naive_s:.2f}",
                "",
                "",
                "",
                "1×",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--schedules", type=int, default=500)
    parser.add_argument("--raised-qps", type=float, default=5000)
    parser.add_argument("--naive-sample", type=int, default=None, help="time only N device GETs")
    parser.add_argument("--emulator-mode", choices=["process", "thread"], default="process")
    parser.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    args = parser.parse_args(argv)
    rows: list[list[object]] = []
    for devices in args.devices:
        rows += run_size(devices, args.schedules, args)
    headers = [
        "scenario",
        "devices",
        "requests",
        "23008",
        "wall s",
        "floor N/500 s",
        "÷ N/500",
        "÷ N/450",
        "speed-up",
    ]
    result = table(headers, rows)
    print(result)
    if args.append:
        command = "python benchmarks/bench_plan.py " + " ".join(sys.argv[1:])
        append_results("plan", command, result)


if __name__ == "__main__":
    main()
