"""The saved-plan file: a signed JSON round trip, refused when forged, stale in format or insane.

A valid signature proves who made a plan, not that it is sane, so most refusals here are of
plans *re-signed* with the right key after a hostile edit: the checks behind the signature must
hold on their own.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from support.constants import APP_KEY, MASTER_SECRET
from support.plan import (
    NOW,
    PLAN_KEY,
    desired_state,
    live_from,
    live_state,
    mixed_plan,
    saved,
    schedule,
)

from webpush_iac.errors import InvalidPlanError, StalePlanError
from webpush_iac.plan import (
    PlanWarning,
    diff,
    parse_plan_json,
    plan_from_data,
    plan_signing_key,
    plan_to_data,
    sha256_hex,
)
from webpush_iac.plan.planfile import sign_data
from webpush_iac.times import format_time

HOME = "https://webpushapi-sgp.engagelab.com"


def refused(data: Any, match: str, *, key: bytes = PLAN_KEY) -> str:
    """The one-line refusal ``data`` gets; every refusal is an InvalidPlanError or stale plan."""
    with pytest.raises(StalePlanError, match=match) as info:
        plan_from_data(data, key)
    message = str(info.value)
    assert "\n" not in message
    assert "\r" not in message
    assert "nothing was sent" in message
    return message


def resigned(data: dict[str, Any]) -> dict[str, Any]:
    """A hostile edit signed with the right key: only the checks behind the signature remain."""
    return sign_data(data, PLAN_KEY)


# -- round trip ----------------------------------------------------------------------------------


def test_saved_plan_round_trips_through_json() -> None:
    plan = mixed_plan()
    data = saved(plan)
    assert data["format_version"] == 2
    assert data["summary"]["create"] == 1
    assert data["signature"].startswith("hmac-sha256:")
    assert data["owner_prefix"] == "iac_"
    assert plan_from_data(data, PLAN_KEY) == plan


def test_saved_plan_holds_every_request_and_fingerprint() -> None:
    data = saved(mixed_plan())
    requests = [(r["method"], r["path"]) for c in data["changes"] for r in c["requests"]]
    assert ("PUT", "/v4/schedules/{created_id}") in requests
    assert ("POST", "/v4/devices/rid000000000002") in requests
    assert any(c["fingerprints"] for c in data["changes"])


def test_saved_plan_holds_no_credential_and_no_credential_variable_name() -> None:
    desired = desired_state([schedule("x")])
    plan = diff(desired, live_state(), now=NOW, target="https://appkey:s3cr3t@host.example/")
    text = json.dumps(saved(plan))
    for needle in ("s3cr3t", "appkey", MASTER_SECRET, "_env", "WEBPUSH_"):
        assert needle not in text
    assert PLAN_KEY.hex() not in text


def test_signing_key_depends_on_app_key_and_secret_and_is_neither() -> None:
    key = plan_signing_key(APP_KEY, MASTER_SECRET)
    assert key != plan_signing_key(APP_KEY, MASTER_SECRET + "x")
    assert key != plan_signing_key(APP_KEY + "x", MASTER_SECRET)
    assert MASTER_SECRET.encode() not in key


# -- authenticity --------------------------------------------------------------------------------


def test_edited_saved_plan_fails_the_signature() -> None:
    tampered = saved(mixed_plan())
    tampered["changes"][0]["requests"][0]["path"] = "/v4/schedules/someone-else"
    refused(tampered, "signature does not match")


def test_forged_checksum_is_not_a_signature() -> None:
    """The old unkeyed checksum: anyone could recompute it after an edit."""
    data = saved(mixed_plan())
    del data["signature"]
    data["target"] = "https://attacker.example"
    data["checksum"] = "sha256:" + sha256_hex(data)
    refused(data, "not signed")


def test_plan_signed_with_other_credentials_is_refused() -> None:
    data = saved(mixed_plan())
    refused(data, "other credentials", key=plan_signing_key(APP_KEY, "another-secret"))


def test_json_output_is_not_an_applicable_plan() -> None:
    """``plan --format json`` prints the unsigned document; only ``--out`` signs."""
    refused(json.loads(json.dumps(plan_to_data(mixed_plan()))), "not signed")


def test_plan_of_the_previous_format_says_re_run_plan() -> None:
    data = {**plan_to_data(mixed_plan()), "format_version": 1, "checksum": "sha256:00"}
    message = refused(data, "older webpush-iac")
    assert "re-run plan" in message


@pytest.mark.parametrize("version", [3, "2", None, True])
def test_saved_plan_of_an_unknown_format_version_is_refused(version: object) -> None:
    refused({**saved(mixed_plan()), "format_version": version}, "format_version")


@pytest.mark.parametrize("data", [None, [], "plan", 2])
def test_non_object_saved_plan_is_refused(data: object) -> None:
    refused(data, "not a saved plan")


# -- behind the signature: structure and ranges -----------------------------------------------------


def test_structurally_broken_plan_with_a_valid_signature_is_refused() -> None:
    body = {"format_version": 2, "project": "p", "created_at": "2026-01-01T00:00:00Z"}
    refused(resigned(body), "malformed")


def test_unexpected_keys_are_refused_even_when_signed() -> None:
    data = saved(mixed_plan())
    data["settings"]["master_secret_env"] = "HOME"  # choose which variable is sent as password
    refused(resigned(data), "unexpected key 'master_secret_env'")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("qps", 1e-9),
        ("qps", 0),
        ("qps", -1),
        ("qps", 100_001),
        ("qps", "450"),
        ("concurrency", 10**9),
        ("concurrency", 0),
        ("concurrency", 2.5),
        ("concurrency", True),
        ("max_delete_percent", 101),
        ("max_delete_percent", -0.5),
        ("max_device_changes", -1),
        ("max_device_changes", 1.5),
        ("region", "attacker"),
        ("product", "../web"),
        ("timezone", "../../etc/passwd"),
        ("timezone", "Mars/Olympus"),
    ],
)
def test_out_of_range_settings_are_refused(key: str, value: object) -> None:
    data = saved(mixed_plan())
    data["settings"][key] = value
    refused(resigned(data), f"settings.{key}")


@pytest.mark.parametrize("spelled", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_refused_by_the_reader(spelled: str) -> None:
    text = json.dumps(saved(mixed_plan())).replace(
        '"max_delete_percent": 30.0', f'"max_delete_percent": {spelled}'
    )
    assert spelled in text
    with pytest.raises(InvalidPlanError, match="not a saved plan"):
        parse_plan_json(text)


def test_nan_threshold_is_refused_even_without_the_reader() -> None:
    data = saved(mixed_plan())
    data["settings"]["max_delete_percent"] = float("nan")
    refused(data, "not plain JSON")  # the signature cannot even be computed over it


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        "[" * 100_000 + "]" * 100_000,
        '{"n": ' + "9" * 5000 + "}",
        "\ufeff{}",
        '{"a": "\\ud800"',
    ],
)
def test_hostile_json_text_is_one_line_refusal(text: str) -> None:
    with pytest.raises(InvalidPlanError) as info:
        parse_plan_json(text)
    assert "\n" not in str(info.value)


# -- behind the signature: time bounds ------------------------------------------------------------


def test_not_after_a_year_ahead_is_refused_even_when_signed() -> None:
    data = saved(mixed_plan())
    data["not_after"] = format_time(NOW + timedelta(days=365))
    refused(resigned(data), "not_after .* is not within 24 h after created_at")


def test_not_after_before_created_at_is_refused() -> None:
    data = saved(mixed_plan())
    data["not_after"] = format_time(NOW - timedelta(seconds=1))
    refused(resigned(data), "not within 24 h")


@pytest.mark.parametrize("when", ["yesterday", "2026-06-01T12:00:00", "9999-12-31T23:59:59Z"])
def test_created_at_must_be_a_time_with_a_zone_and_room_for_a_day(when: str) -> None:
    data = saved(mixed_plan())
    data["created_at"] = when
    refused(resigned(data), "created_at")


# -- behind the signature: requests -----------------------------------------------------------------


def _first(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(r for c in data["changes"] for r in c["requests"] if r["kind"] == kind)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda r: r.update(path="/v4/push"), "goes to /v4/schedules, not '/v4/push'"),
        (lambda r: r.update(kind="push.send", path="/v4/push"), "not one a plan may contain"),
        (lambda r: r.update(method="DELETE"), "sent with POST"),
        (lambda r: r["body"].update(name="marketing_blast"), "ownership prefix"),
        (lambda r: r["body"].update(extra=1), "may not carry 'extra'"),
        (lambda r: r["body"].pop("push"), "lacks push"),
        (lambda r: r["body"].update(trigger={"now": {}}), "trigger must be one of"),
        (lambda r: r["body"].update(enabled="yes"), "enabled"),
    ],
)
def test_schedule_create_outside_the_allow_list_is_refused(edit: Any, match: str) -> None:
    data = saved(mixed_plan())
    edit(_first(data, "schedule.create"))
    refused(resigned(data), match)


@pytest.mark.parametrize(
    "path",
    [
        "/v4/tags/../../_emulator/reset",
        "/v4/tags/beta/../../_emulator/reset",
        "/v4/tags/%2e%2e",
        "/v4/tags/",
        "/v4/tags/beta?x=1",
        "/v4/tags/be\r\nta",
        "/_emulator/devices",
        "/v4/batch/push/regid",
    ],
)
def test_tag_request_path_tricks_are_refused(path: str) -> None:
    data = saved(mixed_plan())
    _first(data, "tag.update")["path"] = path
    message = refused(resigned(data), "path|tag")
    assert "\r" not in message


@pytest.mark.parametrize(
    "body",
    [
        {"registration_ids": {"add": ["x" * 129]}},
        {"registration_ids": {"add": ["a b"]}},
        {"registration_ids": {"add": [f"r{i:013d}" for i in range(1001)]}},
        {"registration_ids": {"add": []}},
        {"registration_ids": {}},
        {"registration_ids": {"add": ["rid000000000001"], "remove": ["rid000000000001"]}},
        {"registration_ids": {"add": ["rid000000000001"]}, "tags": "all"},
        {"platform": "all"},
    ],
)
def test_tag_bodies_carry_only_valid_id_lists(body: Any) -> None:
    data = saved(mixed_plan())
    _first(data, "tag.update")["body"] = body
    refused(resigned(data), "registration_ids|tag body|id")


@pytest.mark.parametrize(
    "body", [{"alias": "x", "tags": ""}, {"tags": {"add": ["vip"]}}, {"alias": 7}, None]
)
def test_device_bodies_carry_only_an_alias(body: Any) -> None:
    data = saved(mixed_plan())
    _first(data, "device.update")["body"] = body
    refused(resigned(data), "device body|alias")


def test_delete_of_a_schedule_named_without_the_prefix_is_refused() -> None:
    data = saved(mixed_plan())
    change = next(c for c in data["changes"] if c["action"] == "delete")
    change["live_name"] = "marketing_blast"
    refused(resigned(data), "not owned")


def test_requests_need_a_fingerprint_of_every_live_object_they_touch() -> None:
    data = saved(mixed_plan())
    for change in data["changes"]:
        change["fingerprints"] = {}
    refused(resigned(data), "no fingerprint for")


def test_informational_changes_may_not_send_anything() -> None:
    data = saved(mixed_plan())
    noop = copy.deepcopy(next(c for c in data["changes"] if c["action"] == "delete"))
    noop["action"] = "noop"
    data["changes"].append(noop)
    refused(resigned(data), "noop change sends no requests")


def test_created_id_path_only_after_a_create_in_the_same_change() -> None:
    data = saved(mixed_plan())
    update = next(c for c in data["changes"] if c["address"] == "schedule/keep")
    update["requests"][0]["path"] = "/v4/schedules/{created_id}"
    refused(resigned(data), "not a schedule.update path")


def test_saved_plan_bounds_are_the_project_schemas() -> None:
    """Every plan `plan` can write from a valid Project must load again."""
    from webpush_iac.manifest.models.kinds import RateLimit, Safety
    from webpush_iac.plan.planparse import CONCURRENCY_MAX, QPS_MAX, QPS_MIN

    rate = RateLimit.model_json_schema()["properties"]
    assert (rate["qps"]["minimum"], rate["qps"]["maximum"]) == (QPS_MIN, QPS_MAX)
    assert (rate["concurrency"]["minimum"], rate["concurrency"]["maximum"]) == (1, CONCURRENCY_MAX)
    safety = Safety.model_json_schema()["properties"]
    assert (safety["max_delete_percent"]["minimum"], safety["max_delete_percent"]["maximum"]) == (
        0,
        100,
    )
    assert safety["max_device_changes"]["minimum"] == 0


def test_a_conflict_over_hundreds_of_copies_round_trips() -> None:
    """Its reason lists every id: long prose is not a malformed plan."""
    want = schedule("a")
    copies = [live_from(want, f"{n:08d}-0000-4000-8000-000000000000") for n in range(300)]
    plan = diff(
        desired_state([want], prune_schedules=True), live_state(copies), now=NOW, target=HOME
    )
    (conflict,) = [c for c in plan.changes if c.action == "conflict"]
    assert len(conflict.reason) > 4096
    assert len(conflict.requests) == 299
    assert plan_from_data(saved(plan), PLAN_KEY) == plan


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda c: c.update(preview=["title"]), "preview must be a JSON object"),
        (lambda c: c.update(preview={"languages": {"fr": "Soldes"}}), "preview.languages"),
        (lambda c: c.update(preview={"script": "x"}), "unexpected key 'script'"),
        (lambda c: c.update(before="tags"), "before must be a JSON object"),
    ],
)
def test_display_fields_have_the_shape_the_planner_writes(edit: Any, match: str) -> None:
    data = saved(mixed_plan())
    edit(next(c for c in data["changes"] if c["address"] == "schedule/keep"))
    refused(resigned(data), match)


def test_device_fields_have_the_shape_the_planner_writes() -> None:
    data = saved(mixed_plan())
    dev = next(c for c in data["changes"] if c["address"].startswith("device/"))
    dev["fields"] = [{"path": "tags.add", "before": None, "after": True}]
    refused(resigned(data), "not a device field the planner writes")


def test_saved_plan_round_trips_its_warnings() -> None:
    plan = mixed_plan()
    plan.warnings = [
        PlanWarning("device/rid9", "unknown_device", "the API does not know this device"),
        PlanWarning("schedule/new", "likely_rename", "both copies will send"),
    ]
    data = saved(plan)
    assert data["warnings"] == [
        {
            "address": "device/rid9",
            "code": "unknown_device",
            "message": "the API does not know this device",
        },
        {"address": "schedule/new", "code": "likely_rename", "message": "both copies will send"},
    ]
    assert data["summary"]["warnings"] == 2
    assert data["summary"]["unknown_devices"] == 1
    assert plan_from_data(data, PLAN_KEY).warnings == plan.warnings


def test_saved_plan_with_an_unknown_warning_code_is_malformed() -> None:
    data = saved(mixed_plan())
    data["warnings"] = [{"address": "device/x", "code": "made_up", "message": "m"}]
    refused(resigned(data), "unknown warning code 'made_up'")
