"""One comparable shape for desired and live schedules.

The API accepts several spellings of one schedule (``time_unit`` in any case, weekday points in any
order and case, ``zone_type`` omitted or 1) and adds fields of its own when it echoes a schedule back.
Comparing raw payloads would report drift on every run, so both sides go through the same
normalisation before ``diff`` compares them.

The rule for fields the server adds: a key that the live push carries and the desired push does not
is

* kept, and so reported as drift, when it is part of the documented create-push schema
  (docs/api-notes.md "Push payload" — e.g. ``notification.web.image`` set in another tool);
* dropped when it is not in that schema (``schedule_id``, ``msg_id``, anything new the server
  invents), or when it is a known server default: ``request_id`` and ``from`` (echoed or generated
  by the server) and ``options.time_to_live`` equal to the documented default 86400.

Free-form subtrees (``extras``, ``custom_args``, ``multi_language``, ``web_buttons``, the app
platform blocks, ...) are compared whole. Empty dicts, empty lists and ``None`` are dropped on both
sides; audience lists in ``to`` are sets, so they are sorted and de-duplicated.
"""

from __future__ import annotations

from typing import Any, Final

from webpush_iac.apispec import DEFAULT_TIME_TO_LIVE, WEEKDAYS
from webpush_iac.state import JSON, DesiredSchedule, LiveSchedule

# None marks a free-form subtree compared whole; a dict lists the keys known at that level.
_WEB_NOTIFICATION: Final[dict[str, Any]] = dict.fromkeys(
    ("alert", "url", "title", "icon", "image", "extras")
)
PUSH_SCHEMA: Final[dict[str, Any]] = {
    "from": None,
    "to": None,
    "request_id": None,
    "custom_args": None,
    "body": {
        "platform": None,
        "notification": {
            "alert": None,
            "web": _WEB_NOTIFICATION,
            "android": None,
            "ios": None,
            "hmos": None,
        },
        "message": dict.fromkeys(("msg_content", "title", "content_type", "extras")),
        "options": dict.fromkeys(
            (
                "time_to_live",
                "override_msg_id",
                "big_push_duration",
                "web_buttons",
                "multi_language",
                "third_party_channel",
                "plan_id",
                "cid",
                "apns_production",
                "apns_collapse_id",
                "classification",
                "voice_value",
                "enhanc_message",
                "auto_truncation",
            )
        ),
        "live_activity": None,
        "voip": None,
    },
}
_ANY: Final = object()
# (path inside push, value or _ANY): dropped from live when the desired push lacks the key.
SERVER_DEFAULTS: Final[dict[tuple[str, ...], Any]] = {
    ("request_id",): _ANY,
    ("from",): _ANY,
    ("body", "options", "time_to_live"): DEFAULT_TIME_TO_LIVE,
}


def normalize_desired(schedule: DesiredSchedule) -> JSON:
    """The comparable form of a desired schedule: ``{"enabled", "trigger", "push"}``."""
    return {
        "enabled": bool(schedule.enabled),
        "trigger": normalize_trigger(schedule.trigger),
        "push": normalize_push(schedule.push),
    }


def normalize_live(schedule: LiveSchedule, desired: DesiredSchedule | None = None) -> JSON:
    """The comparable form of a live schedule; server additions are judged against ``desired``."""
    reference = normalize_push(desired.push) if desired is not None else None
    push = _strip_server_fields(schedule.push, reference, PUSH_SCHEMA, ())
    return {
        "enabled": bool(schedule.enabled),
        "trigger": normalize_trigger(schedule.trigger),
        "push": normalize_push(push),
    }


def normalize_trigger(trigger: Any) -> JSON:
    """Lower-case unit, sorted upper-case weekdays, 2-digit month days, ``zone_type`` 1 by default."""
    if not isinstance(trigger, dict):
        return {}
    out: JSON = {}
    for kind, spec in trigger.items():
        if spec is None:
            continue  # the server's placeholder for kinds not in use
        if not isinstance(spec, dict):
            out[kind] = spec
            continue
        section = dict(spec)
        for key in ("zone_type", "frequency"):
            value = section.get(key)
            if isinstance(value, str) and value.strip().isdigit():
                section[key] = int(value)
        if kind in ("single", "periodical") and section.get("zone_type") is None:
            section["zone_type"] = 1
        unit = section.get("time_unit")
        if isinstance(unit, str):
            unit = section["time_unit"] = unit.strip().lower()
        if isinstance(section.get("point"), list):
            section["point"] = _normalize_points(section["point"], unit)
        out[kind] = prune_dict(section)
    return prune_dict(out)


def _normalize_points(points: list[Any], unit: Any) -> list[Any]:
    if unit == "month":
        days = {str(p).strip().zfill(2) if str(p).strip().isdigit() else str(p) for p in points}
        return sorted(days)
    names = {p.strip().upper() if isinstance(p, str) else str(p) for p in points}
    return sorted(names, key=lambda p: (WEEKDAYS.index(p) if p in WEEKDAYS else 7, p))


def normalize_push(push: Any) -> JSON:
    """Prune empties and treat audience lists as sets; never drops a key with a value."""
    if not isinstance(push, dict):
        return {}
    out = prune_dict(push)
    to = out.get("to")
    if isinstance(to, dict):
        out["to"] = {
            k: sorted(set(map(str, v))) if isinstance(v, list) else v for k, v in to.items()
        }
    return out


def _strip_server_fields(live: Any, desired: Any, schema: Any, path: tuple[str, ...]) -> Any:
    """Drop what the server added at this level (see the module docstring for the rule)."""
    if schema is None or not isinstance(live, dict):
        return live
    wanted = desired if isinstance(desired, dict) else {}
    out: JSON = {}
    for key, value in live.items():
        key_path = (*path, key)
        if key in wanted:
            out[key] = _strip_server_fields(value, wanted[key], schema.get(key), key_path)
        elif key in schema:
            default = SERVER_DEFAULTS.get(key_path)
            if default is _ANY or (default is not None and value == default):
                continue
            out[key] = _strip_server_fields(value, None, schema[key], key_path)
    return out


def prune_dict(value: JSON) -> JSON:
    """:func:`prune_empty` for a dict, typed as one."""
    out: JSON = prune_empty(value)
    return out


def prune_empty(value: Any) -> Any:
    """Recursively drop ``None``, ``{}`` and ``[]`` values from dicts (list items are kept)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = prune_empty(item)
            if item is None or item == {} or item == []:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [prune_empty(v) for v in value]
    return value


__all__ = [
    "PUSH_SCHEMA",
    "normalize_desired",
    "normalize_live",
    "normalize_push",
    "normalize_trigger",
    "prune_dict",
    "prune_empty",
]
