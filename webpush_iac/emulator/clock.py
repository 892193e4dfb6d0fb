"""The emulator's clock and the API's zone-less time formats.

The clock is real time plus an offset that tests move forward through ``/_emulator/clock``, so a
schedule can be made to fire without waiting. The offset lives in the store, so a restarted
emulator on the same database keeps its notion of "now".
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# DOC: every component zero-padded, seconds mandatory; strptime alone would accept "2026-1-5 9:0:0".
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_TIME_RE = re.compile(r"\d{2}:\d{2}:\d{2}")


def parse_datetime(value: object) -> datetime | None:
    """A naive wall-clock datetime from ``yyyy-MM-dd HH:mm:ss``, or None when malformed."""
    if not isinstance(value, str) or not _DATETIME_RE.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, DATETIME_FORMAT)
    except ValueError:
        return None


def parse_time(value: object) -> time | None:
    """A wall-clock time from ``HH:mm:ss``, or None when malformed."""
    if not isinstance(value, str) or not _TIME_RE.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, "%H:%M:%S").time()
    except ValueError:
        return None


def format_datetime(value: datetime) -> str:
    return value.strftime(DATETIME_FORMAT)


def add_years(value: datetime, years: int) -> datetime:
    """Same wall time ``years`` later; 29 February becomes 28 February."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def add_months(day: date, months: int) -> date | None:
    """The same day-of-month ``months`` later, or None when that month lacks the day."""
    index = day.year * 12 + day.month - 1 + months
    try:
        return day.replace(year=index // 12, month=index % 12 + 1)
    except ValueError:
        return None


def to_utc(wall: datetime, zone: tzinfo) -> datetime:
    """The instant at which ``wall`` happens in ``zone``."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def load_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


class EmulatorClock:
    """Real UTC time shifted by an offset that only ever changes through the admin route."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = offset_seconds
        self._lock = threading.Lock()

    @property
    def offset_seconds(self) -> float:
        return self._offset

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return datetime.now(UTC) + timedelta(seconds=offset)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set_now(self, instant: datetime) -> None:
        """Jump to ``instant`` (aware); going backwards is allowed but never un-fires anything."""
        with self._lock:
            self._offset = (instant - datetime.now(UTC)).total_seconds()

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds
