"""The benchmarks of ``benchmarks/`` at ~200 devices: same scenarios, same code, counted not timed.

Why in CI at all: the full benchmarks run by hand, so a change that quietly multiplies requests
(a per-device write instead of a bulk tag call, a re-read per page) would only show up there. These
assert the request counts the emulator logged and that no call was refused with 23008; never a
timing, since CI machines vary.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.constants import REPO

BENCHMARKS = REPO / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_apply  # noqa: E402
import bench_cpu  # noqa: E402
import bench_plan  # noqa: E402
import benchlib  # noqa: E402

pytestmark = pytest.mark.slow  # each benchmark scenario against a served emulator

DEVICES = 200
SCHEDULES = 60  # two list pages of 50
PAGES = 2


@pytest.fixture
def converged(tmp_path: Path) -> Iterator[tuple[Path, benchlib.Emulator]]:
    """A converged benchmark project served by a real emulator over loopback."""
    with benchlib.emulator("thread") as emu:
        root = benchlib.write_manifests(tmp_path / "m", devices=DEVICES, schedules=SCHEDULES)
        emu.seed_devices(benchlib.registration_ids(DEVICES))
        bench_plan.converge(root, emu, tmp_path / "journal")
        yield root, emu


def test_rate_limited_plan_reads_each_page_and_device_once_with_no_23008(
    converged: tuple[Path, benchlib.Emulator],
) -> None:
    root, emu = converged
    emu.faults(qps=500, latency_ms=5)
    _wall, requests, rate_limited, changes = bench_plan.timed_plan(root, emu)
    assert (requests, rate_limited, changes) == (PAGES + DEVICES, 0, 0)


def test_unlimited_plan_sends_the_same_reads_as_the_naive_sequential_loop(
    converged: tuple[Path, benchlib.Emulator],
) -> None:
    root, emu = converged
    emu.faults(qps=None, latency_ms=0)
    _wall, requests, rate_limited, _changes = bench_plan.timed_plan(root, emu)
    since = emu.mark()
    _naive_s, naive_requests = bench_plan.naive_loop(
        emu.url, benchlib.registration_ids(DEVICES), None
    )
    assert len(emu.requests(since)) == naive_requests == requests == PAGES + DEVICES
    assert rate_limited == 0


def test_adding_one_tag_to_every_device_is_one_bulk_write_per_thousand_ids(
    converged: tuple[Path, benchlib.Emulator], tmp_path: Path
) -> None:
    root, emu = converged
    emu.faults(qps=500, latency_ms=5)
    _wall, reads, writes, rate_limited, changed = bench_apply.add_tag_everywhere(
        root, emu, devices=DEVICES, schedules=SCHEDULES, journal=tmp_path / "journal"
    )
    assert (reads, writes, rate_limited, changed) == (PAGES + DEVICES, 1, 0, DEVICES)
    (post,) = [e for e in emu.requests(0) if e["path"] == f"/v4/tags/{benchlib.NEW_TAG}"]
    assert sorted(post["body"]["registration_ids"]["add"]) == benchlib.registration_ids(DEVICES)


def test_cpu_benchmark_run_finds_the_converged_project_unchanged(tmp_path: Path) -> None:
    root = benchlib.write_manifests(tmp_path / "m", devices=DEVICES, schedules=SCHEDULES)
    full = bench_cpu.child(root, profile=False)
    alone = bench_cpu.measure_validate_only(root)
    assert full["changes"] == 0
    assert alone["changes"] == SCHEDULES  # no live schedules offline: every one is a create
    assert {"load", "diff", "peak_rss_mb"} <= full.keys() & alone.keys()
