"""Running the real pipeline (manifest loader, client, live reader, diff, apply) end to end.

The end-to-end tests call the ``commands`` functions against the real emulator app; only faults
the emulator cannot place on one exact request are injected, by
:class:`support.emulator.FailMatching` in front of it. :func:`rig` reaches one emulator in process
or over a loopback socket through the same code path, with the emulator's rule readings as given
(:data:`READINGS`); :class:`ClockJump` lets a task's time pass between plan and write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.constants import APP_KEY, ENV, MASTER_SECRET
from support.emulator import Admin, TransportFactory
from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import ApplyRun, apply_command, audit_command, plan_command
from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server
from webpush_iac.plan import AuditReport, Plan

Wrap = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]


async def no_sleep(_seconds: float) -> None:
    """Backoff waits are skipped: the emulator's faults do not depend on elapsed time."""


def target_for(app: Any) -> Target:
    """Run the pipeline against ``app`` in process; backoff sleeps are skipped to keep tests fast."""
    return Target(emulator=lambda **_: app, client_options={"sleep": no_sleep})


# --- one emulator, reached in process or over a loopback socket ------------------------------------

# Over a socket every test starts a uvicorn server: the full run covers it, the inner loop not.
MODES = ("in_process", pytest.param("socket", marks=pytest.mark.slow))
# The emulator's readings of the rules the reference tags as guesses (docs/emulator.md): the
# planner must be right under each. Keys are EmulatorConfig fields.
READINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "zone2_leaves_when_it_fires": {
        "zone2_leave": "earliest",
        "periodical_zone2_leave": "earliest",
    },
    "zone2_as_utc": {"zone2_fire": "utc", "zone2_leave": "utc", "periodical_zone2_leave": "utc"},
    "zone2_latest_zone_only": {
        "zone2_fire": "latest",
        "zone2_leave": "latest",
        "periodical_zone2_leave": "latest",
    },
    "intelligent_stays_listed": {"intelligent_expires": False},
}
LOOPBACK = "http://127.0.0.1:9"  # in-process runs: a loopback URL the client accepts, never dialled


@dataclass
class Rig:
    """The pipeline's way to one emulator: the same code path in process and over a socket."""

    base_url: str
    make: TransportFactory
    environ: dict[str, str] = field(default_factory=lambda: dict(ENV))

    @property
    def admin(self) -> Admin:
        return Admin(None, base_url=self.base_url, transport=self.make)

    def target(self, wrap: Wrap | None = None) -> Target:
        transport = self.make()
        return Target(
            base_url=self.base_url,
            client_options={
                "transport": wrap(transport) if wrap else transport,
                "sleep": no_sleep,
            },
        )

    async def plan(self, root: Path, *, baseline: str | None = None) -> Plan:
        run = await plan_command(
            [root], target=self.target(), environ=self.environ, baseline=baseline
        )
        return run.plan

    async def apply(self, root: Path, journal: Path, *, wrap: Wrap | None = None) -> ApplyRun:
        return await apply_command(
            [root], target=self.target(wrap), environ=self.environ, journal_dir=journal
        )

    async def audit(self, root: Path) -> AuditReport:
        return await audit_command([root], target=self.target(), environ=self.environ)


@contextmanager
def rig(mode: str, **rules: Any) -> Iterator[Rig]:
    """A fresh emulator with the given rule readings, reached the way ``mode`` says."""
    config = EmulatorConfig(app_key=APP_KEY, master_secret=MASTER_SECRET, **rules)
    if mode == "socket":
        with running_server(config) as url:
            yield Rig(url, httpx.AsyncHTTPTransport)
        return
    app = create_app(config)
    try:
        yield Rig(LOOPBACK, lambda: httpx.ASGITransport(app=app))
    finally:
        emulator_of(app).close()


class ClockJump(httpx.AsyncBaseTransport):
    """Moves the emulator clock to ``to`` (UTC wall text) just before the first request that
    matches reaches it: the task's time passes between plan and write, as in a slow pipeline."""

    def __init__(self, inner: httpx.AsyncBaseTransport, base_url: str, method: str, to: str):
        self.inner = inner
        self.base_url = base_url
        self.method = method
        self.to = to
        self.jumped = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.jumped and request.method == self.method:
            self.jumped = True
            move = httpx.Request(
                "POST",
                self.base_url + "/_emulator/clock",
                json={"now": self.to},
                headers={"Authorization": request.headers["Authorization"]},
            )
            answer = await self.inner.handle_async_request(move)
            await answer.aread()
            assert answer.status_code == 200
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
