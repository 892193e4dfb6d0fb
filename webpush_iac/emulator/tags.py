"""Tag and alias routes (docs/api-notes.md "Devices, tags and aliases"): bulk membership, counts,
alias lookups.

Bulk tag calls are all-or-nothing inside one transaction: a call naming an unregistered device or
pushing a device past 100 tags changes nothing (GUESS: nothing we read says whether the real
API applies the valid part).
"""

from __future__ import annotations

from webpush_iac.emulator.core import Call
from webpush_iac.emulator.devices import (
    MAX_IDS_PER_CALL,
    as_json,
    bad,
    check_label,
    check_tag_limit,
    id_list,
)
from webpush_iac.emulator.protocol import EMPTY, Reply

# GUESS (DOC* "typically web — confirm"): the web host answers for platform web; "all" is the
# Java SDK's catch-all value. Anything else is refused.
WEB_PLATFORMS = frozenset({"web", "all"})
MAX_TAGS_PER_COUNT = 1000  # DOC*


def _check_platform(call: Call) -> None:
    platform = call.query.get("platform")
    if platform is not None and not all(p in WEB_PLATFORMS for p in platform.split(",")):
        raise bad("platform must be web")


def list_tags(call: Call) -> Reply:
    """Every tag some device carries. JPush caps this list at 100 per platform; the emulator
    does not (GUESS), so the reconciler must not rely on it as an inventory either way."""
    with call.emu.store.tx() as conn:
        rows = conn.execute("SELECT DISTINCT tag FROM device_tags ORDER BY tag").fetchall()
    return Reply({"tags": [row["tag"] for row in rows]})


def update_tag(call: Call) -> Reply:
    """``{"registration_ids": {"add": [..], "remove": [..]}}``, ≤ 1000 ids each (JPUSH)."""
    tag = check_label(call.params["tag"], "tag")
    body = call.json()
    if not isinstance(body, dict) or set(body) != {"registration_ids"}:
        raise bad('body must be {"registration_ids": {"add": [...], "remove": [...]}}')
    ids = body["registration_ids"]
    if not isinstance(ids, dict) or set(ids) - {"add", "remove"}:
        raise bad("registration_ids must be an object with add and/or remove")
    add = id_list(ids.get("add", []), "registration_ids.add", MAX_IDS_PER_CALL)
    remove = id_list(ids.get("remove", []), "registration_ids.remove", MAX_IDS_PER_CALL)
    if not add and not remove:
        raise bad("registration_ids.add and .remove cannot both be empty")
    if set(add) & set(remove):
        raise bad("a registration id cannot be added and removed in one call")
    named = list(dict.fromkeys(add + remove))
    with call.emu.store.tx() as conn:
        known = {
            row[0]
            for row in conn.execute(
                "SELECT rid FROM devices WHERE rid IN (SELECT value FROM json_each(?))",
                (as_json(named),),
            )
        }
        unknown = [rid for rid in named if rid not in known]
        if unknown:
            # GUESS: the whole call is refused with 400 and the device code, naming one id.
            raise bad(f"{len(unknown)} registration id(s) are not registered, e.g. {unknown[0]!r}")
        conn.executemany(
            "DELETE FROM device_tags WHERE rid = ? AND tag = ?", [(rid, tag) for rid in remove]
        )
        conn.executemany(
            "INSERT OR IGNORE INTO device_tags (rid, tag) VALUES (?, ?)",
            [(rid, tag) for rid in add],
        )
        if add:
            check_tag_limit(conn, add)
    return EMPTY


def delete_tag(call: Call) -> Reply:
    _check_platform(call)
    tag = call.params["tag"]
    with call.emu.store.tx() as conn:
        conn.execute("DELETE FROM device_tags WHERE tag = ?", (tag,))
    return EMPTY


def tag_has_device(call: Call) -> Reply:
    with call.emu.store.tx() as conn:
        row = conn.execute(
            "SELECT 1 FROM device_tags WHERE tag = ? AND rid = ?",
            (call.params["tag"], call.params["rid"]),
        ).fetchone()
    return Reply({"result": row is not None})


def tags_count(call: Call) -> Reply:
    """``?tags=a&tags=b&platform=web`` → ``{"tagsCount": {"a": N, "b": M}}`` (SDK 0.1.1)."""
    _check_platform(call)
    tags = call.query.getlist("tags")
    if not tags:
        raise bad("tags is required")
    if len(tags) > MAX_TAGS_PER_COUNT:
        raise bad(f"at most {MAX_TAGS_PER_COUNT} tags per call")
    with call.emu.store.tx() as conn:
        rows = conn.execute(
            "SELECT tag, COUNT(*) AS n FROM device_tags "
            "WHERE tag IN (SELECT value FROM json_each(?)) GROUP BY tag",
            (as_json(tags),),
        ).fetchall()
    counts = {row["tag"]: row["n"] for row in rows}
    return Reply({"tagsCount": {tag: counts.get(tag, 0) for tag in tags}})


def get_alias(call: Call) -> Reply:
    """An unknown alias answers ``{"registration_ids": []}`` with 200 (GUESS from JPUSH, whose
    alias query returns an empty list rather than an error)."""
    _check_platform(call)
    with call.emu.store.tx() as conn:
        rows = conn.execute("SELECT rid FROM devices WHERE alias = ?", (call.params["alias"],))
        rids = [row["rid"] for row in rows]
    return Reply({"registration_ids": rids})


def delete_alias(call: Call) -> Reply:
    _check_platform(call)
    with call.emu.store.tx() as conn:
        conn.execute("UPDATE devices SET alias = NULL WHERE alias = ?", (call.params["alias"],))
    return EMPTY
