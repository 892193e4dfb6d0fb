"""Tag and alias routes (docs/api-notes.md "Devices, tags and aliases"): bulk membership, counts,
alias lookups.

Bulk tag calls are all-or-nothing inside one transaction: a call naming an unregistered device or
pushing a device past 100 tags changes nothing (GUESS: nothing we read says whether the real
API applies the valid part).
"""

from __future__ import annotations

import sqlite3

from webpush_iac.emulator.core import Call
from webpush_iac.emulator.devices import (
    APP_PLATFORMS,
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
TAG_QUOTA = 100_000  # DOC: tags per AppKey
ALIAS_QUOTA = 100_000  # DOC: aliases per AppKey
DEVICES_PER_TAG = 100_000  # DOC
# Devices of the given platforms; ``?`` is a JSON list of platforms.
_ON = "rid IN (SELECT rid FROM devices WHERE platform IN (SELECT value FROM json_each(?)))"


def _platforms(call: Call, *, single: bool = False) -> list[str]:
    """The devices' platforms a call is about: web has one; app takes android / ios / hmos
    (comma-separated, or "all"; ``single``: one per call, SDK 0.1.1) and defaults to all."""
    raw = call.query.get("platform")
    if call.emu.product == "web":
        if raw is not None and not all(p in WEB_PLATFORMS for p in raw.split(",")):
            raise bad("platform must be web")
        return ["web"]
    if raw is None or raw == "all":
        return list(APP_PLATFORMS)
    names = raw.split(",")
    if single and len(names) > 1:
        raise bad("tags_count and quota-info take one platform per call")
    if not all(p in APP_PLATFORMS for p in names):
        raise bad("platform must be android, ios, hmos or all")
    return list(dict.fromkeys(names))


def _tags_on(conn: sqlite3.Connection, platform: str, cap: int | None) -> list[str]:
    rows = conn.execute(
        f"SELECT DISTINCT tag FROM device_tags WHERE {_ON} ORDER BY tag LIMIT ?",  # noqa: S608
        (as_json([platform]), -1 if cap is None else cap),
    )
    return [row[0] for row in rows]


def list_tags(call: Call) -> Reply:
    """Tags the devices of the platforms carry, at most ``tags_list_cap`` per platform (JPUSH
    caps at 100 per platform; the emulator's default is no cap, docs/emulator.md), so the
    reconciler must not rely on it as an inventory either way."""
    platforms = _platforms(call)
    cap = call.emu.rules.tags_list_cap
    with call.emu.store.tx() as conn:
        found = {tag for platform in platforms for tag in _tags_on(conn, platform, cap)}
    return Reply({"tags": sorted(found)})


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
    """Removes the tag from the devices of the platforms given (all when omitted)."""
    platforms = _platforms(call)
    tag = call.params["tag"]
    with call.emu.store.tx() as conn:
        conn.execute(
            f"DELETE FROM device_tags WHERE tag = ? AND {_ON}",  # noqa: S608 - fixed clause
            (tag, as_json(platforms)),
        )
    return EMPTY


def tag_has_device(call: Call) -> Reply:
    with call.emu.store.tx() as conn:
        row = conn.execute(
            "SELECT 1 FROM device_tags WHERE tag = ? AND rid = ?",
            (call.params["tag"], call.params["rid"]),
        ).fetchone()
    return Reply({"result": row is not None})


def tags_count(call: Call) -> Reply:
    """``?tags=a&tags=b&platform=web`` → ``{"tagsCount": {"a": N, "b": M}}`` (SDK 0.1.1); in
    the app product one platform per call, counting that platform's devices only."""
    platforms = _platforms(call, single=True)
    tags = _tag_params(call)
    with call.emu.store.tx() as conn:
        counts = _counts(conn, tags, platforms)
    return Reply({"tagsCount": {tag: counts.get(tag, 0) for tag in tags}})


def _tag_params(call: Call) -> list[str]:
    tags = call.query.getlist("tags")
    if not tags:
        raise bad("tags is required")
    if len(tags) > MAX_TAGS_PER_COUNT:
        raise bad(f"at most {MAX_TAGS_PER_COUNT} tags per call")
    return tags


def _counts(conn: sqlite3.Connection, tags: list[str], platforms: list[str]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT tag, COUNT(*) AS n FROM device_tags "  # noqa: S608 - fixed clause
        f"WHERE tag IN (SELECT value FROM json_each(?)) AND {_ON} GROUP BY tag",
        (as_json(tags), as_json(platforms)),
    ).fetchall()
    return {row["tag"]: row["n"] for row in rows}


def quota_info(call: Call) -> Reply:
    """``GET /v4/tags/quota-info?tags=a&platform=android`` (app, SDK): quotas and their use."""
    platforms = _platforms(call, single=True)
    tags = _tag_params(call)
    with call.emu.store.tx() as conn:
        counts = _counts(conn, tags, platforms)
        used_tags = conn.execute("SELECT COUNT(DISTINCT tag) FROM device_tags").fetchone()[0]
        used_aliases = conn.execute(
            "SELECT COUNT(*) FROM devices WHERE alias IS NOT NULL"
        ).fetchone()[0]
    detail = [
        {"tagName": tag, "totalUidQuota": DEVICES_PER_TAG, "useUidQuota": counts.get(tag, 0)}
        for tag in tags
    ]
    data = {
        "totalTagQuota": TAG_QUOTA,
        "useTagQuota": used_tags,
        "totalAliasQuota": ALIAS_QUOTA,
        "useAliasQuota": used_aliases,
        "tagUidQuotaDetail": detail,
    }
    return Reply({"data": data})


def get_alias(call: Call) -> Reply:
    """An unknown alias answers ``{"registration_ids": []}`` with 200 (GUESS from JPUSH, whose
    alias query returns an empty list rather than an error)."""
    platforms = _platforms(call)
    with call.emu.store.tx() as conn:
        rows = conn.execute(
            "SELECT rid FROM devices WHERE alias = ? "
            "AND platform IN (SELECT value FROM json_each(?))",
            (call.params["alias"], as_json(platforms)),
        )
        rids = [row["rid"] for row in rows]
    return Reply({"registration_ids": rids})


def delete_alias(call: Call) -> Reply:
    platforms = _platforms(call)
    with call.emu.store.tx() as conn:
        conn.execute(
            "UPDATE devices SET alias = NULL WHERE alias = ? "
            "AND platform IN (SELECT value FROM json_each(?))",
            (call.params["alias"], as_json(platforms)),
        )
    return EMPTY
