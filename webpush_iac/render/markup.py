"""Markdown building blocks: escaping, code spans, tables and the size budget of a comment.

Everything user-controlled (names, notification text) goes into code spans or is escaped, so a
notification title cannot inject markup. A comment must stay under GitHub's 65,536-character
limit, so :func:`assemble` adds blocks until 60,000 characters and then says how many changes it
left out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from webpush_iac.render.masking import scrub_ids
from webpush_iac.render.wording import plural

MAX_CHARS: Final = 60_000
_MD_SPECIAL: Final = re.compile(r"([\\`*_\[\]|~#!])")


@dataclass
class Group:
    """A block whose ``items`` may be cut; ``open``/``close`` always appear together."""

    open: str = ""
    items: list[str] = field(default_factory=list)
    close: str = ""


def assemble(head: str, groups: list[Group], spellings: dict[str, str]) -> str:
    """Head, then groups in order until the budget runs out; then the truncation note."""
    total = sum(len(g.items) for g in groups)
    reserve = 400  # room for the truncation note
    out = [scrub_ids(head, spellings) + "\n"]
    size = len(out[0])
    shown = 0
    stopped = False
    for group in groups:
        opening, closing = scrub_ids(group.open, spellings), scrub_ids(group.close, spellings)
        if stopped or size + len(opening) + len(closing) > MAX_CHARS - reserve:
            stopped = True
            break
        body = []
        for item in group.items:
            text = scrub_ids(item, spellings)
            if size + len(opening) + len(closing) + len(text) > MAX_CHARS - reserve:
                stopped = True
                break
            body.append(text)
            size += len(text)
            shown += 1
        if body or not group.items:
            out += [opening, *body, closing]
            size += len(opening) + len(closing)
        if stopped:
            break
    if shown < total:
        left = total - shown
        out.append(
            f"> [!NOTE]\n> Output truncated at {MAX_CHARS:,} characters: "
            f"{plural(left, 'change')} of {total} left out. Run `webpush-iac plan --format text`, "
            "or keep the full plan with `--out plan.json`, to see every change.\n"
        )
    text = "".join(out).rstrip("\n")
    return text[:MAX_CHARS]


def join_quote(lines: Iterable[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out:
            out.append(">")
        out.append(line)
    return out


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], *, right: bool = False) -> str:
    align = ["---", *(["---:" if right else "---"] * (len(header) - 1))]
    lines = [row(header), row(tuple(align)), *(row(r) for r in rows)]
    return "\n".join(lines)


def row(cells: tuple[str, ...]) -> str:
    """Cells must already be table-safe (``_cell`` code spans or ``_escape``d text)."""
    return "| " + " | ".join(cells) + " |"


def escape(text: str) -> str:
    """Plain text that renders as itself: no HTML, no emphasis, no links, no mentions."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return escaped.replace("@", "@\u200b").replace("\n", " ")


def cell(text: str) -> str:
    """A code span inside a table cell, where GFM needs ``|`` escaped even in code."""
    return code(text).replace("|", "\\|")


def code(text: str) -> str:
    """A one-line code span that survives backticks inside ``text``."""
    text = text.replace("\r", " ").replace("\n", " ⏎ ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, lang: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


__all__ = [
    "MAX_CHARS",
    "Group",
    "assemble",
    "cell",
    "code",
    "escape",
    "fenced",
    "join_quote",
    "row",
    "table",
]
