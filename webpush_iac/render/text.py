"""Terraform-like text: ``+ ~ - =`` lines, notes, errors and a summary sentence."""

from __future__ import annotations

from typing import Final

from webpush_iac.apispec import safe_target
from webpush_iac.apply import ApplyResult, RequestOutcome
from webpush_iac.plan import AuditReport, Change, Plan
from webpush_iac.render.masking import SHOWN
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
    warning_lines,
)
from webpush_iac.times import format_time

_COLORS: Final = {
    "+": "32",
    "~": "33",
    "-": "31",
    "-/+": "35",
    "!": "1;31",
    "=": "2",
    "note": "36",
    "warning": "33",
    "error": "31",
    "bold": "1",
}


class Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        code = _COLORS.get(style)
        if not self.enabled or code is None:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"


def text_plan(plan: Plan, paint: Paint, verbose: bool) -> str:
    target = safe_target(plan.target)
    title = f"webpush-iac plan for {plan.project}" + (f" → {target}" if target else "")
    lines = [paint("bold", title)]
    if plan.not_after is not None:
        lines.append(
            f"planned {format_time(plan.created_at)}, valid until {format_time(plan.not_after)}"
        )
    lines.append("")
    lines.extend(_text_body(plan.changes, paint, verbose))
    lines.extend(_text_warnings(plan, paint))
    if plan.errors:
        lines.append(
            paint("error", f"Errors ({len(plan.errors)}), so this plan cannot be applied:")
        )
        lines.extend(paint("error", f"  {p}") for p in plan.errors)
        lines.append("")
    lines.append(paint("bold", plan_headline(plan)))
    return "\n".join(lines)


def _text_warnings(plan: Plan, paint: Paint) -> list[str]:
    if not plan.warnings:
        return []
    lines = [paint("warning", f"Warnings ({len(plan.warnings)}):")]
    lines += [paint("warning", f"  {line}") for line in warning_lines(plan.warnings)]
    return [*lines, ""]


def _text_body(changes: list[Change], paint: Paint, verbose: bool) -> list[str]:
    lines: list[str] = []
    active = [c for c in changes if c.mutating or c.action == "conflict"]
    if verbose:
        active += [c for c in changes if c.action == "noop"]
    for change in active:
        lines.extend(_text_change(change, paint))
    if active:
        lines.append("")
    notes = [c for c in changes if c.action in NOTE_ACTIONS]
    if notes:
        lines.append("Notes:")
        width = max(len(c.action) for c in notes)
        lines.extend(
            paint("note", f"  {c.action.ljust(width)}  {c.address}: {c.reason}") for c in notes
        )
        lines.append("")
    return lines


def _text_change(change: Change, paint: Paint) -> list[str]:
    sign = SIGNS.get(change.action, "~")
    head = f"  {paint(sign, sign)} {shown_address(change)}"
    if change.kind == "tag":
        return [f"{head}: {change.reason}"]
    if change.kind == "device":
        return [head, *(f"      {line}" for line in device_lines(change, SHOWN))]
    if change.schedule_id and change.action != "create":
        head += f" (id {change.schedule_id})"
    if change.action in ("replace", "delete", "conflict") and change.reason:
        head += f": {change.reason}"
    if change.action == "create":
        body = create_lines(change, SHOWN)
    elif change.action == "delete":
        body = delete_lines(change, SHOWN)
    else:
        body = [f"{p}: {b} → {a}" for p, b, a in field_lines(change, SHOWN)]
    return [head, *(f"      {line}" for line in body)]


def text_audit(report: AuditReport, paint: Paint) -> str:
    plan = report.plan
    target = safe_target(plan.target)
    title = f"webpush-iac audit for {report.project}" + (f" → {target}" if target else "")
    lines = [paint("bold", title), f"checked {format_time(report.checked_at)}", ""]
    drift = report.drift
    if drift or report.conflicts:
        lines.append(f"Drift: {plural(len(drift), 'change')} apply would make")
        for change in [*drift, *(c for c in report.conflicts if c not in drift)]:
            lines.extend(_text_change(change, paint))
        lines.append("")
    notes = [c for c in plan.changes if c.action in NOTE_ACTIONS]
    lines.extend(_text_body(notes, paint, verbose=False))
    lines.extend(_text_warnings(plan, paint))
    if report.errors:
        lines.append(paint("error", f"Errors ({len(report.errors)}):"))
        lines.extend(paint("error", f"  {p}") for p in report.errors)
        lines.append("")
    lines.append(f"Quota: {report.quota_used}/{report.quota_limit} valid schedules in use.")
    lines.append(paint("bold", audit_verdict(report)))
    return "\n".join(lines)


def text_result(result: ApplyResult, paint: Paint) -> str:
    head = (
        f"Apply{f' for {result.project}' if result.project else ''}: "
        f"{len(result.done)} done, {len(result.failed)} failed, "
        f"{len(result.not_attempted)} not attempted."
    )
    lines = [paint("bold", head)]
    if result.stopped:
        lines.append(paint("error", f"Stopped by {result.stopped}: no request started after it."))
    lines.extend(paint("error", f"Warning: {w}") for w in result.warnings)
    sections: tuple[tuple[str, str, list[RequestOutcome]], ...] = (
        ("Failed", "error", result.failed),
        ("Not attempted", "note", result.not_attempted),
        ("Done", "+", result.done),
    )
    for title, style, outcomes in sections:
        if not outcomes:
            continue
        lines.append(f"{title}:")
        for o in outcomes:
            line = f"  {o.request} ({o.address})"
            if o.created_id:
                line += f" → {o.created_id}"
            if o.error:
                line += f": {o.error}"
            if o.note:
                line += f" [{o.note}]"
            lines.append(paint(style, line))
    return "\n".join(lines)


__all__ = ["Paint", "text_audit", "text_plan", "text_result"]
