"""Safety thresholds: refuse plans that delete or touch more than the project allows.

As in octoDNS, a reviewer's "yes" is not enough for a change big enough to be a mistake (a prefix
typo that orphans every schedule, a members file emptied by a bad merge): plan and apply exit 3
naming the numbers and the command and flag that override (``apply --allow-large-changes``;
``plan`` has no such flag, it only reports).
"""

from __future__ import annotations

from typing import Final

from webpush_iac.errors import SafetyError
from webpush_iac.plan.model import Plan
from webpush_iac.state import ProjectSettings

MIN_OWNED_FOR_DELETE_THRESHOLD: Final = 10
# plan takes no override (it only reports): the message names the command that does.
OVERRIDE: Final = "after review, run 'webpush-iac apply --allow-large-changes' to proceed"


def check_safety(
    plan: Plan,
    settings: ProjectSettings,
    allow_large: bool = False,
    *,
    owned_live_count: int | None = None,
) -> None:
    """Refuse plans that delete or touch more than the project's thresholds allow.

    Deletes count every schedule DELETE (plain deletes, replaces, a conflict's extra copies). As in
    octoDNS the percentage only applies once at least 10 owned schedules exist live: deleting 2 of
    3 is 67% but rarely a disaster. ``owned_live_count`` defaults to what the plan recorded.
    """
    if allow_large:
        return
    owned = plan.owned_live_count if owned_live_count is None else owned_live_count
    reasons: list[str] = []
    deletes = plan.schedule_deletes()
    if owned >= MIN_OWNED_FOR_DELETE_THRESHOLD and deletes:
        percent = deletes * 100.0 / owned
        if percent > settings.max_delete_percent:
            reasons.append(
                f"the plan deletes {deletes} of {owned} owned live schedules ({percent:.0f}%), "
                f"above safety.max_delete_percent {settings.max_delete_percent:g}%"
            )
    devices = len(plan.touched_devices())
    if devices > settings.max_device_changes:
        reasons.append(
            f"the plan changes {devices} devices, "
            f"above safety.max_device_changes {settings.max_device_changes}"
        )
    if reasons:
        raise SafetyError("; ".join(reasons) + f"; {OVERRIDE}")


__all__ = ["MIN_OWNED_FOR_DELETE_THRESHOLD", "OVERRIDE", "check_safety"]
