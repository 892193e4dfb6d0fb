"""The App Push ``body`` (docs/api-notes.md "Push payload"; docs/emulator.md "App Push product"): platform all / android / ios / hmos, one of
notification (alert + per-platform blocks, iOS keys hyphenated), message, live_activity or voip,
and the app options.

Field types follow the SDK models; a key no SDK model carries is refused (21015), so a payload
the engine renders with a typo (``content_available``) is caught here rather than live.
"""

from __future__ import annotations

import re
from typing import Any, Final

from webpush_iac.emulator.checks import fail, obj, only_keys, optional_type
from webpush_iac.emulator.protocol import (
    LIVE_ACTIVITY_BAD_AUDIENCE,
    LIVE_ACTIVITY_BAD_EVENT,
    LIVE_ACTIVITY_MIXED,
    LIVE_ACTIVITY_NO_ATTRIBUTES_TYPE,
    LIVE_ACTIVITY_NO_CONTENT_STATE,
    LIVE_ACTIVITY_NOT_IOS,
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_MISSING_PARAMETER,
    PUSH_NOTIFICATION_AND_MESSAGE,
    PUSH_UNEXPECTED_PARAMETER,
    VOIP_MIXED,
    VOIP_NOT_IOS,
)

PLATFORMS: Final = ("android", "ios", "hmos")
BODY_KEYS: Final = frozenset(
    {"platform", "notification", "message", "live_activity", "voip", "options"}
)
CONTENTS: Final = ("notification", "message", "live_activity", "voip")
_S, _I, _B, _O = str, int, bool, dict
# SDK field lists, each with the JSON types the SDK models give it.
BLOCK_FIELDS: Final[dict[str, dict[str, tuple[type, ...]]]] = {
    "android": {
        **dict.fromkeys(
            ("alert", "title", "channel_id", "category", "big_text", "big_pic_path"), (_S,)
        ),
        **dict.fromkeys(("large_icon", "small_icon", "sound", "badge_class", "group_id"), (_S,)),
        **dict.fromkeys(
            ("builder_id", "priority", "style", "badge_add_num", "badge_set_num"), (_I,)
        ),
        "inbox": (_O,),
        "extras": (_O,),
        "intent": (_O,),
        "display_foreground": (_S, _I, _B),
        "is_fold": (_B, _I),
    },
    "ios": {
        "alert": (_S, _O),
        "sound": (_S, _O),
        "badge": (_I, _S),
        "content-available": (_B,),
        "mutable-content": (_B,),
        "category": (_S,),
        "extras": (_O,),
        "thread-id": (_S,),
        "interruption-level": (_S,),
    },
    "hmos": {
        **dict.fromkeys(("alert", "title", "category", "large_icon", "receipt_id"), (_S,)),
        **dict.fromkeys(("badge_add_num", "badge_set_num", "style", "push_type"), (_I,)),
        "extra_data": (_S,),
        "intent": (_O,),
        "test_message": (_B,),
        "extras": (_O,),
        "inbox_content": (list, _O),
        "display_foreground": (_S, _I, _B),
    },
}
MESSAGE_FIELDS: Final[dict[str, tuple[type, ...]]] = {
    "title": (_S,),
    "msg_content": (_S, _O),
    "content_type": (_S,),
    "extras": (_O,),
    "test_message": (_B,),
    "receipt_id": (_S,),
}
LIVE_ACTIVITY_KEYS: Final = frozenset(
    {
        "event",
        "attributes-type",
        "content-state",
        "alert",
        "dismissal-date",
        "stale-date",
        "attributes",
        "relevance-score",
        "apns-priority",
    }
)
INTERRUPTION_LEVELS: Final = frozenset({"passive", "active", "time-sensitive", "critical"})
APP_OPTIONS: Final[dict[str, tuple[type, ...]]] = {
    "apns_production": (_B,),
    "apns_collapse_id": (_S,),
    "voice_value": (_S,),
    "plan_id": (_S,),
}
# SDK (Java comment): letters (case-sensitive), digits, underscore; not starting with "_"; ≤ 50.
PLAN_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{0,49}")


def platforms_of(body: dict[str, Any]) -> list[str]:
    """The platforms a (checked) body targets, "all" spelled out."""
    platform = body["platform"]
    return list(PLATFORMS) if platform == "all" else list(platform)


def _check_platform(platform: Any) -> list[str]:
    if platform == "all":
        return list(PLATFORMS)
    if (
        not isinstance(platform, list)
        or not platform
        or not all(p in PLATFORMS for p in platform)
        or len(set(platform)) != len(platform)
    ):
        raise fail(
            PUSH_INVALID_PARAMETER, "body.platform must be 'all' or a list of android/ios/hmos"
        )
    return list(platform)


def _fields(block: dict[str, Any], fields: dict[str, tuple[type, ...]], where: str) -> None:
    only_keys(block, frozenset(fields), where)
    for key, kinds in fields.items():
        optional_type(block, key, kinds, where)


def check_app_body(body: dict[str, Any]) -> str:
    """Platform, exactly one content kind, app options; returns the alert ("" if none)."""
    only_keys(body, BODY_KEYS, "body")
    if "platform" not in body:
        raise fail(PUSH_MISSING_PARAMETER, "body.platform is required")
    platforms = _check_platform(body["platform"])
    present = [kind for kind in CONTENTS if kind in body]
    if "live_activity" in present and len(present) > 1:
        raise fail(LIVE_ACTIVITY_MIXED, "live_activity cannot be combined with other payloads")
    if "voip" in present and len(present) > 1:
        raise fail(VOIP_MIXED, "voip cannot be combined with other payloads")
    if "notification" in present and "message" in present:
        # DOC*: 21306 is listed with HTTP 401 although it is an input error; kept as documented.
        raise fail(
            PUSH_NOTIFICATION_AND_MESSAGE, "notification and message cannot be sent together", 401
        )
    if not present:
        raise fail(
            PUSH_MISSING_PARAMETER, "body needs notification, message, live_activity or voip"
        )
    alert = ""
    if "notification" in body:
        alert = _check_notification(obj(body["notification"], "body.notification"), platforms)
    elif "message" in body:
        message = obj(body["message"], "body.message")
        _fields(message, MESSAGE_FIELDS, "body.message")
        if "msg_content" not in message:
            raise fail(PUSH_MISSING_PARAMETER, "body.message.msg_content is required")
    elif "live_activity" in body:
        if platforms != ["ios"]:
            raise fail(LIVE_ACTIVITY_NOT_IOS, "live_activity needs platform ['ios']")
        _check_live_activity(obj(body["live_activity"], "body.live_activity"))
    else:
        if platforms != ["ios"]:
            raise fail(VOIP_NOT_IOS, "voip needs platform ['ios']")
        obj(body["voip"], "body.voip")
    if "options" in body:
        _check_options(obj(body["options"], "options"))
    return alert


def _check_notification(notification: dict[str, Any], platforms: list[str]) -> str:
    only_keys(notification, frozenset({"alert", *PLATFORMS}), "body.notification")
    optional_type(notification, "alert", str, "body.notification")
    default = notification.get("alert", "")
    for platform in PLATFORMS:
        if platform not in notification:
            continue
        if platform not in platforms:
            # GUESS: a block for a platform the push does not target is a mistake, not ignored.
            raise fail(PUSH_INVALID_PARAMETER, f"body.notification.{platform}: not a target")
        where = f"body.notification.{platform}"
        block = obj(notification[platform], where)
        _fields(block, BLOCK_FIELDS[platform], where)
        if "intent" in block:
            intent = obj(block["intent"], f"{where}.intent")
            only_keys(intent, frozenset({"url"}), f"{where}.intent")
            optional_type(intent, "url", str, f"{where}.intent")
        level = block.get("interruption-level")
        if level is not None and (not isinstance(level, str) or level not in INTERRUPTION_LEVELS):
            raise fail(PUSH_INVALID_PARAMETER, f"{where}.interruption-level is not a level")
    for platform in platforms:
        # JPUSH: a platform's own alert wins, notification.alert is the fallback; one is needed.
        block = notification.get(platform, {})
        alert = block.get("alert", default)
        if not alert:
            raise fail(PUSH_MISSING_PARAMETER, f"body.notification: no alert for {platform}")
    return str(default or "platform alerts")


def _check_live_activity(live: dict[str, Any]) -> None:
    only_keys(live, frozenset({"ios"}), "body.live_activity")
    ios = obj(live.get("ios"), "body.live_activity.ios")
    only_keys(ios, LIVE_ACTIVITY_KEYS, "body.live_activity.ios")
    event = ios.get("event")
    if event not in ("start", "update", "end"):
        raise fail(LIVE_ACTIVITY_BAD_EVENT, "live_activity.ios.event must be start, update or end")
    if event == "start" and not isinstance(ios.get("attributes-type"), str):
        raise fail(LIVE_ACTIVITY_NO_ATTRIBUTES_TYPE, "a start needs attributes-type")
    if event in ("start", "update") and not isinstance(ios.get("content-state"), dict):
        raise fail(LIVE_ACTIVITY_NO_CONTENT_STATE, f"an {event} needs content-state")


def check_live_activity_audience(to: Any, body: dict[str, Any]) -> None:
    """DOC*: a live activity start goes to everyone or to registration ids only (21051)."""
    live = body.get("live_activity")
    if not isinstance(live, dict) or live.get("ios", {}).get("event") != "start":
        return
    if to != "all" and not (isinstance(to, dict) and set(to) == {"registration_id"}):
        raise fail(
            LIVE_ACTIVITY_BAD_AUDIENCE, "a live activity start goes to all or registration ids"
        )


def _check_options(options: dict[str, Any]) -> None:
    if "web_buttons" in options:
        raise fail(PUSH_UNEXPECTED_PARAMETER, "options.web_buttons is a Web Push option")
    for key, kinds in APP_OPTIONS.items():
        optional_type(options, key, kinds, "options")
    if "classification" in options and options["classification"] not in (0, 1):
        raise fail(PUSH_INVALID_PARAMETER, "options.classification must be 0 or 1")  # JPUSH
    if "classification" in options and isinstance(options["classification"], bool):
        raise fail(PUSH_BAD_TYPE_OR_LENGTH, "options.classification must be 0 or 1")
    plan_id = options.get("plan_id")
    if plan_id is not None and not PLAN_ID_RE.fullmatch(plan_id):
        raise fail(PUSH_INVALID_PARAMETER, "options.plan_id is not a valid plan id")
    channels = options.get("third_party_channel")
    if isinstance(channels, dict):
        for vendor, block in channels.items():
            obj(block, f"options.third_party_channel.{vendor}")
