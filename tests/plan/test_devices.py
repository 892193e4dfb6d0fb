"""Device tags and aliases: per-device view, per-tag bulk requests, errors instead of crashes."""

from __future__ import annotations

from support.plan import NOW, desired_state, device, live_device, live_state

from webpush_iac.apispec import segment as path_segment
from webpush_iac.plan import Change, Plan, diff, fingerprint_device

RID_A = "1a0018970a5c6c1"
RID_B = "1a0018970a5c7d2"
RID_C = "1a0018970a5c8e3"


def changes(plan: Plan, kind: str) -> list[Change]:
    return [c for c in plan.changes if c.kind == kind]


def fields_of(change: Change) -> dict[str, tuple[object, object]]:
    return {f.path: (f.before, f.after) for f in change.fields}


def test_missing_tags_are_added_through_one_bulk_tag_request() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta", "qa"})]),
        live_state(devices=[live_device(RID_A, {"qa"})]),
        now=NOW,
    )
    (dev,) = changes(plan, "device")
    assert dev.address == f"device/{RID_A}"
    assert dev.requests == ()
    assert dev.mutating
    assert fields_of(dev) == {"tags.add": (None, ["beta"])}
    assert dev.fingerprints == {f"device:{RID_A}": fingerprint_device(live_device(RID_A, {"qa"}))}
    (tag,) = changes(plan, "tag")
    assert tag.address == "tag/beta"
    assert [(r.method, r.path, r.body, r.kind) for r in tag.requests] == [
        ("POST", "/v4/tags/beta", {"registration_ids": {"add": [RID_A]}}, "tag.update")
    ]


def test_forbidden_and_unwanted_exact_tags_are_removed_but_unmanaged_and_additive_stay() -> None:
    want = device(RID_A, {"beta"}, forbidden={"banned"})
    plan = diff(
        desired_state(devices=[want], tags={"old_exact": "exact", "loose": "additive"}),
        live_state(
            devices=[live_device(RID_A, {"beta", "banned", "old_exact", "loose", "sdk_own"})]
        ),
        now=NOW,
    )
    (dev,) = changes(plan, "device")
    assert fields_of(dev) == {"tags.remove": (["banned", "old_exact"], None)}
    assert dev.after["tags"] == ["beta", "loose", "sdk_own"]
    assert sorted(c.address for c in changes(plan, "tag")) == ["tag/banned", "tag/old_exact"]


def test_tags_matching_a_managed_glob_are_exact() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, {"team_a"})], managed_tag_globs=("team_*",)),
        live_state(devices=[live_device(RID_A, {"team_a", "team_b", "other"})]),
        now=NOW,
    )
    (dev,) = changes(plan, "device")
    assert fields_of(dev) == {"tags.remove": (["team_b"], None)}


def test_converged_device_produces_no_change() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta"}, alias="qa_anna")]),
        live_state(devices=[live_device(RID_A, {"beta", "sdk"}, alias="qa_anna")]),
        now=NOW,
    )
    assert plan.changes == []
    assert not plan.has_mutations


def test_2500_adds_to_one_tag_are_sent_in_3_chunks_of_at_most_1000() -> None:
    rids = [f"r{i:05d}" for i in range(2500)]
    plan = diff(
        desired_state(devices=[device(r, {"beta"}) for r in rids]),
        live_state(devices=[live_device(r) for r in rids]),
        now=NOW,
    )
    (tag,) = changes(plan, "tag")
    sizes = [len(r.body["registration_ids"]["add"]) for r in tag.requests]  # type: ignore[index]
    assert sizes == [1000, 1000, 500]
    sent = [rid for r in tag.requests for rid in r.body["registration_ids"]["add"]]  # type: ignore[index]
    assert sorted(sent) == rids


def test_adds_and_removes_of_one_tag_share_chunks() -> None:
    adders = [f"a{i:05d}" for i in range(1500)]
    removers = [f"z{i:05d}" for i in range(300)]
    plan = diff(
        desired_state(
            devices=[device(r, {"beta"}) for r in adders]
            + [device(r, forbidden={"beta"}) for r in removers]
        ),
        live_state(
            devices=[live_device(r) for r in adders] + [live_device(r, {"beta"}) for r in removers]
        ),
        now=NOW,
    )
    (tag,) = changes(plan, "tag")
    bodies = [r.body["registration_ids"] for r in tag.requests]  # type: ignore[index]
    assert [(len(b.get("add", [])), len(b.get("remove", []))) for b in bodies] == [
        (1000, 300),
        (500, 0),
    ]


def test_alias_is_bound_when_different_and_left_alone_when_not_declared() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, alias="qa_anna"), device(RID_B)]),
        live_state(devices=[live_device(RID_A, alias="old"), live_device(RID_B, alias="keep")]),
        now=NOW,
    )
    (dev,) = changes(plan, "device")
    assert dev.address == f"device/{RID_A}"
    assert [(r.method, r.path, r.body) for r in dev.requests] == [
        ("POST", f"/v4/devices/{RID_A}", {"alias": "qa_anna"})
    ]
    assert fields_of(dev) == {"alias": ("old", "qa_anna")}


def test_empty_alias_removes_a_set_alias_and_is_noop_when_none_is_set() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, alias=""), device(RID_B, alias="")]),
        live_state(devices=[live_device(RID_A, alias="old"), live_device(RID_B)]),
        now=NOW,
    )
    (dev,) = changes(plan, "device")
    assert dev.address == f"device/{RID_A}"
    assert [r.body for r in dev.requests] == [{"alias": ""}]


def test_alias_move_clears_the_previous_owner_first() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, alias="qa_anna")]),
        live_state(
            devices=[live_device(RID_A), live_device(RID_B, alias="qa_anna")],
            alias_owners={"qa_anna": (RID_B,)},
        ),
        now=NOW,
    )
    (dev,) = changes(plan, "device")
    assert [(r.path, r.body) for r in dev.requests] == [
        (f"/v4/devices/{RID_B}", {"alias": ""}),
        (f"/v4/devices/{RID_A}", {"alias": "qa_anna"}),
    ]
    assert f"moves from device/{RID_B}" in dev.reason
    assert plan.touched_devices() == {RID_A, RID_B}
    # The previous owner is touched too, so apply re-reads it before clearing its alias.
    assert set(dev.fingerprints) == {f"device:{RID_A}", f"device:{RID_B}"}


def test_alias_held_by_a_device_that_could_not_be_read_is_a_plan_error() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, alias="qa_anna")]),
        live_state(
            devices=[live_device(RID_A)],
            device_errors={RID_B: "HTTP 404: device not found"},
            alias_owners={"qa_anna": (RID_B,)},
        ),
        now=NOW,
    )
    assert changes(plan, "device") == []
    (problem,) = plan.errors
    assert problem.address == f"device/{RID_A}"
    assert f"held by device/{RID_B}" in problem.message
    assert "device not found" in problem.message


def test_alias_held_by_a_device_whose_read_kept_failing_is_a_warning_for_the_new_holder() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta"}, alias="qa_anna"), device(RID_C, {"beta"})]),
        live_state(
            devices=[live_device(RID_A), live_device(RID_C)],
            unreadable={RID_B: "its read kept failing (HTTP 503)"},
            alias_owners={"qa_anna": (RID_B,)},
        ),
        now=NOW,
    )
    assert plan.errors == []
    (warning,) = plan.warnings
    assert (warning.address, warning.code) == (f"device/{RID_A}", "device_unreadable")
    assert f"held by device/{RID_B}" in warning.message
    assert "HTTP 503" in warning.message
    assert [c.address for c in changes(plan, "device")] == [f"device/{RID_C}"]
    assert RID_A not in plan.touched_devices()  # its tag change is left out of the bulk list too


def test_alias_move_from_a_declared_device_gives_it_its_own_alias_instead_of_clearing() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, alias="qa_anna"), device(RID_B, alias="qa_bob")]),
        live_state(devices=[live_device(RID_A), live_device(RID_B, alias="qa_anna")]),
        now=NOW,
    )
    by_address = {c.address: c for c in changes(plan, "device")}
    a = by_address[f"device/{RID_A}"]
    assert [(r.path, r.body) for r in a.requests] == [
        (f"/v4/devices/{RID_B}", {"alias": "qa_bob"}),
        (f"/v4/devices/{RID_A}", {"alias": "qa_anna"}),
    ]
    assert set(a.fingerprints) == {f"device:{RID_A}", f"device:{RID_B}"}
    b = by_address[f"device/{RID_B}"]
    assert [r.body for r in b.requests] == [{"alias": "qa_bob"}]


def test_unknown_device_is_a_warning_and_left_out_of_every_bulk_list() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta"}), device(RID_B, {"beta"})]),
        live_state(devices=[live_device(RID_B)], device_errors={RID_A: "HTTP 404: not found"}),
        now=NOW,
    )
    assert plan.errors == []
    assert [(w.address, w.code, "HTTP 404" in w.message) for w in plan.warnings] == [
        (f"device/{RID_A}", "unknown_device", True)
    ]
    assert [c.address for c in changes(plan, "device")] == [f"device/{RID_B}"]
    (tag,) = changes(plan, "tag")
    assert [r.body for r in tag.requests] == [{"registration_ids": {"add": [RID_B]}}]
    assert RID_A not in plan.touched_devices()


def test_unknown_device_is_a_plan_error_when_the_project_says_so() -> None:
    plan = diff(
        desired_state(
            devices=[device(RID_A, {"beta"}), device(RID_B, {"beta"})], unknown_devices="error"
        ),
        live_state(devices=[live_device(RID_B)], device_errors={RID_A: "HTTP 404: not found"}),
        now=NOW,
    )
    assert [(p.address, "HTTP 404" in p.message) for p in plan.errors] == [
        (f"device/{RID_A}", True)
    ]
    assert plan.warnings == []


def test_unknown_device_alias_is_left_alone() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, alias="qa_anna")]),
        live_state(device_errors={RID_A: "HTTP 400: not in this app"}),
        now=NOW,
    )
    assert plan.requests == []
    assert not plan.has_mutations
    assert [w.code for w in plan.warnings] == ["unknown_device"]


def test_unreadable_device_is_a_warning_never_converged_and_others_still_plan() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta"}, alias="qa_anna"), device(RID_B, {"beta"})]),
        live_state(
            devices=[live_device(RID_B)],
            unreadable={RID_A: "its read kept failing (HTTP 503)"},
        ),
        now=NOW,
    )
    assert plan.errors == []
    (warning,) = plan.warnings
    assert (warning.address, warning.code) == (f"device/{RID_A}", "device_unreadable")
    assert "HTTP 503" in warning.message
    assert "may still differ" in warning.message
    assert [c.address for c in changes(plan, "device")] == [f"device/{RID_B}"]
    assert RID_A not in plan.touched_devices()


def test_device_that_would_exceed_100_tags_is_a_plan_error() -> None:
    live_tags = {f"sdk_{i}" for i in range(99)}
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta", "gamma"})]),
        live_state(devices=[live_device(RID_A, live_tags)]),
        now=NOW,
    )
    (problem,) = plan.errors
    assert problem.address == f"device/{RID_A}"
    assert "101" in problem.message
    assert "100" in problem.message


def test_device_at_exactly_100_tags_is_fine() -> None:
    live_tags = {f"sdk_{i}" for i in range(99)}
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta"})]),
        live_state(devices=[live_device(RID_A, live_tags)]),
        now=NOW,
    )
    assert plan.errors == []


def test_tag_path_keeps_cjk_readable_and_encodes_reserved_characters() -> None:
    assert path_segment("測試_tag") == "測試_tag"
    assert path_segment("a/b c") == "a%2Fb%20c"
