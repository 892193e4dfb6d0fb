"""Small typed checks every payload module uses: each raises the push API's documented code."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webpush_iac.emulator.protocol import (
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_UNEXPECTED_PARAMETER,
    _ApiFailure,
)

_DIGITS_RE = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Limits:
    """What a payload is judged against: the product served and the size rule in force."""

    product: str = "web"
    max_message_bytes: int = 4000


def fail(code: int, message: str, status: int = 400) -> _ApiFailure:
    return _ApiFailure(status, code, message)


def json_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON form (the validator measures the same way)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(PUSH_BAD_TYPE_OR_LENGTH, f"{where} must be a JSON object")
    return value


def only_keys(value: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(value) - allowed)
    if extra:
        raise fail(PUSH_UNEXPECTED_PARAMETER, f"{where}: unexpected parameter {extra[0]!r}")


def optional_type(
    value: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str
) -> None:
    """``value[key]``, when present, must be of ``kind`` (a bool is never an int here)."""
    if key not in value:
        return
    item = value[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(item, bool) and bool not in kinds) or not isinstance(item, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise fail(PUSH_BAD_TYPE_OR_LENGTH, f"{where}.{key} must be of type {names}")


def int_or_digits(value: Any, where: str) -> int:
    """DOC: several integers are "Int or String"; a string must then hold decimal digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS_RE.fullmatch(value):
        return int(value)
    raise fail(PUSH_BAD_TYPE_OR_LENGTH, f"{where} must be an integer or a string of digits")


def is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def optional_url(value: dict[str, Any], key: str, where: str) -> None:
    """An http(s) URL when present; DOC: the Create Push example sends ``""`` for "none"."""
    if key in value and value[key] != "" and not is_http_url(value[key]):
        raise fail(PUSH_INVALID_PARAMETER, f"{where}.{key} must be an http(s) URL")
