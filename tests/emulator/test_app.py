"""The emulator app: an unplanned failure is a logged JSON 500, a bad time zone stops creation."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app


async def test_unexpected_failure_answers_a_json_500_and_is_logged(tmp_path: Path, caplog):
    # A directory cannot be opened as a database: a real, unplanned failure inside the handler.
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, db_path=str(tmp_path)))
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.ERROR, logger="webpush_iac.emulator"):
        async with httpx.AsyncClient(
            transport=transport, base_url=EMULATOR_BASE_URL, auth=(APP_KEY, MASTER_SECRET)
        ) as api:
            answer = await api.get("/v4/schedules")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == 28200
    assert any("emulator failed" in r.getMessage() for r in caplog.records)
    assert MASTER_SECRET not in caplog.text


def test_unknown_timezone_is_refused_when_the_app_is_made():
    with pytest.raises(ValueError, match="time zone"):
        create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, timezone="Mars/Olympus"))
