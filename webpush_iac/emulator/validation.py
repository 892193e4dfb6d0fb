"""Schedule body checks (docs/api-notes.md "Schedules: create and update", "Triggers").

Every failure is a 400 with the schedule code 28100 (GUESS, see ``protocol``) and a message that
names the offending field, so a test or a user can see which rule fired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from webpush_iac.emulator.clock import add_years, parse_datetime, parse_time, to_utc
from webpush_iac.emulator.firing import WEEKDAYS, first_wall_firing, zones_for
from webpush_iac.emulator.labels import MAX_NAME_BYTES, valid_label
from webpush_iac.emulator.payload import Limits, check_push
from webpush_iac.emulator.protocol import SCHEDULE_INVALID, _ApiFailure
from webpush_iac.emulator.rules import Rules

TRIGGER_KINDS = ("single", "periodical", "intelligent")
SCHEDULE_KEYS = frozenset({"name", "enabled", "trigger", "push"})
_TRIGGER_KEYS = {
    "single": frozenset({"time", "zone_type"}),
    "periodical": frozenset(
        {"start", "end", "time", "time_unit", "frequency", "point", "zone_type"}
    ),
    "intelligent": frozenset({"backup_time", "zone_type"}),
}
_MONTH_DAYS = frozenset(f"{d:02d}" for d in range(1, 32))


def _bad(message: str) -> _ApiFailure:
    return _ApiFailure(400, SCHEDULE_INVALID, message)


@dataclass(frozen=True)
class TimeContext:
    """What a schedule body is judged against: the emulator's now, home zone, rules and product.

    ``updating``: a PUT is judged by whether the task would still be listed (its leave instant),
    a create by whether it has fired anywhere yet (its fire instant), so a zone_type 2 task that
    fired in the earliest zone but is still listed keeps accepting updates.
    """

    now: datetime
    home: tzinfo
    rules: Rules
    product: str = "web"
    updating: bool = False

    def limits(self) -> Limits:
        return Limits(self.product, self.rules.max_message_bytes)


def check_name(value: Any) -> str:
    if not valid_label(value, MAX_NAME_BYTES):
        raise _bad("name must be 1..255 bytes of CJK characters, letters, digits or underscore")
    return str(value)


def check_enabled(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad("enabled must be a boolean")
    return value


def check_schedule_push(value: Any, ctx: TimeContext) -> dict[str, Any]:
    """A schedule's push must be a valid push (JPUSH); the push code is kept in the message."""
    try:
        return check_push(value, ctx.limits())
    except _ApiFailure as exc:
        raise _bad(f"push: {exc.message} (push code {exc.code})") from None


def check_trigger(value: Any, ctx: TimeContext) -> str:
    """Validate a whole trigger section and return its kind."""
    if not isinstance(value, dict):
        raise _bad("trigger must be an object")
    kinds = [k for k in value if k in TRIGGER_KINDS]
    if len(value) != 1 or len(kinds) != 1:
        raise _bad("trigger must hold exactly one of single, periodical, intelligent")
    kind = str(kinds[0])
    block = value[kind]
    if not isinstance(block, dict):
        raise _bad(f"trigger.{kind} must be an object")
    extra = sorted(set(block) - _TRIGGER_KEYS[kind])
    if extra:
        raise _bad(f"trigger.{kind}: unexpected field {extra[0]!r}")
    _check_zone_type(block, kind, required=kind == "single")  # DOC: required for single only
    if kind == "single":
        _check_single(block, ctx)
    elif kind == "periodical":
        _check_periodical(block, ctx)
    else:
        _check_intelligent(block, ctx)
    return kind


def _check_zone_type(block: dict[str, Any], kind: str, *, required: bool) -> None:
    if "zone_type" not in block:
        if required:
            raise _bad(f"trigger.{kind}.zone_type is required")
        return
    zone_type = block["zone_type"]
    if isinstance(zone_type, bool) or zone_type not in (1, 2):
        raise _bad(f"trigger.{kind}.zone_type must be 1 or 2")


def _datetime(block: dict[str, Any], where: str, key: str) -> datetime:
    if key not in block:
        raise _bad(f"{where}.{key} is required")
    value = parse_datetime(block[key])
    if value is None:
        raise _bad(f"{where}.{key} must be 'yyyy-MM-dd HH:mm:ss'")
    return value


def _check_future_within_year(
    kind: str, block: dict[str, Any], wall: datetime, ctx: TimeContext, where: str
) -> None:
    """GUESS (JPUSH rejects expired tasks): a create must not have fired anywhere yet (the fire
    zone); an update must leave a task that is still listed (the leave zone)."""
    zones = zones_for(kind, block, ctx.home, ctx.rules)
    if ctx.updating:
        endless = kind == "intelligent" and not ctx.rules.intelligent_expires
        if not endless and to_utc(wall, zones.leave) <= ctx.now:
            raise _bad(f"{where} must be in the future")
    elif to_utc(wall, zones.fire) <= ctx.now:
        raise _bad(f"{where} must be in the future")
    if to_utc(wall, zones.fire) > add_years(ctx.now, 1):
        raise _bad(f"{where} must be at most one year ahead")


def _check_single(block: dict[str, Any], ctx: TimeContext) -> None:
    wall = _datetime(block, "trigger.single", "time")
    _check_future_within_year("single", block, wall, ctx, "trigger.single.time")


def _check_intelligent(block: dict[str, Any], ctx: TimeContext) -> None:
    if block.get("backup_time") == "now":
        return
    wall = _datetime(block, "trigger.intelligent", "backup_time")
    _check_future_within_year("intelligent", block, wall, ctx, "trigger.intelligent.backup_time")


def _check_periodical(block: dict[str, Any], ctx: TimeContext) -> None:
    where = "trigger.periodical"
    start = _datetime(block, where, "start")
    end = _datetime(block, where, "end")
    if "time" not in block:
        raise _bad(f"{where}.time is required")
    if parse_time(block["time"]) is None:
        raise _bad(f"{where}.time must be 'HH:mm:ss'")
    if end <= start:
        raise _bad(f"{where}.end must be after start")
    if end > add_years(start, 1):
        raise _bad(f"{where}: end - start must be at most one year")
    if to_utc(end, zones_for("periodical", block, ctx.home, ctx.rules).leave) <= ctx.now:
        raise _bad(f"{where}.end must be in the future")
    unit = block.get("time_unit")
    if not isinstance(unit, str) or unit.lower() not in ("day", "week", "month"):
        raise _bad(f"{where}.time_unit must be day, week or month (any case)")
    # GUESS: the Web Push field list omits frequency, so it is optional with JPush's default 1.
    frequency = block.get("frequency", 1)
    if isinstance(frequency, bool) or not isinstance(frequency, int) or not 1 <= frequency <= 100:
        raise _bad(f"{where}.frequency must be an integer 1..100")
    _check_points(block.get("point"), unit.lower(), where)
    if first_wall_firing(block) is None:
        raise _bad(f"{where}: the first firing would be after end")


def _check_points(points: Any, unit: str, where: str) -> None:
    if unit == "day":
        # SDK: point must be absent for day; GUESS: an explicit null counts as absent.
        if points is not None:
            raise _bad(f"{where}.point must be absent when time_unit is day")
        return
    if not isinstance(points, list) or not points or not all(isinstance(p, str) for p in points):
        raise _bad(f"{where}.point must be a non-empty list of strings for {unit}")
    if unit == "week":
        normalised = [p.upper() for p in points]
        if not all(p in WEEKDAYS for p in normalised):
            raise _bad(f"{where}.point must hold MON..SUN (any case)")
    else:
        normalised = list(points)
        if not all(p in _MONTH_DAYS for p in normalised):
            raise _bad(f"{where}.point must hold two-digit days '01'..'31'")
    if len(set(normalised)) != len(normalised):
        raise _bad(f"{where}.point holds a value twice")


def check_create(body: Any, ctx: TimeContext) -> dict[str, Any]:
    """A complete create body; returns it unchanged (the emulator echoes what was sent)."""
    if not isinstance(body, dict):
        raise _bad("request body must be a JSON object")
    extra = sorted(set(body) - SCHEDULE_KEYS)
    if extra:
        raise _bad(f"unexpected field {extra[0]!r}")
    for key in ("name", "enabled", "trigger", "push"):
        if key not in body:
            raise _bad(f"{key} is required")
    check_name(body["name"])
    # DOC: enabled must be true on create; JPUSH: creating with false fails.
    if check_enabled(body["enabled"]) is not True:
        raise _bad("enabled must be true when a task is created")
    check_trigger(body["trigger"], ctx)
    check_schedule_push(body["push"], ctx)
    return body


def check_update(body: Any, stored_kind: str, ctx: TimeContext) -> dict[str, Any]:
    """A PUT body: any non-empty subset of the four sections, each complete (JPUSH)."""
    if not isinstance(body, dict):
        raise _bad("request body must be a JSON object")
    extra = sorted(set(body) - SCHEDULE_KEYS)
    if extra:
        raise _bad(f"unexpected field {extra[0]!r}")
    if not body:
        raise _bad("an update must carry at least one of name, enabled, trigger, push")
    if "name" in body:
        check_name(body["name"])
    if "enabled" in body:
        check_enabled(body["enabled"])
    if "trigger" in body:
        kind = check_trigger(body["trigger"], ctx)
        if kind != stored_kind:
            # JPUSH: single <-> periodical is refused; GUESS: intelligent likewise.
            raise _bad(f"trigger kind cannot change from {stored_kind} to {kind}")
    if "push" in body:
        check_schedule_push(body["push"], ctx)
    return body
