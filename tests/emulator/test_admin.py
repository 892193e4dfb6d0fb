"""The emulator's admin routes: the request log (never a credential), their auth, reset."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET
from support.emulator import PUSH, SCHEDULE, pin_clock, set_faults


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
