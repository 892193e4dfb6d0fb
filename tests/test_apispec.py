"""API facts with one home: the path-segment encoder and "which devices does this request touch".

A registration id may hold ``:`` and ``.`` (the manifest pattern allows both); inside a request
path they are percent-encoded. Every consumer that counts or masks devices must read the id back,
not the encoded segment, or one device counts as two and escapes masking.
"""

from __future__ import annotations

import json
import re

import pytest
from support.constants import REPO
from support.plan import NOW, desired_state, device, live_device, live_state

from webpush_iac import apispec
from webpush_iac.apispec import (
    device_path,
    segment,
    tag_path,
    touched_registration_ids,
    unsegment,
)
from webpush_iac.apply.result import ApplyResult, RequestOutcome
from webpush_iac.errors import SafetyError
from webpush_iac.plan import Plan, check_safety, diff, plan_to_data
from webpush_iac.render import render_plan, render_result
from webpush_iac.state import ProjectSettings

RID_A = "ab:cd.0001:ef"
RID_B = "ab:cd.0002:ef"


def alias_move_plan() -> Plan:
    """``qa_anna`` moves from RID_B to RID_A: two devices change, nothing else."""
    return diff(
        desired_state(devices=[device(RID_A, alias="qa_anna")]),
        live_state(
            devices=[live_device(RID_A), live_device(RID_B, alias="qa_anna")],
            alias_owners={"qa_anna": (RID_B,)},
        ),
        now=NOW,
    )


@pytest.mark.parametrize("rid", [RID_A, "a.b", "x:y", "a-b_c~d", "测试1"])
def test_segment_round_trips_through_unsegment(rid: str) -> None:
    assert unsegment(segment(rid)) == rid


def test_segment_never_lets_a_value_leave_its_path_segment() -> None:
    assert "/" not in segment("../../_emulator/reset")
    assert ".." not in segment("..")
    with pytest.raises(ValueError):
        segment("")


def test_touched_ids_of_a_device_request_are_decoded() -> None:
    assert touched_registration_ids(device_path(RID_A), {"alias": "x"}) == {RID_A}


def test_touched_ids_of_a_bulk_tag_request_are_its_add_and_remove_lists() -> None:
    body = {"registration_ids": {"add": [RID_A], "remove": [RID_B]}}
    assert touched_registration_ids(tag_path("beta"), body) == {RID_A, RID_B}


def test_an_alias_moving_between_two_colon_ids_touches_two_devices() -> None:
    plan = alias_move_plan()
    assert plan.touched_devices() == {RID_A, RID_B}
    assert plan.summary()["devices"] == 2


def test_safety_counts_a_colon_id_once() -> None:
    plan = alias_move_plan()
    check_safety(plan, ProjectSettings(name="p", max_device_changes=2))  # 2 devices: allowed
    with pytest.raises(SafetyError, match="changes 2 devices"):
        check_safety(plan, ProjectSettings(name="p", max_device_changes=1))


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_and_markdown_plans_count_two_devices(fmt: str) -> None:
    shown = render_plan(alias_move_plan(), fmt)  # type: ignore[arg-type]
    assert "2 devices to change" in shown
    assert "3 devices" not in shown


def test_json_plan_counts_two_devices() -> None:
    data = json.loads(render_plan(alias_move_plan(), "json"))
    assert data["summary"]["devices"] == 2
    assert data == json.loads(json.dumps(plan_to_data(alias_move_plan())))


def test_markdown_plan_masks_colon_ids_raw_and_encoded() -> None:
    shown = render_plan(alias_move_plan(), "markdown")
    for rid in (RID_A, RID_B):
        assert rid not in shown
        assert segment(rid) not in shown
    assert "ab:c…1:ef" in shown or "ab:c…2:ef" in shown


def test_markdown_apply_result_masks_colon_ids_raw_and_encoded() -> None:
    plan = alias_move_plan()
    result = ApplyResult(
        project="p",
        done=[RequestOutcome(c.address, r) for c in plan.changes for r in c.requests],
    )
    shown = render_result(result, "markdown")
    assert result.done  # the plan did send requests
    for rid in (RID_A, RID_B):
        assert rid not in shown
        assert segment(rid) not in shown
    unmasked = render_result(result, "markdown", show_identifiers=True)
    assert segment(RID_B) in unmasked


def test_readme_lists_exactly_the_multi_language_codes_validate_accepts() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("`languages` keys are the API's `multi_language` codes")
    paragraph = readme[start : readme.index("\n\n", start)]
    spans = re.findall(r"`([^`]+)`", paragraph.split("(docs/")[0])
    listed = {code for span in spans for code in span.split()} - {
        "languages",
        "multi_language",
        "_",
        "-",
    }
    assert listed == apispec.MULTI_LANGUAGE_CODES
    assert not set(apispec.DOCUMENTED_LANGUAGES) & set(apispec.BROWSER_LANGUAGES)
