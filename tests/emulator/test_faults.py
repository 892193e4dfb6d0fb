"""Faults of the emulator (design §8): QPS limits, failures, latency, dropped connections."""

from __future__ import annotations

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET
from support.emulator import SCHEDULE, pin_clock, set_faults

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of


async def test_qps_limit_answers_400_with_23008_and_spares_admin_routes(emulator_client):
    api = emulator_client
    await set_faults(api, qps=2)
    statuses = [(await api.get("/v4/tags")) for _ in range(10)]
    limited = [a for a in statuses if a.status_code != 200]
    assert limited  # two per second cannot serve ten back-to-back calls
    assert all(a.status_code == 400 for a in limited)
    assert all(a.json()["error"]["code"] == 23008 for a in limited)
    for _ in range(10):
        assert (await api.get("/_emulator/faults")).status_code == 200


async def test_qps_limit_from_the_config_applies_from_the_first_call():
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, qps=1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=EMULATOR_BASE_URL, auth=(APP_KEY, MASTER_SECRET)
    ) as api:
        codes = [(await api.get("/v4/tags")).status_code for _ in range(5)]
    emulator_of(app).close()
    assert 400 in codes


async def test_fail_rate_one_answers_503_with_21030(emulator_client):
    await set_faults(emulator_client, fail_rate=1.0)
    answer = await emulator_client.get("/v4/tags")
    assert answer.status_code == 503
    assert answer.json() == {"error": {"code": 21030, "message": "internal service timeout"}}


async def test_seeded_fail_rate_replays_the_same_sequence(emulator_client):
    api = emulator_client

    async def run() -> list[int]:
        await set_faults(api, fail_rate=0.5, seed=7)
        return [(await api.get("/v4/tags")).status_code for _ in range(30)]

    first, second = await run(), await run()
    assert first == second
    assert {200, 503} == set(first)


async def test_latency_setting_is_accepted_and_calls_still_succeed(emulator_client):
    faults = await set_faults(emulator_client, latency_ms=1)
    assert faults["latency_ms"] == 1
    assert (await emulator_client.get("/v4/tags")).status_code == 200


@pytest.mark.parametrize(
    "faults",
    [{"fail_rate": 2}, {"drop_rate": -0.1}, {"qps": 0}, {"latency_ms": "5"}, {"nonsense": 1}],
)
async def test_bad_fault_settings_are_refused(emulator_client, faults):
    answer = await emulator_client.post("/_emulator/faults", json=faults)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 21003


async def test_in_process_drop_raises_connection_reset(emulator_client):
    await set_faults(emulator_client, drop_rate=1.0)
    with pytest.raises(ConnectionResetError):
        await emulator_client.get("/v4/tags")
    log = (await emulator_client.get("/_emulator/requests")).json()["requests"]
    assert log[-1]["dropped"] is True


def test_drop_over_a_socket_truncates_the_response(emulator_url):
    with httpx.Client(base_url=emulator_url, auth=(APP_KEY, MASTER_SECRET)) as api:
        assert api.post("/_emulator/faults", json={"drop_rate": 1.0}).status_code == 200
        with pytest.raises(httpx.TransportError):
            api.get("/v4/tags")
        # The server survives a dropped connection.
        assert api.post("/_emulator/faults", json={"drop_rate": 0.0}).status_code == 200
        assert api.get("/v4/tags").status_code == 200


def test_commit_then_drop_commits_the_create_before_cutting_the_connection(emulator_url):
    with httpx.Client(base_url=emulator_url, auth=(APP_KEY, MASTER_SECRET)) as api:
        api.post("/_emulator/clock", json={"now": "2030-01-01 00:00:00"})
        api.post("/_emulator/faults", json={"commit_then_drop": 1})
        with pytest.raises(httpx.TransportError):
            api.post("/v4/schedules", json=SCHEDULE)
        listed = api.get("/v4/schedules").json()["schedules"]
        assert [s["name"] for s in listed] == ["ambiguous"]
        assert api.post("/v4/schedules", json=SCHEDULE).status_code == 200
        assert api.get("/_emulator/faults").json()["commit_then_drop"] == 0


async def test_commit_then_drop_only_affects_schedule_creates(emulator_client):
    api = emulator_client
    await pin_clock(api)
    await set_faults(api, commit_then_drop=1)
    assert (await api.get("/v4/schedules")).status_code == 200
    with pytest.raises(ConnectionResetError):
        await api.post("/v4/schedules", json=SCHEDULE)
    assert (await api.get("/v4/schedules")).json()["total_count"] == 1
