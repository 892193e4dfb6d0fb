"""Contract tests of push, push/validate, batch push and message details (reference §4, §6.1)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from support.constants import EMULATOR_BASE_URL

from webpush_iac.emulator.payload import json_size


def push(to: Any = "all", **body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "platform": "web",
        "notification": {"web": {"alert": "Hello", "url": "https://example.com/", "title": "T"}},
    }
    payload.update(body)
    return {"from": "push", "to": to, "body": payload, "request_id": "req-1"}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """A valid push with one dotted path set (``None`` deletes the key)."""
    payload = push()
    *parents, last = path.split(".")
    node = payload
    for key in parents:
        node = node.setdefault(key, {})
    if value is None:
        del node[last]
    else:
        node[last] = copy.deepcopy(value)
    return payload


def assert_error(answer: httpx.Response, status: int, code: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["message"]


@pytest.fixture
async def api(emulator_client: httpx.AsyncClient) -> httpx.AsyncClient:
    devices = [
        {"registration_id": "rid1", "tags": ["beta", "fr"], "alias": "anna"},
        {"registration_id": "rid2", "tags": ["beta"], "alias": "bob"},
        {"registration_id": "rid3", "tags": ["fr"]},
    ]
    answer = await emulator_client.post("/_emulator/devices", json={"devices": devices})
    assert answer.status_code == 200
    return emulator_client


async def targets_of(api: httpx.AsyncClient, payload: dict[str, Any]) -> int:
    answer = await api.post("/v4/push", json=payload)
    assert answer.status_code == 200, answer.text
    msg_id = answer.json()["msg_id"]
    details = await api.get("/v4/messages/details", params={"message_ids": msg_id})
    return int(details.json()[msg_id]["targets"])


async def test_push_answers_a_string_msg_id_and_echoes_request_id(api):
    answer = await api.post("/v4/push", json=push())
    assert answer.status_code == 200
    body = answer.json()
    assert body["request_id"] == "req-1"
    assert isinstance(body["msg_id"], str)
    assert body["msg_id"].isdigit()


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("all", 3),
        ({"tag": ["beta", "fr"]}, 3),
        ({"tag_and": ["beta", "fr"]}, 1),
        ({"tag": ["fr"], "tag_not": ["beta"]}, 1),
        ({"tag_not": ["beta"]}, 1),
        ({"alias": ["anna", "nobody"]}, 1),
        ({"registration_id": ["rid2", "rid3"]}, 2),
        ({"tag": ["beta"], "alias": ["bob"]}, 1),
    ],
)
async def test_audience_kinds_combine_like_jpush(api, to, expected):
    assert await targets_of(api, push(to=to)) == expected


async def test_push_reaching_no_device_is_21011(api):
    assert_error(await api.post("/v4/push", json=push(to={"tag": ["nobody"]})), 400, 21011)


BIG = "x" * 4000
INVALID_PUSHES: dict[str, tuple[dict[str, Any], int, int]] = {
    "missing to": (with_change("to", None), 400, 21002),
    "missing body": (with_change("body", None), 400, 21002),
    "unexpected top-level key": (with_change("audience", "all"), 400, 21015),
    "to is an unknown string": (with_change("to", "everyone"), 400, 21003),
    "to is empty": (with_change("to", {}), 400, 21002),
    "to has an unknown kind": (with_change("to", {"seg": {"id": "1"}}), 400, 21015),
    "21 tags": (with_change("to", {"tag": [f"t{i}" for i in range(21)]}), 400, 21003),
    "1001 aliases": (with_change("to", {"alias": [f"a{i}" for i in range(1001)]}), 400, 21003),
    "1001 registration ids": (
        with_change("to", {"registration_id": [f"r{i}" for i in range(1001)]}),
        400,
        21003,
    ),
    "tag list of numbers": (with_change("to", {"tag": [1]}), 400, 21016),
    "missing platform": (with_change("body.platform", None), 400, 21002),
    "platform android": (with_change("body.platform", "android"), 400, 21003),
    "notification and message": (
        with_change("body.message", {"msg_content": "hi"}),
        401,  # DOC*: 21306 is documented with HTTP 401
        21306,
    ),
    "neither notification nor message": (with_change("body.notification", None), 400, 21002),
    "missing web block": (with_change("body.notification.web", None), 400, 21002),
    "missing alert": (with_change("body.notification.web.alert", None), 400, 21002),
    "missing url": (with_change("body.notification.web.url", None), 400, 21002),
    "javascript url": (with_change("body.notification.web.url", "javascript:alert(1)"), 400, 21003),
    "title is a number": (with_change("body.notification.web.title", 5), 400, 21016),
    "unknown web field": (with_change("body.notification.web.sound", "x"), 400, 21015),
    "three web buttons": (
        with_change("body.options", {"web_buttons": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}),
        400,
        21003,
    ),
    "time_to_live over 15 days": (
        with_change("body.options", {"time_to_live": 15 * 86400 + 1}),
        400,
        21003,
    ),
    "time_to_live as a word": (with_change("body.options", {"time_to_live": "sixty"}), 400, 21016),
    "big_push_duration over 1440": (
        with_change("body.options", {"big_push_duration": 1441}),
        400,
        23006,
    ),
    "body over 4000 bytes": (
        with_change("body.notification.web.alert", BIG),
        400,
        21005,
    ),
    "extras pushing the body over 4000 bytes": (
        with_change("body.notification.web.extras", {"a": "y" * 2000, "b": "z" * 2000}),
        400,
        21005,
    ),
    "invalid w3push distribution": (
        with_change("body.options", {"third_party_channel": {"w3push": {"distribution": "x"}}}),
        401,  # DOC*: 27009 is documented with HTTP 401 on the push API
        27009,
    ),
}


@pytest.mark.parametrize(
    ("payload", "status", "code"), INVALID_PUSHES.values(), ids=INVALID_PUSHES.keys()
)
async def test_invalid_push_gets_the_documented_code(api, payload, status, code):
    assert_error(await api.post("/v4/push", json=payload), status, code)
    assert_error(await api.post("/v4/push/validate", json=payload), status, code)


async def test_body_of_exactly_4000_bytes_is_accepted_and_one_more_is_21005(api):
    payload = push()
    web = payload["body"]["notification"]["web"]
    web["alert"] = ""
    room = 4000 - json_size(payload["body"])
    web["alert"] = "é" * (room // 2) + "a" * (room % 2)  # measured in UTF-8 bytes
    assert json_size(payload["body"]) == 4000
    assert (await api.post("/v4/push", json=payload)).status_code == 200
    web["alert"] += "a"
    assert_error(await api.post("/v4/push", json=payload), 400, 21005)


async def test_message_push_with_msg_content_is_accepted(api):
    payload = push()
    del payload["body"]["notification"]
    payload["body"]["message"] = {"msg_content": "hi", "title": "t", "extras": {"k": 1}}
    assert (await api.post("/v4/push", json=payload)).status_code == 200


async def test_validate_checks_without_sending(api):
    answer = await api.post("/v4/push/validate", json=push(to={"tag": ["nobody"]}))
    assert answer.status_code == 200
    assert answer.json()["msg_id"] == "0"
    details = await api.get("/v4/messages/details", params={"message_ids": "1800000001"})
    assert details.json() == {}


async def test_push_only_accepts_post_with_21001(api):
    assert_error(await api.get("/v4/push"), 405, 21001)


async def test_batch_push_by_regid_reports_each_target(api):
    requests = [
        {"target": "rid1", "platform": "web", "notification": push()["body"]["notification"]},
        {"target": "ghost", "platform": "web", "notification": push()["body"]["notification"]},
    ]
    answer = await api.post("/v4/batch/push/regid", json={"requests": requests})
    assert answer.status_code == 200
    body = answer.json()
    assert body["results"]["rid1"]["success"] is True
    assert isinstance(body["results"]["rid1"]["msg_id"], int)
    assert body["results"]["ghost"]["success"] is False
    assert body["results"]["ghost"]["error"]["code"] == 20101  # DOC*: not in this AppKey
    assert body["rate_limit_info"]["rate_limit_occurred"] is False


async def test_batch_push_by_alias_matches_aliases(api):
    notification = push()["body"]["notification"]
    requests = [{"target": "bob", "platform": "web", "notification": notification}]
    answer = await api.post("/v4/batch/push/alias", json={"requests": requests})
    assert answer.json()["results"]["bob"]["success"] is True


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 21002),
        ({"requests": []}, 21003),
        ({"requests": "rid1"}, 21016),
        ({"requests": [{"target": "rid1"}] * 2}, 21002),
        ({"requests": [{"platform": "web"}]}, 21002),
        ({"requests": [{"target": "r", "platform": "web", "notification": {}}]}, 21002),
        ({"requests": [], "extra": 1}, 21015),
    ],
)
async def test_bad_batch_bodies_are_refused(api, body, code):
    assert_error(await api.post("/v4/batch/push/regid", json=body), 400, code)


async def test_batch_targets_must_be_unique_and_at_most_500(api):
    notification = push()["body"]["notification"]
    item = {"target": "rid1", "platform": "web", "notification": notification}
    assert_error(
        await api.post("/v4/batch/push/regid", json={"requests": [item, item]}), 400, 21003
    )
    many = [{**item, "target": f"r{i}"} for i in range(501)]
    assert_error(await api.post("/v4/batch/push/regid", json={"requests": many}), 400, 21003)


async def test_batch_targets_beyond_the_qps_budget_fail_with_23008(api):
    await api.post("/_emulator/faults", json={"qps": 2})
    notification = push()["body"]["notification"]
    requests = [
        {"target": rid, "platform": "web", "notification": notification}
        for rid in ("rid1", "rid2", "rid3")
    ]
    body = (await api.post("/v4/batch/push/regid", json={"requests": requests})).json()
    assert body["rate_limit_info"]["rate_limit_occurred"] is True
    outcomes = [body["results"][rid]["success"] for rid in ("rid1", "rid2", "rid3")]
    assert outcomes == [True, True, False]
    assert body["results"]["rid3"]["error"]["code"] == 23008


async def test_message_details_needs_ids_and_takes_at_most_100(api):
    assert_error(await api.get("/v4/messages/details"), 400, 21002)
    ids = ",".join(str(1800000001 + i) for i in range(101))
    assert_error(await api.get("/v4/messages/details", params={"message_ids": ids}), 400, 21003)


async def test_message_details_reports_counters_per_message(api):
    first = (await api.post("/v4/push", json=push(to={"tag": ["beta"]}))).json()["msg_id"]
    second = (await api.post("/v4/push", json=push())).json()["msg_id"]
    details = (
        await api.get("/v4/messages/details", params={"message_ids": f"{first},{second},42"})
    ).json()
    assert set(details) == {first, second}
    assert details[first]["targets"] == 2
    assert details[second]["sent"] == 3
    sub = details[first]["sub"]["notification"]
    assert sub["sub_web"]["engageLab_web"]["delivered"] == 2


async def test_push_routes_answer_21004_without_credentials(emulator_app):
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL) as client:
        assert_error(await client.post("/v4/push", json=push()), 401, 21004)
