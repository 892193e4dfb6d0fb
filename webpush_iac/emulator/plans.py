"""Push plans (App Push, docs/emulator.md "App Push product"): upsert, list, delete, batch delete.

A plan's ``count`` and ``last_used_time`` come from the messages pushed with its
``options.plan_id``, so they move as the engine's schedules fire.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any, Final

from webpush_iac.emulator.app_payload import PLAN_ID_RE
from webpush_iac.emulator.core import Call
from webpush_iac.emulator.devices import as_json
from webpush_iac.emulator.protocol import (
    EMPTY,
    PLAN_ID_EMPTY,
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_UNEXPECTED_PARAMETER,
    Reply,
    _ApiFailure,
)

MAX_PLANS: Final = 100  # DOC (console guide): at most 100 plans per AppKey
MAX_PAGE_SIZE: Final = 100  # SDK
DEFAULT_PAGE_SIZE: Final = 20  # SDK examples; GUESS for the server default
SOURCE_API: Final = 0  # SDK: send_source 0 = API, 1 = console


def _bad(message: str, code: int = PUSH_INVALID_PARAMETER, status: int = 400) -> _ApiFailure:
    return _ApiFailure(status, code, message)


def check_plan_id(value: Any) -> str:
    if value is None or value == "":
        raise _bad("plan_id is empty", PLAN_ID_EMPTY)  # DOC*: 27303
    if not isinstance(value, str):
        raise _bad("plan_id must be a string", PUSH_BAD_TYPE_OR_LENGTH)
    if not PLAN_ID_RE.fullmatch(value):
        raise _bad("plan_id: letters, digits, underscore, not starting with '_', ≤ 50")
    return value


def upsert_plan(call: Call) -> Reply:
    """``POST /v4/push_plan`` creates the plan or, for a known id, replaces its description."""
    body = call.json()
    if not isinstance(body, dict):
        raise _bad("request body must be a JSON object", PUSH_BAD_TYPE_OR_LENGTH)
    extra = sorted(set(body) - {"plan_id", "plan_description"})
    if extra:
        raise _bad(f"unexpected parameter {extra[0]!r}", PUSH_UNEXPECTED_PARAMETER)
    plan_id = check_plan_id(body.get("plan_id"))
    description = body.get("plan_description", "")
    if not isinstance(description, str):
        raise _bad("plan_description must be a string", PUSH_BAD_TYPE_OR_LENGTH)
    now = call.now.timestamp()
    with call.emu.store.tx() as conn:
        known = conn.execute("SELECT 1 FROM plans WHERE plan_id = ?", (plan_id,)).fetchone()
        if known is None:
            count = conn.execute("SELECT COUNT(*) FROM plans").fetchone()[0]
            if count >= MAX_PLANS:
                # GUESS: the quota refusal is a plain invalid-parameter answer.
                raise _bad(f"the app already has {MAX_PLANS} push plans")
            conn.execute(
                "INSERT INTO plans (plan_id, description, created, updated, source) "
                "VALUES (?, ?, ?, ?, ?)",
                (plan_id, description, now, now, SOURCE_API),
            )
        else:
            conn.execute(
                "UPDATE plans SET description = ?, updated = ? WHERE plan_id = ?",
                (description, now, plan_id),
            )
    return Reply({"plan_id": plan_id})


def _int_param(call: Call, key: str, default: int, top: int) -> int:
    raw = call.query.get(key, str(default))
    if not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= top:
        raise _bad(f"{key} must be an integer 1..{top}")
    return int(raw)


def _info(row: sqlite3.Row) -> dict[str, Any]:
    tag = hashlib.sha256(f"{row['plan_id']}\0{row['description']}".encode()).hexdigest()[:16]
    return {
        "plan_id": row["plan_id"],
        "plan_description": row["description"],
        "count": row["used"],
        "create_time": int(row["created"] * 1000),
        "last_used_time": int((row["last_used"] or 0) * 1000),
        "entity_tag": tag,
    }


def list_plans(call: Call) -> Reply:
    """``GET /v4/push_plan/list``: pages in creation order (GUESS), filtered by send_source and
    by ``search_description``, a case-insensitive substring of the description or the id."""
    page = _int_param(call, "page_index", 1, 10**9)
    size = _int_param(call, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    source = call.query.get("send_source")
    if source is not None and source not in ("0", "1"):
        raise _bad("send_source must be 0 (API) or 1 (console)")
    needle = call.query.get("search_description", "").lower()
    where = "WHERE (? IS NULL OR p.source = ?) AND (instr(lower(p.description), ?) > 0 OR "
    where += "instr(lower(p.plan_id), ?) > 0)"
    params: tuple[Any, ...] = (source, source, needle, needle)
    with call.emu.store.tx() as conn:
        total = conn.execute(f"SELECT COUNT(*) FROM plans p {where}", params).fetchone()[0]  # noqa: S608
        rows = conn.execute(
            "SELECT p.*, (SELECT COUNT(*) FROM messages m WHERE m.plan_id = p.plan_id) AS used, "  # noqa: S608
            "(SELECT MAX(sent_at) FROM messages m WHERE m.plan_id = p.plan_id) AS last_used "
            f"FROM plans p {where} ORDER BY p.seq LIMIT ? OFFSET ?",
            (*params, size, (page - 1) * size),
        ).fetchall()
    return Reply({"push_plan_info": [_info(row) for row in rows], "total": total})


def _refuse_deletion(call: Call) -> None:
    if not call.emu.rules.plan_deletion:
        # DOC (console guide): plan ids cannot be deleted; the SDKs have delete calls. The
        # refusal's code is a GUESS.
        raise _bad("push plans cannot be deleted")


def delete_plan(call: Call) -> Reply:
    """``DELETE /v4/push_plan/{plan_id}`` → ``{"plan_id": ..}`` (SDK); unknown ids are 404."""
    _refuse_deletion(call)
    plan_id = check_plan_id(call.params["plan_id"])
    with call.emu.store.tx() as conn:
        gone = conn.execute("DELETE FROM plans WHERE plan_id = ?", (plan_id,)).rowcount
    if not gone:
        raise _bad(f"push plan {plan_id!r} does not exist", status=404)
    return Reply({"plan_id": plan_id})


def delete_plans(call: Call) -> Reply:
    """``DELETE /v4/push_plan/batch/{id1,id2}``: 200, empty (SDK); unknown ids are skipped."""
    _refuse_deletion(call)
    ids = [check_plan_id(p) for p in call.params["plan_ids"].split(",")]
    if len(ids) > MAX_PLANS:
        raise _bad(f"at most {MAX_PLANS} plan ids per call")
    with call.emu.store.tx() as conn:
        conn.execute(
            "DELETE FROM plans WHERE plan_id IN (SELECT value FROM json_each(?))", (as_json(ids),)
        )
    return EMPTY
