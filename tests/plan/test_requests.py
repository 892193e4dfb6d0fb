"""The allow-list of requests a plan may contain: one table, one entry per kind."""

from __future__ import annotations

from typing import Any

import pytest

from webpush_iac.errors import InvalidPlanError
from webpush_iac.plan import REQUEST_KINDS, check_outgoing
from webpush_iac.plan.requests import RULES, check_request, classify

SCHEDULE = {
    "name": "iac_a",
    "enabled": True,
    "trigger": {"single": {"time": "2027-01-05 09:00:00"}},
    "push": {"to": "all"},
}
GOOD: dict[str, tuple[str, str, Any, set[str]]] = {
    "schedule.create": ("POST", "/v4/schedules", SCHEDULE, set()),
    "schedule.update": ("PUT", "/v4/schedules/sid-1", SCHEDULE, {"schedule:sid-1"}),
    "schedule.delete": ("DELETE", "/v4/schedules/sid-1", None, {"schedule:sid-1"}),
    "tag.update": (
        "POST",
        "/v4/tags/beta",
        {"registration_ids": {"add": ["r1"], "remove": ["r2"]}},
        {"device:r1", "device:r2"},
    ),
    "device.update": ("POST", "/v4/devices/r1", {"alias": ""}, {"device:r1"}),
}


def test_the_table_covers_every_request_kind_and_nothing_else() -> None:
    assert set(RULES) == set(REQUEST_KINDS)
    assert set(GOOD) == set(REQUEST_KINDS)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_kind_accepts_what_the_planner_sends_and_names_what_it_touches(kind: str) -> None:
    method, path, body, touches = GOOD[kind]
    assert check_request(kind, method, path, body, prefix="iac_").touches == touches
    assert classify(method, path) == kind
    assert check_outgoing(method, path, body, prefix="iac_") == kind


def test_a_schedule_id_with_escapes_round_trips_exactly() -> None:
    checked = check_request("schedule.delete", "DELETE", "/v4/schedules/a%3Ab", None, prefix="")
    assert checked.ident == "a:b"
    assert checked.touches == {"schedule:a:b"}


def test_created_id_placeholder_only_after_a_create() -> None:
    path = "/v4/schedules/{created_id}"
    assert check_request("schedule.update", "PUT", path, SCHEDULE, prefix="iac_", after_create=True)
    with pytest.raises(InvalidPlanError, match=r"not a schedule\.update path"):
        check_request("schedule.update", "PUT", path, SCHEDULE, prefix="iac_")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v4/push"),
        ("POST", "/v4/push/validate"),
        ("POST", "/v4/batch/push/regid"),
        ("POST", "/v4/tags_count"),
        ("DELETE", "/v4/aliases/qa"),
        ("DELETE", "/v4/devices/r1"),
        ("POST", "/v4/devices/status"),
        ("POST", "/_emulator/devices"),
        ("GET", "/v4/schedules/sid-1"),
        ("POST", "/v4/schedules/"),
        ("POST", "//v4/schedules"),
    ],
)
def test_send_endpoints_admin_routes_and_reads_are_no_kind_at_all(method: str, path: str) -> None:
    with pytest.raises(InvalidPlanError, match="no request a plan may contain"):
        classify(method, path)


def test_a_schedule_body_must_carry_the_prefix_and_more_than_the_prefix() -> None:
    for name in ("other_a", "iac_", "IAC_a"):
        with pytest.raises(InvalidPlanError, match="ownership prefix"):
            check_request(
                "schedule.create",
                "POST",
                "/v4/schedules",
                {**SCHEDULE, "name": name},
                prefix="iac_",
            )
