"""API facts shared by the client and the engine: paths, chunk sizes, limits, quotas, hosts.

One home per fact (docs/api-notes.md gives the evidence for each): the planner that builds a
request, the client that sends it, the validator that checks a manifest and the renderer that
masks an id must never disagree about a path, a limit or how an id is spelled inside a URL. The
emulator keeps its own copies on purpose (it is the independent oracle and must not share the
engine's reading of the API).
"""

from __future__ import annotations

from typing import Any, Final, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

Product = Literal["web", "app"]

# -- hosts and platforms -------------------------------------------------------------------------

BASE_URLS: Final[dict[str, dict[str, str]]] = {
    "web": {
        "sgp": "https://webpushapi-sgp.engagelab.com",
        "hk": "https://webpushapi-hk.engagelab.com",
    },
    "app": {
        "sgp": "https://pushapi-sgp.engagelab.com",
        "usva": "https://pushapi-usva.engagelab.com",
        "defra": "https://pushapi-defra.engagelab.com",
        "hk": "https://pushapi-hk.engagelab.com",
        "jpn": "https://pushapi-jpn.engagelab.com",
        "bra": "https://pushapi-bra.engagelab.com",
    },
}
#: The ``platform`` values a push body, tags_count and alias calls take, per product.
PLATFORMS: Final[dict[str, tuple[str, ...]]] = {"web": ("web",), "app": ("android", "ios", "hmos")}

# -- paths ---------------------------------------------------------------------------------------

V4: Final = "/v4"
SCHEDULES: Final = "/v4/schedules"
DEVICES: Final = "/v4/devices"
DEVICES_STATUS: Final = "/v4/devices/status"
TAGS: Final = "/v4/tags"
TAGS_COUNT: Final = "/v4/tags_count"
ALIASES: Final = "/v4/aliases"
PUSH: Final = "/v4/push"
PUSH_VALIDATE: Final = "/v4/push/validate"
BATCH_PUSH: Final = "/v4/batch/push"
MESSAGE_DETAILS: Final = "/v4/messages/details"


def segment(value: str) -> str:
    """One path segment: ASCII that could break a URL path is percent-encoded (so a tag or an id
    can never smuggle a ``/`` or ``..``), non-ASCII (CJK tags) stays readable and is encoded as
    UTF-8 by the HTTP layer. Empty values would silently address another endpoint."""
    if not value:
        raise ValueError("empty path segment")
    return "".join(
        ch if ord(ch) > 127 or ch.isalnum() or ch in "-_~" else f"%{ord(ch):02X}" for ch in value
    )


def unsegment(value: str) -> str:
    """The value a :func:`segment` spelled."""
    return unquote(value)


def schedule_path(schedule_id: str) -> str:
    return f"{SCHEDULES}/{segment(schedule_id)}"


def schedule_msg_ids_path(schedule_id: str) -> str:
    return f"{schedule_path(schedule_id)}/msg-ids"


def device_path(registration_id: str) -> str:
    return f"{DEVICES}/{segment(registration_id)}"


def tag_path(tag: str) -> str:
    return f"{TAGS}/{segment(tag)}"


def tag_member_path(tag: str, registration_id: str) -> str:
    return f"{tag_path(tag)}/registration_ids/{segment(registration_id)}"


def alias_path(alias: str) -> str:
    return f"{ALIASES}/{segment(alias)}"


def batch_push_path(kind: str) -> str:
    return f"{BATCH_PUSH}/{segment(kind)}"


def item_id(path: str, collection: str) -> str | None:
    """The id ``path`` addresses when it is exactly ``<collection>/<segment(id)>``, else ``None``.

    Parsing a path back and rebuilding it is how a saved plan's paths are checked: anything the
    builders above would not spell for a typed id (``..``, a second ``/``, a lower-case or stray
    escape, an empty id, a send endpoint) fails the round trip.
    """
    prefix = collection + "/"
    if not path.startswith(prefix):
        return None
    spelled = path[len(prefix) :]
    if not spelled or "/" in spelled:
        return None
    ident = unsegment(spelled)
    if not ident or f"{prefix}{segment(ident)}" != path:
        return None
    return ident


def touched_registration_ids(path: str, body: Any) -> set[str]:
    """The registration ids one mutating request changes, decoded: the device a
    ``POST /v4/devices/{rid}`` addresses, and the ids a bulk tag request adds or removes.

    The plan's device count, the safety threshold and identifier masking all ask this question;
    answering it in one place keeps an id with ``:`` (sent as ``%3A``) one device, not two.
    """
    found: set[str] = set()
    prefix = DEVICES + "/"
    if path.startswith(prefix) and "/" not in path[len(prefix) :]:
        found.add(unsegment(path[len(prefix) :]))
    ids = body.get("registration_ids") if isinstance(body, dict) else None
    if isinstance(ids, dict):
        for key in ("add", "remove"):
            values = ids.get(key)
            if isinstance(values, list):
                found.update(str(v) for v in values)
    return found


def safe_target(url: str) -> str:
    """A base URL without user info, query or fragment: what plans and output may show."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# -- identifiers ---------------------------------------------------------------------------------

# Registration ids are opaque; the SDKs show short lower-case hex-like strings. We accept a
# conservative superset so that a stray space, comma or slash is caught before the API sees it.
REGISTRATION_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
TRIGGER_KINDS: Final = ("single", "periodical", "intelligent")  # the one key of a schedule trigger

# -- chunk sizes ---------------------------------------------------------------------------------

TAG_CHUNK: Final = 1000  # registration ids per add (and per remove) list of POST /v4/tags/{tag}
STATUS_CHUNK: Final = 1000  # registration ids per POST /v4/devices/status
TAGS_COUNT_CHUNK: Final = 1000  # tags per GET /v4/tags_count
DETAILS_CHUNK: Final = 100  # message ids per GET /v4/messages/details
BATCH_LIMIT: Final = 500  # requests per batch push
MAX_SCHEDULE_PAGES: Final = 1000  # list pages read at most (50 per page: far past the quota)

# -- limits and quotas ---------------------------------------------------------------------------

SCHEDULE_QUOTA: Final = 1000  # valid (not yet fired or expired) schedules per AppKey
MAX_SCHEDULE_NAME_BYTES: Final = 255
MAX_TAG_BYTES: Final = 40  # tags and aliases alike
MAX_TAGS_PER_DEVICE: Final = 100
MAX_AUDIENCE_TAGS: Final = 20  # per tag / tag_and / tag_not list of one push
MAX_AUDIENCE_IDS: Final = 1000  # per alias / registration_id list of one push
# Push size: the compact UTF-8 JSON of the push ``body`` (docs/api-notes.md "Limits").
MAX_MESSAGE_BYTES: Final = 4000  # the Create Push doc's limit; 21005 past it
WARN_NOTIFICATION_BYTES: Final = 2048  # the Web Push skill's web notification figure: a warning
DEFAULT_TIME_TO_LIVE: Final = 86400
MAX_TIME_TO_LIVE: Final = 15 * 24 * 3600  # web push keeps offline messages at most 15 days
MAX_BIG_PUSH_DURATION: Final = 1440  # minutes; 23006 past it
MAX_WEB_BUTTONS: Final = 2
MAX_FREQUENCY: Final = 100  # periodical "every N units"
WEEKDAYS: Final = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MONTH_DAYS: Final = tuple(f"{day:02d}" for day in range(1, 32))


# -- vocabularies --------------------------------------------------------------------------------

#: ``options.multi_language`` keys the vendor documents (docs/api-notes.md "Push payload"):
#: regions are spelled with ``_`` and scripts with ``-``, as the Create Push doc spells them.
DOCUMENTED_LANGUAGES: Final = (
    "en",
    "zh-Hans",
    "zh-Hant",
    "pt_PT",
    "pt_BR",
    "es_ES",
    "es_AR",
    "es_419",
)
#: Plain languages taken from the browsers' own language list (docs/api-notes.md "Push payload").
BROWSER_LANGUAGES: Final = tuple(
    "af am ar bg bn ca cs da de el es et fa fi fil fr gu he hi hr hu id it ja kn ko lt lv ml mr "  # noqa: SIM905
    "ms nl no pl ro ru sk sl sr sv sw ta te th tr uk ur vi".split()
)
MULTI_LANGUAGE_CODES: Final = frozenset(DOCUMENTED_LANGUAGES + BROWSER_LANGUAGES)


__all__ = [
    "ALIASES",
    "BASE_URLS",
    "BATCH_LIMIT",
    "BATCH_PUSH",
    "BROWSER_LANGUAGES",
    "DEFAULT_TIME_TO_LIVE",
    "DETAILS_CHUNK",
    "DEVICES",
    "DEVICES_STATUS",
    "DOCUMENTED_LANGUAGES",
    "MAX_AUDIENCE_IDS",
    "MAX_AUDIENCE_TAGS",
    "MAX_BIG_PUSH_DURATION",
    "MAX_FREQUENCY",
    "MAX_MESSAGE_BYTES",
    "MAX_SCHEDULE_NAME_BYTES",
    "MAX_SCHEDULE_PAGES",
    "MAX_TAGS_PER_DEVICE",
    "MAX_TAG_BYTES",
    "MAX_TIME_TO_LIVE",
    "MAX_WEB_BUTTONS",
    "MESSAGE_DETAILS",
    "MONTH_DAYS",
    "MULTI_LANGUAGE_CODES",
    "PLATFORMS",
    "PUSH",
    "PUSH_VALIDATE",
    "REGISTRATION_ID_PATTERN",
    "SCHEDULES",
    "SCHEDULE_QUOTA",
    "STATUS_CHUNK",
    "TAGS",
    "TAGS_COUNT",
    "TAGS_COUNT_CHUNK",
    "TAG_CHUNK",
    "TRIGGER_KINDS",
    "V4",
    "WARN_NOTIFICATION_BYTES",
    "WEEKDAYS",
    "Product",
    "alias_path",
    "batch_push_path",
    "device_path",
    "item_id",
    "safe_target",
    "schedule_msg_ids_path",
    "schedule_path",
    "segment",
    "tag_member_path",
    "tag_path",
    "touched_registration_ids",
    "unsegment",
]
