"""Triggers: the exact time formats, spans, units and points the API insists on."""

from __future__ import annotations

from typing import Any

import pytest
from support.models import context, errors, schedule

from webpush_iac.manifest.models.kinds import (
    PeriodicalTrigger,
    ScheduleModel,
    SingleTrigger,
    Trigger,
)


def periodical(**fields: Any) -> dict[str, Any]:
    base = {"start": "2026-12-01 00:00:00", "end": "2027-06-01 00:00:00", "time": "09:00:00"}
    return {**base, **fields}


# --- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2027-1-15 09:00:00", "2027-01-15 09:00", "2027-01-15T09:00:00", "tomorrow"]
)
def test_single_time_needs_the_exact_api_format(value: str) -> None:
    assert errors(SingleTrigger, {"time": value}) == [("time", "must be 'yyyy-MM-dd HH:mm:ss'")]


def test_single_time_must_be_a_real_date() -> None:
    assert errors(SingleTrigger, {"time": "2027-02-30 09:00:00"}) == [
        ("time", "is not a real date and time")
    ]


def test_single_time_at_most_one_year_ahead_in_the_project_zone() -> None:
    ok = SingleTrigger.model_validate({"time": "2027-11-22 12:00:00"}, context=context())
    assert ok.zone_type == 1
    assert errors(SingleTrigger, {"time": "2027-11-22 12:00:01"}, context()) == [
        ("time", "must be at most one year ahead: the API refuses later times")
    ]
    # 20:00 in Singapore is 12:00 UTC: exactly one year ahead, still accepted
    SingleTrigger.model_validate({"time": "2027-11-22 20:00:00"}, context=context("Asia/Singapore"))


def test_single_time_in_the_past_is_accepted_as_a_fired_schedule() -> None:
    assert SingleTrigger.model_validate({"time": "2020-01-01 00:00:00"}, context=context())


@pytest.mark.parametrize("zone_type", [0, 3, "1"])
def test_zone_type_is_1_or_2(zone_type: Any) -> None:
    assert errors(SingleTrigger, {"time": "2027-01-01 00:00:00", "zone_type": zone_type}) == [
        ("zone_type", "must be 1 or 2")
    ]


def test_periodical_span_is_at_most_one_calendar_year() -> None:
    PeriodicalTrigger.model_validate(periodical(end="2027-12-01 00:00:00", time_unit="day"))
    assert errors(PeriodicalTrigger, periodical(end="2027-12-01 00:00:01", time_unit="day")) == [
        ("end", "must be at most one year after start: the API refuses longer spans")
    ]
    assert errors(PeriodicalTrigger, periodical(end="2026-11-01 00:00:00", time_unit="day")) == [
        ("end", "must be after start")
    ]


def test_periodical_time_is_a_time_of_day() -> None:
    assert errors(PeriodicalTrigger, periodical(time="24:00:00", time_unit="day")) == [
        ("time", "is not a real time of day")
    ]


# --- periodical units and points -----------------------------------------------------------------


def test_weekday_points_are_case_insensitive_and_upper_cased_in_order() -> None:
    trigger = PeriodicalTrigger.model_validate(periodical(time_unit="Week", point=["sun", "Mon"]))
    assert (trigger.time_unit, trigger.point, trigger.frequency) == ("week", ["SUN", "MON"], 1)


@pytest.mark.parametrize(
    ("unit", "point", "message", "at"),
    [
        ("day", ["MON"], "must be absent when time_unit is day", "point"),
        ("week", None, "is required when time_unit is week: one or more of MON..SUN", "point"),
        ("week", ["MON", "FUNDAY"], "must be one of MON, TUE, WED, THU, FRI, SAT, SUN", "point[1]"),
        ("week", ["MON", "mon"], "is listed twice", "point[1]"),
        ("month", [], 'is required when time_unit is month: one or more of "01".."31"', "point"),
        ("month", ["1"], 'must be a quoted two-digit day of the month, "01" to "31"', "point[0]"),
        (
            "month",
            ["31", "32"],
            'must be a quoted two-digit day of the month, "01" to "31"',
            "point[1]",
        ),
    ],
)
def test_point_rules_per_time_unit(unit: str, point: Any, message: str, at: str) -> None:
    assert errors(PeriodicalTrigger, periodical(time_unit=unit, point=point)) == [(at, message)]


def test_time_unit_is_day_week_or_month_and_frequency_1_to_100() -> None:
    assert errors(PeriodicalTrigger, periodical(time_unit="year")) == [
        ("time_unit", "must be day, week or month")
    ]
    assert errors(PeriodicalTrigger, periodical(time_unit="day", frequency=101)) == [
        ("frequency", "must be at most 100")
    ]


def test_intelligent_now_is_refused_with_the_reason() -> None:
    ((path, message),) = errors(ScheduleModel, schedule({"intelligent": {"backup_time": "now"}}))
    assert path == "spec.trigger.intelligent.backup_time"
    assert "would send again on every apply" in message


def test_trigger_needs_exactly_one_kind() -> None:
    both = {
        "single": {"time": "2027-01-01 00:00:00"},
        "intelligent": {"backup_time": "2027-01-01 00:00:00"},
    }
    assert errors(ScheduleModel, schedule(both)) == [
        ("spec.trigger", "must have exactly one of single, periodical or intelligent")
    ]


def test_intelligent_zone_type_is_kept_as_written_and_absent_when_not_written() -> None:
    time = "2027-02-01 10:00:00"
    with_zone = Trigger.model_validate({"intelligent": {"backup_time": time, "zone_type": 2}})
    assert with_zone.to_api() == {"intelligent": {"backup_time": time, "zone_type": 2}}
    without = Trigger.model_validate({"intelligent": {"backup_time": time}})
    assert without.to_api() == {"intelligent": {"backup_time": time}}
