"""The manifest kinds: names, tags, aliases and ids in the API's limits, credentials, identity."""

from __future__ import annotations

from typing import Any

import pytest
from support.manifests import document
from support.models import context, errors, schedule

from webpush_iac.manifest.models.kinds import DeviceModel, ProjectModel, ScheduleModel, TagModel

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
    return document("Device", "d", {**base, **spec})


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
    tag = document("Tag", "beta")
    assert TagModel.model_validate(tag).spec.mode == "exact"
    ((path, _),) = errors(TagModel, {**tag, "metadata": {"name": "beta-2"}})
    assert path == "metadata.name"


# --- project and schedule push ------------------------------------------------------------------


def project(**spec: Any) -> dict[str, Any]:
    return document("Project", "p", spec)


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


def test_timeout_is_seconds_above_zero_and_at_most_ten_minutes() -> None:
    assert ProjectModel.model_validate(project()).spec.timeout == 10.0
    assert ProjectModel.model_validate(project(timeout=0.5)).spec.timeout == 0.5
    for bad in (0, -1, 601):
        ((path, _message),) = errors(ProjectModel, project(timeout=bad))
        assert path == "spec.timeout"


def test_strict_types_do_not_coerce_yaml_strings() -> None:
    assert errors(ProjectModel, project(prune={"schedules": "yes"})) == [
        ("spec.prune.schedules", "must be true or false")
    ]


def test_schedule_push_needs_exactly_one_content_source() -> None:
    push: dict[str, Any] = {
        "to": "all",
        "template": "t",
        "notification": {"alert": "a", "url": "https://e.com"},
    }
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
    model = TagModel.model_validate(document("Tag", "beta"))
    assert model.identity == ("Tag", "beta")
