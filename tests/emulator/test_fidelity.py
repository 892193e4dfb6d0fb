"""The Create Push shapes the doc accepts are accepted, the ones it refuses are refused
(reference §4, docs/emulator.md)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of
from webpush_iac.emulator.payload import json_size

WEB = {"alert": "Hello", "url": "https://example.com/"}


def push(to: Any = "all", **changes: Any) -> dict[str, Any]:
    """A valid web push; ``changes`` are dotted paths under the request (None deletes)."""
    payload: dict[str, Any] = {
        "from": "push",
        "to": to,
        "body": {"platform": "web", "notification": {"web": dict(WEB)}},
    }
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = payload
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return payload


@pytest.fixture
async def api(emulator_client: httpx.AsyncClient) -> httpx.AsyncClient:
    devices = [
        {"registration_id": "rid1", "tags": ["beta"], "alias": "anna"},
        {"registration_id": "rid2", "tags": ["beta", "fr"]},
    ]
    assert (await emulator_client.post("/_emulator/devices", json={"devices": devices})).is_success
    await emulator_client.post("/_emulator/clock", json={"now": "2030-01-01 00:00:00"})
    return emulator_client


def assert_error(answer: httpx.Response, status: int, code: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


async def sent_messages(api: httpx.AsyncClient) -> int:
    entries = (await api.get("/_emulator/requests")).json()["requests"]
    return sum(1 for e in entries if e["path"] == "/v4/push" and e["status"] == 200)


DOCUMENTED_SHAPES = {
    "web.alert as a JSON object": push(body__notification__web__alert={"en": "Hi"}),
    "msg_content as a JSON object": push(
        body__notification=None, body__message={"msg_content": {"k": "v"}}
    ),
    "time_to_live as a string": push(body__options={"time_to_live": "3600"}),
    "custom_args as a string": push(custom_args="campaign=spring"),
    "empty icon and image": push(body__notification__web={**WEB, "icon": "", "image": ""}),
    "platform as an array": push(body__platform=["web"]),
    "top-level notification.alert": push(body__notification={"alert": "All", "web": dict(WEB)}),
    "notification.alert standing in for web.alert": push(
        body__notification={"alert": "All", "web": {"url": "https://example.com/"}}
    ),
    "from other than push": push(**{"from": "newsroom"}),
    "web buttons with id and text": push(
        body__options={"web_buttons": [{"id": "b1", "text": "Read", "url": "https://e.x/r"}]}
    ),
}


@pytest.mark.parametrize("payload", DOCUMENTED_SHAPES.values(), ids=DOCUMENTED_SHAPES.keys())
async def test_documented_shapes_are_accepted(api, payload):
    answer = await api.post("/v4/push", json=payload)
    assert answer.status_code == 200, answer.text
    assert (await api.post("/v4/push/validate", json=payload)).status_code == 200


@pytest.mark.parametrize("payload", DOCUMENTED_SHAPES.values(), ids=DOCUMENTED_SHAPES.keys())
async def test_schedules_echo_documented_shapes_exactly_as_sent(api, payload):
    body = {
        "name": "shapes",
        "enabled": True,
        "trigger": {"intelligent": {"backup_time": "2030-01-02 00:00:00", "zone_type": 2}},
        "push": payload,
    }
    created = await api.post("/v4/schedules", json=body)
    assert created.status_code == 200, created.text
    schedule_id = created.json()["schedule_id"]
    fetched = (await api.get(f"/v4/schedules/{schedule_id}")).json()[0]
    assert fetched == {"schedule_id": schedule_id, **body}
    listed = (await api.get("/v4/schedules")).json()["schedules"]
    assert listed == [fetched]


REFUSED_SHAPES = {
    "button without text": (push(body__options={"web_buttons": [{"id": "b"}]}), 21003),
    "button without id": (push(body__options={"web_buttons": [{"text": "Go"}]}), 21003),
    "button text a number": (push(body__options={"web_buttons": [{"id": "b", "text": 5}]}), 21016),
    "41-byte tag_not": (push(to={"tag_not": ["a" * 41]}), 21003),
    "tag with a space": (push(to={"tag": ["two words"]}), 21003),
    "alias with a hyphen": (push(to={"alias": ["anna-b"]}), 21003),
    "21 tags in tag_and": (push(to={"tag_and": [f"t{i}" for i in range(21)]}), 21003),
    "time_to_live a word": (push(body__options={"time_to_live": "soon"}), 21016),
    "platform array with android": (push(body__platform=["web", "android"]), 21003),
    "web.alert an empty object": (push(body__notification__web__alert={}), 21002),
    "no alert anywhere": (push(body__notification={"web": {"url": "https://e.x"}}), 21002),
}


@pytest.mark.parametrize(("payload", "code"), REFUSED_SHAPES.values(), ids=REFUSED_SHAPES.keys())
async def test_refused_shapes_get_their_code_and_nothing_is_pushed(api, payload, code):
    assert_error(await api.post("/v4/push", json=payload), 400, code)
    assert await sent_messages(api) == 0


async def test_a_41_byte_tag_not_is_refused_not_broadcast_to_everyone(api):
    assert_error(await api.post("/v4/push", json=push(to={"tag_not": ["x" * 41]})), 400, 21003)
    assert await sent_messages(api) == 0


async def test_an_unknown_override_msg_id_is_1003_and_nothing_is_pushed(api):
    assert_error(
        await api.post("/v4/push", json=push(body__options={"override_msg_id": 42})), 400, 1003
    )
    assert await sent_messages(api) == 0
    first = (await api.post("/v4/push", json=push())).json()["msg_id"]
    override = push(body__options={"override_msg_id": first})
    assert (await api.post("/v4/push", json=override)).status_code == 200
    assert (await api.post("/v4/push/validate", json=override)).status_code == 200
    await api.post("/_emulator/clock", json={"advance_seconds": 86401})
    assert_error(await api.post("/v4/push", json=override), 400, 1003)
    assert_error(await api.post("/v4/push/validate", json=override), 400, 1003)


async def test_a_repeated_cid_answers_the_first_msg_id_and_sends_nothing_more(api):
    payload = push(body__options={"cid": "spring-2030_1"})
    first = (await api.post("/v4/push", json=payload)).json()["msg_id"]
    again = await api.post("/v4/push", json={**payload, "to": {"tag": ["fr"]}})
    assert again.status_code == 200
    assert again.json()["msg_id"] == first
    details = (await api.get("/v4/messages/details", params={"message_ids": first})).json()
    assert details[first]["targets"] == 2
    other = (await api.post("/v4/push", json=push(body__options={"cid": "other"}))).json()
    assert other["msg_id"] != first
    await api.post("/_emulator/clock", json={"advance_seconds": 86401})  # cids are kept a day
    later = (await api.post("/v4/push", json=payload)).json()["msg_id"]
    assert later not in (first, other["msg_id"])


async def test_a_push_to_unregistered_registration_ids_is_20101(api):
    answer = await api.post("/v4/push", json=push(to={"registration_id": ["ghost1", "ghost2"]}))
    assert_error(answer, 400, 20101)
    mixed = await api.post("/v4/push", json=push(to={"registration_id": ["ghost1", "rid1"]}))
    assert mixed.status_code == 200
    assert_error(await api.post("/v4/push", json=push(to={"tag": ["nobody"]})), 400, 21011)


async def test_message_details_break_notifications_down_per_browser(api):
    msg_id = (await api.post("/v4/push", json=push(to={"tag": ["beta"]}))).json()["msg_id"]
    details = (await api.get("/v4/messages/details", params={"message_ids": msg_id})).json()
    notification = details[msg_id]["sub"]["notification"]
    browsers = notification["sub_web"]
    assert set(browsers) == {"engageLab_web", "chrome", "safari", "firefox", "edge", "opera"}
    counters = {"targets", "sent", "delivered", "impressions", "clicks"}
    assert all(set(leaf) == counters for leaf in browsers.values())
    assert browsers["engageLab_web"]["delivered"] == 2
    assert sum(leaf["targets"] for leaf in browsers.values()) == notification["targets"] == 2
    assert details[msg_id]["sub"]["message"]["targets"] == 0


async def test_message_pushes_are_counted_under_sub_message(api):
    payload = push(body__notification=None, body__message={"msg_content": "hi"})
    msg_id = (await api.post("/v4/push", json=payload)).json()["msg_id"]
    sub = (await api.get("/v4/messages/details", params={"message_ids": msg_id})).json()[msg_id]
    assert sub["sub"]["message"]["targets"] == 2
    assert sub["sub"]["notification"]["targets"] == 0


async def test_periodical_frequency_is_optional_and_defaults_to_one(api):
    trigger = {
        "periodical": {
            "start": "2030-01-01 00:00:00",
            "end": "2030-01-04 00:00:00",
            "time": "09:00:00",
            "time_unit": "day",
            "zone_type": 1,
        }
    }
    body = {"name": "daily", "enabled": True, "trigger": trigger, "push": push()}
    schedule_id = (await api.post("/v4/schedules", json=body)).json()["schedule_id"]
    await api.post("/_emulator/clock", json={"advance_seconds": 4 * 86400})
    count = (await api.get(f"/v4/schedules/{schedule_id}/msg-ids")).json()["count"]
    assert count == 3


async def test_the_size_limit_is_one_rule_over_the_push_body_and_configurable():
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, max_message_bytes=300)
    app = create_app(config)
    transport = httpx.ASGITransport(app=app)
    auth = (APP_KEY, MASTER_SECRET)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL, auth=auth) as api:
        await api.post("/_emulator/devices", json={"registration_ids": ["rid1"]})
        payload = push(request_id="r" * 500)  # the envelope does not count
        web = payload["body"]["notification"]["web"]
        web["alert"] = "a" * (300 - json_size(payload["body"]) + len(web["alert"]))
        assert json_size(payload["body"]) == 300
        assert (await api.post("/v4/push", json=payload)).status_code == 200
        web["alert"] += "€"
        assert_error(await api.post("/v4/push", json=payload), 400, 21005)
        await api.post("/_emulator/faults", json={"max_message_bytes": 4000})
        assert (await api.post("/v4/push", json=payload)).status_code == 200
    emulator_of(app).close()
