"""Terraform-like text: verbose lines, colour only when asked, the summary and apply results."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from support.plan import (
    NOW,
    RID_A,
    RID_D,
    desired_state,
    device,
    live_state,
    partial_result,
    representative_plan,
)

from webpush_iac.apply.result import ApplyResult
from webpush_iac.plan import Plan, diff
from webpush_iac.render import render_plan, render_result


def test_verbose_text_lists_unchanged_schedules() -> None:
    plan = representative_plan()
    assert "= schedule/steady" not in render_plan(plan, "text")
    assert "= schedule/steady" in render_plan(plan, "text", verbose=True)


def test_ansi_colour_only_when_asked() -> None:
    plan = representative_plan()
    assert "\x1b[" not in render_plan(plan, "text")
    coloured = render_plan(plan, "text", color=True)
    assert "\x1b[32m+\x1b[0m schedule/spring_sale" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_plan(plan, "text")


def test_text_summary_line_counts_replace_as_create_and_delete() -> None:
    text = render_plan(representative_plan(), "text")
    assert (
        text.splitlines()[-1]
        == "Plan: 2 to create, 3 to update, 3 to delete, 3 devices to change. "
        "1 unknown device left out."
    )


def test_result_text_lists_failed_then_not_attempted_then_done() -> None:
    text = render_result(partial_result(), "text")
    assert text.splitlines()[0] == "Apply for acme-web: 1 done, 1 failed, 1 not attempted."
    assert text.index("Failed:") < text.index("Not attempted:") < text.index("Done:")
    assert "POST /v4/schedules (schedule/x) → new-1" in text
    assert "bad alias" in text


def stopped_result() -> ApplyResult:
    result = partial_result()
    done = result.done[0]
    result.done[0] = replace(done, note="the journal lacks this outcome: cannot write the journal")
    result.stopped = "SIGTERM"
    result.warnings.append("the journal j.jsonl is incomplete (File too large)")
    return result


def test_a_stopped_run_its_warnings_and_notes_are_in_every_format() -> None:
    result = stopped_result()
    text = render_result(result, "text")
    assert text.splitlines()[1:3] == [
        "Stopped by SIGTERM: no request started after it.",
        "Warning: the journal j.jsonl is incomplete (File too large)",
    ]
    assert "→ new-1 [the journal lacks this outcome: cannot write the journal]" in text
    md = render_result(result, "markdown")
    assert "> stopped by SIGTERM: no request started after it" in md
    assert "> the journal j.jsonl is incomplete (File too large)" in md
    assert "(the journal lacks this outcome: cannot write the journal)" in md
    data = json.loads(render_result(result, "json"))
    assert data["stopped"] == "SIGTERM"
    assert data["warnings"] == ["the journal j.jsonl is incomplete (File too large)"]
    assert data["done"][0]["note"].startswith("the journal lacks this outcome")


def _plan_with_unknown_device() -> Plan:
    return diff(
        desired_state(devices=[device(RID_A, {"beta"})]),
        live_state(device_errors={RID_A: "the API does not know this device (HTTP 404)"}),
        now=NOW,
    )


def test_text_lists_warnings_with_their_codes_in_a_warnings_block() -> None:
    lines = render_plan(representative_plan(), "text").splitlines()
    start = lines.index("Warnings (2):")
    assert lines[start + 1].startswith(f"  unknown_device       device/{RID_D}: ")
    assert lines[start + 2].startswith("  past_absent_unknown  schedule/launch: ")


def test_a_plan_with_only_warnings_never_says_live_state_matches() -> None:
    text = render_plan(_plan_with_unknown_device(), "text")
    assert "matches" not in text
    assert text.splitlines()[-1] == (
        "No changes to apply, but see the 1 warning: live state may still differ where they say."
        " 1 unknown device left out."
    )
    assert f"unknown_device  device/{RID_A}" in text
