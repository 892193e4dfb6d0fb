"""Schedule triggers (docs/api-notes.md "Triggers") and the clock-dependent checks on them.

Kept apart from the document models because they are the part that reads the validation context:
"at most one year ahead" needs the project time zone and a "now" that tests can pin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from webpush_iac.apispec import MAX_FREQUENCY, MONTH_DAYS, WEEKDAYS
from webpush_iac.manifest.models.fields import ClockStr, DateTimeStr, fail
from webpush_iac.times import add_years, fire_instant, parse_datetime

CONTEXT_KEY = "webpush_iac"
NOW_REFUSED = (
    '"now" is not allowed in manifests: a fired task leaves the schedule list, so a declarative '
    "\"now\" would send again on every apply; give a 'yyyy-MM-dd HH:mm:ss' time"
)


@dataclass(frozen=True)
class ValidationContext:
    """What document checks need from outside the document: the clock and the Project."""

    now: datetime  # timezone-aware
    timezone: ZoneInfo
    prefix: str = "iac_"


def validation_context(info: ValidationInfo) -> ValidationContext | None:
    if isinstance(info.context, dict):
        value = info.context.get(CONTEXT_KEY)
        if isinstance(value, ValidationContext):
            return value
    return None


class StrictModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, hide_input_in_errors=True, populate_by_name=True
    )


class SingleTrigger(StrictModel):
    """Fire once at ``time``."""

    time: DateTimeStr
    zone_type: Literal[1, 2] = Field(1, description="1: project time zone; 2: device-local.")

    @model_validator(mode="after")
    def _within_a_year(self, info: ValidationInfo) -> Self:
        ctx = validation_context(info)
        if ctx is not None:
            fire = fire_instant(self.time, self.zone_type, ctx.timezone)
            if fire > add_years(ctx.now, 1):
                fail("must be at most one year ahead: the API refuses later times", "time")
        return self


class PeriodicalTrigger(StrictModel):
    """Fire at ``time`` every ``frequency`` days, weeks or months between ``start`` and ``end``."""

    start: DateTimeStr
    end: DateTimeStr
    time: ClockStr
    time_unit: Annotated[
        str, Field(json_schema_extra={"enum": ["day", "week", "month"]}, description="Any case.")
    ]
    frequency: int = Field(1, ge=1, le=MAX_FREQUENCY)
    point: list[str] | None = Field(
        None, description='week: MON..SUN; month: "01".."31"; absent for day.'
    )
    zone_type: Literal[1, 2] = 1

    @field_validator("time_unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        if value.lower() not in ("day", "week", "month"):
            fail("must be day, week or month")
        return value.lower()

    @field_validator("point")
    @classmethod
    def _point(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        unit = info.data.get("time_unit")
        if unit == "day":
            if value is not None:
                fail("must be absent when time_unit is day")
            return value
        if unit not in ("week", "month"):
            return value
        allowed = WEEKDAYS if unit == "week" else MONTH_DAYS
        if not value:
            example = "MON..SUN" if unit == "week" else '"01".."31"'
            fail(f"is required when time_unit is {unit}: one or more of {example}")
        out: list[str] = []
        for index, item in enumerate(value):
            norm = item.upper() if unit == "week" else item
            if norm not in allowed:
                if unit == "week":
                    fail("must be one of MON, TUE, WED, THU, FRI, SAT, SUN", index)
                fail('must be a quoted two-digit day of the month, "01" to "31"', index)
            if norm in out:
                fail("is listed twice", index)
            out.append(norm)
        return out

    @model_validator(mode="after")
    def _span(self) -> Self:
        start, end = parse_datetime(self.start), parse_datetime(self.end)
        if end <= start:
            fail("must be after start", "end")
        if end > add_years(start, 1):
            fail("must be at most one year after start: the API refuses longer spans", "end")
        return self


class IntelligentTrigger(StrictModel):
    """EngageLab picks each user's best time; users without history get it at ``backup_time``."""

    backup_time: DateTimeStr
    zone_type: Literal[1, 2] | None = Field(
        None, description="As written; how the API reads it for intelligent is undocumented."
    )

    @field_validator("backup_time", mode="before")
    @classmethod
    def _no_now(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "now":
            fail(NOW_REFUSED)
        return value


class Trigger(StrictModel):
    """Exactly one of single, periodical or intelligent."""

    single: SingleTrigger | None = None
    periodical: PeriodicalTrigger | None = None
    intelligent: IntelligentTrigger | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if sum(t is not None for t in (self.single, self.periodical, self.intelligent)) != 1:
            fail("must have exactly one of single, periodical or intelligent")
        return self

    def to_api(self) -> dict[str, Any]:
        """The API's trigger object, defaults filled, ``time_unit``/``point`` normalised."""
        kinds: tuple[tuple[str, StrictModel | None], ...] = (
            ("single", self.single),
            ("periodical", self.periodical),
            ("intelligent", self.intelligent),
        )
        for kind, value in kinds:
            if value is not None:
                return {kind: value.model_dump(exclude_none=True)}
        raise AssertionError("unreachable: validated to hold one trigger")  # pragma: no cover
