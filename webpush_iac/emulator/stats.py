"""Statistics routes (docs/api-notes.md "Push, batch push and statistics"): web message details, app status detail, push-plan messages
and plan statistics.

There are no browsers or phones behind the emulator, so every message counts its targets as sent
and delivered, with no impressions or clicks, all through EngageLab's own channel (GUESS): the
vendor channels (chrome, apns, xiaomi, ...) are present with zeros so the shapes are complete.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any, Final

from webpush_iac.emulator.core import Call
from webpush_iac.emulator.protocol import (
    PUSH_INVALID_PARAMETER,
    PUSH_MISSING_PARAMETER,
    Reply,
    _ApiFailure,
)
from webpush_iac.emulator.store import MSG_ID_BASE, message_num

MAX_DETAIL_IDS: Final = 100  # DOC: ≤ 100 message ids per details call
RETENTION: Final = 31 * 86400.0  # DOC: statistics are kept for at most a month
WEB_CHANNELS: Final = ("engageLab_web", "chrome", "safari", "firefox", "edge", "opera")  # DOC/DOC*
APP_CHANNELS: Final = {  # DOC (example) / SDK; GUESS for the HarmonyOS leaf names
    "android": (
        "sub_android",
        ("engageLab_android", "xiaomi", "huawei", "honor", "meizu", "oppo", "vivo", "fcm"),
    ),
    "ios": ("sub_ios", ("engageLab_ios", "apns")),
    "hmos": ("sub_hmos", ("engageLab_hmos", "hmos")),
}
MAX_PLAN_IDS: Final = 1000  # SDK / DOC*
PLAN_WINDOW_DAYS: Final = 30  # SDK / DOC*: start_date within the last 30 days
PLAN_SPAN_DAYS: Final = 31  # SDK / DOC*: at most 31 days from start to end


def _counters(targets: int) -> dict[str, int]:
    """The plural leaf every statistics block uses."""
    return {
        "targets": targets,
        "sent": targets,
        "delivered": targets,
        "impressions": 0,
        "clicks": 0,
    }


def _app_sub(targets: int) -> dict[str, int]:
    """DOC (sic): the app's sub.notification / sub.message levels say ``target`` and ``click``."""
    return {"target": targets, "sent": targets, "delivered": targets, "impressions": 0, "click": 0}


def _message_rows(call: Call) -> list[sqlite3.Row]:
    raw = call.query.get("message_ids", "")
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise _ApiFailure(400, PUSH_MISSING_PARAMETER, "message_ids is required")
    if len(ids) > MAX_DETAIL_IDS:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, f"at most {MAX_DETAIL_IDS} message ids")
    nums = [num for msg_id in ids if (num := message_num(msg_id)) is not None]
    with call.emu.store.tx() as conn:
        return conn.execute(
            "SELECT num, targets, content, breakdown FROM messages "
            "WHERE num IN (SELECT value FROM json_each(?)) AND sent_at >= ?",
            (json.dumps(nums), call.now.timestamp() - RETENTION),
        ).fetchall()


def message_details(call: Call) -> Reply:
    """Web ``?message_ids=a,b`` (≤ 100) → counters keyed by msg_id; unknown ids are left out."""
    details: dict[str, Any] = {}
    for row in _message_rows(call):
        targets = row["targets"]
        shown = targets if row["content"] == "notification" else 0
        browsers = {name: _counters(0) for name in WEB_CHANNELS}
        browsers["engageLab_web"] = _counters(shown)
        notification = {**_counters(shown), "sub_web": browsers}
        message = _counters(targets - shown)
        details[str(MSG_ID_BASE + row["num"])] = {
            **_counters(targets),
            "sub": {"notification": notification, "message": message},
        }
    return Reply(details)


def _app_level(breakdown: dict[str, int], counted: bool) -> dict[str, Any]:
    total = sum(breakdown.values()) if counted else 0
    level: dict[str, Any] = _app_sub(total)
    for platform, (key, channels) in APP_CHANNELS.items():
        leaves = {name: _counters(0) for name in channels}
        leaves[channels[0]] = _counters(breakdown.get(platform, 0) if counted else 0)
        level[key] = leaves
    return level


def status_detail(call: Call) -> Reply:
    """App ``GET /v4/status/detail?message_ids=..`` (DOC example / SDK shape)."""
    details: dict[str, Any] = {}
    for row in _message_rows(call):
        breakdown = json.loads(row["breakdown"])
        notification = row["content"] != "message"
        details[str(MSG_ID_BASE + row["num"])] = {
            **_counters(row["targets"]),
            "sub": {
                "notification": _app_level(breakdown, notification),
                "message": _app_level(breakdown, not notification),
            },
        }
    return Reply(details)


def _day(call: Call, key: str) -> date:
    raw = call.query.get(key)
    if raw is None:
        raise _ApiFailure(400, PUSH_MISSING_PARAMETER, f"{key} is required")
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, f"{key} must be yyyy-MM-dd") from None


def _plan_window(call: Call) -> tuple[list[str], float, float]:
    """plan_ids and the [start, end] window in the app's zone, checked as the SDK documents."""
    ids = [p.strip() for p in call.query.get("plan_ids", "").split(",") if p.strip()]
    if not ids:
        raise _ApiFailure(400, PUSH_MISSING_PARAMETER, "plan_ids is required")
    if len(ids) > MAX_PLAN_IDS:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, f"at most {MAX_PLAN_IDS} plan ids")
    start, end = _day(call, "start_date"), _day(call, "end_date")
    today = call.now.astimezone(call.emu.home).date()
    if start < today - timedelta(days=PLAN_WINDOW_DAYS) or start > today:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "start_date must be within the last 30 days")
    if end < start:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "end_date must not be before start_date")
    if (end - start).days + 1 > PLAN_SPAN_DAYS:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "the window spans more than 31 days")
    zone = call.emu.home
    lo = datetime.combine(start, datetime.min.time(), zone).timestamp()
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone).timestamp()
    return list(dict.fromkeys(ids)), lo, hi


def _plan_rows(call: Call) -> tuple[list[str], list[sqlite3.Row]]:
    ids, lo, hi = _plan_window(call)
    with call.emu.store.tx() as conn:
        rows = conn.execute(
            "SELECT num, plan_id, targets FROM messages "
            "WHERE plan_id IN (SELECT value FROM json_each(?)) AND sent_at >= ? AND sent_at < ? "
            "ORDER BY num",
            (json.dumps(ids), lo, hi),
        ).fetchall()
    return ids, rows


def plan_messages(call: Call) -> Reply:
    """``GET /v4/status/plan/msg/`` → ``{"<plan>": {"msg_ids": [...]}}`` for every plan asked
    about (GUESS: a plan with no message in the window answers an empty list)."""
    ids, rows = _plan_rows(call)
    result: dict[str, Any] = {plan: {"msg_ids": []} for plan in ids}
    for row in rows:
        result[row["plan_id"]]["msg_ids"].append(str(MSG_ID_BASE + row["num"]))
    return Reply(result)


def plan_detail(call: Call) -> Reply:
    """``GET /v4/status/plan/detail`` → counters per plan id (GUESS: the message counters summed
    over the plan's messages in the window; the SDK types it only as a map keyed by plan id)."""
    ids, rows = _plan_rows(call)
    totals = dict.fromkeys(ids, 0)
    for row in rows:
        totals[row["plan_id"]] += row["targets"]
    return Reply({plan: _counters(total) for plan, total in totals.items()})
