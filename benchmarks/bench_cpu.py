"""Benchmark: CPU time and peak memory of validate + render + diff at 10,000 devices / 1,000 schedules.

Each measurement runs in a fresh subprocess so peak RSS (``ru_maxrss``) belongs to that run alone.
The child loads the manifests (parse, validate, render every schedule's payload: what ``validate``
and ``render`` do), reads live state from an in-process emulator (httpx's ASGI transport, no
sockets; the emulator was filled beforehand and its CPU is reported apart, since it is the API's
work, not ours) and diffs. Target: under 3 s CPU and 300 MB peak on this 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_cpu.py --devices 10000 --schedules 1000 [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from benchlib import APP_KEY, ENV, MASTER_SECRET, append_results, table
from benchlib import write_manifests as write_tree

T = TypeVar("T")


def _cpu(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.process_time()
    value = fn()
    return value, time.process_time() - started


def child(root: Path, profile: bool) -> dict[str, Any]:
    """The measured run (inside the fresh subprocess)."""
    from webpush_iac.commands.connection import Target, connect, register_emulator_devices
    from webpush_iac.commands.operations import apply_command, load_desired
    from webpush_iac.emulator import EmulatorConfig, create_app
    from webpush_iac.live import read_live
    from webpush_iac.plan import diff

    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET))
    target = Target(emulator=lambda **_: app)

    async def setup() -> None:  # converge: create every schedule, register every device
        desired = load_desired([root])
        await register_emulator_devices(connect(desired.project, target, ENV), desired)
        await apply_command([root], target=target, environ=ENV, journal_dir=root / ".journal")

    asyncio.run(setup())
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    desired, load_s = _cpu(lambda: load_desired([root]))

    async def read() -> Any:
        conn = connect(desired.project, target, ENV)
        async with conn.client(read_only=True) as client:
            return await read_live(client, desired)

    if profiler:  # the profile covers validate + render + diff only, not the API's side
        profiler.disable()
    live, read_s = _cpu(lambda: asyncio.run(read()))
    if profiler:
        profiler.enable()
    plan, diff_s = _cpu(lambda: diff(desired, live, now=live.server_time or datetime.now(UTC)))
    if profiler:
        profiler.disable()
    out: dict[str, Any] = {
        "load": load_s,
        "read": read_s,
        "diff": diff_s,
        "changes": plan.summary()["requests"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        out["profile"] = text.getvalue()
    return out


def measure_validate_only(root: Path) -> dict[str, Any]:
    """validate + render + diff without the emulator in the process: the reconciler's own peak."""
    from webpush_iac.commands.operations import load_desired
    from webpush_iac.plan import diff
    from webpush_iac.state import LiveDevice, LiveState

    desired, load_s = _cpu(lambda: load_desired([root]))
    live = LiveState(
        schedules=(),
        devices={r: LiveDevice(r, frozenset({"bench_all"}), "") for r in desired.devices},
    )
    plan, diff_s = _cpu(lambda: diff(desired, live, now=datetime.now(UTC)))
    return {
        "load": load_s,
        "diff": diff_s,
        "changes": plan.summary()["requests"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the run")
    parser.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    parser.add_argument("--child", choices=["full", "offline"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = (
            child(args.root, args.profile)
            if args.child == "full"
            else measure_validate_only(args.root)
        )
        print(json.dumps(result))
        return
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "m", devices=args.devices, schedules=args.schedules)
        for kind in ("offline", "full"):
            command = [sys.executable, __file__, "--child", kind, "--root", str(root)]
            if args.profile and kind == "full":
                command.append("--profile")
            done = subprocess.run(command, check=True, capture_output=True, text=True, env=_env())
            data = json.loads(done.stdout)
            total = data["load"] + data["diff"]
            rows.append(
                [
                    "emulator in process" if kind == "full" else "reconciler alone",
                    args.devices,
                    args.schedules,
                    f"{data['load']:.2f}",
                    f"{data['diff']:.2f}",
                    f"{total:.2f}",
                    f"{data['read']:.2f}" if "read" in data else "—",
                    f"{data['peak_rss_mb']:.0f}",
                ]
            )
            if "profile" in data:
                print(data["profile"])
    headers = [
        "run",
        "devices",
        "schedules",
        "load+validate+render CPU s",
        "diff CPU s",
        "total CPU s",
        "live read CPU s (incl. emulator)",
        "peak RSS MB",
    ]
    text = table(headers, rows)
    print(text)
    if args.append:
        cmd = "python benchmarks/bench_cpu.py " + " ".join(a for a in sys.argv[1:])
        append_results("CPU and memory", cmd, text)


def _env() -> dict[str, str]:
    import os

    return {**os.environ, **ENV}


if __name__ == "__main__":
    main()
