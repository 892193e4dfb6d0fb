"""Field formats the EngageLab API insists on, as reusable annotated types for the manifest models.

Formats are expressed as regex ``pattern`` constraints where possible: pydantic checks those in Rust
(a Tag with 10,000 members must validate fast) and they land in the generated JSON Schemas, so
editors flag the same mistakes. ``PATTERN_MESSAGES`` turns a failed pattern into a sentence a
person can act on. What a regex cannot say (bytes rather than characters, real calendar dates,
known time zones) is an ``AfterValidator`` raising :func:`fail`.

CJK is read as Han ideographs (BMP blocks), Japanese kana and Hangul syllables: the API docs say
"CJK characters" without a list, so this is our reading of it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from webpush_iac.apispec import MAX_SCHEDULE_NAME_BYTES, MAX_TAG_BYTES, MULTI_LANGUAGE_CODES
from webpush_iac.apispec import REGISTRATION_ID_PATTERN as REGISTRATION_ID_PATTERN
from webpush_iac.times import parse_datetime

API_VERSION = "webpush-iac/v1"
ERROR_TYPE = "manifest"  # pydantic error type of every failure we raise ourselves

CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"  # regex escapes
API_NAME_PATTERN = f"^[A-Za-z0-9_{CJK}]+$"
ALIAS_OR_EMPTY_PATTERN = f"^[A-Za-z0-9_{CJK}]*$"
LABEL_PATTERN = f"^[A-Za-z0-9_.{CJK}-]+$"
IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
CLOCK_PATTERN = r"^[0-9]{2}:[0-9]{2}:[0-9]{2}$"
PLAN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_]{0,49}$"
CID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_DIGITS = re.compile(r"^[0-9]{1,18}$")

PATTERN_MESSAGES = {
    API_NAME_PATTERN: "may only contain letters, digits, underscore and CJK characters",
    ALIAS_OR_EMPTY_PATTERN: "may only contain letters, digits, underscore and CJK characters",
    LABEL_PATTERN: "may only contain letters, digits, '_', '.', '-' and CJK characters",
    REGISTRATION_ID_PATTERN: (
        "is not a valid registration id (letters, digits, '_', '.', ':', '-'; at most 128)"
    ),
    IDENTIFIER_PATTERN: "must be an identifier (letters, digits, underscore; not a digit first)",
    DATETIME_PATTERN: "must be 'yyyy-MM-dd HH:mm:ss'",
    CLOCK_PATTERN: "must be 'HH:mm:ss'",
    PLAN_ID_PATTERN: "must be letters, digits and underscore, not starting with '_', at most 50",
    CID_PATTERN: "must be 1-64 letters, digits, '_' or '-'",
}


def fail(message: str, *at: str | int) -> NoReturn:
    """Raise a validation error with our own wording; ``at`` is a sub-path below the current loc.

    Model validators can only fail at the model's own location; ``at`` lets them point at the
    exact key or list item instead (``manifest`` appends it when mapping the error to a line).
    """
    raise PydanticCustomError(ERROR_TYPE, message, {"at": list(at)} if at else None)


def _real_datetime(value: str) -> str:
    try:
        parse_datetime(value)
    except ValueError:
        fail("is not a real date and time")
    return value


def _real_clock(value: str) -> str:
    hours, minutes, seconds = (int(part) for part in value.split(":"))
    if hours > 23 or minutes > 59 or seconds > 59:
        fail("is not a real time of day")
    return value


def _max_bytes(limit: int) -> Any:
    def check(value: str) -> str:
        size = len(value) if value.isascii() else len(value.encode())
        if size > limit:
            fail(f"is {size} bytes long; the API allows at most {limit} bytes")
        return value

    return AfterValidator(check)


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        fail("is not a known IANA time zone (for example UTC or Asia/Singapore)")
    return value


def _language(value: str) -> str:
    if value not in MULTI_LANGUAGE_CODES:
        hint = language_suggestion(value)
        fail(
            f"'{value}' is not a multi_language code the API documents"
            + (f"; did you mean '{hint}'?" if hint else " (see the README for the list)")
        )
    return value


def language_suggestion(value: str) -> str | None:
    """The documented code ``value`` was probably meant to be: the same code in another case or
    with ``-``/``_`` swapped (``pt-BR`` → ``pt_BR``), its plain language (``fr-CA`` → ``fr``), or
    a typo (``zh-Hnas`` → ``zh-Hans``), or the regional forms of a plain language the table
    only has with a region (``pt`` → ``pt_BR`` or ``pt_PT``)."""
    folded = _fold(value)
    for code in sorted(MULTI_LANGUAGE_CODES):
        if _fold(code) == folded:
            return code
    base = re.split(r"[-_]", value, maxsplit=1)[0].lower()
    if base != value.lower() and base in MULTI_LANGUAGE_CODES:
        return base
    close = difflib.get_close_matches(folded, [_fold(c) for c in MULTI_LANGUAGE_CODES], 1, 0.8)
    if close:
        return next(c for c in MULTI_LANGUAGE_CODES if _fold(c) == close[0])
    variants = sorted(c for c in MULTI_LANGUAGE_CODES if re.split(r"[-_]", c)[0] == base)
    return "' or '".join(variants) if variants else None


def _fold(code: str) -> str:
    return code.replace("-", "_").lower()


def digits_within(low: int, high: int | None) -> Callable[[Any], int | str]:
    """An "Int or String" API number (docs/api-notes.md "Push payload"): an integer, or a string
    of decimal digits kept as written, within ``low``..``high``."""

    def check(value: Any) -> int | str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            fail("must be an integer or a quoted string of digits")
        if isinstance(value, str) and not _DIGITS.fullmatch(value):
            fail('must be an integer or a quoted string of digits (like "3600")')
        number = int(value)
        if number < low:
            fail(f"must be at least {low}")
        if high is not None and number > high:
            fail(f"must be at most {high}")
        return value

    return check


def digits_schema(low: int, high: int | None, description: str) -> dict[str, Any]:
    bounds: dict[str, Any] = {"minimum": low, **({"maximum": high} if high is not None else {})}
    return {
        "anyOf": [{"type": "integer", **bounds}, {"type": "string", "pattern": _DIGITS.pattern}],
        "description": description,
    }


def _text_or_object(value: Any) -> str | dict[str, Any]:
    """API text that is "String or JSON Object": a string, or a non-empty mapping."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if not value:
            fail("must not be an empty mapping")
        return value
    fail("must be a string or a mapping (a JSON object)")


def _mapping_or_string(value: Any) -> str | dict[str, Any]:
    if isinstance(value, str) or (
        isinstance(value, dict) and all(isinstance(k, str) for k in value)
    ):
        return value
    fail("must be a mapping or a string")


def _web_platform(value: Any) -> str | list[str]:
    if value == "web" or value == ["web"]:
        return value  # type: ignore[no-any-return]
    fail("must be web or [web] on Web Push")


TagName = Annotated[
    str,
    Field(pattern=API_NAME_PATTERN, description="Letters, digits, underscore, CJK; ≤ 40 bytes."),
    _max_bytes(MAX_TAG_BYTES),
]
AliasName = TagName
AliasOrEmpty = Annotated[
    str,
    Field(
        pattern=ALIAS_OR_EMPTY_PATTERN,
        description='Alias to bind (≤ 40 bytes); "" removes the device\'s alias.',
    ),
    _max_bytes(MAX_TAG_BYTES),
]
RegistrationId = Annotated[
    str,
    Field(pattern=REGISTRATION_ID_PATTERN, description="A device's registration id (quote it)."),
]
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
EnvName = Annotated[str, Field(pattern=IDENTIFIER_PATTERN, description="Environment variable.")]
Label = Annotated[str, Field(pattern=LABEL_PATTERN, max_length=253)]
ApiName = Annotated[str, Field(pattern=API_NAME_PATTERN), _max_bytes(MAX_SCHEDULE_NAME_BYTES)]
DateTimeStr = Annotated[
    str,
    Field(pattern=DATETIME_PATTERN, description="Wall-clock 'yyyy-MM-dd HH:mm:ss'."),
    AfterValidator(_real_datetime),
]
ClockStr = Annotated[
    str,
    Field(pattern=CLOCK_PATTERN, description="Time of day 'HH:mm:ss' (24-hour)."),
    AfterValidator(_real_clock),
]
TimeZoneName = Annotated[str, Field(description="IANA time zone name."), AfterValidator(_time_zone)]
LanguageCode = Annotated[
    str,
    Field(
        description="A documented multi_language code (fr, zh-Hans, pt_BR, es_419, ...).",
        json_schema_extra={"enum": sorted(MULTI_LANGUAGE_CODES)},
    ),
    AfterValidator(_language),
]
TextOrObject = Annotated[
    str | dict[str, Any],
    PlainValidator(_text_or_object),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "object", "minProperties": 1}]}),
]
MappingOrString = Annotated[
    dict[str, Any] | str,
    PlainValidator(_mapping_or_string),
    WithJsonSchema({"anyOf": [{"type": "object"}, {"type": "string"}]}),
]
WebPlatform = Annotated[
    str | list[str],
    PlainValidator(_web_platform),
    WithJsonSchema(
        {
            "anyOf": [
                {"const": "web"},
                {"type": "array", "items": {"const": "web"}, "minItems": 1, "maxItems": 1},
            ],
            "description": "The body's platform as written: web (default) or [web].",
        }
    ),
]
