"""Faults, limits, the request log, persistence and the server of the emulator (design §8)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server

PUSH = {
    "to": "all",
    "body": {"platform": "web", "notification": {"web": {"alert": "a", "url": "https://e.x"}}},
}
SCHEDULE = {
    "name": "ambiguous",
    "enabled": True,
    "trigger": {"intelligent": {"backup_time": "2030-06-01 00:00:00"}},
    "push": PUSH,
}


async def set_faults(api: httpx.AsyncClient, **faults: Any) -> dict[str, Any]:
    answer = await api.post("/_emulator/faults", json=faults)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def pin_clock(api: httpx.AsyncClient, now: str = "2030-01-01 00:00:00") -> None:
    assert (await api.post("/_emulator/clock", json={"now": now})).status_code == 200


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


async def test_request_log_keeps_calls_but_never_credentials(emulator_client):
    api = emulator_client
    await api.post("/v4/push", json=PUSH)
    await api.get("/v4/tags_count", params={"tags": "beta"})
    await api.get("/v4/tags", auth=(APP_KEY, "wrong"))
    entries = (await api.get("/_emulator/requests")).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v4/push", 400),  # no device: 21011
        ("GET", "/v4/tags_count", 200),
        ("GET", "/v4/tags", 401),
    ]
    assert entries[0]["body"] == PUSH
    assert entries[1]["query"] == "tags=beta"
    datetime.fromisoformat(entries[0]["time"])
    text = json.dumps(entries)
    assert MASTER_SECRET not in text
    assert "Basic" not in text
    assert "authorization" not in text.lower()


async def test_request_log_pages_with_since(emulator_client):
    api = emulator_client
    for _ in range(5):
        await api.get("/v4/tags")
    first = (await api.get("/_emulator/requests", params={"limit": 2})).json()
    assert len(first["requests"]) == 2
    rest = (await api.get("/_emulator/requests", params={"since": first["last_id"]})).json()
    assert len(rest["requests"]) == 3
    assert rest["requests"][0]["id"] == first["last_id"] + 1


async def test_admin_routes_need_the_same_credentials(emulator_app):
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL) as client:
        answer = await client.post("/_emulator/reset")
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == 21004


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


async def test_reset_forgets_state_but_keeps_the_config(emulator_client):
    api = emulator_client
    await pin_clock(api)
    await api.post("/_emulator/devices", json={"registration_ids": ["rid1"]})
    await api.post("/v4/schedules", json=SCHEDULE)
    await set_faults(api, fail_rate=1.0)
    assert (await api.post("/_emulator/reset")).json() == {"reset": True}
    assert (await api.get("/_emulator/requests")).json()["requests"] == []
    assert (await api.get("/v4/devices/rid1")).status_code == 404
    assert (await api.get("/v4/schedules")).json()["total_count"] == 0
    assert (await api.get("/_emulator/faults")).json()["fail_rate"] == 0.0
    clock = (await api.get("/_emulator/clock")).json()
    assert clock["offset_seconds"] == 0.0


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


def test_config_repr_hides_the_master_secret():
    config = EmulatorConfig(APP_KEY, MASTER_SECRET)
    assert MASTER_SECRET not in repr(config)
    assert APP_KEY in repr(config)


@pytest.mark.parametrize(
    "changes",
    [{"fail_rate": 1.5}, {"latency_ms": -1}, {"qps": 0}, {"app_key": ""}, {"page_size": 0}],
)
def test_config_refuses_impossible_values(changes):
    values: dict[str, Any] = {"app_key": APP_KEY, "master_secret": MASTER_SECRET, **changes}
    with pytest.raises(ValueError):
        EmulatorConfig(**values)


def test_unknown_timezone_is_refused_when_the_app_is_made():
    with pytest.raises(ValueError, match="time zone"):
        create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, timezone="Mars/Olympus"))


def test_running_server_serves_on_loopback_and_stops(emulator_config):
    with running_server(emulator_config) as url:
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{url}/v4/tags", auth=(APP_KEY, MASTER_SECRET))
        assert answer.status_code == 200
        assert answer.json() == {"tags": []}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v4/tags", auth=(APP_KEY, MASTER_SECRET))


def test_served_responses_carry_exactly_one_date_header_from_the_emulator_clock(emulator_url):
    auth = (APP_KEY, MASTER_SECRET)
    with httpx.Client(base_url=emulator_url, auth=auth) as client:
        moved = client.post("/_emulator/clock", json={"now": "2030-01-02 03:04:05"})
        assert moved.status_code == 200
        response = client.get("/v4/schedules")
    dates = response.headers.get_list("date")
    assert dates == ["Wed, 02 Jan 2030 03:04:05 GMT"]
