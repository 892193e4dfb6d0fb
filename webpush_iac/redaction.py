"""Removing a secret from text we did not write: whole occurrences only, never word fragments.

Our own messages never hold the master secret (it is kept out at the source). Text from
elsewhere (an error message the server sends back, a request body written to the journal) might
echo it, so it is scrubbed before it reaches an exception, a log line or a file. Replacing every
substring would turn a one-letter secret ``s`` into "regi***tration i*** not regi***tered": the
message becomes unreadable and the pattern of stars spells out the secret. So only whole
occurrences are replaced: the secret with no word character (letter, digit, underscore) directly
before or after it, nor a word joined to it by a hyphen, apostrophe, dot or bracket (``re-s``,
``it's``, ``e.g``, ``id(s)``). A secret glued to other word characters is not the secret standing
alone and is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

REDACTED: Final = "***"
_WORD: Final = re.compile(r"\w")
_JOINERS: Final = r"[-'’.()\[\]]"  # characters that join two words into one


def secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching a whole occurrence of any of ``secrets`` (longest first, so a secret
    that contains another is replaced whole); ``None`` when there is nothing to redact."""
    forms = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not forms:
        return None
    return re.compile("|".join(_whole(s) for s in forms))


def _whole(secret: str) -> str:
    """``secret`` as a pattern bounded where its own edge is a word character: ``+x`` still
    matches in ``a+x``, ``x`` does not match in ``ax`` nor in ``a-x``."""
    head = rf"(?<!\w)(?<!\w{_JOINERS})" if _WORD.match(secret[0]) else ""
    tail = rf"(?!\w)(?!{_JOINERS}\w)" if _WORD.match(secret[-1]) else ""
    return f"{head}{re.escape(secret)}{tail}"


def redact(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` with every whole occurrence matched by ``pattern`` replaced by ``***``."""
    if pattern is None or not text:
        return text
    return pattern.sub(REDACTED, text)


__all__ = ["REDACTED", "redact", "secret_pattern"]
