"""Contract tests of the emulator's schedule API against the reference (§2) and design §8."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of

NOW = "2030-01-01 00:00:00"  # every test pins the emulator clock here (UTC)


def push(to: Any = "all") -> dict[str, Any]:
    return {
        "from": "push",
        "to": to,
        "body": {
            "platform": "web",
            "notification": {"web": {"alert": "Hello", "url": "https://example.com/x"}},
            "options": {"time_to_live": 3600},
        },
    }


def single(time: str = "2030-01-02 09:00:00", zone_type: int = 1) -> dict[str, Any]:
    return {"single": {"time": time, "zone_type": zone_type}}


def schedule(
    name: str = "digest", trigger: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body = {
        "name": name,
        "enabled": True,
        "trigger": single() if trigger is None else trigger,
        "push": push(),
    }
    body.update(extra)
    return body


async def pinned_client(config: EmulatorConfig) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=EMULATOR_BASE_URL, auth=(APP_KEY, MASTER_SECRET)
    ) as client:
        answer = await client.post("/_emulator/clock", json={"now": NOW})
        assert answer.status_code == 200
        yield client
    emulator_of(app).close()


@pytest.fixture
async def api(emulator_config: EmulatorConfig) -> AsyncIterator[httpx.AsyncClient]:
    async for client in pinned_client(emulator_config):
        yield client


async def advance(api: httpx.AsyncClient, seconds: float) -> None:
    answer = await api.post("/_emulator/clock", json={"advance_seconds": seconds})
    assert answer.status_code == 200


async def create(api: httpx.AsyncClient, body: dict[str, Any]) -> str:
    answer = await api.post("/v4/schedules", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["schedule_id"])


async def listed_names(api: httpx.AsyncClient) -> list[str]:
    answer = await api.get("/v4/schedules")
    return [s["name"] for s in answer.json()["schedules"]]


async def msg_ids(api: httpx.AsyncClient, schedule_id: str) -> list[str]:
    answer = await api.get(f"/v4/schedules/{schedule_id}/msg-ids")
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == len(data["MsgIds"])
    return [json.loads(element)["msg_id"] for element in data["MsgIds"]]


def assert_error(answer: httpx.Response, status: int, code: int) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]


async def test_create_returns_uuid_and_get_by_id_returns_an_array_echoing_the_task(api):
    body = schedule(name="周报_digest_1")
    answer = await api.post("/v4/schedules", json=body)
    assert answer.status_code == 200
    created = answer.json()
    assert created["name"] == "周报_digest_1"
    assert uuid.UUID(created["schedule_id"]).version == 4
    fetched = await api.get(f"/v4/schedules/{created['schedule_id']}")
    assert fetched.json() == [{"schedule_id": created["schedule_id"], **body}]


PERIODICAL = {
    "start": "2030-01-01 00:00:00",
    "end": "2030-06-30 00:00:00",
    "time": "09:00:00",
    "time_unit": "week",
    "frequency": 1,
    "point": ["MON"],
    "zone_type": 1,
}


def periodical(**changes: Any) -> dict[str, Any]:
    block = {**PERIODICAL, **changes}
    return {"periodical": {k: v for k, v in block.items() if v is not None}}


INVALID_CREATES = {
    "name with a space": schedule(name="weekly digest"),
    "name with a hyphen": schedule(name="weekly-digest"),
    "empty name": schedule(name=""),
    "name of 256 bytes": schedule(name="a" + "周" * 85),
    "enabled false on create": schedule(enabled=False),
    "enabled as a string": schedule(enabled="true"),
    "two trigger kinds": schedule(trigger={**single(), **periodical()}),
    "no trigger kind": schedule(trigger={}),
    "unknown trigger kind": schedule(trigger={"cron": {"expr": "* * * * *"}}),
    "time not zero padded": schedule(trigger=single("2030-1-02 09:00:00")),
    "time without seconds": schedule(trigger=single("2030-01-02 09:00")),
    "time in the past": schedule(trigger=single("2029-12-31 23:59:59")),
    "time more than a year ahead": schedule(trigger=single("2031-01-01 00:00:01")),
    "single without zone_type": schedule(trigger={"single": {"time": "2030-01-02 09:00:00"}}),
    "zone_type 3": schedule(trigger=single(zone_type=3)),
    "end before start": schedule(trigger=periodical(end="2029-12-31 00:00:00")),
    "end minus start over a year": schedule(
        trigger=periodical(start="2029-12-01 00:00:00", end="2030-12-01 00:00:01")
    ),
    "end in the past": schedule(
        trigger=periodical(start="2029-06-01 00:00:00", end="2029-12-31 00:00:00")
    ),
    "time_unit hour": schedule(trigger=periodical(time_unit="hour")),
    "frequency 0": schedule(trigger=periodical(frequency=0)),
    "frequency 101": schedule(trigger=periodical(frequency=101)),
    "point given for day": schedule(trigger=periodical(time_unit="day", point=["01"])),
    "week point spelled out": schedule(trigger=periodical(point=["MONDAY"])),
    "month point not two digits": schedule(trigger=periodical(time_unit="month", point=["1"])),
    "week without points": schedule(trigger=periodical(point=[])),
    "periodical time with date": schedule(trigger=periodical(time="2030-01-01 09:00:00")),
    "first firing after end": schedule(
        trigger=periodical(
            start="2030-01-01 10:00:00", end="2030-01-01 11:00:00", time_unit="day", point=None
        )
    ),
    "intelligent backup_time tomorrow": schedule(trigger={"intelligent": {"backup_time": "soon"}}),
    "push without body": schedule(push={"to": "all"}),
    "push for android": schedule(
        push={**push(), "body": {**push()["body"], "platform": "android"}}
    ),
    "push with notification and message": schedule(
        push={**push(), "body": {**push()["body"], "message": {"msg_content": "x"}}}
    ),
    "push with ftp url": schedule(
        push={
            **push(),
            "body": {"platform": "web", "notification": {"web": {"alert": "a", "url": "ftp://x"}}},
        }
    ),
    "unknown top-level field": schedule(cid="abc"),
    "missing push": {"name": "n", "enabled": True, "trigger": single()},
}


@pytest.mark.parametrize("body", INVALID_CREATES.values(), ids=INVALID_CREATES.keys())
async def test_invalid_create_is_refused_with_28100_and_nothing_is_stored(api, body):
    answer = await api.post("/v4/schedules", json=body)
    assert_error(answer, 400, 28100)
    assert await listed_names(api) == []


async def test_name_of_exactly_255_bytes_is_accepted(api):
    await create(api, schedule(name="周" * 85))


async def test_malformed_json_create_gets_400_not_500(api):
    answer = await api.post(
        "/v4/schedules", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert_error(answer, 400, 28100)


async def test_time_unit_and_points_are_echoed_in_the_case_sent(api):
    trigger = periodical(time_unit="WeEk", point=["mon", "Fri"])
    schedule_id = await create(api, schedule(trigger=trigger))
    fetched = (await api.get(f"/v4/schedules/{schedule_id}")).json()[0]
    assert fetched["trigger"] == trigger
    listed = (await api.get("/v4/schedules")).json()["schedules"][0]
    assert listed["trigger"]["periodical"]["time_unit"] == "WeEk"


async def test_list_pages_hold_50_tasks_in_creation_order_and_past_the_end_is_empty(api):
    names = [f"task_{i:03d}" for i in range(120)]
    for name in names:
        await create(api, schedule(name=name))
    pages = [(await api.get("/v4/schedules", params={"page": n})).json() for n in (1, 2, 3, 4)]
    assert [len(p["schedules"]) for p in pages] == [50, 50, 20, 0]
    assert all(p["total_count"] == 120 and p["total_pages"] == 3 for p in pages)
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert [s["name"] for p in pages for s in p["schedules"]] == names
    default = (await api.get("/v4/schedules")).json()
    assert default["page"] == 1
    assert default["schedules"] == pages[0]["schedules"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
async def test_bad_page_number_is_refused(api, page):
    assert_error(await api.get("/v4/schedules", params={"page": page}), 400, 28100)


async def test_unknown_schedule_id_is_404_with_28104(api):
    unknown = str(uuid.uuid4())
    assert_error(await api.get(f"/v4/schedules/{unknown}"), 404, 28104)
    assert_error(await api.put(f"/v4/schedules/{unknown}", json={"name": "x"}), 404, 28104)
    assert_error(await api.delete(f"/v4/schedules/{unknown}"), 404, 28104)
    assert_error(await api.get(f"/v4/schedules/{unknown}/msg-ids"), 404, 28104)


async def test_put_of_one_section_keeps_the_others(api):
    body = schedule(name="before")
    schedule_id = await create(api, body)
    answer = await api.put(f"/v4/schedules/{schedule_id}", json={"name": "after"})
    assert answer.status_code == 200
    expected = {"schedule_id": schedule_id, **body, "name": "after"}
    assert answer.json() == expected
    assert (await api.get(f"/v4/schedules/{schedule_id}")).json() == [expected]


async def test_put_trigger_replaces_the_section_wholesale(api):
    schedule_id = await create(api, schedule(trigger=periodical()))
    partial = {"periodical": {"end": "2030-05-01 00:00:00"}}
    assert_error(
        await api.put(f"/v4/schedules/{schedule_id}", json={"trigger": partial}), 400, 28100
    )
    new_trigger = periodical(time_unit="day", point=None, frequency=2)
    answer = await api.put(f"/v4/schedules/{schedule_id}", json={"trigger": new_trigger})
    assert answer.status_code == 200
    fetched = (await api.get(f"/v4/schedules/{schedule_id}")).json()[0]
    assert fetched["trigger"] == new_trigger


async def test_put_push_replaces_the_section_and_must_be_a_valid_push(api):
    schedule_id = await create(api, schedule())
    assert_error(
        await api.put(f"/v4/schedules/{schedule_id}", json={"push": {"to": "all"}}), 400, 28100
    )
    new_push = push(to={"tag": ["beta"]})
    answer = await api.put(f"/v4/schedules/{schedule_id}", json={"push": new_push})
    assert answer.json()["push"] == new_push


async def test_put_refuses_a_trigger_kind_change(api):
    schedule_id = await create(api, schedule())
    answer = await api.put(f"/v4/schedules/{schedule_id}", json={"trigger": periodical()})
    assert_error(answer, 400, 28100)
    assert "kind" in answer.json()["error"]["message"]


async def test_put_can_disable_and_re_enable(api):
    schedule_id = await create(api, schedule())
    answer = await api.put(f"/v4/schedules/{schedule_id}", json={"enabled": False})
    assert answer.json()["enabled"] is False
    answer = await api.put(f"/v4/schedules/{schedule_id}", json={"enabled": True})
    assert answer.json()["enabled"] is True


@pytest.mark.parametrize("body", [{}, {"colour": "red"}, [], {"enabled": "no"}])
async def test_put_with_an_invalid_body_is_refused(api, body):
    schedule_id = await create(api, schedule())
    assert_error(await api.put(f"/v4/schedules/{schedule_id}", json=body), 400, 28100)


async def test_fired_single_leaves_the_list_and_its_message_is_recorded(api):
    await api.post("/_emulator/devices", json={"registration_ids": ["rid_a", "rid_b"]})
    schedule_id = await create(api, schedule(trigger=single("2030-01-01 01:00:00")))
    assert await msg_ids(api, schedule_id) == []
    await advance(api, 3601)
    assert await listed_names(api) == []
    ids = await msg_ids(api, schedule_id)
    assert len(ids) == 1
    details = (await api.get("/v4/messages/details", params={"message_ids": ids[0]})).json()
    assert details[ids[0]]["targets"] == 2
    # GUESS in the emulator: a fired task is still readable by id (JPush 404s unknown ids only).
    assert (await api.get(f"/v4/schedules/{schedule_id}")).json()[0]["schedule_id"] == schedule_id


async def test_msg_ids_elements_are_json_encoded_strings_like_jpush(api):
    schedule_id = await create(api, schedule(trigger=single("2030-01-01 00:10:00")))
    await advance(api, 601)
    element = (await api.get(f"/v4/schedules/{schedule_id}/msg-ids")).json()["MsgIds"][0]
    assert isinstance(element, str)
    decoded = json.loads(element)
    assert decoded["error"] == {"code": 0, "message": ""}
    assert decoded["needRetry"] is False
    assert isinstance(decoded["ts"], int)


async def test_fired_single_cannot_be_updated_and_no_longer_counts(api):
    schedule_id = await create(api, schedule(trigger=single("2030-01-01 00:10:00")))
    await advance(api, 601)
    assert_error(await api.put(f"/v4/schedules/{schedule_id}", json={"name": "x"}), 400, 28100)
    assert (await api.get("/v4/schedules")).json()["total_count"] == 0


async def test_disabled_single_sends_nothing_but_still_leaves_the_list(api):
    schedule_id = await create(api, schedule(trigger=single("2030-01-01 00:10:00")))
    await api.put(f"/v4/schedules/{schedule_id}", json={"enabled": False})
    await advance(api, 601)
    assert await listed_names(api) == []
    assert await msg_ids(api, schedule_id) == []


async def test_zone_type_2_fires_in_the_earliest_zone_and_leaves_after_the_latest(api):
    # 2030-01-01 20:00 wall: passes in UTC+14 at 06:00 UTC, in UTC-12 at 08:00 UTC next day.
    schedule_id = await create(api, schedule(trigger=single("2030-01-01 20:00:00", zone_type=2)))
    await advance(api, 5 * 3600)
    assert await msg_ids(api, schedule_id) == []
    await advance(api, 3600 + 1)
    assert len(await msg_ids(api, schedule_id)) == 1
    assert await listed_names(api) == ["digest"]
    await advance(api, 26 * 3600)
    assert await listed_names(api) == []
    assert len(await msg_ids(api, schedule_id)) == 1


async def test_zone_type_1_times_are_read_in_the_configured_timezone():
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, timezone="Asia/Singapore")
    async for api in pinned_client(config):
        # 09:00 in Singapore is 01:00 UTC.
        schedule_id = await create(api, schedule(trigger=single("2030-01-01 09:00:00")))
        await advance(api, 3600 - 5)
        assert await msg_ids(api, schedule_id) == []
        await advance(api, 10)
        assert len(await msg_ids(api, schedule_id)) == 1


async def test_periodical_fires_on_each_point_and_leaves_after_end(api):
    # Wednesday 2030-01-01 .. 2030-01-15: Mondays 6 and 13, Fridays 3 and 10 at 09:00.
    trigger = periodical(end="2030-01-15 00:00:00", point=["MON", "fri"])
    schedule_id = await create(api, schedule(trigger=trigger))
    await advance(api, 7 * 86400)  # through Jan 8: Fri 3, Mon 6
    assert len(await msg_ids(api, schedule_id)) == 2
    assert await listed_names(api) == ["digest"]
    await advance(api, 7 * 86400 + 1)  # past end
    assert len(await msg_ids(api, schedule_id)) == 4
    assert await listed_names(api) == []


async def test_periodical_every_second_month_skips_days_a_month_lacks(api):
    trigger = periodical(
        start="2030-01-01 00:00:00",
        end="2030-12-31 00:00:00",
        time_unit="month",
        frequency=2,
        point=["31"],
    )
    schedule_id = await create(api, schedule(trigger=trigger))
    await advance(api, 366 * 86400)
    # Jan, Mar, May, Jul, Sep, Nov: only Jan, Mar, May, Jul have a 31st.
    assert len(await msg_ids(api, schedule_id)) == 4


async def test_intelligent_now_fires_at_once_and_leaves_the_list(api):
    schedule_id = await create(api, schedule(trigger={"intelligent": {"backup_time": "now"}}))
    assert await listed_names(api) == []
    assert len(await msg_ids(api, schedule_id)) == 1


async def test_intelligent_with_backup_time_leaves_once_it_passed(api):
    trigger = {"intelligent": {"backup_time": "2030-01-01 02:00:00"}}
    schedule_id = await create(api, schedule(trigger=trigger))
    assert await listed_names(api) == ["digest"]
    await advance(api, 2 * 3600 + 1)
    assert await listed_names(api) == []
    assert len(await msg_ids(api, schedule_id)) == 1


async def test_cap_of_valid_tasks_refuses_one_more_and_fired_tasks_free_their_slot():
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, max_valid_schedules=3)
    async for api in pinned_client(config):
        await create(api, schedule(name="soon", trigger=single("2030-01-01 00:10:00")))
        await create(api, schedule(name="later_1"))
        await create(api, schedule(name="later_2"))
        assert_error(await api.post("/v4/schedules", json=schedule(name="x")), 400, 28100)
        await advance(api, 601)
        await create(api, schedule(name="x"))


async def test_default_cap_is_1000_valid_tasks(api):
    for i in range(1000):
        await create(api, schedule(name=f"t{i}"))
    answer = await api.post("/v4/schedules", json=schedule(name="one_too_many"))
    assert_error(answer, 400, 28100)
    assert "1000" in answer.json()["error"]["message"]


async def test_delete_answers_200_with_an_empty_body_and_the_task_is_gone(api):
    schedule_id = await create(api, schedule())
    answer = await api.delete(f"/v4/schedules/{schedule_id}")
    assert answer.status_code == 200
    assert answer.content == b""
    assert await listed_names(api) == []
    assert_error(await api.get(f"/v4/schedules/{schedule_id}"), 404, 28104)


async def test_wrong_credentials_on_schedules_get_401_with_a_nested_error():
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL) as client:
        assert_error(await client.get("/v4/schedules"), 401, 28101)
        answer = await client.get("/v4/schedules", auth=(APP_KEY, "not-the-secret"))
        assert_error(answer, 401, 28101)
    emulator_of(app).close()
