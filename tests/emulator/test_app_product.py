"""The App Push product (``product: app``): payloads, plans, voices, withdraw, statistics, tags
and devices per platform (reference §3-§6, docs/emulator.md)."""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server

NOW = "2030-01-01 00:00:00"
DEVICES = [
    {"registration_id": "and1", "platform": "android", "tags": ["beta"], "alias": "anna"},
    {"registration_id": "and2", "platform": "android", "tags": ["beta", "fr"]},
    {"registration_id": "ios1", "platform": "ios", "tags": ["beta"], "alias": "bob"},
    {"registration_id": "hm1", "platform": "hmos", "tags": ["fr"]},
]


def app_push(to: Any = "all", platform: Any = "all", **body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"platform": platform, "notification": {"alert": "Hello"}}
    payload.update(copy.deepcopy(body))
    return {"to": to, "body": payload}


async def app_client(**config: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, product="app", **config))
    transport = httpx.ASGITransport(app=app)
    auth = (APP_KEY, MASTER_SECRET)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL, auth=auth) as api:
        assert (await api.post("/_emulator/clock", json={"now": NOW})).status_code == 200
        assert (await api.post("/_emulator/devices", json={"devices": DEVICES})).status_code == 200
        yield api
    emulator_of(app).close()


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    async for client in app_client():
        yield client


def assert_error(answer: httpx.Response, status: int, code: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


async def sent(api: httpx.AsyncClient, payload: dict[str, Any]) -> str:
    answer = await api.post("/v4/push", json=payload)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["msg_id"])


# --- payloads --------------------------------------------------------------------------------

ANDROID = {
    "alert": "a",
    "title": "t",
    "builder_id": 1,
    "channel_id": "news",
    "priority": 1,
    "style": 1,
    "big_text": "long",
    "intent": {"url": "intent:#Intent;end"},
    "extras": {"k": "v"},
    "badge_add_num": 1,
}
IOS = {
    "alert": {"title": "t", "body": "b"},
    "sound": "default",
    "badge": "+1",
    "content-available": True,
    "mutable-content": True,
    "thread-id": "x",
    "interruption-level": "time-sensitive",
}
HMOS = {
    "alert": "h",
    "title": "t",
    "category": "MARKETING",
    "intent": {"url": "x"},
    "test_message": True,
}

VALID = {
    "all platforms, one alert": app_push(),
    "per-platform blocks": app_push(
        notification={"alert": "x", "android": ANDROID, "ios": IOS, "hmos": HMOS}
    ),
    "platform list": app_push(
        platform=["android", "ios"], notification={"ios": IOS, "android": ANDROID}
    ),
    "message with object content": {
        "to": "all",
        "body": {"platform": ["hmos"], "message": {"msg_content": {"k": 1}, "title": "t"}},
    },
    "app options": app_push(
        options={
            "apns_production": False,
            "apns_collapse_id": "c",
            "classification": 1,
            "time_to_live": "600",
            "third_party_channel": {"xiaomi": {"channel_id": "1"}},
            "plan_id": "spring_sale",
        }
    ),
    "segment audience": app_push(to={"seg": {"id": "s1"}}),
    "voip to ios": {"to": "all", "body": {"platform": ["ios"], "voip": {"k": "v"}}},
    "live activity start": {
        "to": {"registration_id": ["ios1"]},
        "body": {
            "platform": ["ios"],
            "live_activity": {
                "ios": {"event": "start", "attributes-type": "A", "content-state": {"s": 1}}
            },
        },
    },
}


@pytest.mark.parametrize("payload", VALID.values(), ids=VALID.keys())
async def test_documented_app_payloads_are_accepted(api, payload):
    await sent(api, payload)


INVALID = {
    "platform web": (app_push(platform="web"), 400, 21003),
    "duplicate platform": (app_push(platform=["ios", "ios"]), 400, 21003),
    "underscore ios key": (
        app_push(notification={"alert": "a", "ios": {"content_available": True}}),
        400,
        21015,
    ),
    "android builder_id a string": (
        app_push(notification={"alert": "a", "android": {"builder_id": "1"}}),
        400,
        21016,
    ),
    "block for an untargeted platform": (
        app_push(platform=["android"], notification={"alert": "a", "ios": {"alert": "i"}}),
        400,
        21003,
    ),
    "no alert for hmos": (
        app_push(notification={"android": {"alert": "a"}, "ios": {"alert": "i"}}),
        400,
        21002,
    ),
    "notification and message": (app_push(message={"msg_content": "m"}), 401, 21306),
    "voip with notification": (app_push(platform=["ios"], voip={}), 400, 21057),
    "voip to android": ({"to": "all", "body": {"platform": ["android"], "voip": {}}}, 400, 21058),
    "live activity to android": (
        {
            "to": "all",
            "body": {"platform": ["android"], "live_activity": {"ios": {"event": "end"}}},
        },
        400,
        21056,
    ),
    "live activity bad event": (
        {"to": "all", "body": {"platform": ["ios"], "live_activity": {"ios": {"event": "go"}}}},
        400,
        21050,
    ),
    "live activity start to a tag": (
        {
            "to": {"tag": ["beta"]},
            "body": {
                "platform": ["ios"],
                "live_activity": {
                    "ios": {"event": "start", "attributes-type": "A", "content-state": {}}
                },
            },
        },
        400,
        21051,
    ),
    "web_buttons on app": (app_push(options={"web_buttons": []}), 400, 21015),
    "bad plan_id": (app_push(options={"plan_id": "_x"}), 400, 21003),
    "classification 2": (app_push(options={"classification": 2}), 400, 21003),
    "over 4000 bytes": (app_push(notification={"alert": "x" * 4000}), 400, 21005),
}


@pytest.mark.parametrize(("payload", "status", "code"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_app_payloads_get_the_documented_code(api, payload, status, code):
    assert_error(await api.post("/v4/push", json=payload), status, code)
    assert_error(await api.post("/v4/push/validate", json=payload), status, code)


async def test_a_push_reaches_only_the_devices_of_its_platforms(api):
    msg_id = await sent(api, app_push(to={"tag": ["beta"]}, platform=["android"]))
    detail = (await api.get("/v4/status/detail", params={"message_ids": msg_id})).json()[msg_id]
    assert detail["targets"] == 2
    notification = detail["sub"]["notification"]
    assert notification["target"] == 2  # singular at the sub level (DOC, sic)
    assert notification["click"] == 0
    android = notification["sub_android"]
    assert set(android) == {
        "engageLab_android",
        "xiaomi",
        "huawei",
        "honor",
        "meizu",
        "oppo",
        "vivo",
        "fcm",
    }
    assert android["engageLab_android"]["targets"] == 2  # plural in the leaves
    assert set(notification["sub_ios"]) == {"engageLab_ios", "apns"}
    assert notification["sub_ios"]["engageLab_ios"]["targets"] == 0
    assert detail["sub"]["message"]["target"] == 0
    assert_error(
        await api.post("/v4/push", json=app_push(to={"alias": ["bob"]}, platform=["hmos"])),
        400,
        21011,
    )


async def test_schedules_carry_app_payloads_and_fire_per_platform(api):
    body = {
        "name": "app_digest",
        "enabled": True,
        "trigger": {"single": {"time": "2030-01-01 01:00:00", "zone_type": 1}},
        "push": app_push(platform=["ios", "hmos"]),
    }
    schedule_id = (await api.post("/v4/schedules", json=body)).json()["schedule_id"]
    await api.post("/_emulator/clock", json={"advance_seconds": 3601})
    ids = (await api.get(f"/v4/schedules/{schedule_id}/msg-ids")).json()["MsgIds"]
    assert len(ids) == 1
    web_body = {**body, "push": {"to": "all", "body": {"platform": "web", "notification": {}}}}
    assert_error(await api.post("/v4/schedules", json=web_body), 400, 28100)


# --- push plans ------------------------------------------------------------------------------


async def test_push_plans_upsert_list_and_count_their_messages(api):
    assert (
        await api.post("/v4/push_plan", json={"plan_id": "spring", "plan_description": "Spring"})
    ).json() == {"plan_id": "spring"}
    await api.post("/v4/push_plan", json={"plan_id": "autumn", "plan_description": "Fall sale"})
    await api.post("/v4/push_plan", json={"plan_id": "spring", "plan_description": "Spring 2030"})
    await sent(api, app_push(options={"plan_id": "spring"}))
    listing = (
        await api.get("/v4/push_plan/list", params={"page_index": 1, "page_size": 10})
    ).json()
    assert listing["total"] == 2
    first = listing["push_plan_info"][0]
    assert first["plan_id"] == "spring"
    assert first["plan_description"] == "Spring 2030"
    assert first["count"] == 1
    assert first["last_used_time"] >= first["create_time"] > 0
    assert set(first) == {
        "plan_id",
        "plan_description",
        "count",
        "create_time",
        "last_used_time",
        "entity_tag",
    }
    found = (await api.get("/v4/push_plan/list", params={"search_description": "FALL"})).json()
    assert [p["plan_id"] for p in found["push_plan_info"]] == ["autumn"]
    console = (await api.get("/v4/push_plan/list", params={"send_source": 1})).json()
    assert console == {"push_plan_info": [], "total": 0}
    page2 = (await api.get("/v4/push_plan/list", params={"page_index": 2, "page_size": 1})).json()
    assert [p["plan_id"] for p in page2["push_plan_info"]] == ["autumn"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"plan_id": ""}, 27303),
        ({"plan_description": "no id"}, 27303),
        ({"plan_id": "_starts_with_underscore"}, 21003),
        ({"plan_id": "has-hyphen"}, 21003),
        ({"plan_id": "x" * 51}, 21003),
        ({"plan_id": 5}, 21016),
        ({"plan_id": "ok", "colour": "red"}, 21015),
    ],
)
async def test_bad_plan_ids_are_refused(api, body, code):
    assert_error(await api.post("/v4/push_plan", json=body), 400, code)


async def test_plan_quota_is_100_and_deletes_free_slots(api):
    for i in range(100):
        assert (await api.post("/v4/push_plan", json={"plan_id": f"p{i}"})).status_code == 200
    assert_error(await api.post("/v4/push_plan", json={"plan_id": "one_more"}), 400, 21003)
    assert (
        await api.post("/v4/push_plan", json={"plan_id": "p5", "plan_description": "x"})
    ).status_code == 200
    assert (await api.delete("/v4/push_plan/p1")).json() == {"plan_id": "p1"}
    assert_error(await api.delete("/v4/push_plan/p1"), 404, 21003)
    batch = await api.delete("/v4/push_plan/batch/p2,p3,unknown")
    assert (batch.status_code, batch.content) == (200, b"")
    assert (await api.get("/v4/push_plan/list")).json()["total"] == 97
    assert (await api.post("/v4/push_plan", json={"plan_id": "one_more"})).status_code == 200


async def test_plan_deletion_can_be_refused_like_the_console_guide_says():
    async for api in app_client(plan_deletion=False):
        await api.post("/v4/push_plan", json={"plan_id": "keep"})
        assert_error(await api.delete("/v4/push_plan/keep"), 400, 21003)
        assert_error(await api.delete("/v4/push_plan/batch/keep"), 400, 21003)
        await api.post("/_emulator/faults", json={"plan_deletion": True})
        assert (await api.delete("/v4/push_plan/keep")).status_code == 200


async def test_plan_messages_and_details_over_a_date_window(api):
    await api.post("/v4/push_plan", json={"plan_id": "spring"})
    first = await sent(api, app_push(options={"plan_id": "spring"}))
    second = await sent(api, app_push(to={"tag": ["fr"]}, options={"plan_id": "spring"}))
    params = {"plan_ids": "spring,other", "start_date": "2030-01-01", "end_date": "2030-01-01"}
    msgs = (await api.get("/v4/status/plan/msg/", params=params)).json()
    assert msgs == {"spring": {"msg_ids": [first, second]}, "other": {"msg_ids": []}}
    detail = (await api.get("/v4/status/plan/detail", params=params)).json()
    assert detail["spring"]["targets"] == 4 + 2
    for bad in (
        {**params, "start_date": "2029-11-01"},  # more than 30 days back
        {**params, "end_date": "2029-12-31"},  # end before start
        {**params, "start_date": "2030-1-1"},
        {"start_date": "2030-01-01", "end_date": "2030-01-01"},
    ):
        assert (await api.get("/v4/status/plan/msg/", params=bad)).status_code == 400


# --- voices ----------------------------------------------------------------------------------


def voice_zip(*names: str, payload: bytes = b"ID3") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, payload)
    return buffer.getvalue()


async def test_voice_packs_upload_list_get_replace_and_delete(api):
    pack = voice_zip("1.mp3", "2.mp3")
    answer = await api.post(
        "/v4/voices", data={"language": "en"}, files={"file": ("en.zip", pack, "application/zip")}
    )
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert first["language"] == "en"
    assert first["file_url"].startswith("https://")
    assert (await api.get("/v4/voices")).json() == [first]
    assert (await api.get("/v4/voices/en")).json() == first
    changed = voice_zip("1.mp3", payload=b"ID3 changed")
    again = await api.post(
        "/v4/voices", data={"language": "en"}, files={"file": ("en.zip", changed)}
    )
    assert again.json()["file_url"] != first["file_url"]
    assert (await api.delete("/v4/voices/en")).status_code == 200
    assert (await api.get("/v4/voices")).json() == []
    assert_error(await api.get("/v4/voices/en"), 404, 21003)
    await api.post("/v4/voices", data={"language": "zh-Hant"}, files={"file": ("z.zip", pack)})
    assert (await api.delete("/v4/voices", params={"language": "zh-Hant"})).status_code == 200


@pytest.mark.parametrize(
    ("data", "files", "code"),
    [
        ({"language": "fr"}, {"file": ("f.zip", voice_zip("a.mp3"))}, 21003),
        ({"language": "en"}, {"file": ("f.zip", b"not a zip")}, 21003),
        ({"language": "en"}, {"file": ("f.zip", voice_zip("a.wav"))}, 21003),
        ({"language": "en"}, {"file": ("f.zip", voice_zip())}, 21003),
        ({}, {"file": ("f.zip", voice_zip("a.mp3"))}, 21002),
        ({}, {"language": (None, "en")}, 21002),
    ],
)
async def test_bad_voice_uploads_are_refused(api, data, files, code):
    assert_error(await api.post("/v4/voices", data=data, files=files), 400, code)


async def test_a_voice_upload_that_is_not_multipart_is_refused(api):
    assert_error(await api.post("/v4/voices", json={"language": "en"}), 400, 21016)


def test_voice_upload_over_a_socket_and_its_size_cap(emulator_config):
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, product="app", max_upload_bytes=50_000)
    with (
        running_server(config) as url,
        httpx.Client(base_url=url, auth=(APP_KEY, MASTER_SECRET)) as api,
    ):
        ok = api.post(
            "/v4/voices", data={"language": "en"}, files={"file": ("a.zip", voice_zip("a.mp3"))}
        )
        assert ok.status_code == 200, ok.text
        big = voice_zip("a.mp3", payload=bytes(range(256)) * 400)
        assert_error(
            api.post("/v4/voices", data={"language": "en"}, files={"file": ("b.zip", big)}),
            413,
            21005,
        )
        assert api.get("/v4/voices").json() == [ok.json()]


# --- withdraw, devices, tags ------------------------------------------------------------------


async def test_withdraw_within_a_day_once(api):
    msg_id = await sent(api, app_push())
    answer = await api.delete(f"/v4/push/withdraw/{msg_id}")
    assert answer.json() == {"request_id": "", "msg_id": msg_id}
    assert_error(await api.delete(f"/v4/push/withdraw/{msg_id}"), 400, 21003)
    assert_error(await api.delete("/v4/push/withdraw/1800009999"), 400, 21003)
    old = await sent(api, app_push())
    await api.post("/_emulator/clock", json={"advance_seconds": 86401})
    assert_error(await api.delete(f"/v4/push/withdraw/{old}"), 400, 21003)


async def test_tags_count_takes_one_platform_and_counts_its_devices(api):
    counts = await api.get("/v4/tags_count", params={"tags": ["beta", "fr"], "platform": "android"})
    assert counts.json() == {"tagsCount": {"beta": 2, "fr": 1}}
    both = await api.get("/v4/tags_count", params={"tags": ["beta"]})
    assert both.json() == {"tagsCount": {"beta": 3}}
    assert_error(
        await api.get("/v4/tags_count", params={"tags": "beta", "platform": "android,ios"}),
        400,
        27002,
    )
    assert_error(
        await api.get("/v4/tags_count", params={"tags": "beta", "platform": "web"}), 400, 27002
    )


async def test_tags_list_per_platform_and_its_cap(api):
    assert (await api.get("/v4/tags")).json() == {"tags": ["beta", "fr"]}
    assert (await api.get("/v4/tags", params={"platform": "ios"})).json() == {"tags": ["beta"]}
    await api.post("/_emulator/faults", json={"tags_list_cap": 1})
    assert (await api.get("/v4/tags", params={"platform": "android"})).json() == {"tags": ["beta"]}
    assert (await api.get("/v4/tags")).json() == {"tags": ["beta", "fr"]}  # one per platform


async def test_tag_quota_info_reports_quotas_and_use(api):
    data = (
        await api.get("/v4/tags/quota-info", params={"tags": "beta", "platform": "android"})
    ).json()["data"]
    assert data["totalTagQuota"] == 100_000
    assert data["useTagQuota"] == 2
    assert data["useAliasQuota"] == 2
    assert data["tagUidQuotaDetail"] == [
        {"tagName": "beta", "totalUidQuota": 100_000, "useUidQuota": 2}
    ]


async def test_device_status_is_an_array_of_regid_online_last_online_time(api):
    answer = await api.post("/v4/devices/status", json={"registration_ids": ["and1", "nobody"]})
    assert answer.json() == [
        {"regid": "and1", "online": False, "last_online_time": "2030-01-01 00:00:00"}
    ]


async def test_vendor_tokens_map_to_stable_registration_ids(api):
    body = {"platform": "ios", "tokens": ["tok_a", "tok_b"], "apns_production": False}
    first = (await api.post("/v4/devices/token/registration_id", json=body)).json()["results"]
    assert [r["is_new"] for r in first] == [True, True]
    assert all(r["code"] == 0 for r in first)
    again = (await api.post("/v4/devices/token/registration_id", json=body)).json()["results"]
    assert [r["registration_id"] for r in again] == [r["registration_id"] for r in first]
    assert [r["is_new"] for r in again] == [False, False]
    rid = first[0]["registration_id"]
    assert (await api.get(f"/v4/devices/{rid}")).json() == {"tags": [], "alias": ""}
    for bad in (
        {"platform": "web", "tokens": ["t"]},
        {"platform": "ios", "tokens": []},
        {"platform": "ios", "tokens": ["t"] * 501},
    ):
        assert_error(await api.post("/v4/devices/token/registration_id", json=bad), 400, 27002)


async def test_batch_push_checks_each_targets_platform(api):
    requests = [
        {"target": "and1", "platform": ["android"], "notification": {"alert": "a"}},
        {"target": "ios1", "platform": ["android"], "notification": {"alert": "a"}},
        {"target": "ghost", "platform": "all", "notification": {"alert": "a"}},
    ]
    results = (await api.post("/v4/batch/push/regid", json={"requests": requests})).json()[
        "results"
    ]
    assert results["and1"]["success"] is True
    assert results["ios1"]["error"]["code"] == 21011
    assert results["ghost"]["error"]["code"] == 20101
    by_alias = [{"target": "bob", "platform": ["ios"], "notification": {"alert": "a"}}]
    answer = await api.post("/v4/batch/push/alias", json={"requests": by_alias})
    assert answer.json()["results"]["bob"]["success"] is True


async def test_seeded_devices_need_an_app_platform(api):
    bad = {"devices": [{"registration_id": "w1", "platform": "web"}]}
    assert (await api.post("/_emulator/devices", json=bad)).status_code == 400


APP_ONLY = [
    ("POST", "/v4/push_plan"),
    ("GET", "/v4/push_plan/list"),
    ("GET", "/v4/voices"),
    ("DELETE", "/v4/push/withdraw/1800000001"),
    ("GET", "/v4/status/detail?message_ids=1"),
    ("GET", "/v4/tags/quota-info?tags=a"),
    ("POST", "/v4/devices/token/registration_id"),
]


@pytest.mark.parametrize(("method", "path"), APP_ONLY)
async def test_web_product_answers_404_for_app_only_endpoints(emulator_client, method, path):
    answer = await emulator_client.request(method, path, json={} if method == "POST" else None)
    assert answer.status_code == 404
    assert set(answer.json()) == {"error"}


async def test_app_product_answers_404_for_web_only_shapes(api):
    assert (await api.get("/v4/messages/details", params={"message_ids": "1"})).status_code == 200
    assert (
        await api.post("/v4/push", json={"to": "all", "body": {"platform": "web"}})
    ).status_code == 400
