"""Benchmark: ``apply`` adding one tag to every known device, against the emulator over loopback.

The project starts converged (devices registered and tagged ``bench_all``, schedules created);
the manifests then gain an additive tag ``bench_new`` listing every device. Apply must send that
as bulk ``POST /v4/tags/bench_new`` calls of ≤ 1000 ids (target: ≤ 11 write requests for 10,000
devices) after reading live state; the emulator runs at the API's 500 QPS with 5 ms latency.

Run: ``.venv/bin/python benchmarks/bench_apply.py --devices 10000 --schedules 500``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench_plan import converge
from benchlib import (
    ENV,
    NEW_TAG,
    Emulator,
    append_results,
    emulator,
    registration_ids,
    table,
    traffic,
    write_manifests,
)

from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command


def add_tag_everywhere(
    root: Path, emu: Emulator, *, devices: int, schedules: int, journal: Path
) -> tuple[float, int, int, int, int]:
    """(wall s, reads, writes, 23008 answers, devices changed) of the apply that adds the tag."""
    write_manifests(root, devices=devices, schedules=schedules, new_tag=True)
    since = emu.mark()
    started = time.perf_counter()
    run = asyncio.run(
        apply_command([root], target=Target(base_url=emu.url), environ=ENV, journal_dir=journal)
    )
    wall = time.perf_counter() - started
    if not run.result.ok:
        raise RuntimeError("the benchmark apply failed")
    seen = traffic(emu.requests(since))
    changed = run.plan.counts().get("device", 0)
    return wall, seen.by_method.get("GET", 0), seen.writes, seen.rate_limited, changed


def run_size(devices: int, schedules: int, mode: str) -> list[object]:
    with tempfile.TemporaryDirectory() as tmp, emulator(mode) as emu:
        root = write_manifests(Path(tmp) / "m", devices=devices, schedules=schedules)
        emu.seed_devices(registration_ids(devices))
        converge(root, emu, Path(tmp) / "journal")
        emu.faults(qps=500, latency_ms=5)
        wall, reads, writes, limited, changed = add_tag_everywhere(
            root, emu, devices=devices, schedules=schedules, journal=Path(tmp) / "journal"
        )
        tagged = sum(
            1 for e in emu.requests(0) if e["method"] == "POST" and e["path"].endswith(NEW_TAG)
        )
    return [devices, changed, reads, writes, tagged, limited, f"{wall:.2f}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[10_000])
    parser.add_argument("--schedules", type=int, default=500)
    parser.add_argument("--emulator-mode", choices=["process", "thread"], default="process")
    parser.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    args = parser.parse_args(argv)
    rows = [run_size(d, args.schedules, args.emulator_mode) for d in args.devices]
    headers = ["devices", "devices changed", "reads", "writes", "tag POSTs", "23008", "wall s"]
    result = table(headers, rows)
    print(result)
    if args.append:
        command = "python benchmarks/bench_apply.py " + " ".join(sys.argv[1:])
        append_results("apply: one tag on every device", command, result)


if __name__ == "__main__":
    main()
