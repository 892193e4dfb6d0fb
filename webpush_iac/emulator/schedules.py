"""Schedule routes and the lazy firing that runs before every API call (docs/api-notes.md
"Schedules: list", "Lifecycle"; the lifecycle rules are options, docs/emulator.md).

There is no background task: each call first advances every task whose next event (a firing or
leaving the list) is due, using the emulator clock. That makes firing deterministic under an
advanced clock and free when nothing is due (one indexed query).
"""

from __future__ import annotations

import json
import math
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

from webpush_iac.emulator.core import Call, Emulator
from webpush_iac.emulator.delivery import platforms_for, record
from webpush_iac.emulator.devices import resolve_audience
from webpush_iac.emulator.firing import fires_between, leave_instant
from webpush_iac.emulator.protocol import (
    EMPTY,
    SCHEDULE_EXPIRED,
    SCHEDULE_INVALID,
    SCHEDULE_NOT_FOUND,
    RawJSON,
    Reply,
    _ApiFailure,
)
from webpush_iac.emulator.store import MSG_ID_BASE
from webpush_iac.emulator.validation import TimeContext, check_create, check_update


def _ts(instant: datetime) -> float:
    return instant.timestamp()


def _instant(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _doc(task: dict[str, Any]) -> str:
    """The stored JSON of a task as the API answers it (schedule_id, name, enabled, trigger,
    push), kept whole so that reads splice it into the answer instead of re-encoding it."""
    keys = ("schedule_id", "name", "enabled", "trigger", "push")
    return json.dumps({k: task[k] for k in keys}, ensure_ascii=False, separators=(",", ":"))


def _to_object(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "schedule_id": row["id"],
        "name": row["name"],
        "enabled": bool(row["enabled"]),
        "trigger": json.loads(row["trigger"]),
        "push": json.loads(row["push"]),
    }


def _timing(
    emu: Emulator, trigger: dict[str, Any], created: datetime, after: datetime
) -> tuple[float | None, float | None]:
    """(leave_at, next_event) of a trigger whose firings up to ``after`` are already done; None
    for "never" (a task that never leaves the list, or has nothing left to do)."""
    kind = next(iter(trigger))
    block = trigger[kind]
    leave = leave_instant(kind, block, emu.home, created, emu.rules)
    _, upcoming = fires_between(kind, block, emu.home, created, emu.rules, after, after)
    events = [_ts(when) for when in (leave, upcoming) if when is not None]
    return (None if leave is None else _ts(leave)), (min(events) if events else None)


def retime(emu: Emulator) -> None:
    """Recompute when every listed task fires next and leaves, after a lifecycle rule changed.
    A task that already left the list stays gone: nothing is un-fired or un-expired."""
    with emu.store.tx() as conn:
        rows = conn.execute("SELECT * FROM schedules WHERE valid = 1").fetchall()
        for row in rows:
            leave_at, next_event = _timing(
                emu,
                json.loads(row["trigger"]),
                _instant(row["created"]),
                _instant(row["last_eval"]),
            )
            conn.execute(
                "UPDATE schedules SET leave_at = ?, next_event = ? WHERE id = ?",
                (leave_at, next_event, row["id"]),
            )
    emu.due_known = False


def evaluate(emu: Emulator, now: datetime) -> None:
    """Record every firing due by ``now`` and drop tasks whose time is over from the list.
    Free while nothing is due: the earliest next event is remembered between calls."""
    if emu.due_known and (emu.due_at is None or _ts(now) < emu.due_at):
        return
    with emu.store.tx() as conn:
        due = conn.execute(
            "SELECT * FROM schedules WHERE valid = 1 AND next_event <= ?", (_ts(now),)
        ).fetchall()
        for row in due:
            _advance(conn, emu, row, now)
        emu.due_at = conn.execute(
            "SELECT MIN(next_event) FROM schedules WHERE valid = 1"
        ).fetchone()[0]
        emu.due_known = True


def _advance(conn: sqlite3.Connection, emu: Emulator, row: sqlite3.Row, now: datetime) -> None:
    trigger = json.loads(row["trigger"])
    kind = next(iter(trigger))
    created = _instant(row["created"])
    fired, upcoming = fires_between(
        kind, trigger[kind], emu.home, created, emu.rules, _instant(row["last_eval"]), now
    )
    if fired and row["enabled"]:  # a disabled task lets its firings pass without sending
        payload = json.loads(row["push"])
        targets = resolve_audience(conn, payload["to"], platforms_for(emu.product, payload["body"]))
        for instant in fired:
            record(
                conn,
                emu.product,
                payload,
                targets,
                sent_at=_ts(instant),
                kind=kind,
                schedule_id=row["id"],
            )
    leave_at = row["leave_at"]
    valid = leave_at is None or _ts(now) < leave_at
    next_event = None
    if valid:
        upcoming_ts = None if upcoming is None else _ts(upcoming)
        events = [t for t in (leave_at, upcoming_ts) if t is not None]
        next_event = min(events) if events else None
    conn.execute(
        "UPDATE schedules SET last_eval = ?, next_event = ?, valid = ? WHERE id = ?",
        (_ts(now), next_event, int(valid), row["id"]),
    )


def _find(conn: sqlite3.Connection, schedule_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM schedules WHERE id = ?", (schedule_id,)).fetchone()
    if row is None:
        raise _ApiFailure(404, SCHEDULE_NOT_FOUND, f"schedule {schedule_id!r} does not exist")
    return row  # type: ignore[no-any-return]


def _ctx(call: Call, *, updating: bool = False) -> TimeContext:
    emu = call.emu
    return TimeContext(
        now=call.now, home=emu.home, rules=emu.rules, product=emu.product, updating=updating
    )


def _refuse_expired(row: sqlite3.Row, what: str) -> None:
    """JPUSH: a task past its term ("expired") cannot be updated; JPUSH 8100 also covers a bad
    delete target. The engine reads this as "it fired before the change reached it"."""
    if not row["valid"]:
        raise _ApiFailure(400, SCHEDULE_INVALID, f"{SCHEDULE_EXPIRED}: the task cannot be {what}")


# --- routes --------------------------------------------------------------------------------------


def list_schedules(call: Call) -> Reply:
    """50 valid tasks per page in creation order; a page past the end is empty (JPUSH)."""
    raw = call.query.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise _ApiFailure(400, SCHEDULE_INVALID, "page must be a positive integer")
    page = int(raw)
    size = call.emu.config.page_size
    with call.emu.store.tx() as conn:
        total = conn.execute("SELECT COUNT(*) FROM schedules WHERE valid = 1").fetchone()[0]
        docs = [
            row[0]
            for row in conn.execute(
                "SELECT doc FROM schedules WHERE valid = 1 ORDER BY seq LIMIT ? OFFSET ?",
                (size, (page - 1) * size),
            )
        ]
    head = f'{{"total_count":{total},"total_pages":{math.ceil(total / size)},"page":{page}'
    return Reply(RawJSON(f'{head},"schedules":[{",".join(docs)}]}}'))


def create_schedule(call: Call) -> Reply:
    body = check_create(call.json(), _ctx(call))
    emu = call.emu
    schedule_id = str(uuid.uuid4())
    created = call.now
    # Firings strictly after last_eval are sent; start just before creation so that an
    # intelligent "now" task fires on the next call.
    last_eval = _instant(_ts(created) - 0.001)
    leave_at, next_event = _timing(emu, body["trigger"], created, last_eval)
    with emu.store.tx() as conn:
        valid = conn.execute("SELECT COUNT(*) FROM schedules WHERE valid = 1").fetchone()[0]
        if valid >= emu.config.max_valid_schedules:
            # DOC*/JPUSH: at most 1000 valid tasks per app key; the code is our GUESS.
            raise _ApiFailure(
                400,
                SCHEDULE_INVALID,
                f"the app already has {emu.config.max_valid_schedules} valid scheduled tasks",
            )
        conn.execute(
            "INSERT INTO schedules (id, name, enabled, kind, trigger, push, created, last_eval, "
            "next_event, leave_at, valid, doc) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            (
                schedule_id,
                body["name"],
                next(iter(body["trigger"])),
                json.dumps(body["trigger"], ensure_ascii=False),
                json.dumps(body["push"], ensure_ascii=False),
                _ts(created),
                _ts(last_eval),
                next_event,
                leave_at,
                _doc({**body, "schedule_id": schedule_id}),
            ),
        )
    emu.due_known = False
    call.drop_after_reply = emu.faults.take_commit_then_drop()
    return Reply({"schedule_id": schedule_id, "name": body["name"]})


def get_schedule(call: Call) -> Reply:
    """SDK: a JSON array holding the task. A fired or expired task is still returned here
    (GUESS from JPUSH, which answers 404 only for unknown ids); it is just no longer listed."""
    with call.emu.store.tx() as conn:
        row = _find(conn, call.params["schedule_id"])
    return Reply(RawJSON(f"[{row['doc']}]"))


def update_schedule(call: Call) -> Reply:
    """JPUSH: any subset of the four sections; each one given replaces the stored one whole."""
    emu = call.emu
    with emu.store.tx() as conn:
        row = _find(conn, call.params["schedule_id"])
    _refuse_expired(row, "updated")
    body = check_update(call.json(), row["kind"], _ctx(call, updating=True))
    merged = _to_object(row)
    merged.update(body)
    created = _instant(row["created"])
    leave_at, next_event = _timing(emu, merged["trigger"], created, _instant(row["last_eval"]))
    with emu.store.tx() as conn:
        conn.execute(
            "UPDATE schedules SET name = ?, enabled = ?, trigger = ?, push = ?, next_event = ?, "
            "leave_at = ?, doc = ? WHERE id = ?",
            (
                merged["name"],
                int(merged["enabled"]),
                json.dumps(merged["trigger"], ensure_ascii=False),
                json.dumps(merged["push"], ensure_ascii=False),
                next_event,
                leave_at,
                _doc(merged),
                row["id"],
            ),
        )
    emu.due_known = False
    return Reply(merged)


def delete_schedule(call: Call) -> Reply:
    """200 with an empty body (SDK / JPUSH). Messages it sent stay readable in details; a task
    that fired or expired meanwhile is refused like an update (docs/emulator.md)."""
    with call.emu.store.tx() as conn:
        row = _find(conn, call.params["schedule_id"])
        _refuse_expired(row, "deleted")
        conn.execute("DELETE FROM schedules WHERE id = ?", (row["id"],))
    return EMPTY


def schedule_msg_ids(call: Call) -> Reply:
    """``{"count": N, "MsgIds": [...]}``; each element a JSON-encoded string (JPUSH since 2018)."""
    with call.emu.store.tx() as conn:
        row = _find(conn, call.params["schedule_id"])
        messages = conn.execute(
            "SELECT num, sent_at FROM messages WHERE schedule_id = ? ORDER BY num", (row["id"],)
        ).fetchall()
    ids = [
        json.dumps(
            {
                "msg_id": str(MSG_ID_BASE + m["num"]),
                "error": {"code": 0, "message": ""},
                "needRetry": False,
                "ts": int(m["sent_at"] * 1000),
            }
        )
        for m in messages
    ]
    return Reply({"count": len(ids), "MsgIds": ids})
