"""Every spelling of time the tool uses, and the one rule for when an API wall-clock time fires.

The API's times are zone-less wall-clock strings (``yyyy-MM-dd HH:mm:ss``, docs/api-notes.md
"Triggers"); ``zone_type`` 1 reads them in the project zone and ``zone_type`` 2 at each device's
local time, so a zone_type 2 time fires first in the earliest zone, UTC+14. Manifest validation
("at most one year ahead"), the planner ("fired", "expired") and audit must agree on that to the
second, so all of them read it here. Saved plans and journals spell instants as ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from webpush_iac.errors import ConfigError
from webpush_iac.state import JSON

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


def add_years(moment: datetime, years: int) -> datetime:
    """Calendar years, as the API's "at most one year" means them (29 Feb becomes 28 Feb)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def project_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r} in Project spec.timezone") from None


def parse_wall_time(text: Any, zone_type: Any, zone: tzinfo) -> datetime | None:
    """A zone-less ``yyyy-MM-dd HH:mm:ss`` as an aware UTC moment; ``None`` if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return fire_instant(text.strip(), zone_type, zone).astimezone(UTC)
    except ValueError:
        return None


def fire_time(trigger: JSON, zone: tzinfo) -> datetime | None:
    """When a one-shot trigger fires: single ``time``, or intelligent ``backup_time`` (read by
    its ``zone_type`` when it has one, else like a zone_type 1 time; the literal ``"now"`` has
    no fire time). ``None`` for periodical."""
    for kind, key in (("single", "time"), ("intelligent", "backup_time")):
        spec = trigger.get(kind)
        if isinstance(spec, dict):
            return parse_wall_time(spec.get(key), spec.get("zone_type", 1), zone)
    return None


def end_time(trigger: JSON, zone: tzinfo) -> datetime | None:
    """When a periodical trigger stops (its ``end``, read by the same zone_type rule)."""
    periodical = trigger.get("periodical")
    if isinstance(periodical, dict):
        return parse_wall_time(periodical.get("end"), periodical.get("zone_type", 1), zone)
    return None


def format_time(when: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: one spelling, so checksums survive a round trip."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: Any) -> datetime:
    """The inverse of :func:`format_time`; ``ValueError`` for a time without a zone."""
    when = datetime.fromisoformat(str(text))
    if when.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return when.astimezone(UTC)


__all__ = [
    "DATETIME_FORMAT",
    "EARLIEST_ZONE",
    "add_years",
    "end_time",
    "fire_instant",
    "fire_time",
    "format_time",
    "parse_datetime",
    "parse_time",
    "parse_wall_time",
    "project_zone",
]
