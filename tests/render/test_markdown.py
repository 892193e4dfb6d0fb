"""Markdown for pull-request comments: masking, summary and warnings, escaping, the size cap."""

from __future__ import annotations

import json
import re

from support.constants import EXAMPLES
from support.plan import (
    NOW,
    RID_A,
    RID_B,
    RID_C,
    RID_D,
    VIP,
    desired_state,
    device,
    live_device,
    live_state,
    partial_result,
    push,
    representative_plan,
    schedule,
)

from webpush_iac.plan import Plan, build_audit, diff
from webpush_iac.plan.planfile import plan_from_data, sign_plan
from webpush_iac.render import render_audit, render_plan, render_result
from webpush_iac.render.markup import MAX_CHARS


def test_markdown_masks_registration_ids_and_aliases_everywhere() -> None:
    md = render_plan(representative_plan(), "markdown")
    for secret in (RID_A, RID_B, RID_C, RID_D, VIP, "qa_anna"):
        assert secret not in md
    assert "1a00…c6c1" in md
    assert "qa_…" in md
    assert "77aa…c00d" in md


def test_show_identifiers_unmasks_markdown() -> None:
    md = render_plan(representative_plan(), "markdown", show_identifiers=True)
    assert RID_A in md
    assert "qa_anna" in md
    assert VIP in md


def test_markdown_starts_with_the_summary_table_and_warns_about_deletes_and_broadcasts() -> None:
    md = render_plan(representative_plan(), "markdown")
    lines = md.splitlines()
    assert lines[0].startswith("##### webpush-iac plan")
    assert lines[2].startswith("|")
    warning = md[md.index("> [!WARNING]") :].split("\n\n")[0]
    assert "schedule/retired" in warning
    assert "schedule/spring_sale" in warning


def test_markdown_escapes_notification_text() -> None:
    evil = push("</details><script>x</script> @everyone `tick` | pipe", alert="**bold**")
    plan = diff(desired_state([schedule("evil", payload=evil)]), live_state(), now=NOW)
    md = render_plan(plan, "markdown")
    # Inside a code span (fenced with more backticks than it holds) markup is inert.
    assert "- title: ``</details><script>x</script> @everyone `tick` | pipe``" in md
    assert md.count("</details><script>") == 1
    assert not any(line.startswith("</details><script>") for line in md.splitlines())
    assert "- alert: `**bold**`" in md


def test_markdown_is_capped_with_a_note_counting_what_was_left_out() -> None:
    rids = [f"{i:016x}" for i in range(5000)]
    plan = diff(
        desired_state([], [device(r, {"beta"}) for r in rids]),
        live_state(devices=[live_device(r) for r in rids]),
        now=NOW,
    )
    md = render_plan(plan, "markdown")
    assert len(md) <= MAX_CHARS
    match = re.search(r"(\d+) changes of 5001 left out", md)
    assert match is not None
    shown_rows = len(re.findall(r"^\| `", md, flags=re.MULTILINE))  # device rows (+ tag row)
    assert int(match.group(1)) == 5001 - shown_rows
    assert "--format text" in md


def test_small_markdown_has_no_truncation_note() -> None:
    assert "truncated" not in render_plan(representative_plan(), "markdown")


def test_result_markdown_masks_identifiers_and_json_round_trips() -> None:
    md = render_result(partial_result(), "markdown")
    assert RID_A not in md
    assert "partially failed" in md
    data = json.loads(render_result(partial_result(), "json"))
    assert data["summary"] == {"done": 1, "failed": 1, "not_attempted": 1}
    assert data["ok"] is False


def test_markdown_puts_plan_warnings_in_the_warning_block_with_ids_masked() -> None:
    md = render_plan(representative_plan(), "markdown")
    block = md[md.index("> [!WARNING]") : md.index("<details>")]
    assert "**2 warnings:**" in block
    assert "`past_absent_unknown` `schedule/launch`" in block
    assert "`unknown_device` `device/9e8d…f3e2`" in block
    assert RID_D not in md
    assert "| unknown devices | 1 |" in md


def test_markdown_warning_block_appears_for_warnings_alone() -> None:
    plan = diff(
        desired_state(devices=[device(RID_A, {"beta"})]),
        live_state(unreadable={RID_A: "its read kept failing (HTTP 503)"}),
        now=NOW,
    )
    md = render_plan(plan, "markdown")
    assert "> [!WARNING]" in md
    assert "`device_unreadable`" in md
    assert "| unreadable devices | 1 |" in md
    assert "Live state matches" not in md


def test_json_plan_carries_a_top_level_warnings_list() -> None:
    data = json.loads(render_plan(representative_plan(), "json"))
    assert [(w["address"], w["code"]) for w in data["warnings"]] == [
        (f"device/{RID_D}", "unknown_device"),
        ("schedule/launch", "past_absent_unknown"),
    ]
    assert set(data["warnings"][0]) == {"address", "code", "message"}


def alias_change(before: str, after: str) -> Plan:
    return diff(
        desired_state([], [device(RID_A, alias=after)]),
        live_state(devices=[live_device(RID_A, alias=before)]),
        now=NOW,
    )


def test_a_masked_alias_change_stays_visible_and_an_equal_value_keeps_its_tag() -> None:
    plan = alias_change("qa_anna", "qa_annb")
    (row,) = [line for line in render_plan(plan, "markdown").splitlines() if "→" in line]
    before, after = re.findall(r'"(qa_…#[0-9a-f]{6})"', row)
    assert before != after  # the reviewer sees that it changes
    assert "qa_anna" not in row
    assert "qa_annb" not in row
    again = render_plan(plan, "markdown")
    assert f'"{before}" → "{after}"' in again  # one plan, one tag per value
    other = alias_change("qa_anna", "qa_annb")
    assert f'"{before}"' not in render_plan(other, "markdown")  # another plan, another key


def test_the_alias_tag_key_is_never_saved_so_no_reader_can_recompute_a_tag() -> None:
    plan = alias_change("qa_anna", "qa_annb")
    plan.target = "https://webpushapi-sgp.engagelab.com"
    saved = json.dumps(sign_plan(plan, b"signing-key"))
    assert plan.mask_key.hex() not in saved
    assert "mask" not in saved
    loaded = plan_from_data(json.loads(saved), b"signing-key")
    assert loaded.mask_key != plan.mask_key  # a plan read back gets a key of its own


def test_a_delete_shows_the_trigger_audience_and_title_of_what_it_deletes() -> None:
    md = render_plan(representative_plan(), "markdown")
    block = md[md.index("<code>- delete</code> schedule/retired") :].split("</details>")[0]
    assert "- trigger: single at 2026-12-01 09:00:00 (zone_type 1)" in block
    assert "- to: tag digest" in block
    assert '- title: "Weekly digest"' in block


def test_the_headline_of_a_plan_with_errors_says_so_instead_of_no_changes() -> None:
    plan = diff(
        desired_state([], [device(RID_A, {"beta"})], unknown_devices="error"),
        live_state(device_errors={RID_A: "HTTP 404: device not found"}),
        now=NOW,
    )
    assert plan.errors
    assert not plan.has_mutations
    md = render_plan(plan, "markdown")
    assert "No changes" not in md
    assert "**This plan has 1 error and cannot be applied.**" in md
    text = render_plan(plan, "text")
    assert "No changes" not in text
    assert text.splitlines()[-1] == "This plan has 1 error and cannot be applied."


def _wrapper_levels() -> set[int]:
    """Heading levels the shipped CI templates put above webpush-iac's markdown."""
    levels: set[int] = set()
    for path in (EXAMPLES / "ci").rglob("*.yml"):
        levels.update(len(m) for m in re.findall(r'echo "(#+) ', path.read_text(encoding="utf-8")))
    return levels


def test_headings_nest_under_the_ci_templates_wrapper_heading() -> None:
    wrapper = max(_wrapper_levels())
    assert wrapper == 4  # the plan comment's "#### webpush-iac plan for ..."
    plan = representative_plan()
    outputs = [
        render_plan(plan, "markdown"),
        render_audit(build_audit(desired_state([]), live_state(), now=NOW), "markdown"),
        render_result(partial_result(), "markdown"),
    ]
    for md in outputs:
        levels = [len(m) for m in re.findall(r"^(#+) ", md, flags=re.MULTILINE)]
        assert levels
        assert min(levels) > wrapper
