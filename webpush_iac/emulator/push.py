"""Push routes: push, push/validate, batch push and message details.

The API facts are docs/api-notes.md "Push, batch push and statistics". A push "sends" by
recording a message with the number of devices its audience reached; message details report that
number as targets/sent/delivered with no impressions or clicks (GUESS: there are no browsers
behind the emulator to show or click anything).
"""

from __future__ import annotations

import json
from typing import Any

from webpush_iac.emulator.core import Call
from webpush_iac.emulator.devices import as_json, resolve_audience
from webpush_iac.emulator.payload import check_batch_item, check_push
from webpush_iac.emulator.protocol import (
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_MISSING_PARAMETER,
    PUSH_NO_TARGET,
    PUSH_UNEXPECTED_PARAMETER,
    RATE_LIMITED,
    RATE_LIMITED_MESSAGE,
    Reply,
    _ApiFailure,
)
from webpush_iac.emulator.store import MSG_ID_BASE, message_num, record_message

MAX_BATCH = 500  # DOC: ≤ 500 requests per batch call
MAX_DETAIL_IDS = 100  # DOC: ≤ 100 message ids per details call


def push(call: Call) -> Reply:
    payload = check_push(call.json())
    with call.emu.store.tx() as conn:
        targets = resolve_audience(conn, payload["to"])
        if not targets:
            raise _ApiFailure(400, PUSH_NO_TARGET, "no device matches the audience")  # DOC*
        msg_id = record_message(
            conn, schedule_id=None, sent_at=call.now.timestamp(), targets=len(targets), kind="push"
        )
    return Reply({"request_id": payload.get("request_id", ""), "msg_id": msg_id})


def validate_push(call: Call) -> Reply:
    """Checks the payload without sending. GUESS: the audience is not matched against devices
    (so 21011 never comes from here) and ``msg_id`` is "0" because nothing was sent."""
    payload = check_push(call.json())
    return Reply({"request_id": payload.get("request_id", ""), "msg_id": "0"})


def _batch(call: Call, by: str) -> Reply:
    body = call.json()
    if not isinstance(body, dict):
        raise _ApiFailure(400, PUSH_BAD_TYPE_OR_LENGTH, "request body must be a JSON object")
    if set(body) - {"requests"}:
        raise _ApiFailure(400, PUSH_UNEXPECTED_PARAMETER, "only requests is expected")
    if "requests" not in body:
        raise _ApiFailure(400, PUSH_MISSING_PARAMETER, "requests is required")
    items = body["requests"]
    if not isinstance(items, list):
        raise _ApiFailure(400, PUSH_BAD_TYPE_OR_LENGTH, "requests must be a list")
    if not 1 <= len(items) <= MAX_BATCH:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, f"requests must hold 1..{MAX_BATCH} entries")
    targets = [check_batch_item(item) for item in items]
    if len(set(targets)) != len(targets):
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "targets must be unique within a call")
    # DOC: each target costs one unit of the push QPS; the call itself already paid for one.
    granted = 1 + call.emu.limiter.acquire(call.app_key, call.emu.faults.qps, len(targets) - 1)
    results: dict[str, Any] = {}
    column = "rid" if by == "regid" else "alias"
    with call.emu.store.tx() as conn:
        found = {
            row[0]
            for row in conn.execute(
                f"SELECT {column} FROM devices WHERE {column} IN "  # noqa: S608 - fixed column
                "(SELECT value FROM json_each(?))",
                (as_json(targets),),
            )
        }
        for index, target in enumerate(targets):
            if index >= granted:
                error = {"code": RATE_LIMITED, "message": RATE_LIMITED_MESSAGE}
                results[target] = {"target": target, "success": False, "error": error}
            elif target not in found:
                error = {"code": PUSH_NO_TARGET, "message": "no device matches the target"}
                results[target] = {"target": target, "success": False, "error": error}
            else:
                msg_id = record_message(
                    conn, schedule_id=None, sent_at=call.now.timestamp(), targets=1, kind="batch"
                )
                # SDK: msg_id is an integer in batch results (a string elsewhere).
                results[target] = {"target": target, "success": True, "msg_id": int(msg_id)}
    limited = granted < len(targets)
    info = {"message": RATE_LIMITED_MESSAGE if limited else "", "rate_limit_occurred": limited}
    return Reply({"results": results, "rate_limit_info": info})


def batch_by_regid(call: Call) -> Reply:
    return _batch(call, "regid")


def batch_by_alias(call: Call) -> Reply:
    return _batch(call, "alias")


def _counters(targets: int) -> dict[str, Any]:
    return {
        "targets": targets,
        "sent": targets,
        "delivered": targets,
        "impressions": 0,
        "clicks": 0,
    }


def message_details(call: Call) -> Reply:
    """``?message_ids=a,b`` (≤ 100) → counters keyed by msg_id; unknown ids are left out."""
    raw = call.query.get("message_ids", "")
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise _ApiFailure(400, PUSH_MISSING_PARAMETER, "message_ids is required")
    if len(ids) > MAX_DETAIL_IDS:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, f"at most {MAX_DETAIL_IDS} message ids")
    nums = {num: msg_id for msg_id in ids if (num := message_num(msg_id)) is not None}
    with call.emu.store.tx() as conn:
        rows = conn.execute(
            "SELECT num, targets FROM messages WHERE num IN (SELECT value FROM json_each(?))",
            (json.dumps(list(nums)),),
        ).fetchall()
    details: dict[str, Any] = {}
    for row in rows:
        counters = _counters(row["targets"])
        notification = {**counters, "sub_web": {"engageLab_web": _counters(row["targets"])}}
        details[str(MSG_ID_BASE + row["num"])] = {
            **counters,
            "sub": {"notification": notification, "message": _counters(0)},
        }
    return Reply(details)
