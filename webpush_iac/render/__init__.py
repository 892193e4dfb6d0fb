"""Pure renderers: a Plan, an AuditReport or an ApplyResult in, a string out.

The library never prints; ``cli`` decides where the string goes and whether colour is wanted (a TTY
without ``NO_COLOR``), so ``color`` is a parameter here and ANSI codes appear only when it is true.
``text`` reads like Terraform; ``markdown`` is made for pull-request comments and masks
identifiers; ``json`` is the saved-plan format itself, so what a pipeline parses is what
``apply --plan`` would send.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal, get_args

from webpush_iac.apply import ApplyResult
from webpush_iac.errors import ConfigError
from webpush_iac.plan import AuditReport, Plan, plan_to_data
from webpush_iac.render.markdown import markdown_audit, markdown_plan, markdown_result
from webpush_iac.render.text import Paint, text_audit, text_plan, text_result

OutputFormat = Literal["text", "markdown", "json"]
FORMATS: Final[tuple[OutputFormat, ...]] = get_args(OutputFormat)


def render_plan(
    plan: Plan,
    fmt: OutputFormat = "text",
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
    return text_plan(plan, Paint(color), verbose)


def render_audit(
    report: AuditReport,
    fmt: OutputFormat = "text",
    *,
    show_identifiers: bool = False,
    color: bool = False,
) -> str:
    if fmt == "json":
        return render_json(report.to_data())
    if fmt == "markdown":
        return markdown_audit(report, show_identifiers=show_identifiers)
    _check_format(fmt)
    return text_audit(report, Paint(color))


def render_result(
    result: ApplyResult,
    fmt: OutputFormat = "text",
    *,
    show_identifiers: bool = False,
    color: bool = False,
) -> str:
    if fmt == "json":
        return render_json(result.to_data())
    if fmt == "markdown":
        return markdown_result(result, show_identifiers=show_identifiers)
    _check_format(fmt)
    return text_result(result, Paint(color))


def render_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "OutputFormat", "render_audit", "render_json", "render_plan", "render_result"]
