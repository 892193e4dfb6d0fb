"""The shortcuts that keep the emulator cheap per request must not change what it answers:
the batched request log, the remembered "next event due", the spliced schedule JSON and the
schema rebuild of an old database file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET, REPO

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of

PUSH = {
    "to": "all",
    "body": {"platform": "web", "notification": {"web": {"alert": "a", "url": "https://e.x"}}},
}


def single(name: str, time: str) -> dict[str, object]:
    return {
        "name": name,
        "enabled": True,
        "trigger": {"single": {"time": time, "zone_type": 1}},
        "push": PUSH,
    }


async def test_the_request_log_is_complete_and_ordered_past_one_batch(emulator_client):
    api = emulator_client
    for index in range(300):
        await api.get("/v4/tags", params={"n": index})
    seen: list[dict[str, object]] = []
    since = 0
    while True:
        page = (await api.get("/_emulator/requests", params={"since": since})).json()
        if not page["requests"]:
            break
        seen += page["requests"]
        since = page["last_id"]
    assert [e["query"] for e in seen] == [f"n={i}" for i in range(300)]


async def test_log_entries_not_yet_written_survive_closing_the_store(tmp_path: Path):
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, db_path=str(tmp_path / "e.sqlite"))
    for check in (False, True):
        app = create_app(config)
        transport = httpx.ASGITransport(app=app)
        auth = (APP_KEY, MASTER_SECRET)
        async with httpx.AsyncClient(
            transport=transport, base_url=EMULATOR_BASE_URL, auth=auth
        ) as api:
            if check:
                log = (await api.get("/_emulator/requests")).json()["requests"]
                assert [e["path"] for e in log] == ["/v4/tags"] * 3
            else:
                for _ in range(3):
                    await api.get("/v4/tags")
        emulator_of(app).close()


async def test_a_task_created_earlier_than_the_remembered_next_event_still_fires(emulator_client):
    api = emulator_client
    await api.post("/_emulator/clock", json={"now": "2030-01-01 00:00:00"})
    late = (await api.post("/v4/schedules", json=single("late", "2030-01-01 10:00:00"))).json()
    await api.get("/v4/schedules")  # the emulator now remembers 10:00 as the next event
    soon = (await api.post("/v4/schedules", json=single("soon", "2030-01-01 01:00:00"))).json()
    await api.post("/_emulator/clock", json={"advance_seconds": 3601})
    listed = [s["name"] for s in (await api.get("/v4/schedules")).json()["schedules"]]
    assert listed == ["late"]
    ids = (await api.get(f"/v4/schedules/{soon['schedule_id']}/msg-ids")).json()["count"]
    assert ids == 1
    moved = await api.put(
        f"/v4/schedules/{late['schedule_id']}",
        json={"trigger": {"single": {"time": "2030-01-01 02:00:00", "zone_type": 1}}},
    )
    assert moved.status_code == 200
    await api.post("/_emulator/clock", json={"advance_seconds": 3600})
    assert (await api.get("/v4/schedules")).json()["total_count"] == 0


async def test_spliced_schedule_answers_are_valid_json_with_unicode_kept(emulator_client):
    api = emulator_client
    await api.post("/_emulator/clock", json={"now": "2030-01-01 00:00:00"})
    body = single("周报", "2030-01-02 00:00:00")
    body["push"] = {**PUSH, "custom_args": 'quote " and \\ backslash'}
    created = (await api.post("/v4/schedules", json=body)).json()
    page = await api.get("/v4/schedules")
    assert page.headers["content-type"].startswith("application/json")
    assert "周报" in page.text
    assert json.loads(page.text)["schedules"] == [{"schedule_id": created["schedule_id"], **body}]
    one = await api.get(f"/v4/schedules/{created['schedule_id']}")
    assert one.json() == [{"schedule_id": created["schedule_id"], **body}]
    renamed = await api.put(f"/v4/schedules/{created['schedule_id']}", json={"enabled": False})
    assert (await api.get(f"/v4/schedules/{created['schedule_id']}")).json() == [renamed.json()]


async def test_a_database_from_an_older_emulator_is_rebuilt(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schedules (id TEXT, name TEXT)")
        conn.execute("INSERT INTO schedules VALUES ('x', 'stale')")
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, db_path=str(path)))
    transport = httpx.ASGITransport(app=app)
    auth = (APP_KEY, MASTER_SECRET)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL, auth=auth) as api:
        assert (await api.get("/v4/schedules")).json()["total_count"] == 0
    emulator_of(app).close()


@pytest.mark.slow  # a benchmark smoke run: two emulator processes, a few seconds
def test_the_emulator_cpu_benchmark_runs(tmp_path: Path):
    script = REPO / "benchmarks" / "bench_emulator.py"
    done = subprocess.run(
        [sys.executable, str(script), "--requests", "20", "--tree", f"now={REPO}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("| now |")]
    assert len(lines) == 4  # two workloads over a socket, each also 32 at once
