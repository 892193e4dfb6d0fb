"""The drift audit: the same diff as ``plan``, read as a report instead of a to-do list.

Why reuse ``diff``: an audit that used its own comparison could disagree with the plan a pipeline
would then run — reporting drift that ``apply`` would not fix, or missing drift it would. So the
report is a view over a :class:`~webpush_iac.plan.Plan`.

What counts as drift (``has_drift``, ``audit`` exit 2): any change apply would make to an owned
schedule or a declared device, and any conflict (duplicate owned names). Orphans (owned, undeclared,
prune off), unowned schedules, fired and expired schedules and the quota use are reported but are not
drift: they describe a state the project chose, or one nothing can change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webpush_iac.apispec import SCHEDULE_QUOTA
from webpush_iac.plan.diff import diff
from webpush_iac.plan.model import Change, Plan, PlanProblem
from webpush_iac.state import JSON, DesiredState, LiveState
from webpush_iac.times import format_time


@dataclass(frozen=True)
class AuditReport:
    plan: Plan

    @property
    def project(self) -> str:
        return self.plan.project

    @property
    def checked_at(self) -> datetime:
        return self.plan.created_at

    @property
    def drift(self) -> list[Change]:
        """Mutating changes on owned schedules and declared devices (tag changes are the bulk
        form of device changes, so they are not counted twice)."""
        return [c for c in self.plan.changes if c.mutating and c.kind in ("schedule", "device")]

    def _action(self, action: str) -> list[Change]:
        return [c for c in self.plan.changes if c.kind == "schedule" and c.action == action]

    @property
    def conflicts(self) -> list[Change]:
        return self._action("conflict")

    @property
    def orphans(self) -> list[Change]:
        return self._action("orphan")

    @property
    def unowned(self) -> list[Change]:
        return self._action("unowned")

    @property
    def fired(self) -> list[Change]:
        return self._action("fired")

    @property
    def expired(self) -> list[Change]:
        return self._action("expired")

    @property
    def missed(self) -> list[Change]:
        return self._action("missed")

    @property
    def errors(self) -> list[PlanProblem]:
        return self.plan.errors

    @property
    def quota_used(self) -> int:
        """Valid schedules live now, owned or not: the API's 1000 cap counts them all."""
        return self.plan.live_schedule_count

    @property
    def quota_limit(self) -> int:
        return SCHEDULE_QUOTA

    @property
    def has_drift(self) -> bool:
        return bool(self.drift or self.conflicts)

    def to_data(self) -> JSON:
        return {
            "format_version": 1,
            "kind": "audit",
            "project": self.project,
            "target": self.plan.target,
            "checked_at": format_time(self.checked_at),
            "has_drift": self.has_drift,
            "summary": {
                "drift": len(self.drift),
                "conflicts": len(self.conflicts),
                "orphans": len(self.orphans),
                "unowned": len(self.unowned),
                "fired": len(self.fired),
                "expired": len(self.expired),
                "missed": len(self.missed),
                "unknown_devices": self.plan.warning_count("unknown_device"),
                "unreadable_devices": self.plan.warning_count("device_unreadable"),
                "warnings": len(self.plan.warnings),
                "errors": len(self.errors),
            },
            "quota": {"used": self.quota_used, "limit": self.quota_limit},
            "drift": [c.to_data() for c in self.drift],
            "conflicts": [c.to_data() for c in self.conflicts],
            "orphans": [c.to_data() for c in self.orphans],
            "unowned": [c.to_data() for c in self.unowned],
            "fired": [c.to_data() for c in self.fired],
            "expired": [c.to_data() for c in self.expired],
            "missed": [c.to_data() for c in self.missed],
            "errors": [p.to_data() for p in self.errors],
            "warnings": [w.to_data() for w in self.plan.warnings],
        }


def build_audit(
    desired: DesiredState, live: LiveState, now: datetime, *, target: str = ""
) -> AuditReport:
    """Diff exactly as ``plan`` does and wrap the result as a report."""
    return AuditReport(diff(desired, live, now, target=target))


__all__ = ["AuditReport", "build_audit"]
