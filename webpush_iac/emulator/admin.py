"""Test-only routes under ``/_emulator/``: seed devices, move the clock, read the
request log, set faults, reset. They are authenticated like the API but never faulted, rate
limited or logged, so a test's bookkeeping cannot disturb what it measures.
"""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

from webpush_iac.emulator.clock import format_datetime, parse_datetime
from webpush_iac.emulator.core import Call
from webpush_iac.emulator.devices import register_devices
from webpush_iac.emulator.faults import FAULT_KEYS
from webpush_iac.emulator.protocol import Reply, invalid
from webpush_iac.emulator.rules import RULE_KEYS, TIMING_KEYS
from webpush_iac.emulator.schedules import retime

MAX_LOG_PAGE = 1000


def _object(call: Call, allowed: set[str]) -> dict[str, Any]:
    body = call.json()
    if not isinstance(body, dict):
        raise invalid("admin", "body must be a JSON object")
    extra = sorted(set(body) - allowed)
    if extra:
        raise invalid("admin", f"unexpected field {extra[0]!r}")
    return body


def seed_devices(call: Call) -> Reply:
    """``{"registration_ids": [...]}`` and/or ``{"devices": [{registration_id, tags, alias}]}``
    (app product: each device may name its ``platform``, android / ios / hmos)."""
    body = _object(call, {"registration_ids", "devices"})
    entries: list[Any] = []
    rids = body.get("registration_ids", [])
    devices = body.get("devices", [])
    if not isinstance(rids, list) or not isinstance(devices, list):
        raise invalid("admin", "registration_ids and devices must be lists")
    entries.extend({"registration_id": rid} for rid in rids)
    entries.extend(devices)
    with call.emu.store.tx() as conn:
        count = register_devices(conn, entries, call.now, call.emu.product)
    return Reply({"registered": count})


def _clock_state(call: Call) -> Reply:
    now = call.emu.now()
    return Reply(
        {
            "now": format_datetime(now.astimezone(UTC)),
            "offset_seconds": call.emu.clock.offset_seconds,
        }
    )


def get_clock(call: Call) -> Reply:
    return _clock_state(call)


def set_clock(call: Call) -> Reply:
    """``{"advance_seconds": N}`` or ``{"now": "yyyy-MM-dd HH:mm:ss"}`` (UTC)."""
    body = _object(call, {"advance_seconds", "now"})
    if len(body) != 1:
        raise invalid("admin", "give exactly one of advance_seconds, now")
    if "advance_seconds" in body:
        seconds = body["advance_seconds"]
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or abs(seconds) > 100 * 366 * 86400
        ):
            raise invalid("admin", "advance_seconds must be a number of seconds")
        call.emu.clock.advance(float(seconds))
    else:
        wall = parse_datetime(body["now"])
        if wall is None:
            raise invalid("admin", "now must be 'yyyy-MM-dd HH:mm:ss' (UTC)")
        call.emu.clock.set_now(wall.replace(tzinfo=UTC))
    call.emu.save_clock()
    return _clock_state(call)


def get_requests(call: Call) -> Reply:
    """The request log after ``since`` (an entry id), oldest first, at most ``limit`` entries."""
    values: dict[str, int] = {}
    for key, default in (("since", 0), ("limit", MAX_LOG_PAGE)):
        raw = call.query.get(key, str(default))
        if not raw.isdigit() or len(raw) > 12:
            raise invalid("admin", f"{key} must be a non-negative integer")
        values[key] = int(raw)
    entries = call.emu.store.requests_since(values["since"], min(values["limit"], MAX_LOG_PAGE))
    last = entries[-1]["id"] if entries else values["since"]
    return Reply({"requests": entries, "last_id": last})


def _settings(call: Call) -> Reply:
    return Reply({**call.emu.faults.to_data(), **call.emu.rules.to_data()})


def get_faults(call: Call) -> Reply:
    return _settings(call)


def set_faults(call: Call) -> Reply:
    """Faults (latency_ms, fail_rate, drop_rate, commit_then_drop, qps, seed) and rules
    (docs/emulator.md). All or nothing: one bad value changes nothing."""
    body = call.json()
    if not isinstance(body, dict):
        raise invalid("admin", "body must be a JSON object")
    extra = sorted(set(body) - FAULT_KEYS - RULE_KEYS)
    if extra:
        raise invalid("admin", f"unknown fault or rule setting {extra[0]!r}")
    faults = {k: v for k, v in body.items() if k in FAULT_KEYS}
    rules = {k: v for k, v in body.items() if k in RULE_KEYS}
    emu = call.emu
    try:
        emu.faults.check(faults)
        emu.rules.update(rules)
        emu.faults.update(faults)
    except ValueError as exc:
        raise invalid("admin", str(exc)) from None
    if TIMING_KEYS & set(rules):
        retime(emu)
    return _settings(call)


def reset(call: Call) -> Reply:
    call.emu.reset()
    return Reply({"reset": True})
