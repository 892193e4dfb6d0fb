"""Push routes (docs/api-notes.md "Push, batch push and statistics"): push, push/validate, batch push and (app) withdraw.

A push "sends" by recording a message with the devices its audience reached; statistics
(:mod:`stats`) report from that record.
"""

from __future__ import annotations

from typing import Any

from webpush_iac.emulator.core import Call
from webpush_iac.emulator.delivery import (
    DAY,
    check_override,
    earlier_cid,
    platforms_for,
    reach,
    record,
    remember_cid,
)
from webpush_iac.emulator.devices import as_json
from webpush_iac.emulator.payload import batch_body, check_batch_item, check_push
from webpush_iac.emulator.protocol import (
    PUSH_BAD_REGISTRATION_ID,
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
from webpush_iac.emulator.store import message_num

MAX_BATCH = 500  # DOC: ≤ 500 requests per batch call


def push(call: Call) -> Reply:
    """``POST /v4/push``. A repeated ``options.cid`` (same app, within a day) sends nothing and
    answers the first push's msg_id (GUESS from SDK/DOC* "repeats don't resend")."""
    emu = call.emu
    payload = check_push(call.json(), emu.limits())
    options = payload["body"].get("options") or {}
    request_id = payload.get("request_id", "")
    cid = options.get("cid")
    with emu.store.tx() as conn:
        if cid is not None:
            first = earlier_cid(conn, cid, call.now)
            if first is not None:
                return Reply({"request_id": request_id, "msg_id": first})
        check_override(conn, options, call.now)
        targets = reach(conn, emu.product, payload)
        msg_id = record(
            conn, emu.product, payload, targets, sent_at=call.now.timestamp(), kind="push"
        )
        if cid is not None:
            remember_cid(conn, cid, msg_id, call.now)
    return Reply({"request_id": request_id, "msg_id": msg_id})


def validate_push(call: Call) -> Reply:
    """Checks the payload without sending. GUESS: the audience is not matched against devices
    (so 21011 never comes from here) and ``msg_id`` is "0" because nothing was sent; an unknown
    override_msg_id is still 1003 (it is part of what makes the push valid)."""
    payload = check_push(call.json(), call.emu.limits())
    with call.emu.store.tx() as conn:
        check_override(conn, payload["body"].get("options") or {}, call.now)
    return Reply({"request_id": payload.get("request_id", ""), "msg_id": "0"})


def _batch_items(call: Call) -> list[dict[str, Any]]:
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
    return items


def _batch(call: Call, by: str) -> Reply:
    emu = call.emu
    items = _batch_items(call)
    limits = emu.limits()
    targets = [check_batch_item(item, limits) for item in items]
    if len(set(targets)) != len(targets):
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "targets must be unique within a call")
    # DOC: each target costs one unit of the push QPS; the call itself already paid for one.
    granted = 1 + emu.limiter.acquire(call.app_key, emu.faults.qps, len(targets) - 1)
    results: dict[str, Any] = {}
    column = "rid" if by == "regid" else "alias"
    # DOC*: an unknown registration id is 20101; an alias nobody holds matches no device (21011).
    missing = (
        (PUSH_BAD_REGISTRATION_ID, "registration id is not registered")
        if by == "regid"
        else (PUSH_NO_TARGET, "no device matches the target")
    )
    with emu.store.tx() as conn:
        found = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                f"SELECT {column}, rid, platform FROM devices WHERE {column} IN "  # noqa: S608
                "(SELECT value FROM json_each(?))",
                (as_json(targets),),
            )
        }
        for index, (item, target) in enumerate(zip(items, targets, strict=True)):
            body = batch_body(item)
            platforms = platforms_for(emu.product, body)
            device = found.get(target)
            if index >= granted:
                error = {"code": RATE_LIMITED, "message": RATE_LIMITED_MESSAGE}
            elif device is None:
                error = {"code": missing[0], "message": missing[1]}
            elif platforms is not None and device[1] not in platforms:
                error = {"code": PUSH_NO_TARGET, "message": "the device's platform is not targeted"}
            else:
                msg_id = record(
                    conn, emu.product, body, {device[0]}, sent_at=call.now.timestamp(), kind="batch"
                )
                # SDK: msg_id is an integer in batch results (a string elsewhere).
                results[target] = {"target": target, "success": True, "msg_id": int(msg_id)}
                continue
            results[target] = {"target": target, "success": False, "error": error}
    limited = granted < len(targets)
    info = {"message": RATE_LIMITED_MESSAGE if limited else "", "rate_limit_occurred": limited}
    return Reply({"results": results, "rate_limit_info": info})


def batch_by_regid(call: Call) -> Reply:
    return _batch(call, "regid")


def batch_by_alias(call: Call) -> Reply:
    return _batch(call, "alias")


def withdraw(call: Call) -> Reply:
    """``DELETE /v4/push/withdraw/{msg_id}`` (app, DOC): recall within one day, once.

    DOC: an unknown msg_id is 400 / 21003; GUESS: a second recall and one after a day are too.
    """
    msg_id = call.params["msg_id"]
    num = message_num(msg_id)
    with call.emu.store.tx() as conn:
        row = None
        if num is not None:
            row = conn.execute(
                "SELECT withdrawn, sent_at FROM messages WHERE num = ?", (num,)
            ).fetchone()
        if row is None:
            raise _ApiFailure(400, PUSH_INVALID_PARAMETER, f"message {msg_id!r} does not exist")
        if row["withdrawn"]:
            raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "the message was already withdrawn")
        if row["sent_at"] < call.now.timestamp() - DAY:
            raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "messages older than a day stay sent")
        conn.execute("UPDATE messages SET withdrawn = 1 WHERE num = ?", (num,))
    return Reply({"request_id": "", "msg_id": msg_id})
