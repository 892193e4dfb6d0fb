"""Markdown for pull-request comments: summary first, warnings next, details folded away.

Why the shape: a reviewer should see at a glance how much changes and whether anything dangerous
happens (deletes, broadcasts to every subscriber) before reading any detail, and a comment must stay
under GitHub's 65,536-character limit, so the output is cut at 60,000 characters with a note saying
how many changes were left out. Registration ids and aliases are masked unless the caller passes
``show_identifiers`` — structurally where we know them, plus a final pass over every token that is
a known registration id (error messages, request paths). Everything user-controlled (names,
notification text) goes into code spans or is escaped, so a notification title cannot inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from webpush_iac.apispec import safe_target
from webpush_iac.apply.result import ApplyResult, RequestOutcome
from webpush_iac.plan import Change, Plan
from webpush_iac.render_common import (
    NOTE_ACTIONS,
    SIGNS,
    alias_previous_owners,
    create_lines,
    device_lines,
    field_lines,
    mask_rid,
    plural,
    summary_sentence,
)
from webpush_iac.times import format_time

if TYPE_CHECKING:
    from webpush_iac.plan.audit import AuditReport

MAX_CHARS: Final = 60_000
_LIST_CAP: Final = 20  # addresses listed in one warning before "and N more"
_TOKEN: Final = re.compile(r"[0-9A-Za-z_\-]{8,}")
_MD_SPECIAL: Final = re.compile(r"([\\`*_\[\]|~#!])")


@dataclass
class _Group:
    """A block whose ``items`` may be cut; ``open``/``close`` always appear together."""

    open: str = ""
    items: list[str] = field(default_factory=list)
    close: str = ""


# -- plan ---------------------------------------------------------------------------------------------


def markdown_plan(plan: Plan, *, show_identifiers: bool = False, verbose: bool = False) -> str:
    mask = not show_identifiers
    s = plan.summary()
    counts = plan.counts()
    rows = [
        ("create", s["create"]),
        ("update", s["update"]),
        ("delete", s["delete"]),
        ("devices to change", s["devices"]),
        ("API requests", s["requests"]),
    ]
    rows += [(a, counts[a]) for a in ("conflict", *NOTE_ACTIONS) if counts[a]]
    if plan.errors:
        rows.append(("errors", len(plan.errors)))
    head = [
        f"### webpush-iac plan: {_code(plan.project)}",
        "",
        _table(("", "count"), [(k, str(v)) for k, v in rows], right=True),
        "",
        f"**{summary_sentence(plan)}**" if plan.has_mutations else "**No changes.**",
        "",
        _meta(plan.target, f"planned {format_time(plan.created_at)}")
        + (f" · valid until {format_time(plan.not_after)}" if plan.not_after else ""),
        "",
    ]
    head += _errors_block([str(p) for p in plan.errors], "This plan cannot be applied")
    head += _warnings(plan.changes)
    groups = _change_groups(plan.changes, mask, verbose)
    return _assemble("\n".join(head), groups, _plan_rids(plan) if mask else set())


def _warnings(changes: list[Change]) -> list[str]:
    deletes = [c for c in changes if any(r.kind == "schedule.delete" for r in c.requests)]
    casts = [c for c in changes if c.broadcast and c.mutating and c.action != "delete"]
    lines: list[str] = []
    if deletes:
        n = sum(1 for c in deletes for r in c.requests if r.kind == "schedule.delete")
        lines.append(f"> **Deletes {plural(n, 'live schedule')}:** " + _list(deletes))
    if casts:
        lines.append("> **Sends to all subscribers (`to: all`):** " + _list(casts))
    if not lines:
        return []
    return ["> [!WARNING]", *_join_quote(lines), ""]


def _list(changes: list[Change]) -> str:
    shown = [f"{_code(c.address)} ({c.action})" for c in changes[:_LIST_CAP]]
    more = len(changes) - _LIST_CAP
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _change_groups(changes: list[Change], mask: bool, verbose: bool) -> list[_Group]:
    """Schedules first (they send pushes), then the compact tag totals, then the per-device
    rows, then notes: when the comment has to be cut, what matters most is still in it."""
    groups = [
        _Group(items=[change_block(c, mask)])
        for c in changes
        if c.kind == "schedule" and (c.mutating or c.action == "conflict")
    ]
    tags = [c for c in changes if c.kind == "tag" and c.mutating]
    if tags:
        requests = sum(len(c.requests) for c in tags)
        groups.append(
            _Group(
                open=f"<details><summary>Tag membership ({plural(len(tags), 'tag')}, "
                f"{plural(requests, 'request')})</summary>\n\n"
                + _table(("tag", "devices added", "devices removed"), [])
                + "\n",
                items=[_tag_row(c) + "\n" for c in tags],
                close="\n</details>\n\n",
            )
        )
    devices = [c for c in changes if c.kind == "device" and c.mutating]
    if devices:
        groups.append(
            _Group(
                open=f"<details><summary>Device changes ({len(devices)})</summary>\n\n"
                + _table(("device", "tags", "alias"), [])
                + "\n",
                items=[_device_row(c, mask) + "\n" for c in devices],
                close="\n</details>\n\n",
            )
        )
    notes = [c for c in changes if c.action in NOTE_ACTIONS]
    if verbose:
        notes += [c for c in changes if c.action == "noop"]
    if notes:
        groups.append(
            _Group(
                open=f"<details><summary>Notes ({len(notes)})</summary>\n\n",
                items=[
                    f"- **{c.action}** {_code(c.address)}: {_escape(c.reason or 'unchanged')}\n"
                    for c in notes
                ],
                close="\n</details>\n\n",
            )
        )
    return groups


def _tag_row(change: Change) -> str:
    after = change.after if isinstance(change.after, dict) else {}
    return _row((_cell(change.name), str(after.get("add", 0)), str(after.get("remove", 0))))


def change_block(change: Change, mask: bool) -> str:
    """One schedule change: a folded block with its field diff and notification preview."""
    sign = SIGNS.get(change.action, "~")
    summary = f"<code>{html.escape(sign)} {change.action}</code> {html.escape(change.address)}"
    parts = [f"<details><summary>{summary}</summary>", ""]
    if change.reason:
        parts += [_escape(change.reason), ""]
    if change.action == "create":
        diff_lines = [f"+ {line}" for line in create_lines(change, mask)]
    else:
        diff_lines = []
        for path, before, after in field_lines(change, mask):
            if before != "(absent)":
                diff_lines.append(f"- {path}: {before}")
            if after != "(absent)":
                diff_lines.append(f"+ {path}: {after}")
    if diff_lines:
        parts += [_fenced("\n".join(diff_lines), "diff"), ""]
    if change.preview and change.action in ("create", "update", "replace", "conflict"):
        parts += _preview(change.preview)
    parts += ["</details>", "", ""]
    return "\n".join(parts)


def _preview(preview: dict[str, Any]) -> list[str]:
    lines = ["**Notification preview**", ""]
    for key in ("title", "alert", "url", "icon", "image"):
        if preview.get(key):
            lines.append(f"- {key}: {_code(str(preview[key]))}")
    for code, spec in (preview.get("languages") or {}).items():
        shown = " / ".join(_code(str(spec[k])) for k in ("title", "alert") if spec.get(k))
        lines.append(f"- {_code(code)}: {shown}")
    return [*lines, ""]


def _device_row(change: Change, mask: bool) -> str:
    name = mask_rid(change.name) if mask else change.name
    tags = alias = ""
    for line in device_lines(change, mask):
        key, _, value = line.partition(": ")
        if key == "tags":
            tags = " ".join(_cell(t) for t in value.split())
        elif key == "alias":
            alias = _cell(value)
    return _row((_cell(name), tags, alias))


def _plan_rids(plan: Plan) -> set[str]:
    rids: set[str] = set()
    for change in plan.changes:
        if change.kind == "device":
            rids.add(change.name)
            rids.update(alias_previous_owners(change))
        for request in change.requests:
            ids = (request.body or {}).get("registration_ids")
            if isinstance(ids, dict):
                rids.update(ids.get("add", ()))
                rids.update(ids.get("remove", ()))
        for side in (change.before, change.after):
            push = side.get("push") if isinstance(side, dict) else None
            to = push.get("to") if isinstance(push, dict) else None
            if isinstance(to, dict) and isinstance(to.get("registration_id"), list):
                rids.update(map(str, to["registration_id"]))
    rids.update(p.address.partition("/")[2] for p in plan.errors if p.address.startswith("device/"))
    return rids


# -- audit and result ---------------------------------------------------------------------------------


def markdown_audit(report: AuditReport, *, show_identifiers: bool = False) -> str:
    mask = not show_identifiers
    rows = [
        ("drift", len(report.drift)),
        ("conflicts", len(report.conflicts)),
        ("orphans", len(report.orphans)),
        ("unowned", len(report.unowned)),
        ("fired", len(report.fired)),
        ("expired", len(report.expired)),
        ("errors", len(report.errors)),
    ]
    verdict = "Drift found." if report.has_drift else "No drift."
    head = [
        f"### webpush-iac audit: {_code(report.project)}",
        "",
        _table(("", "count"), [(k, str(v)) for k, v in rows], right=True),
        "",
        f"**{verdict}** Quota: {report.quota_used}/{report.quota_limit} valid schedules in use.",
        "",
        _meta(report.plan.target, f"checked {format_time(report.checked_at)}"),
        "",
    ]
    head += _errors_block([str(p) for p in report.errors], "Some objects could not be checked")
    changes = [*report.drift, *(c for c in report.conflicts if c not in report.drift)]
    changes += [c for c in report.plan.changes if c.action in NOTE_ACTIONS]
    groups = _change_groups(changes, mask, verbose=False)
    return _assemble("\n".join(head), groups, _plan_rids(report.plan) if mask else set())


def markdown_result(result: ApplyResult, *, show_identifiers: bool = False) -> str:
    rows = [
        ("done", len(result.done)),
        ("failed", len(result.failed)),
        ("not attempted", len(result.not_attempted)),
    ]
    title = "succeeded" if result.ok else "partially failed"
    head = [
        f"### webpush-iac apply {title}" + (f": {_code(result.project)}" if result.project else ""),
        "",
        _table(("", "requests"), [(k, str(v)) for k, v in rows], right=True),
        "",
    ]
    groups = []
    for name, outcomes in (
        ("Failed", result.failed),
        ("Not attempted", result.not_attempted),
        ("Done", result.done),
    ):
        if outcomes:
            groups.append(
                _Group(
                    open=f"<details><summary>{name} ({len(outcomes)})</summary>\n\n",
                    items=[_outcome_line(o) for o in outcomes],
                    close="\n</details>\n\n",
                )
            )
    rids = set() if show_identifiers else _result_rids(result)
    return _assemble("\n".join(head), groups, rids)


def _outcome_line(o: RequestOutcome) -> str:
    line = f"- {_code(str(o.request))} ({_code(o.address)})"
    return line + (f": {_escape(o.error)}" if o.error else "") + "\n"


def _result_rids(result: ApplyResult) -> set[str]:
    rids: set[str] = set()
    for o in [*result.done, *result.failed, *result.not_attempted]:
        if o.address.startswith("device/"):
            rids.add(o.address.partition("/")[2])
        if o.request.path.startswith("/v4/devices/"):
            rids.add(o.request.path.rsplit("/", 1)[1])
        ids = (o.request.body or {}).get("registration_ids")
        if isinstance(ids, dict):
            rids.update(ids.get("add", ()))
            rids.update(ids.get("remove", ()))
    return rids


# -- assembly and escaping ------------------------------------------------------------------------------


def _assemble(head: str, groups: list[_Group], rids: set[str]) -> str:
    """Head, then groups in order until the budget runs out; then the truncation note."""
    total = sum(len(g.items) for g in groups)
    reserve = 400  # room for the truncation note
    out = [_scrub(head, rids) + "\n"]
    size = len(out[0])
    shown = 0
    stopped = False
    for group in groups:
        opening, closing = _scrub(group.open, rids), _scrub(group.close, rids)
        if stopped or size + len(opening) + len(closing) > MAX_CHARS - reserve:
            stopped = True
            break
        body = []
        for item in group.items:
            text = _scrub(item, rids)
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


def _scrub(text: str, rids: set[str]) -> str:
    if not rids:
        return text
    return _TOKEN.sub(lambda m: mask_rid(m.group()) if m.group() in rids else m.group(), text)


def _errors_block(problems: list[str], title: str) -> list[str]:
    if not problems:
        return []
    lines = [f"> **{title}: {plural(len(problems), 'error')}**"]
    lines += [f"> - {_escape(p)}" for p in problems[:_LIST_CAP]]
    if len(problems) > _LIST_CAP:
        lines.append(f"> - and {len(problems) - _LIST_CAP} more")
    return ["> [!CAUTION]", *lines, ""]


def _join_quote(lines: Iterable[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out:
            out.append(">")
        out.append(line)
    return out


def _meta(target: str, when: str) -> str:
    target = safe_target(target)
    return (f"target {_code(target)} · " if target else "") + when


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], *, right: bool = False) -> str:
    align = ["---", *(["---:" if right else "---"] * (len(header) - 1))]
    lines = [_row(header), _row(tuple(align)), *(_row(r) for r in rows)]
    return "\n".join(lines)


def _row(cells: tuple[str, ...]) -> str:
    """Cells must already be table-safe (``_cell`` code spans or ``_escape``d text)."""
    return "| " + " | ".join(cells) + " |"


def _escape(text: str) -> str:
    """Plain text that renders as itself: no HTML, no emphasis, no links, no mentions."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return escaped.replace("@", "@\u200b").replace("\n", " ")


def _cell(text: str) -> str:
    """A code span inside a table cell, where GFM needs ``|`` escaped even in code."""
    return _code(text).replace("|", "\\|")


def _code(text: str) -> str:
    """A one-line code span that survives backticks inside ``text``."""
    text = text.replace("\r", " ").replace("\n", " ⏎ ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(text: str, lang: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


__all__ = ["MAX_CHARS", "change_block", "markdown_audit", "markdown_plan", "markdown_result"]
