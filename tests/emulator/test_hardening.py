"""Request bodies are capped and a body refused for its credentials is never stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server

TEN_MB = b'{"to": "all", "junk": "' + b"x" * (10 << 20) + b'"}'
PUSH = {
    "to": "all",
    "body": {"platform": "web", "notification": {"web": {"alert": "a", "url": "https://e.x"}}},
}


def db_bytes(path: Path) -> int:
    """The database and its write-ahead log together."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


@pytest.fixture
async def file_backed(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    db = tmp_path / "emulator.sqlite"
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, db_path=str(db)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL) as client:
        yield client, db
    emulator_of(app).close()


def assert_nested_error(answer: httpx.Response, status: int, code: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


async def log_of(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await client.get("/_emulator/requests", auth=(APP_KEY, MASTER_SECRET))
    return answer.json()["requests"]  # type: ignore[no-any-return]


async def test_unauthenticated_10_mb_posts_leave_the_database_small(file_backed):
    client, db = file_backed
    for auth in [None, (APP_KEY, "wrong"), None, (APP_KEY, "wrong"), None]:
        answer = await client.post("/v4/push", content=TEN_MB, auth=auth)
        assert_nested_error(answer, 401, 21004)
    entries = await log_of(client)
    assert [(e["status"], e["body"]) for e in entries] == [(401, None)] * 5
    assert db_bytes(db) < 1 << 20  # five 10 MB bodies once grew it by 52 MB


async def test_an_oversize_authenticated_body_gets_413_with_an_engagelab_error(tmp_path):
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, max_body_bytes=1000)
    app = create_app(config)
    transport = httpx.ASGITransport(app=app)
    auth = (APP_KEY, MASTER_SECRET)
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE_URL, auth=auth) as api:
        await api.post("/_emulator/devices", json={"registration_ids": ["rid1"]})
        big = {**PUSH, "request_id": "r" * 1000}
        assert_nested_error(await api.post("/v4/push", json=big), 413, 21005)
        assert_nested_error(await api.post("/v4/schedules", json=big), 413, 28100)
        assert_nested_error(await api.post("/v4/devices/rid1", json=big), 413, 27002)
        assert (await api.post("/v4/push", json=PUSH)).status_code == 200
        entries = await log_of(api)
    emulator_of(app).close()
    assert [(e["status"], e["body"]) for e in entries[:3]] == [(413, None)] * 3
    assert entries[3]["body"] == PUSH


def test_the_default_cap_is_one_mebibyte_and_settable_at_run_time(emulator_url):
    auth = (APP_KEY, MASTER_SECRET)
    with httpx.Client(base_url=emulator_url, auth=auth) as api:
        assert api.get("/_emulator/faults").json()["max_body_bytes"] == 1 << 20
        over = b'{"x": "' + b"y" * (1 << 20) + b'"}'
        assert_nested_error(api.post("/v4/push", content=over), 413, 21005)
        assert api.post("/_emulator/faults", json={"max_body_bytes": 3 << 20}).status_code == 200
        assert api.post("/v4/push", content=over).status_code == 400  # read, then refused: 21015
        assert api.post("/_emulator/faults", json={"max_body_bytes": 0}).status_code == 400


def test_over_a_socket_a_refused_10_mb_body_keeps_the_server_answering(tmp_path):
    db = tmp_path / "served.sqlite"
    config = EmulatorConfig(APP_KEY, MASTER_SECRET, db_path=str(db), max_body_bytes=4096)
    with running_server(config) as url, httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(3):
            assert_nested_error(client.post("/v4/push", content=TEN_MB), 401, 21004)
        answer = client.post("/v4/push", content=TEN_MB, auth=(APP_KEY, MASTER_SECRET))
        assert_nested_error(answer, 413, 21005)
        tags = client.get("/v4/tags", auth=(APP_KEY, MASTER_SECRET))
        assert tags.status_code == 200
        log = client.get("/_emulator/requests", auth=(APP_KEY, MASTER_SECRET)).json()
    assert [e["body"] for e in log["requests"]] == [None] * 5
    assert db_bytes(db) < 1 << 20


def test_the_secret_never_reaches_the_log_even_for_refused_bodies(emulator_url):
    with httpx.Client(base_url=emulator_url) as client:
        client.post("/v4/push", content=MASTER_SECRET.encode() * 10, auth=(APP_KEY, "nope"))
        log = client.get("/_emulator/requests", auth=(APP_KEY, MASTER_SECRET)).text
    assert MASTER_SECRET not in log
