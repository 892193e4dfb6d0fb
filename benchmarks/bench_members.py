"""Benchmark: ``validate`` of a Tag whose members_file has 1,000,000 lines (valid or invalid).

Each run is ``python -m webpush_iac validate DIR`` in its own process, reaped with ``os.wait4`` so
the peak RSS (``ru_maxrss``) is that process's alone; stderr is counted, not kept, because a file
of invalid lines must not turn into a flood of error text. Valid ids are shaped like real ones
(19 hex characters); an invalid line is an id with a space in it.

Run: ``.venv/bin/python benchmarks/bench_members.py --lines 1000000 [--append]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from benchlib import append_results, table

PROJECT = textwrap.dedent(
    """\
    apiVersion: webpush-iac/v1
    kind: Project
    metadata: {name: bench_members}
    spec:
      region: sgp
      timezone: UTC
    ---
    apiVersion: webpush-iac/v1
    kind: Tag
    metadata: {name: bench_all}
    spec: {mode: additive, members_file: members.txt}
    """
)


def write_project(folder: Path, lines: int, *, invalid: bool) -> None:
    (folder / "webpush-iac.yaml").write_text(PROJECT, encoding="utf-8")
    spelling = "1a0 {:015x}\n" if invalid else "1a0{:016x}\n"
    with (folder / "members.txt").open("w", encoding="utf-8") as out:
        out.writelines(spelling.format(i) for i in range(lines))


def run(folder: Path) -> tuple[int, float, float, float, int]:
    """Exit status, wall and CPU seconds, peak RSS MiB and stderr bytes of one ``validate``."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "webpush_iac", "validate", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    errors = 0
    while chunk := child.stderr.read(1 << 16):
        errors += len(chunk)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return child.returncode, wall, cpu, usage.ru_maxrss / 1024, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    args = parser.parse_args()
    rows = []
    for invalid in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_project(folder, args.lines, invalid=invalid)
            code, wall, cpu, rss, errors = run(folder)
        kind = "invalid" if invalid else "valid"
        timing = [f"{wall:.2f}", f"{cpu:.2f}", f"{rss:.0f}"]
        rows.append([kind, f"{args.lines:,}", code, *timing, f"{errors:,}"])
    headers = ["lines", "count", "exit", "wall s", "CPU s", "peak RSS MiB", "stderr bytes"]
    body = table(headers, rows)
    print(body)
    if args.append:
        command = f".venv/bin/python benchmarks/bench_members.py --lines {args.lines}"
        append_results("validate: a 1,000,000-line members_file", command, body)


if __name__ == "__main__":
    main()
