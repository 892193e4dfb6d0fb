"""The saved-plan file: a JSON round trip, every request and fingerprint, refused when tampered."""

from __future__ import annotations

import copy
import json

import pytest
from support.plan import NOW, desired_state, live_state, mixed_plan, schedule

from webpush_iac.errors import StalePlanError
from webpush_iac.plan import diff, plan_from_data, plan_to_data


def test_saved_plan_round_trips_through_json() -> None:
    plan = mixed_plan()
    data = json.loads(json.dumps(plan_to_data(plan)))
    assert data["format_version"] == 1
    assert data["summary"]["create"] == 1
    assert data["checksum"].startswith("sha256:")
    assert plan_from_data(data) == plan


def test_saved_plan_holds_every_request_and_fingerprint() -> None:
    data = plan_to_data(mixed_plan())
    requests = [(r["method"], r["path"]) for c in data["changes"] for r in c["requests"]]
    assert ("PUT", "/v4/schedules/{created_id}") in requests
    assert ("POST", "/v4/devices/rid000000000002") in requests
    assert any(c["fingerprints"] for c in data["changes"])


def test_tampered_saved_plan_is_refused() -> None:
    data = plan_to_data(mixed_plan())
    tampered = copy.deepcopy(data)
    tampered["changes"][0]["requests"][0]["path"] = "/v4/schedules/someone-else"
    with pytest.raises(StalePlanError, match="checksum"):
        plan_from_data(tampered)


def test_saved_plan_without_checksum_is_refused() -> None:
    data = plan_to_data(mixed_plan())
    del data["checksum"]
    with pytest.raises(StalePlanError, match="checksum"):
        plan_from_data(data)


def test_saved_plan_of_another_format_version_is_refused() -> None:
    data = {**plan_to_data(mixed_plan()), "format_version": 2}
    with pytest.raises(StalePlanError, match="format_version 2"):
        plan_from_data(data)


@pytest.mark.parametrize("data", [None, [], "plan"])
def test_non_object_saved_plan_is_refused(data: object) -> None:
    with pytest.raises(StalePlanError):
        plan_from_data(data)


def test_structurally_broken_plan_with_valid_checksum_is_refused() -> None:
    from webpush_iac.plan import sha256_hex
    from webpush_iac.plan.planfile import _CHECKSUM_PREFIX

    body = {"format_version": 1, "project": "p", "created_at": "2026-01-01T00:00:00Z"}
    with pytest.raises(StalePlanError, match="malformed"):
        plan_from_data({**body, "checksum": _CHECKSUM_PREFIX + sha256_hex(body)})


def test_saved_plan_never_holds_credentials_from_the_target() -> None:
    desired = desired_state([schedule("x")])
    plan = diff(desired, live_state(), now=NOW, target="https://appkey:s3cr3t@host.example/")
    text = json.dumps(plan_to_data(plan))
    assert "s3cr3t" not in text
    assert "appkey" not in text
