"""Checks of a create-push request (docs/api-notes.md "Push payload"), shared by push, batch push and schedules.

The envelope, the audience, the options both products share and the size rule live here; the
product's ``body`` is checked by :mod:`web_payload` or :mod:`app_payload`. Each failed rule raises
:class:`_ApiFailure` with the push API's documented code; the schedule routes re-wrap that into
their own code. Rules are applied in a fixed order so the same bad body always gets the same
answer.
"""

from __future__ import annotations

import re
from typing import Any, Final

from webpush_iac.emulator import app_payload, web_payload
from webpush_iac.emulator.checks import (
    Limits,
    fail,
    int_or_digits,
    json_size,
    obj,
    only_keys,
    optional_type,
)
from webpush_iac.emulator.labels import valid_label
from webpush_iac.emulator.protocol import (
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_MISSING_PARAMETER,
    PUSH_PARAMETER_ERROR,
    PUSH_TOO_LARGE,
)

ENVELOPE_KEYS: Final = frozenset({"from", "to", "body", "request_id", "custom_args"})
BATCH_ITEM_KEYS: Final = frozenset(
    {
        "target",
        "platform",
        "notification",
        "message",
        "live_activity",
        "voip",
        "options",
        "custom_args",
        "request_id",
    }
)
BODY_PARTS: Final = ("platform", "notification", "message", "live_activity", "voip", "options")
# DOC*: alias / registration_id ≤ 1000; JPUSH: ≤ 20 tags per tag / tag_and / tag_not.
AUDIENCE_LIMITS: Final = {
    "tag": 20,
    "tag_and": 20,
    "tag_not": 20,
    "alias": 1000,
    "registration_id": 1000,
}
LABEL_AUDIENCES: Final = frozenset({"tag", "tag_and", "tag_not", "alias"})
APP_AUDIENCES: Final = frozenset({"seg", "live_activity_id"})  # SDK / DOC*: App Push only
MAX_BIG_PUSH_DURATION: Final = 1440  # DOC*: minutes, else 23006
_CID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # SDK (Java comment): ≤ 64 of [A-Za-z0-9_-]

__all__ = ["Limits", "check_batch_item", "check_push", "json_size"]


def check_push(payload: Any, limits: Limits) -> dict[str, Any]:
    """Validate a whole create-push request (``POST /v4/push`` and a schedule's ``push``)."""
    push = obj(payload, "request body")
    only_keys(push, ENVELOPE_KEYS, "push")
    for key in ("to", "body"):
        if key not in push:
            raise fail(PUSH_MISSING_PARAMETER, f"{key} is required")
    optional_type(push, "from", str, "push")  # DOC: a sender label; "push" is only the example
    optional_type(push, "request_id", str, "push")
    # DOC: the doc's own example sends custom_args as a plain string; SDKs send an object.
    optional_type(push, "custom_args", (dict, str), "push")
    check_audience(push["to"], limits.product)
    check_body(push["body"], limits)
    if limits.product == "app":
        app_payload.check_live_activity_audience(push["to"], push["body"])
    return push


def check_audience(to: Any, product: str) -> None:
    if isinstance(to, str):
        if to != "all":
            raise fail(PUSH_INVALID_PARAMETER, "to must be 'all' or an audience object")
        return
    audience = obj(to, "to")
    if not audience:
        raise fail(PUSH_MISSING_PARAMETER, "to names no audience")
    allowed = frozenset(AUDIENCE_LIMITS) | (APP_AUDIENCES if product == "app" else frozenset())
    only_keys(audience, allowed, "to")
    for key, limit in AUDIENCE_LIMITS.items():
        if key not in audience:
            continue
        values = audience[key]
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise fail(PUSH_BAD_TYPE_OR_LENGTH, f"to.{key} must be a list of non-empty strings")
        if not values:
            raise fail(PUSH_INVALID_PARAMETER, f"to.{key} must not be empty")
        if len(values) > limit:
            raise fail(PUSH_INVALID_PARAMETER, f"to.{key} holds more than {limit} values")
        if key in LABEL_AUDIENCES:
            bad = next((v for v in values if not valid_label(v)), None)
            if bad is not None:
                # DOC: tags and aliases are ≤ 40 bytes of letters, digits, underscore, CJK.
                raise fail(PUSH_INVALID_PARAMETER, f"to.{key}: {bad[:50]!r} is not a valid {key}")
    if "seg" in audience:
        seg = obj(audience["seg"], "to.seg")
        only_keys(seg, frozenset({"id"}), "to.seg")
        if not isinstance(seg.get("id"), str) or not seg["id"]:
            raise fail(PUSH_MISSING_PARAMETER, "to.seg.id must be a non-empty string")
    if "live_activity_id" in audience:
        if not isinstance(audience["live_activity_id"], str) or not audience["live_activity_id"]:
            raise fail(PUSH_BAD_TYPE_OR_LENGTH, "to.live_activity_id must be a non-empty string")
        if len(audience) > 1:  # JPUSH / DOC*: a live activity id combines with nothing
            raise fail(PUSH_INVALID_PARAMETER, "to.live_activity_id cannot be combined")


def check_body(body: Any, limits: Limits) -> str:
    """The product's ``body`` and the one size rule; returns its alert text ("" if none)."""
    checked = obj(body, "body")
    if limits.product == "app":
        alert = app_payload.check_app_body(checked)
    else:
        alert = web_payload.check_web_body(checked)
    if "options" in checked:
        check_common_options(obj(checked["options"], "options"))
    size = json_size(checked)
    if size > limits.max_message_bytes:
        # DOC*: 4000 bytes, else 21005; measured over platform + content + options.
        raise fail(PUSH_TOO_LARGE, f"message is {size} bytes, more than {limits.max_message_bytes}")
    return alert


def check_common_options(options: dict[str, Any]) -> None:
    """Options both products document; product-only ones are checked by the product modules and
    options nobody models are let through."""
    if "time_to_live" in options:
        ttl = int_or_digits(options["time_to_live"], "options.time_to_live")
        if ttl < 0:
            raise fail(PUSH_INVALID_PARAMETER, "options.time_to_live must not be negative")
    if "override_msg_id" in options:
        int_or_digits(options["override_msg_id"], "options.override_msg_id")
    if "big_push_duration" in options:
        duration = int_or_digits(options["big_push_duration"], "options.big_push_duration")
        if duration > MAX_BIG_PUSH_DURATION:
            raise fail(PUSH_PARAMETER_ERROR, "options.big_push_duration must be 0..1440")
    if "multi_language" in options:
        languages = obj(options["multi_language"], "options.multi_language")
        for code, texts in languages.items():
            obj(texts, f"options.multi_language.{code}")
    if "cid" in options and not (
        isinstance(options["cid"], str) and _CID_RE.fullmatch(options["cid"])
    ):
        raise fail(PUSH_INVALID_PARAMETER, "options.cid must be ≤ 64 of [A-Za-z0-9_-]")
    if "third_party_channel" in options:
        obj(options["third_party_channel"], "options.third_party_channel")


def batch_body(entry: dict[str, Any]) -> dict[str, Any]:
    """The ``body`` part of one batch entry (what the size rule measures)."""
    return {key: entry[key] for key in BODY_PARTS if key in entry}


def check_batch_item(item: Any, limits: Limits) -> str:
    """One entry of a batch push; returns its target."""
    entry = obj(item, "requests[]")
    only_keys(entry, BATCH_ITEM_KEYS, "requests[]")
    if "target" not in entry:
        raise fail(PUSH_MISSING_PARAMETER, "requests[].target is required")
    target = entry["target"]
    if not isinstance(target, str) or not target:
        raise fail(PUSH_BAD_TYPE_OR_LENGTH, "requests[].target must be a non-empty string")
    optional_type(entry, "custom_args", (dict, str), "requests[]")
    optional_type(entry, "request_id", str, "requests[]")
    check_body(batch_body(entry), limits)
    return target


def content_kind(body: dict[str, Any]) -> str:
    """Which content a (checked) body carries: notification, message, live_activity or voip."""
    return next(k for k in ("notification", "message", "live_activity", "voip") if k in body)
