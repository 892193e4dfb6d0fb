"""When a schedule fires and when it leaves the list: pure functions of its trigger and a zone.

Times in a trigger are zone-less wall clock (DOC). ``zone_type`` 1 reads them in the emulator's
configured zone; ``zone_type`` 2 means "at this wall time on each device", which the emulator
models with two zones chosen by its rules (GUESS, docs/emulator.md): by default the task fires
once the time passed in the earliest zone (UTC+14) and leaves the list once it passed in the
latest zone (UTC-12).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from webpush_iac.emulator.clock import add_months, parse_datetime, parse_time, to_utc
from webpush_iac.emulator.rules import ZONE_OFFSETS, Rules

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class Zones:
    fire: tzinfo  # where "has it fired" is decided
    leave: tzinfo  # where "has it left the list" is decided


def zones_for(kind: str, block: dict[str, Any], home: tzinfo, rules: Rules) -> Zones:
    if block.get("zone_type") != 2:
        return Zones(home, home)
    leave = rules.periodical_zone2_leave if kind == "periodical" else rules.zone2_leave
    return Zones(ZONE_OFFSETS[rules.zone2_fire], ZONE_OFFSETS[leave])


def _periodical_walls(block: dict[str, Any]) -> Iterator[datetime]:
    """Every wall-clock firing of a (validated) periodical block, in order."""
    start = parse_datetime(block["start"])
    end = parse_datetime(block["end"])
    at = parse_time(block["time"])
    assert start is not None
    assert end is not None
    assert at is not None
    unit = str(block["time_unit"]).lower()
    frequency = int(block.get("frequency", 1))  # optional, default 1 (docs/emulator.md)
    points = [str(p).upper() for p in block.get("point") or []]
    candidates: Iterator[date]
    if unit == "day":
        candidates = _every_n_days(start, at, frequency, end)
    elif unit == "week":
        days = sorted(WEEKDAYS.index(p) for p in points)
        candidates = _weekly(start.date(), days, frequency, end.date())
    else:
        candidates = _monthly(start.date(), sorted(int(p) for p in points), frequency, end.date())
    for day in candidates:
        wall = datetime.combine(day, at)
        if wall > end:
            return
        if wall >= start:
            yield wall


def _every_n_days(start: datetime, at: time, frequency: int, end: datetime) -> Iterator[date]:
    day = (
        start.date() if datetime.combine(start.date(), at) >= start else start.date() + timedelta(1)
    )
    while day <= end.date():
        yield day
        day += timedelta(days=frequency)


def _weekly(start: date, days: list[int], frequency: int, end: date) -> Iterator[date]:
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        for weekday in days:
            yield monday + timedelta(days=weekday)
        monday += timedelta(weeks=frequency)


def _monthly(start: date, days: list[int], frequency: int, end: date) -> Iterator[date]:
    first = start.replace(day=1)
    step = 0
    while True:
        month = add_months(first, step)
        assert month is not None  # day 1 exists in every month
        if month > end:
            return
        for day in days:
            # JPUSH: a day the month lacks (31 in April) simply does not fire.
            try:
                yield month.replace(day=day)
            except ValueError:
                continue
        step += frequency


def fire_instants(
    kind: str, block: dict[str, Any], home: tzinfo, created: datetime, rules: Rules
) -> Iterator[datetime]:
    """Every UTC instant at which the task sends, in order (disabled tasks are the caller's call)."""
    zones = zones_for(kind, block, home, rules)
    if kind == "single":
        wall = parse_datetime(block["time"])
        assert wall is not None
        yield to_utc(wall, zones.fire)
    elif kind == "intelligent":
        # GUESS (DOC*: backup_time is "now" or a datetime): "now" sends at creation.
        wall = parse_datetime(block["backup_time"])
        yield created if wall is None else to_utc(wall, zones.fire)
    else:
        for wall in _periodical_walls(block):
            yield to_utc(wall, zones.fire)


def first_wall_firing(block: dict[str, Any]) -> datetime | None:
    """The first wall-clock firing of a periodical block, None when it never fires."""
    return next(_periodical_walls(block), None)


def leave_instant(
    kind: str, block: dict[str, Any], home: tzinfo, created: datetime, rules: Rules
) -> datetime | None:
    """When the task stops being "valid": off the list, not counted, not updatable (JPUSH).
    None when it never does (an intelligent task under ``intelligent_expires: false``)."""
    zones = zones_for(kind, block, home, rules)
    if kind == "single":
        wall = parse_datetime(block["time"])
    elif kind == "intelligent":
        if not rules.intelligent_expires:
            return None
        wall = parse_datetime(block["backup_time"])
    else:
        wall = parse_datetime(block["end"])
    return created if wall is None else to_utc(wall, zones.leave)


def fires_between(
    kind: str,
    block: dict[str, Any],
    home: tzinfo,
    created: datetime,
    rules: Rules,
    lo: datetime,
    hi: datetime,
) -> tuple[list[datetime], datetime | None]:
    """Instants in ``(lo, hi]`` and the first instant after ``hi`` (None when there is none)."""
    fired: list[datetime] = []
    for instant in fire_instants(kind, block, home, created, rules):
        if instant > hi:
            return fired, instant
        if instant > lo:
            fired.append(instant)
    return fired, None
