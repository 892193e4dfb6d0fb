"""How deep a YAML text nests, measured on the text before any parser sees it.

Why before: the YAML composers (libyaml's through ruamel.yaml's C extension, and ruamel's pure
Python one) recurse once per nesting level, so ``[[[[…]]]]`` or ``- - - - …`` 30,000 levels deep
overflows the C stack and the process dies with a segfault and no message; the position-recording
builder's own depth limit comes too late. This scan is one pass over the lines with a regular
expression per line, a few milliseconds for a large manifest: block nesting is counted from
indentation and compact ``- ``/``? `` indicators, flow nesting from brackets. It skips quoted
scalars, block scalars (``|``, ``>``) and comments, and treats a bracket inside a plain scalar
(``title: Sale [50%``) as text, so it never counts less than the parser will see and rarely more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from webpush_iac.errors import Problem

MAX_NESTING: Final = 100  # levels; the document builder refuses more than 64 with a location
TOO_DEEP: Final = "YAML nesting deeper than"

_INDICATORS = re.compile(r"(?:[-?:](?=[ \t]|$)[ \t]*)+")
_BLOCK_TOKEN = re.compile(r":[ \t]+|[\[{'\"|>#]")  # a value may follow ": "; these may start one
_FLOW_SPECIAL = re.compile(r"[\[\]{}'\"#]")
_PROPERTIES = re.compile(r"(?:[&!][^ \t]*[ \t]+)*")  # an anchor or tag before a value
_DOCUMENT = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|$)")


def nesting_problem(text: str, file: str) -> Problem | None:
    """A located problem when ``text`` nests deeper than :data:`MAX_NESTING` anywhere."""
    scan = _Scan()
    for number, line in enumerate(text.splitlines(), start=1):
        col = scan.line(line)
        if col:
            return Problem(
                file,
                number,
                col,
                "",
                f"{TOO_DEEP} {MAX_NESTING} levels; a manifest this deep is refused before it "
                "is parsed",
            )
    return None


@dataclass
class _Scan:
    stack: list[int] = field(default_factory=list)  # columns of the open block levels
    flow: int = 0  # open flow collections
    quote: str = ""  # inside a quoted scalar continued from an earlier line
    block_scalar: int = -1  # indentation a block scalar's lines are deeper than; -1: none

    def line(self, line: str) -> int:
        """Advance over one line; the 1-based column where the limit is passed, else 0."""
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if self.block_scalar >= 0:
            if not stripped.strip() or indent > self.block_scalar:
                return 0
            self.block_scalar = -1
        pos = 0
        if self.quote:
            pos = _close_quote(line, 0, self.quote)
            if pos < 0:
                return 0
            self.quote = ""
        if self.flow:
            return self._flow(line, pos)
        if pos:
            return 0  # the rest of a multi-line quoted value: nothing nests after it
        if not stripped or stripped[0] == "#":
            return 0
        if _DOCUMENT.match(line):
            self.stack.clear()
            return self._block(line, len(line) - len(line[3:].lstrip(" \t")), indent)
        while self.stack and self.stack[-1] >= indent:
            self.stack.pop()
        self.stack.append(indent)
        start = indent
        found = _INDICATORS.match(line, indent)
        if found:
            for column in range(found.start(), found.end()):
                if line[column] in "-?:" and column + 1 < len(line):
                    self.stack.append(column + 2)  # a compact "- - x": one level per indicator
                    if len(self.stack) > MAX_NESTING:
                        return column + 1
            start = found.end()
        if len(self.stack) > MAX_NESTING:
            return start + 1
        return self._block(line, start, indent)

    def _block(self, line: str, start: int, indent: int) -> int:
        """The rest of a block-context line from its first token at ``start``. A special
        character opens something only where a value starts: first on the line, or after
        ``": "`` (and any anchor or tag); elsewhere it is part of a plain scalar."""
        value_at = _skip_properties(line, start)
        pos = start
        while (found := _BLOCK_TOKEN.search(line, pos)) is not None:
            i, mark = found.start(), found.group()
            pos = found.end()
            if mark[0] == ":":
                value_at = _skip_properties(line, pos)
            elif mark == "#" and (i == 0 or line[i - 1] in " \t"):
                return 0
            elif i != value_at:
                continue
            elif mark in "|>":
                self.block_scalar = indent
                return 0
            elif mark in "'\"":
                pos = _close_quote(line, i + 1, mark)
                if pos < 0:
                    self.quote = mark
                    return 0
            elif mark in "[{":
                self.flow = 1
                if len(self.stack) + self.flow > MAX_NESTING:
                    return i + 1
                return self._flow(line, i + 1)
        return 0

    def _flow(self, line: str, pos: int) -> int:
        while (found := _FLOW_SPECIAL.search(line, pos)) is not None:
            i, char = found.start(), found.group()
            pos = i + 1
            if char in "[{":
                self.flow += 1
                if len(self.stack) + self.flow > MAX_NESTING:
                    return i + 1
            elif char in "]}":
                self.flow -= 1
                if self.flow <= 0:
                    self.flow = 0
                    return 0  # back in block context; what follows a collection nests nothing
            elif char == "#":
                if i == 0 or line[i - 1] in " \t":
                    return 0
            elif _previous(line, i) in ("", "[", "{", ",", ":"):
                pos = _close_quote(line, i + 1, char)
                if pos < 0:
                    self.quote = char
                    return 0
        return 0


def _skip_properties(line: str, pos: int) -> int:
    found = _PROPERTIES.match(line, pos)
    return found.end() if found is not None else pos


def _previous(line: str, i: int) -> str:
    """The last character before ``i`` that is not a blank ("" at the start of the line)."""
    j = i - 1
    while j >= 0 and line[j] in " \t":
        j -= 1
    return line[j] if j >= 0 else ""


def _close_quote(line: str, pos: int, quote: str) -> int:
    """The index after the quote closing a scalar that runs from ``pos``, or -1 if it goes on."""
    while (end := line.find(quote, pos)) >= 0:
        if quote == "'":
            if line.startswith("''", end):
                pos = end + 2
                continue
            return end + 1
        backslashes = len(line[pos:end]) - len(line[pos:end].rstrip("\\"))
        if backslashes % 2 == 0:
            return end + 1
        pos = end + 1
    return -1


__all__ = ["MAX_NESTING", "TOO_DEEP", "nesting_problem"]
