"""Audit report: drift is what apply would change; the rest is reported without alarm."""

from __future__ import annotations

from support.plan import (
    NOW,
    desired_state,
    device,
    live_device,
    live_from,
    live_schedule,
    live_state,
    push,
    schedule,
    single,
)

from webpush_iac.plan import build_audit
from webpush_iac.render import render_audit


def test_changed_owned_schedule_is_drift() -> None:
    want = schedule("digest", payload=push(title="new"))
    have = live_from(schedule("digest", payload=push(title="old")))
    report = build_audit(desired_state([want]), live_state([have]), now=NOW)
    assert report.has_drift
    assert [c.address for c in report.drift] == ["schedule/digest"]


def test_device_drift_is_reported_per_device_not_per_tag() -> None:
    report = build_audit(
        desired_state(devices=[device("rid000000001", {"beta"})]),
        live_state(devices=[live_device("rid000000001")]),
        now=NOW,
    )
    assert [c.address for c in report.drift] == ["device/rid000000001"]


def test_orphans_unowned_fired_and_expired_are_reported_but_are_not_drift() -> None:
    report = build_audit(
        desired_state([schedule("launch", single("2026-01-01 09:00:00"))]),
        live_state([live_schedule("iac_orphan"), live_schedule("someone_else")]),
        now=NOW,
    )
    assert not report.has_drift
    assert [c.address for c in report.orphans] == ["schedule/orphan"]
    assert [c.address for c in report.unowned] == ["schedule/someone_else"]
    assert [c.address for c in report.fired] == ["schedule/launch"]
    assert report.quota_used == 2
    assert report.quota_limit == 1000


def test_duplicate_owned_names_are_drift_even_with_prune_off() -> None:
    want = schedule("dup")
    report = build_audit(
        desired_state([want]),
        live_state([live_from(want, "a"), live_from(want, "b")]),
        now=NOW,
    )
    assert report.has_drift
    assert [c.address for c in report.conflicts] == ["schedule/dup"]
    # apply deletes the extra copy whatever prune says, so the conflict is drift apply fixes
    assert [c.address for c in report.drift] == ["schedule/dup"]


def test_converged_project_has_no_drift_and_says_so() -> None:
    want = schedule("digest")
    report = build_audit(desired_state([want]), live_state([live_from(want)]), now=NOW)
    assert not report.has_drift
    text = render_audit(report, "text")
    assert text.splitlines()[-1] == "No drift."
    assert "Quota: 1/1000 valid schedules in use." in text


def test_audit_lists_unknown_devices_in_every_format_without_calling_it_drift() -> None:
    report = build_audit(
        desired_state(devices=[device("rid_gone", {"beta"})]),
        live_state(device_errors={"rid_gone": "the API does not know this device (HTTP 404)"}),
        now=NOW,
    )
    assert not report.has_drift
    data = report.to_data()
    assert data["summary"]["unknown_devices"] == 1
    assert [(w["address"], w["code"]) for w in data["warnings"]] == [
        ("device/rid_gone", "unknown_device")
    ]
    text = render_audit(report, "text")
    assert "unknown_device  device/rid_gone" in text
    assert text.splitlines()[-1] == "No drift in what could be checked; see the 1 warning."
    md = render_audit(report, "markdown", show_identifiers=True)
    assert "| unknown devices | 1 |" in md
    assert "`unknown_device` `device/rid_gone`" in md
