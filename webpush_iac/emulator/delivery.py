"""Sending one (checked) push: who it reaches and the message it leaves behind.

Shared by ``POST /v4/push``, batch push and schedule firings, so a push reaches the same devices
and is counted the same way whichever route sent it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, Final

from webpush_iac.emulator.app_payload import platforms_of
from webpush_iac.emulator.devices import platform_counts, registered_among, resolve_audience
from webpush_iac.emulator.payload import content_kind
from webpush_iac.emulator.protocol import (
    OVERRIDE_UNKNOWN,
    PUSH_BAD_REGISTRATION_ID,
    PUSH_NO_TARGET,
    _ApiFailure,
)
from webpush_iac.emulator.store import message_num, record_message

DAY: Final = 86400.0  # DOC*/JPUSH: override_msg_id, withdraw and cid all look back one day


def platforms_for(product: str, body: dict[str, Any]) -> list[str] | None:
    """The device platforms a body targets; None (every device) on the web product."""
    return platforms_of(body) if product == "app" else None


def reach(conn: sqlite3.Connection, product: str, payload: dict[str, Any]) -> set[str]:
    """The registration ids a push reaches, or the documented refusal.

    DOC*: a registration id that is not in this AppKey is 20101; no device at all is 21011.
    GUESS: 20101 only when none of the named ids is registered (the known ones still get it).
    """
    to = payload["to"]
    named = to.get("registration_id") if isinstance(to, dict) else None
    if named is not None and not registered_among(conn, named):
        raise _ApiFailure(
            400, PUSH_BAD_REGISTRATION_ID, "no registration id of the audience is registered"
        )
    targets = resolve_audience(conn, to, platforms_for(product, payload["body"]))
    if not targets:
        raise _ApiFailure(400, PUSH_NO_TARGET, "no device matches the audience")
    return targets


def check_override(conn: sqlite3.Connection, options: dict[str, Any], now: datetime) -> None:
    """DOC*/JPUSH: ``override_msg_id`` must be a message this app sent within one day, else
    1003 (HTTP 400, as the SDK's sample error body) and nothing is pushed."""
    if "override_msg_id" not in options:
        return
    num = message_num(str(options["override_msg_id"]))
    row = None
    if num is not None:
        row = conn.execute(
            "SELECT 1 FROM messages WHERE num = ? AND sent_at >= ?",
            (num, now.timestamp() - DAY),
        ).fetchone()
    if row is None:
        raise _ApiFailure(
            400, OVERRIDE_UNKNOWN, "options.override_msg_id is not a message of the last day"
        )


def record(
    conn: sqlite3.Connection,
    product: str,
    payload: dict[str, Any],
    targets: set[str],
    *,
    sent_at: float,
    kind: str,
    schedule_id: str | None = None,
) -> str:
    """Store the message a push left behind and return its msg_id."""
    body = payload.get("body", payload)
    options = body.get("options") or {}
    plan_id = options.get("plan_id") if product == "app" else None
    return record_message(
        conn,
        schedule_id=schedule_id,
        sent_at=sent_at,
        targets=len(targets),
        kind=kind,
        content=content_kind(body),
        breakdown=platform_counts(conn, targets) if product == "app" else None,
        plan_id=plan_id if isinstance(plan_id, str) else None,
    )


def earlier_cid(conn: sqlite3.Connection, cid: str, now: datetime) -> str | None:
    """The msg_id a cid already produced within the last day (cids are kept one day, JPUSH)."""
    row = conn.execute(
        "SELECT msg_id FROM cids WHERE cid = ? AND at > ?", (cid, now.timestamp() - DAY)
    ).fetchone()
    return None if row is None else str(row[0])


def remember_cid(conn: sqlite3.Connection, cid: str, msg_id: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO cids (cid, msg_id, at) VALUES (?, ?, ?) "
        "ON CONFLICT(cid) DO UPDATE SET msg_id = excluded.msg_id, at = excluded.at",
        (cid, msg_id, now.timestamp()),
    )
