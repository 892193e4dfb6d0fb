"""EngageLabClient against the real emulator, in-process (ASGI) and over a loopback socket."""

from __future__ import annotations

import base64
import json
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.client.ratelimit import TokenBucket
from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server
from webpush_iac.errors import AmbiguousWriteError, ApiError, AuthError, TransportError

CREDS = Credentials(APP_KEY, MASTER_SECRET)
NOW = "2030-01-01 00:00:00"
WEB = {"platform": "web", "notification": {"web": {"alert": "Hello", "url": "https://example.com"}}}


async def no_sleep(_seconds: float) -> None:
    """Backoff waits are skipped: the emulator's faults do not depend on elapsed time."""


def schedule(name: str, time: str = "2030-01-02 09:00:00") -> dict[str, Any]:
    return {
        "name": name,
        "enabled": True,
        "trigger": {"single": {"time": time, "zone_type": 1}},
        "push": {"from": "push", "to": "all", "body": WEB},
    }


async def pin_clock(client: EngageLabClient) -> None:
    await client.request("POST", "/_emulator/clock", json={"now": NOW})


async def set_faults(client: EngageLabClient, **faults: Any) -> None:
    await client.request("POST", "/_emulator/faults", json=faults)


async def emulator_log(client: EngageLabClient) -> list[dict[str, Any]]:
    data = await client.request("GET", "/_emulator/requests")
    return list(data["requests"])


@pytest.fixture(params=["in_process", "socket"])
async def client(
    request: pytest.FixtureRequest, emulator_config: EmulatorConfig
) -> AsyncIterator[EngageLabClient]:
    options: dict[str, Any] = {"sleep": no_sleep, "rng": random.Random(5), "max_retries": 8}
    if request.param == "in_process":
        app = create_app(emulator_config)
        async with EngageLabClient(EMULATOR_BASE_URL, CREDS, asgi_app=app, **options) as c:
            await pin_clock(c)
            yield c
        emulator_of(app).close()
    else:
        with running_server(emulator_config) as url:
            async with EngageLabClient(url, CREDS, **options) as c:
                await pin_clock(c)
                yield c


async def test_schedule_crud_round_trip(client: EngageLabClient) -> None:
    created = await client.create_schedule(schedule("iac_digest"))
    sid = created["schedule_id"]
    assert created["name"] == "iac_digest"

    fetched = await client.get_schedule(sid)
    assert fetched is not None
    assert fetched["name"] == "iac_digest"
    assert [s["schedule_id"] for s in await client.list_schedules()] == [sid]

    await client.update_schedule(sid, {**schedule("iac_digest"), "enabled": False})
    updated = await client.get_schedule(sid)
    assert updated is not None
    assert updated["enabled"] is False
    assert await client.schedule_msg_ids(sid) == []

    await client.delete_schedule(sid)
    assert await client.get_schedule(sid) is None
    assert await client.list_schedules() == []
    await client.delete_schedule(sid, missing_ok=True)


async def test_list_schedules_reads_every_page_of_the_emulator() -> None:
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, page_size=3)
    app = create_app(config)
    async with EngageLabClient(EMULATOR_BASE_URL, CREDS, asgi_app=app) as client:
        await pin_clock(client)
        ids = [
            (await client.create_schedule(schedule(f"iac_s{i}")))["schedule_id"] for i in range(8)
        ]
        listed = await client.list_schedules()
        pages = [e["query"] for e in await emulator_log(client) if e["method"] == "GET"]
    emulator_of(app).close()
    assert [s["schedule_id"] for s in listed] == ids
    assert len(pages) == 3


async def test_devices_tags_and_aliases_round_trip(client: EngageLabClient) -> None:
    await client.request("POST", "/_emulator/devices", json={"registration_ids": ["r1", "r2"]})
    await client.set_device("r1", add_tags=["beta", "中文"], alias="anna")
    device = await client.get_device("r1")
    assert sorted(device["tags"]) == ["beta", "中文"]
    assert device["alias"] == "anna"

    await client.update_tag("beta", add=["r2"], remove=["r1"])
    assert await client.tag_has_device("beta", "r2") is True
    assert await client.tag_has_device("beta", "r1") is False
    assert await client.tags_count(["beta", "中文"]) == {"beta": 1, "中文": 1}
    assert "中文" in await client.list_tags()

    assert await client.get_alias("anna") == ["r1"]
    await client.set_device("r1", alias="")
    assert await client.get_alias("anna") == []
    await client.set_device("r2", alias="bob")
    await client.delete_alias("bob")
    assert (await client.get_device("r2"))["alias"] == ""

    await client.delete_tag("中文")
    assert (await client.get_device("r1"))["tags"] == []


async def test_push_validate_batch_and_message_details(client: EngageLabClient) -> None:
    await client.request("POST", "/_emulator/devices", json={"registration_ids": ["r1"]})
    sent = await client.push({"from": "push", "to": {"registration_id": ["r1"]}, "body": WEB})
    assert sent["msg_id"]
    assert "msg_id" in await client.validate_push({"to": "all", "body": WEB})
    batch = await client.batch_push("regid", [{"target": "r1", **WEB}])
    assert batch["results"]["r1"]["success"] is True
    details = await client.message_details([str(sent["msg_id"])])
    assert str(sent["msg_id"]) in details


async def test_server_time_follows_the_emulator_clock(client: EngageLabClient) -> None:
    await client.list_tags()
    assert client.server_time == datetime(2030, 1, 1, tzinfo=UTC)


async def test_reads_are_retried_through_injected_503s(client: EngageLabClient) -> None:
    await set_faults(client, fail_rate=0.5, seed=11)
    for _ in range(10):
        assert await client.list_schedules() == []
    failed = [e for e in await emulator_log(client) if e["status"] == 503]
    assert failed
    assert client.stats.retries == len(failed)


async def test_dropped_connection_is_retried_for_a_read(client: EngageLabClient) -> None:
    await set_faults(client, drop_rate=1.0)
    with pytest.raises(TransportError) as info:
        await client.list_tags()
    assert not isinstance(info.value, AmbiguousWriteError)
    assert client.stats.transport_errors == 1 + client.stats.retries
    assert client.max_retries < client.stats.retries <= client.read_budget[0]  # reads outlast


async def test_dropped_push_is_ambiguous_after_one_attempt(client: EngageLabClient) -> None:
    await client.request("POST", "/_emulator/devices", json={"registration_ids": ["r1"]})
    await set_faults(client, drop_rate=1.0)
    with pytest.raises(AmbiguousWriteError):
        await client.push({"to": {"registration_id": ["r1"]}, "body": WEB})
    assert client.stats.transport_errors == 1
    assert client.stats.retries == 0


async def test_committed_then_dropped_create_is_ambiguous_and_really_exists(
    client: EngageLabClient,
) -> None:
    await set_faults(client, commit_then_drop=1)
    with pytest.raises(AmbiguousWriteError):
        await client.create_schedule(schedule("iac_maybe"))
    creates = [e for e in await emulator_log(client) if e["method"] == "POST"]
    assert len(creates) == 1  # never retried
    assert [s["name"] for s in await client.list_schedules()] == ["iac_maybe"]


async def test_rate_limited_reads_back_off_and_slow_the_bucket(
    emulator_config: EmulatorConfig,
) -> None:
    app = create_app(emulator_config)
    bucket = TokenBucket(450)
    async with EngageLabClient(
        EMULATOR_BASE_URL,
        CREDS,
        asgi_app=app,
        limiter=bucket,
        max_retries=10,
        backoff_base=0.2,
        backoff_cap=1.0,
        rng=random.Random(9),
    ) as client:
        await set_faults(client, qps=4)
        for _ in range(6):  # the emulator's window is one real second: waits must really happen
            await client.list_tags()
        assert client.stats.rate_limited >= 1
    emulator_of(app).close()
    assert bucket.rate < 450


async def test_wrong_secret_is_an_auth_error_without_the_secret_in_it(
    emulator_config: EmulatorConfig,
) -> None:
    app = create_app(emulator_config)
    wrong = Credentials(APP_KEY, "wrong-" + MASTER_SECRET)
    async with EngageLabClient(EMULATOR_BASE_URL, wrong, asgi_app=app) as client:
        with pytest.raises(AuthError) as info:
            await client.list_tags()
    emulator_of(app).close()
    assert info.value.status == 401
    assert MASTER_SECRET not in str(info.value)


async def test_secret_is_in_no_log_record_over_a_real_socket(
    emulator_config: EmulatorConfig, caplog: pytest.LogCaptureFixture
) -> None:
    token = base64.b64encode(f"{APP_KEY}:{MASTER_SECRET}".encode()).decode()
    caplog.set_level(logging.DEBUG)
    with running_server(emulator_config) as url:
        async with EngageLabClient(url, CREDS, sleep=no_sleep) as client:
            await pin_clock(client)
            await client.create_schedule(schedule("iac_logged"))
            await client.list_schedules()
            log = json.dumps(await emulator_log(client))
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("POST /v4/schedules -> 200") for m in messages)
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # transport logs captured
    assert not [m for m in [*messages, log] if MASTER_SECRET in m or token in m]


@pytest.mark.parametrize(
    "secret", ["s", "ab", "k3y9Zq7W", "0f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccdd"]
)
async def test_server_error_text_keeps_its_words_whatever_the_secret_length(secret: str) -> None:
    app = create_app(EmulatorConfig(app_key=APP_KEY, master_secret=secret))
    try:
        async with EngageLabClient(
            EMULATOR_BASE_URL, Credentials(APP_KEY, secret), asgi_app=app, sleep=no_sleep
        ) as c:
            with pytest.raises(ApiError) as caught:
                await c.request(
                    "POST", "/v4/tags/subscribers", json={"registration_ids": {"add": ["r1"]}}
                )
    finally:
        emulator_of(app).close()
    assert "registration id(s) are not registered" in str(caught.value)
    assert "***" not in str(caught.value)
