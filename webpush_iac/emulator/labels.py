"""The character rules of names, tags and aliases (docs/api-notes.md "Schedules: create and update",
"Devices, tags and aliases"), shared by schedules,
devices and push audiences."""

from __future__ import annotations

import re
from typing import Final

# DOC: "CJK characters, letters, digits, underscore". GUESS for which blocks count as CJK:
# the unified ideographs (+ extensions and compatibility forms), kana and hangul syllables.
_WORD_CLASS = (
    "0-9A-Za-z_"
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_LABEL_RE = re.compile(f"[{_WORD_CLASS}]+")
MAX_NAME_BYTES: Final = 255  # DOC: schedule names
MAX_LABEL_BYTES: Final = 40  # DOC: tags and aliases


def valid_label(value: object, max_bytes: int = MAX_LABEL_BYTES) -> bool:
    """True for a non-empty string of the allowed characters within ``max_bytes`` UTF-8 bytes."""
    return (
        isinstance(value, str)
        and len(value.encode("utf-8")) <= max_bytes
        and bool(_LABEL_RE.fullmatch(value))
    )
