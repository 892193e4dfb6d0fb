"""Pure HTTP policy for the client: body decoding, error mapping, retry rules, header parsing.

Kept apart from ``engagelab`` (the only httpx importer) so each rule is a plain function over
status codes, bytes and strings. The rules are docs/api-notes.md "Retries", "Success bodies" and
"Error bodies and codes": EngageLab answers errors as ``{"error": {"code", "message"}}``,
sometimes flat ``{"code", "message"}``, and 5xx from a proxy as HTML; success bodies may be empty,
the literal ``success`` or ``{"success": true}``.
"""

from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from webpush_iac.apispec import DEVICES, SCHEDULES, TAGS
from webpush_iac.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    NoAnswerError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)

RATE_LIMIT_CODE = 23008
#: HTTP statuses worth another try for an idempotent call; a plain 500 is retried once only.
RETRIABLE_STATUSES = frozenset({429, 502, 503, 504})
#: EngageLab codes meaning "try again later": internal timeout, internal error, rate limited.
RETRIABLE_CODES = frozenset({21030, 27000, RATE_LIMIT_CODE})
SERVER_CODES = frozenset({21030, 27000})
#: "authentication failed" / "verification info empty", whatever the status.
AUTH_CODES = frozenset({21004, 27001})
BACKOFF_BASE = 0.2
BACKOFF_CAP = 10.0
#: We honour Retry-After, but never park a run for longer than this on one answer.
MAX_RETRY_AFTER = 60.0
EXCERPT_CHARS = 200

# POST /v4/devices/{rid} and POST /v4/tags/{tag} set absolute membership: sending twice is harmless.
_IDEMPOTENT_POST = re.compile(f"^(?:{re.escape(DEVICES)}|{re.escape(TAGS)})/[^/]+$")
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


class _UndecodableBody(ValueError):
    """A 2xx body that is neither empty, ``success`` nor JSON."""


def is_idempotent(method: str, path: str) -> bool:
    """Whether repeating the request cannot change the outcome (docs/api-notes.md "Retries")."""
    method = method.upper()
    if method in _IDEMPOTENT_METHODS:
        return True
    return method == "POST" and bool(_IDEMPOTENT_POST.match(path.split("?", 1)[0]))


def retry_when_rate_limited(method: str, path: str) -> bool:
    """Whether a non-idempotent call may be sent again after a rate-limit refusal (429 / 23008).

    A rate-limit answer means the gateway refused the request before doing any work, so a schedule
    create can safely go again; without this, a burst of creates near the QPS limit fails and waits
    for the next apply. Direct sends (push, batch push) stay one-shot: whoever sends decides.
    """
    return method.upper() == "POST" and path.split("?", 1)[0].rstrip("/") == SCHEDULES


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short one-line version of an HTML or plain-text body for an error message."""
    text = _TAG.sub(" ", _SCRIPT_STYLE.sub(" ", text))
    text = " ".join(html.unescape(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _UndecodableBody(str(exc)) from exc


def parse_error_body(body: bytes) -> tuple[int | None, str]:
    """(code, message) from a nested, flat or non-JSON error body."""
    if not body.strip():
        return None, ""
    try:
        data = _load_json(body)
    except _UndecodableBody:
        return None, excerpt(body.decode("utf-8", errors="replace"))
    if isinstance(data, dict):
        inner = data.get("error")
        source = inner if isinstance(inner, dict) else data
        code = _as_code(source.get("code"))
        message = source.get("message", source.get("msg"))
        if message is None and isinstance(inner, str):
            message = inner
        if code is not None or message is not None:
            return code, excerpt(str(message or ""), 500)
    return None, excerpt(json.dumps(data, ensure_ascii=False))


def error_class(status: int, code: int | None) -> type[ApiError]:
    """Which ApiError subclass an answer is: rate limiting first, since 23008 comes with HTTP 400."""
    if status == 429 or code == RATE_LIMIT_CODE:
        return RateLimitedError
    if status in (401, 403) or code in AUTH_CODES:
        return AuthError
    if status == 404:
        return NotFoundError
    if status >= 500 or code in SERVER_CODES:
        return ServerError
    return ApiError


def error_for(
    status: int,
    body: bytes,
    *,
    method: str,
    path: str,
    reason: str = "",
    scrub: Callable[[str], str] = lambda s: s,
) -> ApiError:
    """The exception for an error answer; ``scrub`` removes anything secret the server echoed."""
    code, message = parse_error_body(body)
    message = scrub(message) or reason or "no error message"
    return error_class(status, code)(
        status=status, code=code, message=message, method=method, path=path
    )


def ambiguous_error(error: ApiError) -> AmbiguousWriteError:
    """A server failure on a non-idempotent write: the write may have happened, so the caller
    must re-read before trying again."""
    code = f" code {error.code}" if error.code is not None else ""
    ambiguous = AmbiguousWriteError(
        f"HTTP {error.status}{code}: {error.api_message}; the write may have been applied,"
        " re-read before retrying",
        method=error.method,
        path=error.path,
    )
    ambiguous.__cause__ = error
    return ambiguous


def transport_error(
    method: str, path: str, kind: str, detail: str, *, sent: bool, ambiguous: bool
) -> TransportError:
    """No HTTP answer for a reason other than a timeout (refused, reset, a protocol error)."""
    error: TransportError
    if ambiguous:
        error = AmbiguousWriteError(
            f"{kind}: {detail}; the request may have reached the server, re-read before retrying",
            method=method,
            path=path,
        )
    else:
        note = "" if sent else " (request not sent)"
        error = TransportError(f"{kind}: {detail}{note}", method=method, path=path)
    error.__suppress_context__ = True
    return error


def timeout_error(
    method: str, path: str, kind: str, timeout: float, *, sent: bool, idempotent: bool
) -> TransportError:
    """One attempt that timed out, saying which wait (``read timeout``, ...) ran out."""
    within = f"within {timeout:g} s ({kind})"
    error: TransportError
    if not sent:
        error = TransportError(
            f"no connection {within}; request not sent", method=method, path=path
        )
    elif idempotent:
        error = TransportError(f"no answer {within}", method=method, path=path)
    else:
        error = AmbiguousWriteError(
            f"no answer {within}; the request may have reached the server, re-read before retrying",
            method=method,
            path=path,
        )
    error.__suppress_context__ = True
    return error


def no_answer_error(
    method: str, path: str, kind: str, timeout: float, attempts: int
) -> NoAnswerError:
    """An idempotent call whose timeout retries are used up: the server is not answering."""
    plural = "s" if attempts != 1 else ""
    error = NoAnswerError(
        f"no answer within {timeout:g} s ({kind}) after {attempts} attempt{plural}; "
        "check the network or raise --timeout",
        method=method,
        path=path,
    )
    error.__suppress_context__ = True
    return error


def decode_success(body: bytes) -> Any:
    """The value of a 2xx body: ``None`` for the bodies that only mean "done"."""
    text = body.strip()
    if not text or text in (b"success", b'"success"'):
        return None
    data = _load_json(text)
    if data == {"success": True} or data == "success":
        return None
    return data


def embedded_error(data: Any) -> tuple[int | None, str] | None:
    """An error carried in a 2xx body, if any.

    Only unmistakable shapes count: ``{"error": {"code": N != 0, ...}}``, a flat body with nothing
    but a non-zero ``code`` and ``message``, and ``{"success": false}``. Batch push results carry
    per-target errors deeper down; those are data, not a failed call.
    """
    if not isinstance(data, dict):
        return None
    inner = data.get("error")
    if isinstance(inner, dict):
        code = _as_code(inner.get("code"))
        if code:
            return code, str(inner.get("message", ""))
    if data.keys() <= {"code", "message"} and "code" in data:
        code = _as_code(data.get("code"))
        if code:
            return code, str(data.get("message", ""))
    if data == {"success": False}:
        return None, "the API answered success: false"
    return None


def is_retriable(error: ApiError, *, plain_500s_seen: int) -> bool:
    """Whether an idempotent call should be tried again after this answer.

    ``plain_500s_seen`` counts HTTP 500 answers so far, this one included: a 500 without a
    retriable code earns exactly one more try.
    """
    if error.status in RETRIABLE_STATUSES or error.code in RETRIABLE_CODES:
        return True
    return error.status == 500 and plain_500s_seen <= 1


def backoff_delay(
    retry_index: int,
    rng: random.Random,
    *,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**n)].

    Full jitter spreads the retries of many concurrent callers instead of synchronising them.
    """
    return rng.uniform(0.0, min(cap, base * (2 ** max(0, retry_index))))


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date header as an aware UTC datetime, or None if absent or malformed."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        when = parse_http_date(value)
        if when is None:
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def parse_msg_ids(data: Any) -> list[str]:
    """Message ids from a msg-ids answer.

    ``MsgIds`` elements are irregular (docs/api-notes.md "Schedules: get, delete and msg-ids"):
    JSON-encoded strings of ``{"msg_id": ...}`` objects, bare id strings, objects, or numbers.
    """
    if not isinstance(data, dict):
        return []
    items = data.get("MsgIds", data.get("msg_ids")) or []
    ids: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            try:
                decoded = json.loads(item)
            except ValueError:
                decoded = item
            if isinstance(decoded, dict):
                item = decoded
            else:
                ids.append(item)
                continue
        if isinstance(item, dict):
            msg_id = item.get("msg_id")
            if msg_id is not None and msg_id != "":
                ids.append(str(msg_id))
        elif isinstance(item, int) and not isinstance(item, bool):
            ids.append(str(item))
    return ids


def no_retry_reason(error: ApiError | TransportError, may_retry: bool, plain_500s: int) -> str:
    """Why a failed attempt is final ("" when it may be retried; the retry budget then decides):
    ``may_retry`` is false for a call that is neither idempotent nor refused by the rate limit."""
    if not may_retry:
        return "not idempotent"
    if isinstance(error, ApiError) and not is_retriable(error, plain_500s_seen=plain_500s):
        return "not a retriable error"
    return ""


def retry_reason(error: Exception) -> str:
    """What a retry answers, in a few words: ``HTTP 503 code 21030`` or ``ReadTimeout``."""
    if isinstance(error, ApiError):
        code = f" code {error.code}" if error.code is not None else ""
        return f"HTTP {error.status}{code}"
    return type(error).__name__


__all__ = [
    "RATE_LIMIT_CODE",
    "RETRIABLE_CODES",
    "RETRIABLE_STATUSES",
    "ambiguous_error",
    "backoff_delay",
    "decode_success",
    "embedded_error",
    "error_class",
    "error_for",
    "excerpt",
    "is_idempotent",
    "is_retriable",
    "no_answer_error",
    "parse_error_body",
    "parse_http_date",
    "parse_msg_ids",
    "parse_retry_after",
    "retry_reason",
    "retry_when_rate_limited",
    "timeout_error",
    "transport_error",
]
