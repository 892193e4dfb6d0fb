"""Markdown for pull-request comments: summary first, warnings next, details folded away.

Why the shape: a reviewer should see at a glance how much changes and whether anything dangerous
happens (deletes, broadcasts to every subscriber) before reading any detail, and a comment must stay
under GitHub's 65,536-character limit, so the output is cut at 60,000 characters with a note saying
how many changes were left out. Registration ids and aliases are masked unless the caller passes
``show_identifiers`` — structurally where we know them (aliases with a keyed tag, so a change
stays visible: ``render.masking.Masking``), plus a final pass over every token that is a known
registration id (error messages, request paths). Everything user-controlled (names,
notification text) goes into code spans or is escaped, so a notification title cannot inject markup.
"""

from __future__ import annotations

import html
from typing import Any, Final

from webpush_iac.apispec import safe_target, touched_registration_ids
from webpush_iac.apply.result import ApplyResult, RequestOutcome
from webpush_iac.plan import AuditReport, Change, Plan, PlanWarning
from webpush_iac.render.markup import (
    Group,
    assemble,
    cell,
    code,
    escape,
    fenced,
    join_quote,
    row,
    table,
)
from webpush_iac.render.masking import SHOWN, Masking, id_spellings
from webpush_iac.render.wording import (
    NOTE_ACTIONS,
    SIGNS,
    audit_verdict,
    create_lines,
    delete_lines,
    device_lines,
    field_lines,
    plan_headline,
    plural,
    shown_address,
)
from webpush_iac.times import format_time

_LIST_CAP: Final = 20  # addresses listed in one warning before "and N more"
# Level 5: the CI templates put the output under their own #### (or ###) heading, and a comment's
# headings must nest under the wrapper's.
HEADING: Final = "#####"


# -- plan ---------------------------------------------------------------------------------------------


def markdown_plan(plan: Plan, *, show_identifiers: bool = False, verbose: bool = False) -> str:
    masking = SHOWN if show_identifiers else Masking(plan.mask_key)
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
    rows += [(label, n) for label, n in _skipped_rows(plan) if n]
    if plan.errors:
        rows.append(("errors", len(plan.errors)))
    head = [
        f"{HEADING} webpush-iac plan: {code(plan.project)}",
        "",
        table(("", "count"), [(k, str(v)) for k, v in rows], right=True),
        "",
        f"**{plan_headline(plan)}**",
        "",
        _meta(plan.target, f"planned {format_time(plan.created_at)}")
        + (f" · valid until {format_time(plan.not_after)}" if plan.not_after else ""),
        "",
    ]
    head += _errors_block([str(p) for p in plan.errors], "This plan cannot be applied")
    head += _warnings(plan.changes, plan.warnings)
    groups = _change_groups(plan.changes, masking, verbose)
    spellings = id_spellings(_plan_rids(plan)) if masking.on else {}
    return assemble("\n".join(head), groups, spellings)


def _skipped_rows(plan: Plan) -> list[tuple[str, int]]:
    return [
        ("unknown devices", plan.warning_count("unknown_device")),
        ("unreadable devices", plan.warning_count("device_unreadable")),
        ("warnings", len(plan.warnings)),
    ]


def _warnings(changes: list[Change], warnings: list[PlanWarning]) -> list[str]:
    """The one warning block: deletes, broadcasts, then the plan's own warnings."""
    deletes = [c for c in changes if any(r.kind == "schedule.delete" for r in c.requests)]
    casts = [c for c in changes if c.broadcast and c.mutating and c.action != "delete"]
    lines: list[str] = []
    if deletes:
        n = sum(1 for c in deletes for r in c.requests if r.kind == "schedule.delete")
        lines.append(f"> **Deletes {plural(n, 'live schedule')}:** " + _list(deletes))
    if casts:
        lines.append("> **Sends to all subscribers (`to: all`):** " + _list(casts))
    if warnings:
        items = [
            f"> - {code(w.code)} {code(w.address)}: {escape(w.message)}"
            for w in warnings[:_LIST_CAP]
        ]
        if len(warnings) > _LIST_CAP:
            items.append(f"> - and {len(warnings) - _LIST_CAP} more")
        lines.append("\n".join([f"> **{plural(len(warnings), 'warning')}:**", *items]))
    if not lines:
        return []
    return ["> [!WARNING]", *join_quote(lines), ""]


def _list(changes: list[Change]) -> str:
    shown = [f"{code(shown_address(c))} ({c.action})" for c in changes[:_LIST_CAP]]
    more = len(changes) - _LIST_CAP
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _change_groups(changes: list[Change], masking: Masking, verbose: bool) -> list[Group]:
    """Schedules first (they send pushes), then the compact tag totals, then the per-device
    rows, then notes: when the comment has to be cut, what matters most is still in it."""
    groups = [
        Group(items=[change_block(c, masking)])
        for c in changes
        if c.kind == "schedule" and (c.mutating or c.action == "conflict")
    ]
    tags = [c for c in changes if c.kind == "tag" and c.mutating]
    if tags:
        requests = sum(len(c.requests) for c in tags)
        groups.append(
            Group(
                open=f"<details><summary>Tag membership ({plural(len(tags), 'tag')}, "
                f"{plural(requests, 'request')})</summary>\n\n"
                + table(("tag", "devices added", "devices removed"), [])
                + "\n",
                items=[_tag_row(c) + "\n" for c in tags],
                close="\n</details>\n\n",
            )
        )
    devices = [c for c in changes if c.kind == "device" and c.mutating]
    if devices:
        groups.append(
            Group(
                open=f"<details><summary>Device changes ({len(devices)})</summary>\n\n"
                + table(("device", "tags", "alias"), [])
                + "\n",
                items=[_device_row(c, masking) + "\n" for c in devices],
                close="\n</details>\n\n",
            )
        )
    notes = [c for c in changes if c.action in NOTE_ACTIONS]
    if verbose:
        notes += [c for c in changes if c.action == "noop"]
    if notes:
        groups.append(
            Group(
                open=f"<details><summary>Notes ({len(notes)})</summary>\n\n",
                items=[
                    f"- **{c.action}** {code(c.address)}: {escape(c.reason or 'unchanged')}\n"
                    for c in notes
                ],
                close="\n</details>\n\n",
            )
        )
    return groups


def _tag_row(change: Change) -> str:
    after = change.after if isinstance(change.after, dict) else {}
    return row((cell(change.name), str(after.get("add", 0)), str(after.get("remove", 0))))


def change_block(change: Change, masking: Masking) -> str:
    """One schedule change: a folded block with its field diff and notification preview."""
    sign = SIGNS.get(change.action, "~")
    summary = (
        f"<code>{html.escape(sign)} {change.action}</code> {html.escape(shown_address(change))}"
    )
    parts = [f"<details><summary>{summary}</summary>", ""]
    if change.reason:
        parts += [escape(change.reason), ""]
    if change.action == "create":
        diff_lines = [f"+ {line}" for line in create_lines(change, masking)]
    elif change.action == "delete":
        diff_lines = [f"- {line}" for line in delete_lines(change, masking)]
    else:
        diff_lines = []
        for path, before, after in field_lines(change, masking):
            if before != "(absent)":
                diff_lines.append(f"- {path}: {before}")
            if after != "(absent)":
                diff_lines.append(f"+ {path}: {after}")
    if diff_lines:
        parts += [fenced("\n".join(diff_lines), "diff"), ""]
    if change.preview and change.action in ("create", "update", "replace", "conflict"):
        parts += _preview(change.preview)
    parts += ["</details>", "", ""]
    return "\n".join(parts)


def _preview(preview: dict[str, Any]) -> list[str]:
    lines = ["**Notification preview**", ""]
    for key in ("title", "alert", "url", "icon", "image"):
        if preview.get(key):
            lines.append(f"- {key}: {code(str(preview[key]))}")
    for language, spec in (preview.get("languages") or {}).items():
        shown = " / ".join(code(str(spec[k])) for k in ("title", "alert") if spec.get(k))
        lines.append(f"- {code(language)}: {shown}")
    return [*lines, ""]


def _device_row(change: Change, masking: Masking) -> str:
    name = masking.rid(change.name)
    tags = alias = ""
    for line in device_lines(change, masking):
        key, _, value = line.partition(": ")
        if key == "tags":
            tags = " ".join(cell(t) for t in value.split())
        elif key == "alias":
            alias = cell(value)
    return row((cell(name), tags, alias))


def _plan_rids(plan: Plan) -> set[str]:
    rids: set[str] = set()
    for change in plan.changes:
        if change.kind == "device":
            rids.add(change.name)
        for request in change.requests:
            rids.update(touched_registration_ids(request.path, request.body))
        for side in (change.before, change.after):
            push = side.get("push") if isinstance(side, dict) else None
            to = push.get("to") if isinstance(push, dict) else None
            if isinstance(to, dict) and isinstance(to.get("registration_id"), list):
                rids.update(map(str, to["registration_id"]))
    addresses = [p.address for p in plan.errors] + [w.address for w in plan.warnings]
    rids.update(a.partition("/")[2] for a in addresses if a.startswith("device/"))
    return rids


# -- audit and result ---------------------------------------------------------------------------------


def markdown_audit(report: AuditReport, *, show_identifiers: bool = False) -> str:
    masking = SHOWN if show_identifiers else Masking(report.plan.mask_key)
    rows = [
        ("drift", len(report.drift)),
        ("conflicts", len(report.conflicts)),
        ("orphans", len(report.orphans)),
        ("unowned", len(report.unowned)),
        ("fired", len(report.fired)),
        ("expired", len(report.expired)),
        ("missed", len(report.missed)),
        *_skipped_rows(report.plan),
        ("errors", len(report.errors)),
    ]
    verdict = audit_verdict(report)
    head = [
        f"{HEADING} webpush-iac audit: {code(report.project)}",
        "",
        table(("", "count"), [(k, str(v)) for k, v in rows], right=True),
        "",
        f"**{verdict}** Quota: {report.quota_used}/{report.quota_limit} valid schedules in use.",
        "",
        _meta(report.plan.target, f"checked {format_time(report.checked_at)}"),
        "",
    ]
    head += _errors_block([str(p) for p in report.errors], "Some objects could not be checked")
    head += _warnings([], report.plan.warnings)
    changes = [*report.drift, *(c for c in report.conflicts if c not in report.drift)]
    changes += [c for c in report.plan.changes if c.action in NOTE_ACTIONS]
    groups = _change_groups(changes, masking, verbose=False)
    spellings = id_spellings(_plan_rids(report.plan)) if masking.on else {}
    return assemble("\n".join(head), groups, spellings)


def markdown_result(result: ApplyResult, *, show_identifiers: bool = False) -> str:
    rows = [
        ("done", len(result.done)),
        ("failed", len(result.failed)),
        ("not attempted", len(result.not_attempted)),
    ]
    title = "succeeded" if result.ok else "partially failed"
    head = [
        f"{HEADING} webpush-iac apply {title}"
        + (f": {code(result.project)}" if result.project else ""),
        "",
        table(("", "requests"), [(k, str(v)) for k, v in rows], right=True),
        "",
    ]
    notes = [f"stopped by {result.stopped}: no request started after it"] if result.stopped else []
    notes += result.warnings
    if notes:
        head += ["> [!WARNING]", *(f"> {escape(n)}" for n in notes), ""]
    groups = []
    for name, outcomes in (
        ("Failed", result.failed),
        ("Not attempted", result.not_attempted),
        ("Done", result.done),
    ):
        if outcomes:
            groups.append(
                Group(
                    open=f"<details><summary>{name} ({len(outcomes)})</summary>\n\n",
                    items=[_outcome_line(o) for o in outcomes],
                    close="\n</details>\n\n",
                )
            )
    spellings = {} if show_identifiers else id_spellings(_result_rids(result))
    return assemble("\n".join(head), groups, spellings)


def _outcome_line(o: RequestOutcome) -> str:
    line = f"- {code(str(o.request))} ({code(o.address)})"
    line += f": {escape(o.error)}" if o.error else ""
    return line + (f" ({escape(o.note)})" if o.note else "") + "\n"


def _result_rids(result: ApplyResult) -> set[str]:
    rids: set[str] = set()
    for o in [*result.done, *result.failed, *result.not_attempted]:
        if o.address.startswith("device/"):
            rids.add(o.address.partition("/")[2])
        rids.update(touched_registration_ids(o.request.path, o.request.body))
    return rids


def _errors_block(problems: list[str], title: str) -> list[str]:
    if not problems:
        return []
    lines = [f"> **{title}: {plural(len(problems), 'error')}**"]
    lines += [f"> - {escape(p)}" for p in problems[:_LIST_CAP]]
    if len(problems) > _LIST_CAP:
        lines.append(f"> - and {len(problems) - _LIST_CAP} more")
    return ["> [!CAUTION]", *lines, ""]


def _meta(target: str, when: str) -> str:
    target = safe_target(target)
    return (f"target {code(target)} · " if target else "") + when


__all__ = ["change_block", "markdown_audit", "markdown_plan", "markdown_result"]
