"""The guessed lifecycle rules as options (docs/emulator.md): when zone_type 2 tasks fire and
leave the list, whether intelligent tasks expire, and how a task that fired meanwhile answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of

NOW = "2030-01-01 00:00:00"  # UTC
PUSH = {
    "to": "all",
    "body": {"platform": "web", "notification": {"web": {"alert": "a", "url": "https://e.x"}}},
}
# 2030-01-01 20:00 wall time: UTC+14 passes it at 06:00 UTC, UTC at 20:00, UTC-12 at 08:00 next day.
ZONE2_SINGLE = {"single": {"time": "2030-01-01 20:00:00", "zone_type": 2}}
HOUR = 3600


def task(trigger: dict[str, Any], name: str = "t") -> dict[str, Any]:
    return {"name": name, "enabled": True, "trigger": trigger, "push": PUSH}


async def pinned(**rules: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, **rules))
    transport = httpx.ASGITransport(app=app)
    auth = (APP_KEY, MASTER_SECRET)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL, auth=auth) as api:
        assert (await api.post("/_emulator/clock", json={"now": NOW})).status_code == 200
        yield api
    emulator_of(app).close()


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    async for client in pinned():
        yield client


async def create(api: httpx.AsyncClient, body: dict[str, Any]) -> str:
    answer = await api.post("/v4/schedules", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["schedule_id"])


async def state(api: httpx.AsyncClient, schedule_id: str) -> tuple[int, bool]:
    """(messages sent, still listed)."""
    ids = (await api.get(f"/v4/schedules/{schedule_id}/msg-ids")).json()["count"]
    listed = [s["schedule_id"] for s in (await api.get("/v4/schedules")).json()["schedules"]]
    return ids, schedule_id in listed


async def advance(api: httpx.AsyncClient, seconds: float) -> None:
    assert (
        await api.post("/_emulator/clock", json={"advance_seconds": seconds})
    ).status_code == 200


def assert_expired(answer: httpx.Response) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == 28100
    assert error["message"].startswith("expired")


@pytest.mark.parametrize(
    ("rules", "fires_after_hours", "leaves_after_hours"),
    [
        ({}, 6, 32),  # defaults: fire in UTC+14, leave after UTC-12
        ({"zone2_fire": "utc", "zone2_leave": "utc"}, 20, 20),
        ({"zone2_fire": "earliest", "zone2_leave": "earliest"}, 6, 6),
        ({"zone2_fire": "earliest", "zone2_leave": "utc"}, 6, 20),
        ({"zone2_fire": "latest", "zone2_leave": "latest"}, 32, 32),
    ],
)
async def test_zone_type_2_single_fires_and_leaves_where_the_rules_say(
    rules, fires_after_hours, leaves_after_hours
):
    async for api in pinned(**rules):
        schedule_id = await create(api, task(ZONE2_SINGLE))
        await advance(api, fires_after_hours * HOUR - 1)
        assert await state(api, schedule_id) == (0, True)
        await advance(api, 2)
        if leaves_after_hours > fires_after_hours:
            assert await state(api, schedule_id) == (1, True)
            await advance(api, (leaves_after_hours - fires_after_hours) * HOUR)
        assert await state(api, schedule_id) == (1, False)


async def test_a_listed_zone_type_2_task_that_fired_in_the_earliest_zone_accepts_a_put(api):
    schedule_id = await create(api, task(ZONE2_SINGLE))
    await advance(api, 7 * HOUR)  # fired in UTC+14, listed until UTC-12
    assert await state(api, schedule_id) == (1, True)
    answer = await api.put(f"/v4/schedules/{schedule_id}", json=task(ZONE2_SINGLE, "renamed"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "renamed"
    assert await state(api, schedule_id) == (1, True)  # the resent trigger does not fire again


async def test_put_and_delete_of_a_task_that_fired_meanwhile_answer_expired(api):
    schedule_id = await create(
        api, task({"single": {"time": "2030-01-01 01:00:00", "zone_type": 1}})
    )
    await advance(api, HOUR + 1)
    assert_expired(await api.put(f"/v4/schedules/{schedule_id}", json={"name": "late"}))
    assert_expired(await api.delete(f"/v4/schedules/{schedule_id}"))
    assert (await api.get(f"/v4/schedules/{schedule_id}")).status_code == 200  # still readable


async def test_create_with_a_single_time_already_past_is_refused(api):
    answer = await api.post("/v4/schedules", json=task({"single": {"time": NOW, "zone_type": 1}}))
    assert answer.status_code == 400
    assert "future" in answer.json()["error"]["message"]
    # zone_type 2 at 13:00 wall time has passed in UTC+14 (at 23:00 UTC the day before).
    passed = {"single": {"time": "2030-01-01 13:00:00", "zone_type": 2}}
    assert (await api.post("/v4/schedules", json=task(passed))).status_code == 400


async def test_intelligent_tasks_can_stay_listed_after_their_backup_time():
    async for api in pinned(intelligent_expires=False):
        trigger = {"intelligent": {"backup_time": "2030-01-01 02:00:00"}}
        schedule_id = await create(api, task(trigger))
        await advance(api, 3 * HOUR)
        assert await state(api, schedule_id) == (1, True)
        answer = await api.put(f"/v4/schedules/{schedule_id}", json=task(trigger, "still_here"))
        assert answer.status_code == 200, answer.text
        now_task = await create(api, task({"intelligent": {"backup_time": "now"}}, "now"))
        assert await state(api, now_task) == (1, True)


async def test_intelligent_tasks_leave_the_list_by_default(api):
    schedule_id = await create(api, task({"intelligent": {"backup_time": "2030-01-01 02:00:00"}}))
    await advance(api, 2 * HOUR + 1)
    assert await state(api, schedule_id) == (1, False)
    assert_expired(await api.put(f"/v4/schedules/{schedule_id}", json={"name": "x"}))


PERIODICAL_ZONE2 = {
    "periodical": {
        "start": "2030-01-01 00:00:00",
        "end": "2030-01-03 20:00:00",
        "time": "20:00:00",  # 06:00 UTC each day in UTC+14
        "time_unit": "day",
        "zone_type": 2,
    }
}


@pytest.mark.parametrize(
    ("leave", "listed_until_hours"), [("latest", 2 * 24 + 32), ("utc", 2 * 24 + 20)]
)
async def test_zone_type_2_periodical_expires_where_the_rule_says(leave, listed_until_hours):
    async for api in pinned(periodical_zone2_leave=leave):
        schedule_id = await create(api, task(PERIODICAL_ZONE2))
        await advance(api, listed_until_hours * HOUR - 1)
        assert (await state(api, schedule_id))[1] is True
        await advance(api, 2)
        sent, listed = await state(api, schedule_id)
        assert listed is False
        assert sent == 3  # on the 1st, 2nd and 3rd: frequency defaulted to 1


async def test_rules_change_at_run_time_and_re_time_listed_tasks(api):
    schedule_id = await create(api, task(ZONE2_SINGLE))
    answer = await api.post("/_emulator/faults", json={"zone2_fire": "utc", "zone2_leave": "utc"})
    assert answer.status_code == 200
    assert answer.json()["zone2_fire"] == "utc"
    await advance(api, 7 * HOUR)  # would have fired in UTC+14 under the old rule
    assert await state(api, schedule_id) == (0, True)
    await advance(api, 14 * HOUR)
    assert await state(api, schedule_id) == (1, False)
    await api.post("/_emulator/reset")
    restored = (await api.get("/_emulator/faults")).json()
    assert (restored["zone2_fire"], restored["zone2_leave"]) == ("earliest", "latest")


@pytest.mark.parametrize(
    "settings",
    [
        {"zone2_fire": "moon"},
        {"intelligent_expires": "yes"},
        {"zone2_fire": "utc", "zone2_leave": "earliest"},  # would leave before firing
        {"periodical_zone2_leave": "earliest", "zone2_fire": "latest", "zone2_leave": "latest"},
        {"max_message_bytes": 0},
        {"tags_list_cap": -1},
    ],
)
async def test_impossible_rules_are_refused_and_change_nothing(api, settings):
    before = (await api.get("/_emulator/faults")).json()
    answer = await api.post("/_emulator/faults", json={**settings, "latency_ms": 5})
    assert answer.status_code == 400
    assert (await api.get("/_emulator/faults")).json() == before


def test_config_refuses_a_leave_zone_before_the_fire_zone():
    with pytest.raises(ValueError, match="before"):
        EmulatorConfig(APP_KEY, MASTER_SECRET, zone2_fire="utc", zone2_leave="earliest")


def test_serve_flags_set_the_rules():
    env = {**os.environ, "WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": MASTER_SECRET}
    flags = [
        "--zone2-fire=utc",
        "--zone2-leave=latest",
        "--periodical-zone2-leave=utc",
        "--intelligent-stays",
        "--max-message-bytes=2048",
        "--max-body-bytes=5000",
        "--no-plan-deletion",
        "--tags-list-cap=100",
        "--product=app",
    ]
    command = [sys.executable, "-m", "webpush_iac", "emulator", "serve", "--port", "0", *flags]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        auth = (APP_KEY, MASTER_SECRET)
        settings = httpx.get(f"{url}/_emulator/faults", auth=auth, timeout=10).json()
        plans = httpx.get(f"{url}/v4/push_plan/list", auth=auth, timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert {k: settings[k] for k in EXPECTED} == EXPECTED
    assert plans.status_code == 200  # the app product's routes


EXPECTED = {
    "zone2_fire": "utc",
    "zone2_leave": "latest",
    "periodical_zone2_leave": "utc",
    "intelligent_expires": False,
    "max_message_bytes": 2048,
    "max_body_bytes": 5000,
    "plan_deletion": False,
    "tags_list_cap": 100,
}
