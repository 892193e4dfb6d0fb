"""Reading live state: GET only, every page and device, quirks normalised, unknown devices contained."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx
import pytest
from support.progress import counted

from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.errors import AuthError, ServerError
from webpush_iac.live import read_devices, read_live, schedule_from_api
from webpush_iac.progress import STAGE_DEVICES
from webpush_iac.state import DesiredDevice, DesiredState, ProjectSettings

DATE = "Tue, 01 Dec 2026 08:00:00 GMT"


def _schedule(n: int, **extra: object) -> dict[str, object]:
    return {
        "schedule_id": f"id-{n}",
        "name": f"iac_s{n}",
        "enabled": True,
        "trigger": {
            "periodical": {
                "start": "2026-12-01 00:00:00",
                "end": "2027-11-30 23:59:59",
                "time": "09:00:00",
                "time_unit": "WEEK",
                "frequency": 1,
                "point": ["fri", "Mon"],
                "zone_type": 1,
            },
            "single": None,
        },
        "push": {"to": "all", "body": {"platform": "web"}, "request_id": None},
        **extra,
    }


def _api(
    pages: list[list[dict[str, object]]],
    devices: Mapping[str, Mapping[str, object]],
    aliases: dict[str, list[str]],
    seen: list[httpx.Request],
) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"Date": DATE}
        path = request.url.path
        if path == "/v4/schedules":
            page = int(request.url.params.get("page", "1"))
            items = pages[page - 1] if page <= len(pages) else []
            body = {
                "total_count": sum(len(p) for p in pages),
                "total_pages": len(pages),
                "page": page,
                "schedules": items,
            }
            return httpx.Response(200, json=body, headers=headers)
        if path.startswith("/v4/devices/"):
            rid = path.rsplit("/", 1)[1]
            if rid not in devices:
                error = {"error": {"code": 27404, "message": "registration id not found"}}
                return httpx.Response(404, json=error, headers=headers)
            return httpx.Response(200, json=devices[rid], headers=headers)
        if path.startswith("/v4/aliases/"):
            alias = path.rsplit("/", 1)[1]
            return httpx.Response(
                200, json={"registration_ids": aliases.get(alias, [])}, headers=headers
            )
        return httpx.Response(404, json={"error": {"code": 1, "message": "no route"}})

    return handle


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> EngageLabClient:
    async def no_sleep(_seconds: float) -> None:
        return None

    return EngageLabClient(
        "https://api.example.test",
        Credentials("k", "live-test-secret"),
        read_only=True,
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
    )


def _desired(*devices: DesiredDevice) -> DesiredState:
    return DesiredState(
        project=ProjectSettings(name="p"), devices={d.registration_id: d for d in devices}
    )


async def test_read_live_lists_every_page_and_normalises_case_and_placeholders() -> None:
    seen: list[httpx.Request] = []
    pages = [[_schedule(i) for i in range(50)], [_schedule(50), _schedule(51)]]
    async with _client(_api(pages, {}, {}, seen)) as client:
        live = await read_live(client, _desired())

    assert len(live.schedules) == 52
    first = live.schedules[0]
    assert first.schedule_id == "id-0"
    assert first.trigger == {
        "periodical": {
            "start": "2026-12-01 00:00:00",
            "end": "2027-11-30 23:59:59",
            "time": "09:00:00",
            "time_unit": "week",
            "frequency": 1,
            "point": ["MON", "FRI"],
            "zone_type": 1,
        }
    }
    assert "request_id" not in first.push
    # the raw server answer is kept untouched for fingerprints
    assert first.raw["trigger"]["periodical"]["time_unit"] == "WEEK"
    assert live.server_time == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert {r.method for r in seen} == {"GET"}


async def test_unknown_device_is_a_per_device_error_not_a_crash() -> None:
    seen: list[httpx.Request] = []
    devices = {"known": {"tags": ["beta", "qa"], "alias": None}}
    async with _client(_api([], devices, {}, seen)) as client:
        live = await read_live(client, _desired(DesiredDevice("known"), DesiredDevice("ghost")))

    assert live.devices["known"].tags == frozenset({"beta", "qa"})
    assert live.devices["known"].alias == ""
    assert "ghost" not in live.devices
    assert "404" in live.device_errors["ghost"]
    assert "27404" in live.device_errors["ghost"]


async def test_declared_aliases_are_looked_up_for_their_current_owner() -> None:
    seen: list[httpx.Request] = []
    devices = {"a": {"tags": [], "alias": ""}, "b": {"tags": [], "alias": "anna"}}
    async with _client(_api([], devices, {"anna": ["b"]}, seen)) as client:
        live = await read_live(
            client,
            _desired(DesiredDevice("a", alias="anna"), DesiredDevice("b", alias=None)),
        )
    assert live.alias_owners == {"anna": ("b",)}
    alias_calls = [r.url.path for r in seen if r.url.path.startswith("/v4/aliases/")]
    assert alias_calls == ["/v4/aliases/anna"]


async def test_an_undeclared_device_holding_a_declared_alias_is_read_too() -> None:
    """Its alias is cleared by the plan, so it needs a fingerprint like any touched device."""
    seen: list[httpx.Request] = []
    devices = {"a": {"tags": [], "alias": ""}, "other": {"tags": ["x"], "alias": "anna"}}
    async with _client(_api([], devices, {"anna": ["other"]}, seen)) as client:
        live = await read_live(client, _desired(DesiredDevice("a", alias="anna")))
    assert set(live.devices) == {"a", "other"}
    assert live.devices["other"].alias == "anna"
    device_calls = sorted(r.url.path for r in seen if r.url.path.startswith("/v4/devices/"))
    assert device_calls == ["/v4/devices/a", "/v4/devices/other"]


async def test_a_holder_that_cannot_be_read_is_a_device_error() -> None:
    seen: list[httpx.Request] = []
    devices = {"a": {"tags": [], "alias": ""}}
    async with _client(_api([], devices, {"anna": ["gone"]}, seen)) as client:
        live = await read_live(client, _desired(DesiredDevice("a", alias="anna")))
    assert set(live.devices) == {"a"}
    assert "gone" in live.device_errors


async def test_every_known_device_is_read_once() -> None:
    seen: list[httpx.Request] = []
    rids = [f"rid{i:04d}" for i in range(300)]
    devices: dict[str, dict[str, object]] = {r: {"tags": ["t"], "alias": ""} for r in rids}
    async with _client(_api([], devices, {}, seen)) as client:
        live = await read_live(client, _desired(*(DesiredDevice(r) for r in rids)))
    assert set(live.devices) == set(rids)
    device_paths = [r.url.path for r in seen if r.url.path.startswith("/v4/devices/")]
    assert sorted(device_paths) == [f"/v4/devices/{r}" for r in rids]


async def test_authentication_failure_while_reading_devices_aborts_the_read() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v4/schedules":
            return httpx.Response(200, json={"total_pages": 1, "schedules": []})
        return httpx.Response(401, json={"error": {"code": 27004, "message": "auth failed"}})

    async with _client(handler) as client:
        with pytest.raises(AuthError):
            await read_live(client, _desired(DesiredDevice("r1")))


async def test_progress_callback_announces_the_device_read() -> None:
    seen: list[httpx.Request] = []
    messages: list[str] = []
    devices: dict[str, dict[str, object]] = {"r1": {"tags": [], "alias": ""}}
    async with _client(_api([], devices, {}, seen)) as client:
        await read_live(client, _desired(DesiredDevice("r1")), progress=messages.append)
    assert "reading 1 device…" in messages


def test_schedule_items_without_an_id_are_skipped() -> None:
    assert schedule_from_api({"name": "iac_x", "trigger": {}, "push": {}}) is None
    assert schedule_from_api("garbage") is None
    parsed = schedule_from_api({**_schedule(1), "enabled": "false"})
    assert parsed is not None
    assert parsed.enabled is False
    assert json.dumps(parsed.raw)  # raw stays plain JSON


class FakeReader:
    async def get_device(self, registration_id: str) -> dict[str, object]:
        return {"tags": [], "alias": ""}


async def test_device_reads_report_done_of_total() -> None:
    events: list[str] = []
    rids = [f"r{i}" for i in range(250)]
    reads = await read_devices(FakeReader(), rids, progress=events.append)  # type: ignore[arg-type]
    assert len(reads.devices) == 250
    seen = counted(events, STAGE_DEVICES)
    assert seen[0] == (0, 250)
    assert seen[-1] == (250, 250)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def _failing(
    devices: dict[str, httpx.Response], aliases: dict[str, httpx.Response] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """Schedules list fine; each device (and alias) answers as given, every time."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v4/schedules":
            return httpx.Response(200, json={"total_pages": 1, "schedules": []})
        if path.startswith("/v4/devices/"):
            return devices[path.rsplit("/", 1)[1]]
        if path.startswith("/v4/aliases/"):
            return (aliases or {})[path.rsplit("/", 1)[1]]
        raise AssertionError(path)

    return handle


UNAVAILABLE = httpx.Response(503, json={"error": {"code": 21030, "message": "busy"}})


async def test_device_read_that_keeps_failing_is_unreadable_not_unknown_and_not_fatal() -> None:
    handler = _failing(
        {
            "busy": UNAVAILABLE,
            "gone": httpx.Response(400, json={"error": {"code": 27002, "message": "not in app"}}),
            "ok": httpx.Response(200, json={"tags": ["t"], "alias": ""}),
        }
    )
    async with _client(handler) as client:
        live = await read_live(
            client, _desired(DesiredDevice("busy"), DesiredDevice("gone"), DesiredDevice("ok"))
        )
    assert set(live.devices) == {"ok"}
    assert set(live.device_errors) == {"gone"}
    assert "HTTP 400" in live.device_errors["gone"]
    assert set(live.unreadable_devices) == {"busy"}
    assert "503" in live.unreadable_devices["busy"]


async def test_a_failed_alias_look_up_makes_the_devices_declaring_it_unreadable() -> None:
    handler = _failing(
        {
            "a": httpx.Response(200, json={"tags": [], "alias": ""}),
            "b": httpx.Response(200, json={"tags": [], "alias": ""}),
        },
        {"anna": UNAVAILABLE},
    )
    async with _client(handler) as client:
        live = await read_live(
            client, _desired(DesiredDevice("a", alias="anna"), DesiredDevice("b"))
        )
    assert set(live.devices) == {"b"}
    assert "alias anna" in live.unreadable_devices["a"]
    assert "anna" not in live.alias_owners


async def test_a_schedule_list_that_keeps_failing_still_fails_the_read() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return UNAVAILABLE

    async with _client(handler) as client:
        with pytest.raises(ServerError):
            await read_live(client, _desired(DesiredDevice("a")))
