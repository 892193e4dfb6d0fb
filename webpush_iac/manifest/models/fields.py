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

import re
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from webpush_iac.apispec import MAX_SCHEDULE_NAME_BYTES, MAX_TAG_BYTES
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

# ISO 639-1 codes. The API documents `multi_language` keys only by example (`en`, `zh-Hans`), so we
# accept an ISO 639-1 language with an optional script (`-Hans`) and/or region (`-BR`, `-419`).
_ISO_639_1_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz
ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln
lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi
pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti
tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
_LANGUAGE_RE = re.compile(r"^([a-z]{2})(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$")


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
    match = _LANGUAGE_RE.match(value)
    if match is None or match.group(1) not in ISO_639_1:
        fail(
            f"'{value}' is not a language code (ISO 639-1, optionally -Script/-REGION: fr, zh-Hans)"
        )
    return value


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
    Field(description="ISO 639-1 code, optionally with -Script or -REGION (fr, zh-Hans, pt-BR)."),
    AfterValidator(_language),
]
