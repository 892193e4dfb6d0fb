"""Heavy faults (issue 10, item 6): apply while the emulator answers 30% of API calls with HTTP 503
and drops 10% of connections, faults left on for every round.

A pipeline that meets such a burst simply runs apply again, so what matters is how many apply
rounds it takes until the project has converged: a fault-free plan shows no change and no warning
(a device whose read failed is a warning, never silently "converged"). Each round rolls new dice
(``seed * 100 + round``). Two projects: the news_site example (schedules to create, a few devices)
and a fleet of 200 devices gaining one tag, where every plan is 200 device reads.

``HEAVY_FAULT_REPORT=1`` prints every seed's rounds and what each round ended in: the numbers in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from support.constants import APP_KEY, ENV, EXAMPLE_ENV, MASTER_SECRET, NEWS_SITE
from support.e2e import no_sleep
from support.emulator import TransportFactory
from support.manifests import project_yaml, tag, to_yaml, write_tree
from support.reliability import (
    LOOPBACK,
    HttpAdmin,
    lost_device_changes,
    news_site_desired,
    unexpected_requests,
)

from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command, plan_command
from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of
from webpush_iac.errors import WebpushIacError

pytestmark = pytest.mark.slow  # twenty seeds of two projects, several apply rounds each

SEEDS = range(int(os.environ.get("HEAVY_FAULT_SEEDS", "20")))
FAIL_RATE = 0.30
DROP_RATE = 0.10
MAX_ROUNDS = 10
FLEET = [f"fleet{i:05d}" for i in range(200)]


@dataclass
class Rounds:
    """What each apply round ended in: ``ok``, ``partial`` (some writes failed) or ``aborted``
    (apply raised before sending, e.g. a read past its retries); ``converged`` after the last."""

    outcomes: list[str] = field(default_factory=list)
    converged: bool = False

    @property
    def count(self) -> int:
        return len(self.outcomes)


@contextmanager
def emulator() -> Iterator[tuple[str, TransportFactory]]:
    app = create_app(EmulatorConfig(app_key=APP_KEY, master_secret=MASTER_SECRET))
    try:
        yield LOOPBACK, lambda: httpx.ASGITransport(app=app)
    finally:
        emulator_of(app).close()


def target(base_url: str, make: TransportFactory) -> Target:
    return Target(base_url=base_url, client_options={"transport": make(), "sleep": no_sleep})


async def converged(root: Path, env: dict[str, str], base_url: str, make: TransportFactory) -> bool:
    """A fault-free plan with nothing to change and nothing it could not read."""
    plan = (await plan_command([root], target=target(base_url, make), environ=env)).plan
    unread = [w for w in getattr(plan, "warnings", ()) if w.code == "device_unreadable"]
    return not plan.errors and not plan.has_mutations and not unread


async def apply_rounds(
    root: Path, env: dict[str, str], base_url: str, make: TransportFactory, seed: int, tmp: Path
) -> Rounds:
    admin = HttpAdmin(base_url, make)
    rounds = Rounds()
    for number in range(1, MAX_ROUNDS + 1):
        await admin.faults(seed=seed * 100 + number, fail_rate=FAIL_RATE, drop_rate=DROP_RATE)
        outcome = "aborted"
        with contextlib.suppress(WebpushIacError):
            run = await apply_command(
                [root], target=target(base_url, make), environ=env, journal_dir=tmp
            )
            outcome = "ok" if run.result.ok else "partial"
        rounds.outcomes.append(outcome)
        await admin.clear_faults()
        if await converged(root, env, base_url, make):
            rounds.converged = True
            break
    return rounds


def fleet_tree(root: Path) -> Path:
    return write_tree(
        root,
        {
            "webpush-iac.yaml": project_yaml(concurrency=16),
            "fleet.yaml": to_yaml(tag("fleet_news", mode="exact", members=FLEET)),
        },
    )


def report(project: str, seed: int, rounds: Rounds) -> None:
    if os.environ.get("HEAVY_FAULT_REPORT"):
        print(f"{project} seed {seed}: {rounds.count} round(s) {rounds.outcomes}")


@pytest.mark.parametrize("seed", SEEDS)
async def test_news_site_converges_under_heavy_faults_and_no_round_aborts_on_a_read(
    seed: int, tmp_path: Path
) -> None:
    desired = news_site_desired()
    with emulator() as (base_url, make):
        admin = HttpAdmin(base_url, make)
        await admin.seed_news_site(desired)
        rounds = await apply_rounds(NEWS_SITE, EXAMPLE_ENV, base_url, make, seed, tmp_path)
        report("news_site", seed, rounds)
        assert rounds.converged, rounds.outcomes
        assert "aborted" not in rounds.outcomes
        names = await admin.schedule_names()
        assert names == {s.live_name: 1 for s in desired.schedules.values()}
        assert await lost_device_changes(admin, desired) == {}
        assert unexpected_requests(await admin.requests()) == []


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_200_device_fleet_converges_under_heavy_faults_without_aborting(
    seed: int, tmp_path: Path
) -> None:
    root = fleet_tree(tmp_path / "fleet")
    with emulator() as (base_url, make):
        admin = HttpAdmin(base_url, make)
        await admin.devices(*({"registration_id": rid} for rid in FLEET))
        rounds = await apply_rounds(root, ENV, base_url, make, seed, tmp_path / "journal")
        report("fleet", seed, rounds)
        assert rounds.converged, rounds.outcomes
        assert "aborted" not in rounds.outcomes
        for rid in FLEET[:: len(FLEET) // 10]:
            assert (await admin.device(rid))["tags"] == ["fleet_news"]
