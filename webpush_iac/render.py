"""Pure renderers: a Plan, an AuditReport or an ApplyResult in, a string out (design §5).

The library never prints; ``cli`` decides where the string goes and whether colour is wanted (a TTY
without ``NO_COLOR``), so ``color`` is a parameter here and ANSI codes appear only when it is true.
``text`` reads like Terraform; ``markdown`` (``render_markdown``) is made for pull-request comments
and masks identifiers; ``json`` is the saved-plan format itself, so what a pipeline parses is what
``apply --plan`` would send.
"""

from __future__ import annotations

import json
from typing import Any, Final

from webpush_iac.apispec import safe_target
from webpush_iac.apply.result import ApplyResult, RequestOutcome
from webpush_iac.errors import ConfigError
from webpush_iac.plan import AuditReport, Change, Plan, plan_to_data
from webpush_iac.render_common import (
    NOTE_ACTIONS,
    SIGNS,
    create_lines,
    device_lines,
    field_lines,
    plural,
    summary_sentence,
)
from webpush_iac.render_markdown import markdown_audit, markdown_plan, markdown_result
from webpush_iac.times import format_time

FORMATS: Final = ("text", "markdown", "json")
_COLORS: Final = {
    "+": "32",
    "~": "33",
    "-": "31",
    "-/+": "35",
    "!": "1;31",
    "=": "2",
    "note": "36",
    "error": "31",
    "bold": "1",
}


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        code = _COLORS.get(style)
        if not self.enabled or code is None:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"


def render_plan(
    plan: Plan,
    fmt: str = "text",
    *,
    show_identifiers: bool = False,
    color: bool = False,
    verbose: bool = False,
) -> str:
    """``verbose`` also lists unchanged (noop) schedules."""
    if fmt == "json":
        return render_json(plan_to_data(plan))
    if fmt == "markdown":
        return markdown_plan(plan, show_identifiers=show_identifiers, verbose=verbose)
    _check_format(fmt)
    return _text_plan(plan, _Paint(color), verbose)


def render_audit(
    report: AuditReport,
    fmt: str = "text",
    *,
    show_identifiers: bool = False,
    color: bool = False,
) -> str:
    if fmt == "json":
        return render_json(report.to_data())
    if fmt == "markdown":
        return markdown_audit(report, show_identifiers=show_identifiers)
    _check_format(fmt)
    return _text_audit(report, _Paint(color))


def render_result(
    result: ApplyResult,
    fmt: str = "text",
    *,
    show_identifiers: bool = False,
    color: bool = False,
) -> str:
    if fmt == "json":
        return render_json(result.to_data())
    if fmt == "markdown":
        return markdown_result(result, show_identifiers=show_identifiers)
    _check_format(fmt)
    return _text_result(result, _Paint(color))


def render_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")


# -- text ---------------------------------------------------------------------------------------------


def _text_plan(plan: Plan, paint: _Paint, verbose: bool) -> str:
    target = safe_target(plan.target)
    title = f"webpush-iac plan for {plan.project}" + (f" → {target}" if target else "")
    lines = [paint("bold", title)]
    if plan.not_after is not None:
        lines.append(
            f"planned {format_time(plan.created_at)}, valid until {format_time(plan.not_after)}"
        )
    lines.append("")
    lines.extend(_text_body(plan.changes, paint, verbose))
    if plan.errors:
        lines.append(
            paint("error", f"Errors ({len(plan.errors)}), so this plan cannot be applied:")
        )
        lines.extend(paint("error", f"  {p}") for p in plan.errors)
        lines.append("")
    if plan.has_mutations:
        lines.append(paint("bold", summary_sentence(plan)))
    else:
        lines.append(paint("bold", "No changes. Live state matches the manifests."))
    return "\n".join(lines)


def _text_body(changes: list[Change], paint: _Paint, verbose: bool) -> list[str]:
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


def _text_change(change: Change, paint: _Paint) -> list[str]:
    sign = SIGNS.get(change.action, "~")
    head = f"  {paint(sign, sign)} {change.address}"
    if change.kind == "tag":
        return [f"{head}: {change.reason}"]
    if change.kind == "device":
        return [head, *(f"      {line}" for line in device_lines(change, mask_ids=False))]
    if change.schedule_id and change.action != "create":
        head += f" (id {change.schedule_id})"
    if change.action in ("replace", "delete", "conflict") and change.reason:
        head += f": {change.reason}"
    if change.action == "create":
        body = create_lines(change, mask_ids=False)
    else:
        body = [f"{p}: {b} → {a}" for p, b, a in field_lines(change, mask_ids=False)]
    return [head, *(f"      {line}" for line in body)]


def _text_audit(report: AuditReport, paint: _Paint) -> str:
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
    if report.errors:
        lines.append(paint("error", f"Errors ({len(report.errors)}):"))
        lines.extend(paint("error", f"  {p}") for p in report.errors)
        lines.append("")
    lines.append(f"Quota: {report.quota_used}/{report.quota_limit} valid schedules in use.")
    verdict = "Drift found." if report.has_drift else "No drift."
    lines.append(paint("bold", verdict))
    return "\n".join(lines)


def _text_result(result: ApplyResult, paint: _Paint) -> str:
    head = (
        f"Apply{f' for {result.project}' if result.project else ''}: "
        f"{len(result.done)} done, {len(result.failed)} failed, "
        f"{len(result.not_attempted)} not attempted."
    )
    lines = [paint("bold", head)]
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
            lines.append(paint(style, line))
    return "\n".join(lines)


__all__ = ["FORMATS", "render_audit", "render_json", "render_plan", "render_result"]
