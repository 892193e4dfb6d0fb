"""The emulator clock: Date headers follow it, bad clock requests are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from support.emulator import pin_clock


async def test_date_header_follows_the_emulator_clock(emulator_client):
    api = emulator_client
    await pin_clock(api, "2031-05-06 07:08:09")
    answer = await api.get("/v4/tags")
    date = parsedate_to_datetime(answer.headers["date"])
    assert date.tzinfo is not None
    assert abs((date - datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)).total_seconds()) < 60
    await api.post("/_emulator/clock", json={"advance_seconds": 86400})
    later = parsedate_to_datetime((await api.get("/v4/tags")).headers["date"])
    assert abs((later - date).total_seconds() - 86400) < 60


@pytest.mark.parametrize(
    "body", [{}, {"now": "2030-1-1 00:00:00"}, {"advance_seconds": "10"}, {"now": 5, "x": 1}]
)
async def test_bad_clock_requests_are_refused(emulator_client, body):
    assert (await emulator_client.post("/_emulator/clock", json=body)).status_code == 400
