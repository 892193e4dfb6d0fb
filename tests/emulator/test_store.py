"""Persistence: state and clock survive a restart on the same SQLite database."""

from __future__ import annotations

from pathlib import Path

import httpx
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET
from support.emulator import SCHEDULE, pin_clock

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of


async def test_state_and_clock_survive_a_restart_on_the_same_database(tmp_path: Path):
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, db_path=str(tmp_path / "emulator.sqlite"))

    async def session(check: bool) -> None:
        app = create_app(config)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=EMULATOR_BASE_URL, auth=(APP_KEY, MASTER_SECRET)
        ) as api:
            if not check:
                await pin_clock(api)
                await api.post(
                    "/_emulator/devices",
                    json={"devices": [{"registration_id": "rid1", "tags": ["beta"]}]},
                )
                assert (await api.post("/v4/schedules", json=SCHEDULE)).status_code == 200
            else:
                assert (await api.get("/v4/devices/rid1")).json()["tags"] == ["beta"]
                listed = (await api.get("/v4/schedules")).json()["schedules"]
                assert [s["name"] for s in listed] == ["ambiguous"]
                clock = (await api.get("/_emulator/clock")).json()
                assert clock["now"].startswith("2030-01-01")
        emulator_of(app).close()

    await session(check=False)
    await session(check=True)
