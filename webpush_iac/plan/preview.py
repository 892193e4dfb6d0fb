"""What a user will see, for reviewers: the notification text of a schedule, per language."""

from __future__ import annotations

import json

from webpush_iac.plan.normalize import prune_empty
from webpush_iac.state import JSON


def notification_preview(push: JSON) -> JSON | None:
    """What a user will see, for reviewers: title, alert, url (and icon/image), per language."""
    body = push.get("body")
    if not isinstance(body, dict):
        return None
    preview: JSON = {}
    notification = body.get("notification")
    message = body.get("message")
    if isinstance(notification, dict):
        web = notification.get("web")
        web = web if isinstance(web, dict) else {}
        alert = web.get("alert") or notification.get("alert")
        preview = {
            "title": web.get("title"),
            "alert": alert if isinstance(alert, str) or alert is None else _compact(alert),
            "url": web.get("url"),
            "icon": web.get("icon"),
            "image": web.get("image"),
        }
    elif isinstance(message, dict):
        content = message.get("msg_content")
        preview = {
            "title": message.get("title"),
            "alert": content if isinstance(content, str) or content is None else _compact(content),
        }
    options = body.get("options")
    languages = options.get("multi_language") if isinstance(options, dict) else None
    if isinstance(languages, dict):
        preview["languages"] = {
            str(code): {"title": spec.get("title"), "alert": spec.get("content")}
            for code, spec in sorted(languages.items())
            if isinstance(spec, dict)
        }
    out = prune_empty(preview)
    return out or None


def _compact(value: object) -> str:
    """A JSON-object alert as the reviewer will recognise it: its compact JSON."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


__all__ = ["notification_preview"]
