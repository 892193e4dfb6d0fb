"""Checks of a create-push payload (docs/api-notes.md "Push payload"), shared by push and
schedules.

Each failed rule raises :class:`_ApiFailure` with the push API's documented code; the schedule
routes re-wrap that into their own code. Rules are applied in a fixed order so the same bad body
always gets the same answer.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from webpush_iac.emulator.protocol import (
    DISTRIBUTION_INVALID,
    DISTRIBUTION_WITHOUT_ALERT,
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_MISSING_PARAMETER,
    PUSH_NOTIFICATION_AND_MESSAGE,
    PUSH_PARAMETER_ERROR,
    PUSH_TOO_LARGE,
    PUSH_UNEXPECTED_PARAMETER,
    _ApiFailure,
)

ENVELOPE_KEYS = frozenset({"from", "to", "body", "request_id", "custom_args"})
BODY_KEYS = frozenset({"platform", "notification", "message", "options"})
NOTIFICATION_KEYS = frozenset({"alert", "web"})
WEB_KEYS = frozenset({"alert", "url", "title", "icon", "image", "extras"})
MESSAGE_KEYS = frozenset({"msg_content", "title", "content_type", "extras"})
BATCH_ITEM_KEYS = frozenset(
    {"target", "platform", "notification", "message", "options", "custom_args", "request_id"}
)
# DOC*: alias / registration_id ≤ 1000; JPUSH: ≤ 20 tags per tag / tag_and / tag_not.
AUDIENCE_LIMITS = {"tag": 20, "tag_and": 20, "tag_not": 20, "alias": 1000, "registration_id": 1000}
MAX_TIME_TO_LIVE = 15 * 86400  # DOC*: web max 15 days
MAX_BIG_PUSH_DURATION = 1440  # DOC*: minutes, else 23006
MAX_WEB_BUTTONS = 2  # DOC*
NOTIFICATION_LIMIT = 2048  # DOC*: web notification bytes, else 21005
MESSAGE_LIMIT = 4000  # DOC*: whole message bytes, else 21005
W3PUSH_DISTRIBUTIONS = frozenset({"first_ospush", "mtpush", "secondary_push", "ospush"})
_CID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _fail(code: int, message: str, status: int = 400) -> _ApiFailure:
    return _ApiFailure(status, code, message)


def json_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON form: GUESS for how the server measures payload size."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(PUSH_BAD_TYPE_OR_LENGTH, f"{where} must be a JSON object")
    return value


def _only_keys(value: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(value) - allowed)
    if extra:
        raise _fail(PUSH_UNEXPECTED_PARAMETER, f"{where}: unexpected parameter {extra[0]!r}")


def _optional_str(value: dict[str, Any], key: str, where: str) -> None:
    if key in value and not isinstance(value[key], str):
        raise _fail(PUSH_BAD_TYPE_OR_LENGTH, f"{where}.{key} must be a string")


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_push(payload: Any) -> dict[str, Any]:
    """Validate a whole create-push request (``POST /v4/push`` and a schedule's ``push``)."""
    push = _object(payload, "request body")
    _only_keys(push, ENVELOPE_KEYS, "push")
    for key in ("to", "body"):
        if key not in push:
            raise _fail(PUSH_MISSING_PARAMETER, f"{key} is required")
    _optional_str(push, "from", "push")
    _optional_str(push, "request_id", "push")
    if "custom_args" in push and not isinstance(push["custom_args"], dict | str):
        raise _fail(PUSH_BAD_TYPE_OR_LENGTH, "custom_args must be an object")
    check_audience(push["to"])
    check_body(push["body"])
    if json_size(push) > MESSAGE_LIMIT:
        raise _fail(PUSH_TOO_LARGE, f"message is larger than {MESSAGE_LIMIT} bytes")
    return push


def check_audience(to: Any) -> None:
    if isinstance(to, str):
        if to != "all":
            raise _fail(PUSH_INVALID_PARAMETER, "to must be 'all' or an audience object")
        return
    audience = _object(to, "to")
    if not audience:
        raise _fail(PUSH_MISSING_PARAMETER, "to names no audience")
    _only_keys(audience, frozenset(AUDIENCE_LIMITS), "to")
    for key, limit in AUDIENCE_LIMITS.items():
        if key not in audience:
            continue
        values = audience[key]
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise _fail(PUSH_BAD_TYPE_OR_LENGTH, f"to.{key} must be a list of non-empty strings")
        if not values:
            raise _fail(PUSH_INVALID_PARAMETER, f"to.{key} must not be empty")
        if len(values) > limit:
            raise _fail(PUSH_INVALID_PARAMETER, f"to.{key} holds more than {limit} values")


def check_body(body: Any) -> None:
    """The web ``body``: platform, exactly one of notification/message, options."""
    body = _object(body, "body")
    _only_keys(body, BODY_KEYS, "body")
    if "platform" not in body:
        raise _fail(PUSH_MISSING_PARAMETER, "body.platform is required")
    if body["platform"] != "web":
        raise _fail(PUSH_INVALID_PARAMETER, "body.platform must be 'web'")
    has_notification, has_message = "notification" in body, "message" in body
    if has_notification and has_message:
        # DOC*: 21306 is listed with HTTP 401 although it is an input error; kept as documented.
        raise _fail(
            PUSH_NOTIFICATION_AND_MESSAGE, "notification and message cannot be sent together", 401
        )
    if not has_notification and not has_message:
        raise _fail(PUSH_MISSING_PARAMETER, "body needs notification or message")
    alert = ""
    if has_notification:
        alert = _check_notification(body["notification"])
    else:
        _check_message(body["message"])
    if "options" in body:
        check_options(body["options"], alert=alert)


def _check_notification(value: Any) -> str:
    notification = _object(value, "body.notification")
    _only_keys(notification, NOTIFICATION_KEYS, "body.notification")
    _optional_str(notification, "alert", "body.notification")
    if "web" not in notification:
        raise _fail(PUSH_MISSING_PARAMETER, "body.notification.web is required")
    web = _object(notification["web"], "body.notification.web")
    _only_keys(web, WEB_KEYS, "body.notification.web")
    for key in ("alert", "url"):
        if key not in web:
            raise _fail(PUSH_MISSING_PARAMETER, f"body.notification.web.{key} is required")
    for key in ("alert", "url", "title", "icon", "image"):
        _optional_str(web, key, "body.notification.web")
    if not web["alert"]:
        raise _fail(PUSH_MISSING_PARAMETER, "body.notification.web.alert must not be empty")
    for key in ("url", "icon", "image"):
        if key in web and not _is_http_url(web[key]):
            raise _fail(PUSH_INVALID_PARAMETER, f"body.notification.web.{key} must be http(s)")
    if "extras" in web:
        _object(web["extras"], "body.notification.web.extras")
    if json_size(notification) > NOTIFICATION_LIMIT:
        raise _fail(PUSH_TOO_LARGE, f"notification is larger than {NOTIFICATION_LIMIT} bytes")
    return str(web["alert"])


def _check_message(value: Any) -> None:
    message = _object(value, "body.message")
    _only_keys(message, MESSAGE_KEYS, "body.message")
    if "msg_content" not in message:
        raise _fail(PUSH_MISSING_PARAMETER, "body.message.msg_content is required")
    if not isinstance(message["msg_content"], str | dict):
        raise _fail(PUSH_BAD_TYPE_OR_LENGTH, "body.message.msg_content must be a string")
    _optional_str(message, "title", "body.message")
    _optional_str(message, "content_type", "body.message")
    if "extras" in message:
        _object(message["extras"], "body.message.extras")


def _int_option(options: dict[str, Any], key: str) -> int | None:
    if key not in options:
        return None
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(PUSH_BAD_TYPE_OR_LENGTH, f"options.{key} must be an integer")
    return value


def check_options(value: Any, *, alert: str) -> None:
    """Documented option limits; options we do not model (app-only ones) are let through."""
    options = _object(value, "options")
    ttl = _int_option(options, "time_to_live")
    if ttl is not None and not 0 <= ttl <= MAX_TIME_TO_LIVE:
        raise _fail(PUSH_INVALID_PARAMETER, f"options.time_to_live must be 0..{MAX_TIME_TO_LIVE}")
    duration = _int_option(options, "big_push_duration")
    if duration is not None and not 0 <= duration <= MAX_BIG_PUSH_DURATION:
        raise _fail(PUSH_PARAMETER_ERROR, "options.big_push_duration must be 0..1440")
    if "web_buttons" in options:
        buttons = options["web_buttons"]
        if not isinstance(buttons, list):
            raise _fail(PUSH_BAD_TYPE_OR_LENGTH, "options.web_buttons must be a list")
        if len(buttons) > MAX_WEB_BUTTONS:
            raise _fail(PUSH_INVALID_PARAMETER, "options.web_buttons holds more than 2 buttons")
        for button in buttons:
            button = _object(button, "options.web_buttons[]")
            for key in ("url", "icon"):
                url = button.get(key)
                if url is not None and not (isinstance(url, str) and _is_http_url(url)):
                    raise _fail(PUSH_INVALID_PARAMETER, f"options.web_buttons[].{key} bad url")
    if "multi_language" in options:
        languages = _object(options["multi_language"], "options.multi_language")
        for code, texts in languages.items():
            _object(texts, f"options.multi_language.{code}")
    if "cid" in options and not (
        isinstance(options["cid"], str) and _CID_RE.fullmatch(options["cid"])
    ):
        raise _fail(PUSH_INVALID_PARAMETER, "options.cid must be ≤ 64 of [A-Za-z0-9_-]")
    if "third_party_channel" in options:
        _check_third_party(options["third_party_channel"], alert=alert)


def _check_third_party(value: Any, *, alert: str) -> None:
    channel = _object(value, "options.third_party_channel")
    if "w3push" not in channel:
        return
    w3push = _object(channel["w3push"], "options.third_party_channel.w3push")
    if "distribution" not in w3push:
        return
    # DOC*: both codes are listed with HTTP 401 on the push API.
    if w3push["distribution"] not in W3PUSH_DISTRIBUTIONS:
        raise _fail(DISTRIBUTION_INVALID, "w3push.distribution is invalid", 401)
    if not alert:
        raise _fail(
            DISTRIBUTION_WITHOUT_ALERT, "w3push.distribution needs a notification alert", 401
        )


def check_batch_item(item: Any) -> str:
    """One entry of a batch push; returns its target."""
    entry = _object(item, "requests[]")
    _only_keys(entry, BATCH_ITEM_KEYS, "requests[]")
    if "target" not in entry:
        raise _fail(PUSH_MISSING_PARAMETER, "requests[].target is required")
    target = entry["target"]
    if not isinstance(target, str) or not target:
        raise _fail(PUSH_BAD_TYPE_OR_LENGTH, "requests[].target must be a non-empty string")
    if "custom_args" in entry and not isinstance(entry["custom_args"], dict | str):
        raise _fail(PUSH_BAD_TYPE_OR_LENGTH, "requests[].custom_args must be an object")
    _optional_str(entry, "request_id", "requests[]")
    body = {k: entry[k] for k in ("platform", "notification", "message", "options") if k in entry}
    check_body(body)
    if json_size(entry) > MESSAGE_LIMIT:
        raise _fail(PUSH_TOO_LARGE, f"message is larger than {MESSAGE_LIMIT} bytes")
    return target
