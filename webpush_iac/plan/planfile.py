"""The saved-plan file (``plan --out plan.json``): versioned JSON with a checksum.

Why a checksum: ``apply --plan`` sends exactly the requests stored in the file, so a hand-edited or
truncated file must be refused rather than half-trusted. The checksum is a SHA-256 of the canonical
JSON of every other key; it detects edits and corruption, it is not a signature. Everything here is
pure: the caller reads and writes the file and passes the clock in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeGuard, TypeVar

from webpush_iac.apispec import safe_target
from webpush_iac.errors import StalePlanError
from webpush_iac.plan.fingerprint import sha256_hex
from webpush_iac.plan.model import (
    ApiRequest,
    Change,
    FieldChange,
    Plan,
    PlanProblem,
    is_action,
    is_method,
    is_request_kind,
)
from webpush_iac.state import JSON
from webpush_iac.times import format_time, parse_time

FORMAT_VERSION: Final = 1
_CHECKSUM_PREFIX: Final = "sha256:"


def plan_to_data(plan: Plan) -> JSON:
    """Everything apply needs, plus the summary a reviewer or a pipeline script reads first."""
    data: JSON = {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "target": safe_target(plan.target),
        "created_at": format_time(plan.created_at),
        "not_after": format_time(plan.not_after) if plan.not_after else None,
        "owned_live_count": plan.owned_live_count,
        "live_schedule_count": plan.live_schedule_count,
        "settings": plan.settings,
        "summary": {
            **plan.summary(),
            "actions": plan.counts(),
            "errors": len(plan.errors),
            "has_mutations": plan.has_mutations,
            "schedules_after_apply": plan.schedules_after_apply(),
        },
        "errors": [p.to_data() for p in plan.errors],
        "changes": [c.to_data() for c in plan.changes],
    }
    data["checksum"] = _CHECKSUM_PREFIX + sha256_hex(data)
    return data


def plan_from_data(data: Any) -> Plan:
    """Verify version and checksum, then rebuild the :class:`Plan`; ``StalePlanError`` otherwise."""
    if not isinstance(data, dict):
        raise StalePlanError("not a saved plan: expected a JSON object; nothing was sent")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise StalePlanError(
            f"saved plan has format_version {version!r}, this webpush-iac reads "
            f"{FORMAT_VERSION}; re-run plan (nothing was sent)"
        )
    body = {k: v for k, v in data.items() if k != "checksum"}
    expected = _CHECKSUM_PREFIX + sha256_hex(body)
    if data.get("checksum") != expected:
        raise StalePlanError(
            "saved plan checksum does not match its content: the file was edited or "
            "corrupted; re-run plan (nothing was sent)"
        )
    try:
        return Plan(
            project=str(data["project"]),
            target=str(data.get("target") or ""),
            created_at=parse_time(data["created_at"]),
            not_after=parse_time(data["not_after"]) if data.get("not_after") else None,
            owned_live_count=int(data.get("owned_live_count", 0)),
            live_schedule_count=int(data.get("live_schedule_count", 0)),
            settings=dict(data.get("settings") or {}),
            errors=[PlanProblem(str(e["address"]), str(e["message"])) for e in data["errors"]],
            changes=[_change_from_data(c) for c in data["changes"]],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StalePlanError(
            f"saved plan is malformed ({type(exc).__name__}: {exc}); re-run plan (nothing was sent)"
        ) from None


T = TypeVar("T", bound=str)


def _member(value: Any, check: Callable[[object], TypeGuard[T]], what: str) -> T:
    """``value`` if it belongs to a vocabulary, else ``ValueError`` (a malformed plan)."""
    if not check(value):
        raise ValueError(f"unknown {what} {value!r}")
    return value


def _change_from_data(data: Any) -> Change:
    return Change(
        address=str(data["address"]),
        action=_member(data["action"], is_action, "action"),
        before=data.get("before"),
        after=data.get("after"),
        fields=tuple(
            FieldChange(str(f["path"]), f.get("before"), f.get("after"))
            for f in data.get("fields", ())
        ),
        requests=tuple(
            ApiRequest(
                method=_member(r["method"], is_method, "method"),
                path=str(r["path"]),
                body=r.get("body"),
                kind=_member(r["kind"], is_request_kind, "request kind"),
            )
            for r in data.get("requests", ())
        ),
        fingerprints={str(k): str(v) for k, v in data.get("fingerprints", {}).items()},
        live_name=data.get("live_name"),
        schedule_id=data.get("schedule_id"),
        reason=str(data.get("reason", "")),
        broadcast=bool(data.get("broadcast", False)),
        preview=data.get("preview"),
    )


__all__ = [
    "FORMAT_VERSION",
    "plan_from_data",
    "plan_to_data",
]
