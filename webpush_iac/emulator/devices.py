"""Devices: reading and setting one device's tags and alias, seeding, and audience matching.

Devices exist only once registered (by the admin seed route): there is no API that creates or lists
them (DOC: "no server API lists registration ids"), so the emulator cannot invent them either.
Alias bindings are 1:1 (DOC); binding an alias that another device holds moves it, the newest
binding winning (GUESS: the reference only says 1:1, not which side loses).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from webpush_iac.emulator.clock import format_datetime
from webpush_iac.emulator.core import Call
from webpush_iac.emulator.labels import valid_label
from webpush_iac.emulator.protocol import DEVICE_INVALID, EMPTY, Reply, _ApiFailure

MAX_TAGS_PER_DEVICE = 100  # DOC
MAX_TAG_CHANGES_PER_CALL = 100  # JPUSH: ≤ 100 tags added / removed per device call
MAX_IDS_PER_CALL = 1000  # JPUSH: ≤ 1000 registration ids per bulk call
_RID_RE = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")  # GUESS: registration ids are short tokens
APP_PLATFORMS = ("android", "ios", "hmos")  # SDK


def bad(message: str) -> _ApiFailure:
    return _ApiFailure(400, DEVICE_INVALID, message)


def unknown_device(rid: str) -> _ApiFailure:
    # GUESS: an id the emulator never registered is "not found" (404) with the device code.
    return _ApiFailure(404, DEVICE_INVALID, f"registration id {rid!r} is not registered")


def check_label(value: Any, what: str) -> str:
    if not valid_label(value):
        raise bad(f"{what} must be 1..40 bytes of letters, digits, underscore or CJK characters")
    return str(value)


def check_rid(value: Any) -> str:
    if not isinstance(value, str) or not _RID_RE.fullmatch(value):
        raise bad("registration id must be a short token of letters, digits, '_', '-', '.', ':'")
    return value


def id_list(value: Any, what: str, limit: int = MAX_IDS_PER_CALL) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"{what} must be a list of strings")
    if len(value) > limit:
        raise bad(f"{what} holds more than {limit} values")
    return list(value)


def as_json(values: Iterable[str]) -> str:
    """A JSON array parameter for ``json_each(?)``: no limit on the number of bound values."""
    return json.dumps(list(values))


def device_exists(conn: sqlite3.Connection, rid: str) -> bool:
    return conn.execute("SELECT 1 FROM devices WHERE rid = ?", (rid,)).fetchone() is not None


def device_tags(conn: sqlite3.Connection, rid: str) -> list[str]:
    rows = conn.execute("SELECT tag FROM device_tags WHERE rid = ? ORDER BY tag", (rid,))
    return [row["tag"] for row in rows]


def bind_alias(conn: sqlite3.Connection, rid: str, alias: str) -> None:
    """``""`` removes the device's alias; anything else moves the alias onto this device."""
    if alias == "":
        conn.execute("UPDATE devices SET alias = NULL WHERE rid = ?", (rid,))
        return
    conn.execute("UPDATE devices SET alias = NULL WHERE alias = ? AND rid <> ?", (alias, rid))
    conn.execute("UPDATE devices SET alias = ? WHERE rid = ?", (alias, rid))


def check_tag_limit(conn: sqlite3.Connection, rids: list[str]) -> None:
    row = conn.execute(
        "SELECT rid, COUNT(*) AS n FROM device_tags WHERE rid IN (SELECT value FROM json_each(?)) "
        "GROUP BY rid HAVING n > ? LIMIT 1",
        (as_json(rids), MAX_TAGS_PER_DEVICE),
    ).fetchone()
    if row is not None:
        raise bad(f"device {row['rid']!r} would carry more than {MAX_TAGS_PER_DEVICE} tags")


def _platform(entry: dict[str, Any], product: str) -> str:
    """Web devices are all ``web``; app devices name android, ios or hmos (android if omitted)."""
    platform = entry.get("platform", "web" if product == "web" else "android")
    allowed = ("web",) if product == "web" else APP_PLATFORMS
    if platform not in allowed:
        raise bad(f"platform must be one of {', '.join(allowed)}")
    return str(platform)


def register_devices(
    conn: sqlite3.Connection, entries: list[dict[str, Any]], registered: datetime, product: str
) -> int:
    """Seed devices (admin route): entries hold ``registration_id`` and optional tags / alias
    (and, for the app product, ``platform``).

    Tags given for a device replace its tags; an omitted key leaves that part alone.
    """
    checked: list[tuple[str, list[str] | None, str | None]] = []
    platforms: list[tuple[str, str]] = []
    keys = {"registration_id", "tags", "alias", "platform"}
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) - keys:
            raise bad("each device is an object with registration_id, tags, alias, platform")
        rid = check_rid(entry.get("registration_id"))
        platforms.append((rid, _platform(entry, product)))
        tags = entry.get("tags")
        if tags is not None:
            tags = id_list(tags, "tags", MAX_TAGS_PER_DEVICE)
            tags = [check_label(t, "tag") for t in tags]
        alias = entry.get("alias")
        if alias is not None and alias != "":
            alias = check_label(alias, "alias")
        elif alias is not None and not isinstance(alias, str):
            raise bad("alias must be a string")
        checked.append((rid, tags, alias))
    conn.executemany(
        "INSERT INTO devices (rid, registered, platform) VALUES (?, ?, ?) "
        "ON CONFLICT(rid) DO UPDATE SET platform = excluded.platform",
        [(rid, registered.timestamp(), platform) for rid, platform in platforms],
    )
    for rid, tags, alias in checked:
        if tags is not None:
            conn.execute("DELETE FROM device_tags WHERE rid = ?", (rid,))
            conn.executemany(
                "INSERT OR IGNORE INTO device_tags (rid, tag) VALUES (?, ?)",
                [(rid, t) for t in tags],
            )
        if alias is not None:
            bind_alias(conn, rid, alias)
    return len(checked)


def registered_among(conn: sqlite3.Connection, rids: list[str]) -> set[str]:
    rows = conn.execute(
        "SELECT rid FROM devices WHERE rid IN (SELECT value FROM json_each(?))", (as_json(rids),)
    )
    return {row[0] for row in rows}


def platform_counts(conn: sqlite3.Connection, rids: set[str]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT platform, COUNT(*) FROM devices WHERE rid IN (SELECT value FROM json_each(?)) "
        "GROUP BY platform",
        (as_json(rids),),
    )
    return {row[0]: row[1] for row in rows}


def resolve_audience(
    conn: sqlite3.Connection, to: Any, platforms: list[str] | None = None
) -> set[str]:
    """Registration ids a (validated) ``to`` reaches: kinds AND together, lists OR (JPUSH),
    among the devices of ``platforms`` (None: every device)."""

    def rids(sql: str, values: list[str]) -> set[str]:
        return {row[0] for row in conn.execute(sql, (as_json(values),))}

    if platforms is None:
        every_rid = {row[0] for row in conn.execute("SELECT rid FROM devices")}
    else:
        every_rid = rids(
            "SELECT rid FROM devices WHERE platform IN (SELECT value FROM json_each(?))", platforms
        )
    if to == "all":
        return every_rid
    by_alias = "SELECT rid FROM devices WHERE alias IN (SELECT value FROM json_each(?))"
    by_rid = "SELECT rid FROM devices WHERE rid IN (SELECT value FROM json_each(?))"
    by_tag = "SELECT DISTINCT rid FROM device_tags WHERE tag IN (SELECT value FROM json_each(?))"
    picked: list[set[str]] = [every_rid]
    if "live_activity_id" in to:
        # GUESS: the emulator has no live activities; an id reaches the app's iOS devices.
        ios = conn.execute("SELECT rid FROM devices WHERE platform = 'ios'")
        picked.append({row[0] for row in ios})
    # GUESS: segments are defined in the console, which the emulator has not: a seg reaches
    # every device of the targeted platforms.
    if "tag" in to:
        picked.append(rids(by_tag, to["tag"]))
    for tag in to.get("tag_and", []):
        picked.append(rids(by_tag, [tag]))
    if "alias" in to:
        picked.append(rids(by_alias, to["alias"]))
    if "registration_id" in to:
        picked.append(rids(by_rid, to["registration_id"]))
    reached = set.intersection(*picked)
    if "tag_not" in to:
        reached -= rids(by_tag, to["tag_not"])
    return reached


# --- routes --------------------------------------------------------------------------------------


def get_device(call: Call) -> Reply:
    rid = call.params["rid"]
    with call.emu.store.tx() as conn:
        row = conn.execute("SELECT alias FROM devices WHERE rid = ?", (rid,)).fetchone()
        if row is None:
            raise unknown_device(rid)
        return Reply({"tags": device_tags(conn, rid), "alias": row["alias"] or ""})


def set_device(call: Call) -> Reply:
    """``{"tags": {"add": [..], "remove": [..]} | "", "alias": "..."}``; 200 with an empty body."""
    rid = call.params["rid"]
    body = call.json()
    if not isinstance(body, dict) or not body or set(body) - {"tags", "alias"}:
        raise bad("body must be an object with tags and/or alias")
    add: list[str] = []
    remove: list[str] = []
    clear = False
    if "tags" in body:
        tags = body["tags"]
        if tags == "":
            clear = True  # SDK/JPUSH: an empty string clears every tag
        elif isinstance(tags, dict) and tags and not set(tags) - {"add", "remove"}:
            add = [check_label(t, "tag") for t in id_list(tags.get("add", []), "tags.add")]
            remove = [check_label(t, "tag") for t in id_list(tags.get("remove", []), "tags.remove")]
            if len(add) > MAX_TAG_CHANGES_PER_CALL or len(remove) > MAX_TAG_CHANGES_PER_CALL:
                raise bad(f"at most {MAX_TAG_CHANGES_PER_CALL} tags may be added or removed")
            if set(add) & set(remove):
                raise bad("a tag cannot be added and removed in one call")
        else:
            raise bad('tags must be {"add": [...], "remove": [...]} or ""')
    alias = body.get("alias")
    if "alias" in body and alias != "":
        alias = check_label(alias, "alias")
    with call.emu.store.tx() as conn:
        if not device_exists(conn, rid):
            raise unknown_device(rid)
        if clear:
            conn.execute("DELETE FROM device_tags WHERE rid = ?", (rid,))
        conn.executemany(
            "DELETE FROM device_tags WHERE rid = ? AND tag = ?", [(rid, t) for t in remove]
        )
        conn.executemany(
            "INSERT OR IGNORE INTO device_tags (rid, tag) VALUES (?, ?)", [(rid, t) for t in add]
        )
        check_tag_limit(conn, [rid])
        if alias is not None:
            bind_alias(conn, rid, alias)
    return EMPTY


def delete_device(call: Call) -> Reply:
    """DOC: ``{"success": true}``. Deleting is asynchronous on the real API and an unknown id is
    not reported there (GUESS), so it succeeds here for unknown ids too."""
    rid = call.params["rid"]
    with call.emu.store.tx() as conn:
        conn.execute("DELETE FROM device_tags WHERE rid = ?", (rid,))
        conn.execute("DELETE FROM devices WHERE rid = ?", (rid,))
    return Reply({"success": True})


def devices_status(call: Call) -> Reply:
    """SDK: an array of ``{"regid", "online", "last_online_time"}``; unknown ids are left out
    (GUESS). Seeded devices are offline and were last online when they were registered."""
    body = call.json()
    if not isinstance(body, dict) or set(body) != {"registration_ids"}:
        raise bad('body must be {"registration_ids": [...]}')
    rids = id_list(body["registration_ids"], "registration_ids")
    if not rids:
        raise bad("registration_ids must not be empty")
    with call.emu.store.tx() as conn:
        rows = conn.execute(
            "SELECT rid, registered, online FROM devices "
            "WHERE rid IN (SELECT value FROM json_each(?))",
            (as_json(rids),),
        ).fetchall()
    found = {row["rid"]: row for row in rows}
    result: list[dict[str, Any]] = []
    for rid in dict.fromkeys(rids):
        row = found.get(rid)
        if row is None:
            continue
        entry: dict[str, Any] = {"regid": rid, "online": bool(row["online"])}
        if not row["online"]:
            seen = datetime.fromtimestamp(row["registered"], call.emu.home)
            entry["last_online_time"] = format_datetime(seen)
        result.append(entry)
    return Reply(result)


MAX_TOKENS = 500  # SDK 0.1.1: 1..500 tokens per call
TOKEN_PLATFORMS = ("android", "ios")  # SDK: "android" | "ios"


def token_registration(call: Call) -> Reply:
    """``POST /v4/devices/token/registration_id`` (app): vendor push tokens → registration ids.

    GUESS: a token the emulator has not seen registers a new device of that platform (is_new
    true); the same token always maps to the same registration id.
    """
    body = call.json()
    if not isinstance(body, dict) or set(body) - {"platform", "tokens", "apns_production"}:
        raise bad("body must be an object with platform, tokens and apns_production")
    platform = body.get("platform")
    if platform not in TOKEN_PLATFORMS:
        raise bad("platform must be android or ios")
    tokens = id_list(body.get("tokens"), "tokens", MAX_TOKENS)
    if not tokens or not all(tokens) or any(len(t) > 512 for t in tokens):
        raise bad(f"tokens must hold 1..{MAX_TOKENS} non-empty tokens")
    if "apns_production" in body and not isinstance(body["apns_production"], bool):
        raise bad("apns_production must be true or false")
    results: list[dict[str, Any]] = []
    with call.emu.store.tx() as conn:
        for token in dict.fromkeys(tokens):
            row = conn.execute(
                "SELECT rid FROM tokens WHERE platform = ? AND token = ?", (platform, token)
            ).fetchone()
            is_new = row is None
            rid = (
                row[0]
                if row
                else platform[0]
                + hashlib.sha1(  # noqa: S324 - not security
                    f"{platform}:{token}".encode()
                ).hexdigest()[:17]
            )
            if is_new:
                conn.execute(
                    "INSERT INTO tokens (platform, token, rid) VALUES (?, ?, ?)",
                    (platform, token, rid),
                )
                conn.execute(
                    "INSERT INTO devices (rid, registered, platform) VALUES (?, ?, ?) "
                    "ON CONFLICT(rid) DO NOTHING",
                    (rid, call.now.timestamp(), platform),
                )
            results.append(
                {"token": token, "registration_id": rid, "is_new": is_new, "code": 0, "message": ""}
            )
    return Reply({"results": results})
