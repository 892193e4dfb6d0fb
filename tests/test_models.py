"""Manifest models: field formats the API insists on, defaults, identity, committed schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from webpush_iac.manifest.models.kinds import (
    CONTEXT_KEY,
    DeviceModel,
    PeriodicalTrigger,
    ProjectModel,
    ScheduleModel,
    SingleTrigger,
    TagModel,
    TemplateModel,
    ValidationContext,
)
from webpush_iac.manifest.schema import kind_schemas, render_schema
from webpush_iac.manifest.sourcemap import SourceDoc, validation_problems
from webpush_iac.times import fire_instant

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def context(tz: str = "UTC", prefix: str = "iac_", now: datetime = NOW) -> dict[str, Any]:
    return {CONTEXT_KEY: ValidationContext(now=now, timezone=ZoneInfo(tz), prefix=prefix)}


def errors(model: Any, data: Any, ctx: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(key path, message) of each problem, worded and located as users see them."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data, context=ctx)
    doc = SourceDoc("t.yaml", Path("t.yaml"), 0, data)
    return [(p.path, p.message) for p in validation_problems(doc, caught.value)]


def schedule(trigger: dict[str, Any], name: str = "s", **push: Any) -> dict[str, Any]:
    push = push or {"to": "all", "notification": {"alert": "a", "url": "https://e.com"}}
    return {
        "apiVersion": "webpush-iac/v1",
        "kind": "Schedule",
        "metadata": {"name": name},
        "spec": {"trigger": trigger, "push": push},
    }


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


def test_zone_type_2_fires_first_at_utc_plus_14() -> None:
    fire = fire_instant("2027-01-01 00:00:00", 2, ZoneInfo("Europe/Paris"))
    assert fire == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)


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


# --- names, tags, aliases, ids -------------------------------------------------------------------


def test_schedule_name_allows_cjk_but_not_hyphens_or_spaces() -> None:
    ScheduleModel.model_validate(schedule({"single": {"time": "2027-01-01 00:00:00"}}, "周报_1"))
    for bad in ("weekly-digest", "weekly digest", "a.b"):
        trigger = {"single": {"time": "2027-01-01 00:00:00"}}
        assert errors(ScheduleModel, schedule(trigger, bad)) == [
            ("metadata.name", "may only contain letters, digits, underscore and CJK characters")
        ]


def test_prefix_plus_name_must_fit_255_bytes() -> None:
    trigger = {"single": {"time": "2027-01-01 00:00:00"}}
    ScheduleModel.model_validate(schedule(trigger, "a" * 251), context=context(prefix="iac_"))
    assert errors(ScheduleModel, schedule(trigger, "a" * 252), context(prefix="iac_")) == [
        ("metadata.name", "prefix + name is 256 bytes; the API allows at most 255")
    ]


def device(**spec: Any) -> dict[str, Any]:
    base = {"registration_id": "1a0018970a5c6c1"}
    return {
        "apiVersion": "webpush-iac/v1",
        "kind": "Device",
        "metadata": {"name": "d"},
        "spec": {**base, **spec},
    }


def test_tags_and_aliases_are_limited_to_40_bytes_not_characters() -> None:
    DeviceModel.model_validate(device(tags=["a" * 40, "标" * 13], alias="b" * 40))
    assert errors(DeviceModel, device(tags=["标" * 14])) == [
        ("spec.tags[0]", "is 42 bytes long; the API allows at most 40 bytes")
    ]
    assert errors(DeviceModel, device(alias="b" * 41)) == [
        ("spec.alias", "is 41 bytes long; the API allows at most 40 bytes")
    ]


def test_empty_alias_means_remove_and_absent_means_leave_alone() -> None:
    assert DeviceModel.model_validate(device(alias="")).spec.alias == ""
    assert DeviceModel.model_validate(device()).spec.alias is None


def test_registration_ids_must_be_strings() -> None:
    assert errors(DeviceModel, device(registration_id=12345)) == [
        ("spec.registration_id", "must be a string (quote it)")
    ]


def test_a_device_declares_at_most_100_tags() -> None:
    assert errors(DeviceModel, device(tags=[f"t{i}" for i in range(101)])) == [
        ("spec.tags", "has 101 items; the API accepts at most 100")
    ]


def test_tag_name_follows_tag_rules_and_mode_defaults_to_exact() -> None:
    tag = {"apiVersion": "webpush-iac/v1", "kind": "Tag", "metadata": {"name": "beta"}}
    assert TagModel.model_validate(tag).spec.mode == "exact"
    ((path, _),) = errors(TagModel, {**tag, "metadata": {"name": "beta-2"}})
    assert path == "metadata.name"


# --- project, template, push ---------------------------------------------------------------------


def project(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "webpush-iac/v1",
        "kind": "Project",
        "metadata": {"name": "p"},
        "spec": spec,
    }


@pytest.mark.parametrize("secret", ["s3cr3t", 12345, ["a"]])
def test_credentials_must_be_env_references(secret: Any) -> None:
    ((path, message),) = errors(ProjectModel, project(credentials={"master_secret": secret}))
    assert path == "spec.credentials.master_secret"
    assert "literal credentials are not allowed" in message
    assert str(secret) not in message


def test_unknown_time_zone_is_refused() -> None:
    assert errors(ProjectModel, project(timezone="Mars/Olympus")) == [
        ("spec.timezone", "is not a known IANA time zone (for example UTC or Asia/Singapore)")
    ]


def test_strict_types_do_not_coerce_yaml_strings() -> None:
    assert errors(ProjectModel, project(prune={"schedules": "yes"})) == [
        ("spec.prune.schedules", "must be true or false")
    ]


def template(**spec: Any) -> dict[str, Any]:
    content = {"notification": {"alert": "a", "url": "https://e.com"}}
    return {
        "apiVersion": "webpush-iac/v1",
        "kind": "Template",
        "metadata": {"name": "t"},
        "spec": {**content, **spec},
    }


def test_template_language_codes_are_checked() -> None:
    TemplateModel.model_validate(
        template(languages={"fr": {"title": "x"}, "zh-Hans": {"alert": "y"}})
    )
    ((path, message),) = errors(TemplateModel, template(languages={"french": {"title": "x"}}))
    assert path == "spec.languages.french"
    assert message.startswith("'french' is not a language code")


def test_push_option_limits() -> None:
    opts = {"time_to_live": 15 * 86400 + 1, "big_push_duration": 1441}
    buttons = [{"id": str(i), "text": "go"} for i in range(3)]
    assert errors(TemplateModel, template(options={**opts, "web_buttons": buttons})) == [
        ("spec.options.time_to_live", "must be at most 1296000"),
        ("spec.options.big_push_duration", "must be at most 1440"),
        ("spec.options.web_buttons", "has 3 items; the API accepts at most 2"),
    ]


def test_multi_language_is_built_from_languages_not_written() -> None:
    assert errors(TemplateModel, template(options={"multi_language": {}})) == [
        ("spec.options.multi_language", "is built from languages: (declare them there)")
    ]


def test_variable_is_required_or_has_a_default() -> None:
    model = TemplateModel.model_validate(template(variables={"a": {}, "b": {"default": 1}}))
    assert model.spec.variables["a"].is_required
    assert not model.spec.variables["b"].is_required
    assert errors(TemplateModel, template(variables={"a": {"required": True, "default": 1}})) == [
        ("spec.variables.a", "give either required: true or a default, not both")
    ]


def test_schedule_push_needs_exactly_one_content_source() -> None:
    push = {"to": "all", "template": "t", "notification": {"alert": "a", "url": "https://e.com"}}
    trigger = {"single": {"time": "2027-01-01 00:00:00"}}
    assert errors(ScheduleModel, schedule(trigger, **push)) == [
        ("spec.push", "needs exactly one of template, notification or message")
    ]


SHAPE = 'must be "all" or a mapping of tag, tag_and, tag_not, alias, registration_id'


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("everyone", SHAPE),
        (5, SHAPE),
        ({}, "needs at least one of tag, tag_and, tag_not, alias or registration_id"),
    ],
)
def test_audience_is_all_or_a_mapping_of_targets(to: Any, message: str) -> None:
    trigger = {"single": {"time": "2027-01-01 00:00:00"}}
    assert errors(ScheduleModel, schedule(trigger, to=to, template="t")) == [
        ("spec.push.to", message)
    ]


def test_identity_is_kind_and_name() -> None:
    model = TagModel.model_validate(
        {"apiVersion": "webpush-iac/v1", "kind": "Tag", "metadata": {"name": "beta"}}
    )
    assert model.identity == ("Tag", "beta")


# --- JSON Schemas --------------------------------------------------------------------------------


def test_committed_schemas_match_the_models() -> None:
    """Fails when a model changed without `webpush-iac schema` being re-run and committed."""
    for name, schema in kind_schemas().items():
        committed = ROOT / "schemas" / name
        assert committed.is_file(), f"schemas/{name} is missing: run `webpush-iac schema`"
        assert committed.read_text(encoding="utf-8") == render_schema(schema), (
            f"schemas/{name} is stale: run `webpush-iac schema` and commit the result"
        )


def test_schemas_carry_descriptions_and_refuse_unknown_keys() -> None:
    schedule_schema = kind_schemas()["schedule.schema.json"]
    assert schedule_schema["additionalProperties"] is False
    assert "description" in schedule_schema
    single = schedule_schema["$defs"]["SingleTrigger"]
    assert single["properties"]["time"]["pattern"].startswith("^[0-9]{4}-")
    combined = kind_schemas()["manifest.schema.json"]
    assert combined["discriminator"]["propertyName"] == "kind"


def test_examples_point_editors_at_the_combined_schema() -> None:
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        if "ci" in path.relative_to(ROOT / "examples").parts:
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == ROOT / "schemas" / "manifest.schema.json", path
        assert json.loads(target.read_text(encoding="utf-8"))["oneOf"]
