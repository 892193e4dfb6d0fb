"""Masking of registration ids and aliases: they identify people's devices, and a plan rendered
into a pull-request comment is readable by everyone with access to the repository.

A masked value keeps enough to tell devices apart in a review. Identifiers are masked where the
structure says what they are (audiences, device changes) and, as a last pass, wherever a known id
appears in free text: raw or as it is spelled inside a request path (``:`` becomes ``%3A``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from webpush_iac.apispec import segment, unsegment

Mask = Callable[[str], str]

_IDENTIFIER_KEYS: Final = ("alias", "registration_id")
#: Candidate identifiers in free text: the characters a registration id may hold, and ``%``
#: for the escapes of a path segment.
_TOKEN: Final = re.compile(r"[0-9A-Za-z_.:%\-]+")


def mask_rid(rid: str) -> str:
    """``1a0018970a5c6c1`` → ``1a00…c6c1``: enough to tell devices apart in a review."""
    return f"{rid[:4]}…{rid[-4:]}" if len(rid) > 10 else f"{rid[:2]}…"


def mask_alias(alias: str) -> str:
    """``qa_anna`` → ``qa_…``."""
    return f"{alias[:3]}…" if len(alias) > 3 else f"{alias[:1]}…"


def keep(value: str) -> str:
    return value


@dataclass(frozen=True)
class Masking:
    """How one rendering shows identifiers: as they are (``key`` None) or masked.

    A masked alias keeps its first characters and gains a short tag, an HMAC-SHA256 of the alias
    under ``key`` (``qa_…#5e1f0b``), so a reviewer sees that ``qa_anna`` → ``qa_bob`` changes
    (the tags differ) and which masked values are the same one. The key is the plan's own
    random ``mask_key``, never written anywhere, so a tag cannot be brute-forced back into a
    short alias (a hash salted with anything the reader can see could); the price is that tags
    only compare within one rendering, not across comments or runs.
    """

    key: bytes | None = None

    @property
    def on(self) -> bool:
        return self.key is not None

    def alias(self, value: str) -> str:
        if self.key is None:
            return value
        tag = hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:TAG_CHARS]
        return f"{mask_alias(value)}#{tag}"

    def rid(self, value: str) -> str:
        return mask_rid(value) if self.key is not None else value


SHOWN: Final = Masking()
TAG_CHARS: Final = 6  # 24 bits: two different aliases in one plan collide once in 16 million


def mask_audience(value: Any, path: tuple[str, ...], masking: Masking) -> Any:
    """Mask ``alias``/``registration_id`` lists inside a push audience (``to``) found in ``value``,
    where ``path`` is where ``value`` sits in the schedule's comparable form."""
    if not masking.on:
        return value
    if isinstance(value, dict):
        return {k: mask_audience(v, (*path, str(k)), masking) for k, v in value.items()}
    if len(path) >= 2 and path[-2] == "to" and path[-1] in _IDENTIFIER_KEYS:
        masker = masking.alias if path[-1] == "alias" else masking.rid
        if isinstance(value, list):
            return [masker(str(v)) for v in value]
        if isinstance(value, str):
            return masker(value)
    return value


def id_spellings(rids: Iterable[str]) -> dict[str, str]:
    """Every spelling of each id that may appear in text (raw, and as a path segment), mapped to
    the id's masked form."""
    out: dict[str, str] = {}
    for rid in rids:
        masked = mask_rid(rid)
        out[rid] = masked
        out[segment(rid)] = masked
    return out


def scrub_ids(text: str, spellings: dict[str, str]) -> str:
    """Mask every whole occurrence of a known id in ``text`` (never a fragment of a word)."""
    if not spellings:
        return text

    def one(match: re.Match[str]) -> str:
        token = match.group()
        if token in spellings:
            return spellings[token]
        stripped = token.rstrip(".:")  # an id at the end of a sentence or before a colon
        if stripped != token and stripped in spellings:
            return spellings[stripped] + token[len(stripped) :]
        return token

    return _TOKEN.sub(one, text)


def identifier_spellings(rids: Iterable[str], aliases: Iterable[str] = ()) -> dict[str, str]:
    """:func:`id_spellings` for registration ids, plus every spelling of each alias."""
    out = id_spellings(rids)
    for alias in aliases:
        if alias:
            out.setdefault(alias, mask_alias(alias))
            out.setdefault(segment(alias), mask_alias(alias))
    return out


# Where our own messages put an identifier, for ids no manifest names (a saved plan's, or one a
# server echoes): the last segment of a device, alias or tag-member path, a plan address
# ``device/<id>``, "device <id>" (ids there carry a digit), and "alias '<alias>'".
_ID = r"[0-9A-Za-z][0-9A-Za-z_.:%\-]*?"
_IN_TEXT: Final = (
    (re.compile(rf"(?<=/v4/devices/){_ID}(?=[\s/?#'\",;)]|:\s|$)"), mask_rid),
    (re.compile(rf"(?<=/registration_ids/){_ID}(?=[\s/?#'\",;)]|:\s|$)"), mask_rid),
    (re.compile(r"(?<=/v4/aliases/)[^\s/?#'\",;)]+"), mask_alias),
    (re.compile(rf"(?<=\bdevice/){_ID}(?=:\s|[\s,;)]|$)"), mask_rid),
    (
        re.compile(rf"(?<=\bdevice )(?=[^\s]*\d)(?=[^\s]{{6}}){_ID}(?=[\s,;)]|[.:]\s|[.:]?$)"),
        mask_rid,
    ),
    (re.compile(r"(?<=\balias ')[^']+(?=')"), mask_alias),
)


def scrub_error_text(text: str, spellings: dict[str, str]) -> str:
    """An error line for a pull-request comment: every known identifier masked (as
    :func:`scrub_ids`), then any other one sitting where our messages put identifiers."""
    text = scrub_ids(text, spellings)
    for pattern, masker in _IN_TEXT:
        text = pattern.sub(_masking(masker), text)
    return text


def _masking(mask: Mask) -> Callable[[re.Match[str]], str]:
    def one(match: re.Match[str]) -> str:
        value = match.group()
        return value if "…" in value else mask(unsegment(value))

    return one


__all__ = [
    "SHOWN",
    "Mask",
    "Masking",
    "id_spellings",
    "identifier_spellings",
    "keep",
    "mask_alias",
    "mask_audience",
    "mask_rid",
    "scrub_error_text",
    "scrub_ids",
]
