"""The API's zone-less wall-clock times and the one rule for when such a time fires.

Manifest validation ("at most one year ahead") and the planner ("fired", "expired") must agree to
the second on when a time fires, so both read it here rather than each keeping its own copy.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Final

DATETIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
#: zone_type 2 fires at the wall-clock time in every device's zone, so first in UTC+14.
EARLIEST_ZONE: Final = timezone(timedelta(hours=14))


def parse_datetime(value: str) -> datetime:
    """Naive wall-clock datetime of an API time string (no zone: the API's ``zone_type`` decides)."""
    return datetime.strptime(value, DATETIME_FORMAT)


def fire_instant(time: str, zone_type: object, tz: tzinfo) -> datetime:
    """The first instant a wall-clock API time fires: zone_type 2 in the earliest zone (UTC+14),
    anything else in the project zone ``tz``. Raises ``ValueError`` for a malformed time."""
    return parse_datetime(time).replace(tzinfo=EARLIEST_ZONE if zone_type == 2 else tz)


__all__ = ["DATETIME_FORMAT", "EARLIEST_ZONE", "fire_instant", "parse_datetime"]
