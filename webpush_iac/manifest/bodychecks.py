"""Checks on a rendered push body that only the finished payload can answer.

Field-level limits (URLs, button count, time_to_live, audience sizes) are checked where the value
is declared; what is left is the size of the whole body (docs/api-notes.md "Limits": compact
UTF-8 JSON, our reading of how the API measures it, and the emulator's), and values JSON cannot
carry at all.
"""

from __future__ import annotations

import json
from typing import Any

from webpush_iac.apispec import MAX_MESSAGE_BYTES, WARN_NOTIFICATION_BYTES
from webpush_iac.errors import Problem
from webpush_iac.manifest.models.kinds import ScheduleModel
from webpush_iac.manifest.sourcemap import SourceDoc
from webpush_iac.state import JSON


def _is_web(body: JSON) -> bool:
    return body.get("platform") in ("web", ["web"])


def json_size(value: Any) -> int:
    """Bytes of compact UTF-8 JSON; raises ValueError for NaN/Infinity."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode())


def check_body(
    sdoc: SourceDoc, schedule: ScheduleModel, body: JSON
) -> tuple[list[Problem], list[Problem]]:
    """Size limits of the rendered body and the cid-on-a-repeating-schedule trap, as
    ``(problems, warnings)``.

    One size, one rule (docs/api-notes.md "Limits"): the compact UTF-8 JSON of the push ``body``
    (platform, content and options; not the envelope), measured exactly as the emulator measures
    it. Past ``MAX_MESSAGE_BYTES`` the API refuses it; a web notification past
    ``WARN_NOTIFICATION_BYTES`` is only warned about, because the two vendor sources disagree.
    """
    at = ("spec", "push")
    problems: list[Problem] = []
    warnings: list[Problem] = []
    try:
        size = json_size(body)
    except ValueError:
        problems.append(
            sdoc.problem(at, "contains .nan or .inf, which JSON (and so the API) cannot carry")
        )
        return problems, warnings
    what = "notification" if "notification" in body else "message"
    if size > MAX_MESSAGE_BYTES:
        problems.append(
            sdoc.problem(
                at,
                f"rendered push body ({what} with its options) is {size} bytes; the Create Push "
                f"doc allows at most {MAX_MESSAGE_BYTES}",
            )
        )
    elif what == "notification" and _is_web(body) and size > WARN_NOTIFICATION_BYTES:
        warnings.append(
            sdoc.problem(
                at,
                f"rendered push body (notification with its options) is {size} bytes: the Web "
                f"Push skill limits a web notification to {WARN_NOTIFICATION_BYTES} bytes, the "
                f"Create Push doc to {MAX_MESSAGE_BYTES}; browsers may cut it off",
            )
        )
    options = body.get("options") or {}
    if "cid" in options and schedule.spec.trigger.periodical is not None:
        warnings.append(
            sdoc.problem(
                (*at, "options", "cid"),
                "the API drops pushes that repeat a cid, so a repeating schedule with a fixed "
                "cid delivers only once",
            )
        )
    return problems, warnings
