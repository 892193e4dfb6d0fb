"""Fired and expired: what the clock says about a trigger.

One rule for the planner and audit (docs/api-notes.md "Lifecycle"): a single or intelligent task
has fired once its time has passed, a periodical has expired once its end has passed, each read by
the zone_type rule of :mod:`webpush_iac.times`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from webpush_iac.state import JSON
from webpush_iac.times import end_time, fire_time

Passed = Literal["fired", "expired"]


def lifecycle(trigger: JSON, zone: ZoneInfo, now: datetime) -> Passed | None:
    """``"fired"``, ``"expired"`` or ``None`` (still to come) for a trigger at ``now``."""
    fired = fire_time(trigger, zone)
    if fired is not None and fired <= now:
        return "fired"
    ended = end_time(trigger, zone)
    if ended is not None and ended <= now:
        return "expired"
    return None


__all__ = ["Passed", "lifecycle"]
