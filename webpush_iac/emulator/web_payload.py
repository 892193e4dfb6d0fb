"""The Web Push ``body`` (docs/api-notes.md "Push payload"): platform web, notification.web or message,
and the web-only options (web_buttons, third_party_channel.w3push, time_to_live ≤ 15 days)."""

from __future__ import annotations

from typing import Any, Final

from webpush_iac.emulator.checks import (
    fail,
    int_or_digits,
    obj,
    only_keys,
    optional_type,
    optional_url,
)
from webpush_iac.emulator.protocol import (
    DISTRIBUTION_INVALID,
    DISTRIBUTION_WITHOUT_ALERT,
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_MISSING_PARAMETER,
    PUSH_NOTIFICATION_AND_MESSAGE,
)

BODY_KEYS: Final = frozenset({"platform", "notification", "message", "options"})
NOTIFICATION_KEYS: Final = frozenset({"alert", "web"})
WEB_KEYS: Final = frozenset({"alert", "url", "title", "icon", "image", "extras"})
MESSAGE_KEYS: Final = frozenset({"msg_content", "title", "content_type", "extras"})
MAX_TIME_TO_LIVE: Final = 15 * 86400  # DOC*: web max 15 days
MAX_WEB_BUTTONS: Final = 2  # DOC*
BUTTON_REQUIRED: Final = ("id", "text")  # DOC*: {id, text, icon, url}; id and text name a button
W3PUSH_DISTRIBUTIONS: Final = frozenset({"first_ospush", "mtpush", "secondary_push", "ospush"})


def _check_platform(platform: Any) -> None:
    # DOC: "web"; the array form ["web"] is what the app product's list spelling looks like, and
    # the Create Push doc types platform as "String or Array".
    if platform == "web" or platform == ["web"]:
        return
    raise fail(PUSH_INVALID_PARAMETER, "body.platform must be 'web' (or ['web'])")


def _text(value: Any) -> bool:
    """DOC: alert and msg_content are "String or JSON Object"; either must carry something."""
    return (isinstance(value, str) and bool(value)) or (isinstance(value, dict) and bool(value))


def check_web_body(body: dict[str, Any]) -> str:
    """platform, exactly one of notification/message, options; returns the alert ("" if none)."""
    only_keys(body, BODY_KEYS, "body")
    if "platform" not in body:
        raise fail(PUSH_MISSING_PARAMETER, "body.platform is required")
    _check_platform(body["platform"])
    has_notification, has_message = "notification" in body, "message" in body
    if has_notification and has_message:
        # DOC*: 21306 is listed with HTTP 401 although it is an input error; kept as documented.
        raise fail(
            PUSH_NOTIFICATION_AND_MESSAGE, "notification and message cannot be sent together", 401
        )
    if not has_notification and not has_message:
        raise fail(PUSH_MISSING_PARAMETER, "body needs notification or message")
    alert = ""
    if has_notification:
        alert = _check_notification(body["notification"])
    else:
        _check_message(body["message"])
    if "options" in body:
        _check_options(obj(body["options"], "options"), alert=alert)
    return alert


def _check_notification(value: Any) -> str:
    notification = obj(value, "body.notification")
    only_keys(notification, NOTIFICATION_KEYS, "body.notification")
    optional_type(notification, "alert", str, "body.notification")
    if "web" not in notification:
        raise fail(PUSH_MISSING_PARAMETER, "body.notification.web is required")
    web = obj(notification["web"], "body.notification.web")
    only_keys(web, WEB_KEYS, "body.notification.web")
    optional_type(web, "alert", (str, dict), "body.notification.web")
    for key in ("url", "title", "icon", "image"):
        optional_type(web, key, str, "body.notification.web")
    # GUESS (JPUSH): a platform block without alert falls back to notification.alert.
    alert = web.get("alert", notification.get("alert", ""))
    if not _text(alert):
        raise fail(PUSH_MISSING_PARAMETER, "body.notification.web.alert is required")
    if "url" not in web:
        raise fail(PUSH_MISSING_PARAMETER, "body.notification.web.url is required")
    if web["url"] == "":
        raise fail(PUSH_INVALID_PARAMETER, "body.notification.web.url must be an http(s) URL")
    for key in ("url", "icon", "image"):
        optional_url(web, key, "body.notification.web")
    if "extras" in web:
        obj(web["extras"], "body.notification.web.extras")
    return alert if isinstance(alert, str) else "object"


def _check_message(value: Any) -> None:
    message = obj(value, "body.message")
    only_keys(message, MESSAGE_KEYS, "body.message")
    if "msg_content" not in message:
        raise fail(PUSH_MISSING_PARAMETER, "body.message.msg_content is required")
    optional_type(message, "msg_content", (str, dict), "body.message")
    optional_type(message, "title", str, "body.message")
    optional_type(message, "content_type", str, "body.message")
    if "extras" in message:
        obj(message["extras"], "body.message.extras")


def _check_options(options: dict[str, Any], *, alert: str) -> None:
    if "time_to_live" in options:
        ttl = int_or_digits(options["time_to_live"], "options.time_to_live")
        if ttl > MAX_TIME_TO_LIVE:
            raise fail(
                PUSH_INVALID_PARAMETER, f"options.time_to_live must be 0..{MAX_TIME_TO_LIVE}"
            )
    if "web_buttons" in options:
        _check_buttons(options["web_buttons"])
    if "third_party_channel" in options:
        _check_third_party(
            obj(options["third_party_channel"], "options.third_party_channel"), alert
        )


def _check_buttons(buttons: Any) -> None:
    if not isinstance(buttons, list):
        raise fail(PUSH_BAD_TYPE_OR_LENGTH, "options.web_buttons must be a list")
    if len(buttons) > MAX_WEB_BUTTONS:
        raise fail(PUSH_INVALID_PARAMETER, "options.web_buttons holds more than 2 buttons")
    for button in buttons:
        button = obj(button, "options.web_buttons[]")
        for key in BUTTON_REQUIRED:
            # GUESS: a button without its id or text is an invalid value (21003); a wrong type
            # is 21016 like every other field.
            if key not in button:
                raise fail(PUSH_INVALID_PARAMETER, f"options.web_buttons[].{key} is required")
            if not isinstance(button[key], str) or not button[key]:
                raise fail(PUSH_BAD_TYPE_OR_LENGTH, f"options.web_buttons[].{key} must be a string")
        for key in ("url", "icon"):
            optional_url(button, key, "options.web_buttons[]")


def _check_third_party(channel: dict[str, Any], alert: str) -> None:
    if "w3push" not in channel:
        return
    w3push = obj(channel["w3push"], "options.third_party_channel.w3push")
    if "distribution" not in w3push:
        return
    # DOC*: both codes are listed with HTTP 401 on the push API.
    distribution = w3push["distribution"]
    if not isinstance(distribution, str) or distribution not in W3PUSH_DISTRIBUTIONS:
        raise fail(DISTRIBUTION_INVALID, "w3push.distribution is invalid", 401)
    if not alert:
        raise fail(
            DISTRIBUTION_WITHOUT_ALERT, "w3push.distribution needs a notification alert", 401
        )
