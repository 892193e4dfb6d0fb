"""Wording shared by the text and markdown renderers, so both describe a change the same way."""

from __future__ import annotations

import json
from typing import Any, Final

from webpush_iac.apispec import unsegment
from webpush_iac.plan import AuditReport, Change, Plan, PlanWarning
from webpush_iac.render.masking import Masking, mask_audience
from webpush_iac.state import JSON

SIGNS: Final = {
    "create": "+",
    "update": "~",
    "replace": "-/+",
    "delete": "-",
    "conflict": "!",
    "noop": "=",
}
NOTE_ACTIONS: Final = ("fired", "expired", "missed", "orphan", "unowned")


def shown_address(change: Change) -> str:
    """``schedule/NEW (renamed from OLD)`` for a rename, the address otherwise."""
    if change.renamed_from:
        return f"{change.address} (renamed from {change.renamed_from})"
    return change.address


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_sentence(plan: Plan) -> str:
    s = plan.summary()
    sentence = (
        f"Plan: {s['create']} to create, {s['update']} to update, {s['delete']} to delete, "
        f"{plural(s['devices'], 'device')} to change."
    )
    return sentence + skipped_devices(plan)


def no_changes_sentence(plan: Plan) -> str:
    """Only "matches" when nothing was left out: a warning may hide a difference."""
    if not plan.warnings:
        return "No changes. Live state matches the manifests."
    return (
        f"No changes to apply, but see the {plural(len(plan.warnings), 'warning')}: "
        "live state may still differ where they say." + skipped_devices(plan)
    )


def plan_headline(plan: Plan) -> str:
    """The plan's last word: that it cannot be applied when it has errors (never "No changes."),
    else what it changes, else that nothing changes."""
    if plan.errors:
        then = f" {summary_sentence(plan)}" if plan.has_mutations else ""
        return f"This plan has {plural(len(plan.errors), 'error')} and cannot be applied.{then}"
    return summary_sentence(plan) if plan.has_mutations else no_changes_sentence(plan)


def audit_verdict(report: AuditReport) -> str:
    if report.has_drift:
        return "Drift found."
    if report.plan.warnings:
        n = len(report.plan.warnings)
        return f"No drift in what could be checked; see the {plural(n, 'warning')}."
    return "No drift."


def skipped_devices(plan: Plan) -> str:
    """`` 2 unknown devices and 1 unreadable device left out.`` (empty when none)."""
    counts = (
        (plan.warning_count("unknown_device"), "unknown"),
        (plan.warning_count("device_unreadable"), "unreadable"),
    )
    parts = [f"{n} {word} device{'' if n == 1 else 's'}" for n, word in counts if n]
    return f" {' and '.join(parts)} left out." if parts else ""


def warning_lines(warnings: list[PlanWarning]) -> list[str]:
    """``code  address: message``, codes aligned, in plan order."""
    if not warnings:
        return []
    width = max(len(w.code) for w in warnings)
    return [f"{w.code.ljust(width)}  {w}" for w in warnings]


def fmt_value(value: Any) -> str:
    """JSON spelling (strings quoted, so ``"1"`` and ``1`` differ visibly); ``None`` is absent."""
    if value is None:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def describe_trigger(trigger: Any) -> str:
    if not isinstance(trigger, dict) or not trigger:
        return "(none)"
    kind, spec = next(iter(trigger.items()))
    if not isinstance(spec, dict):
        return f"{kind} {fmt_value(spec)}"
    zone = f" (zone_type {spec['zone_type']})" if "zone_type" in spec else ""
    if kind == "single":
        return f"single at {spec.get('time')}{zone}"
    if kind == "periodical":
        points = spec.get("point")
        on = f" on {', '.join(map(str, points))}" if points else ""
        return (
            f"periodical at {spec.get('time')} every {spec.get('frequency', 1)} "
            f"{spec.get('time_unit')}{on}, {spec.get('start')} to {spec.get('end')}{zone}"
        )
    if kind == "intelligent":
        return f"intelligent, backup time {spec.get('backup_time')}"
    return f"{kind} {fmt_value(spec)}"


def describe_audience(to: Any, masking: Masking) -> str:
    if to == "all":
        return "all subscribers (broadcast)"
    if not isinstance(to, dict):
        return fmt_value(to)
    parts = []
    for key, values in sorted(to.items()):
        shown = mask_audience(values, ("to", key), masking)
        items = shown if isinstance(shown, list) else [shown]
        parts.append(f"{key} {', '.join(map(str, items))}")
    return "; ".join(parts)


def create_lines(change: Change, masking: Masking) -> list[str]:
    """What a reviewer needs to know about a schedule being created."""
    after = change.after if isinstance(change.after, dict) else {}
    lines = _schedule_lines(after, masking)
    if after.get("enabled") is False:
        lines.append("enabled: false (created enabled, then disabled)")
    return lines


def delete_lines(change: Change, masking: Masking) -> list[str]:
    """What a schedule being deleted would have sent: trigger, audience and title."""
    before = change.before if isinstance(change.before, dict) else {}
    lines = _schedule_lines(before, masking)
    title = _title(before.get("push"))
    if title is not None:
        lines.append(f"title: {fmt_value(title)}")
    if before.get("enabled") is False:
        lines.append("enabled: false")
    return lines


def _schedule_lines(schedule: JSON, masking: Masking) -> list[str]:
    push = schedule.get("push")
    push = push if isinstance(push, dict) else {}
    return [
        f"trigger: {describe_trigger(schedule.get('trigger'))}",
        f"to: {describe_audience(push.get('to'), masking)}",
    ]


def _title(push: Any) -> Any:
    body = push.get("body") if isinstance(push, dict) else None
    if not isinstance(body, dict):
        return None
    notification, message = body.get("notification"), body.get("message")
    if isinstance(notification, dict):
        web = notification.get("web")
        return web.get("title") if isinstance(web, dict) else None
    return message.get("title") if isinstance(message, dict) else None


def field_lines(change: Change, masking: Masking) -> list[tuple[str, str, str]]:
    """``(path, before, after)`` display strings of a schedule change's fields."""
    out = []
    for f in change.fields:
        path = tuple(f.path.split("."))
        before = mask_audience(f.before, path, masking)
        after = mask_audience(f.after, path, masking)
        out.append((f.path, fmt_value(before), fmt_value(after)))
    return out


def device_lines(change: Change, masking: Masking) -> list[str]:
    """``tags: +a -b`` and ``alias: x → y (moves from device/…)`` for a device change."""
    lines = []
    tag_parts: list[str] = []
    alias_field = None
    for f in change.fields:
        if f.path == "tags.add":
            tag_parts.extend(f"+{t}" for t in f.after or ())
        elif f.path == "tags.remove":
            tag_parts.extend(f"-{t}" for t in f.before or ())
        elif f.path == "alias":
            alias_field = f
    if tag_parts:
        lines.append("tags: " + " ".join(tag_parts))
    movers = alias_previous_owners(change)
    if alias_field is not None or movers:
        before = alias_field.before if alias_field is not None else None
        after = alias_field.after if alias_field is not None else None
        line = f"alias: {_alias(before, masking)} → {_alias(after, masking)}"
        if movers:
            line += " (moves from " + ", ".join(f"device/{masking.rid(m)}" for m in movers) + ")"
        lines.append(line)
    return lines


def _alias(value: Any, masking: Masking) -> str:
    return "(none)" if not value else f'"{masking.alias(str(value))}"'


def alias_previous_owners(change: Change) -> list[str]:
    """Devices whose alias a device change takes over (their alias requests come first)."""
    own = change.name
    owners = []
    for request in change.requests:
        if request.kind == "device.update":
            rid = unsegment(request.path.rsplit("/", 1)[1])
            if rid != own:
                owners.append(rid)
    return owners


__all__ = [
    "NOTE_ACTIONS",
    "SIGNS",
    "alias_previous_owners",
    "audit_verdict",
    "create_lines",
    "delete_lines",
    "describe_audience",
    "describe_trigger",
    "device_lines",
    "field_lines",
    "fmt_value",
    "no_changes_sentence",
    "plan_headline",
    "plural",
    "shown_address",
    "skipped_devices",
    "summary_sentence",
    "warning_lines",
]
