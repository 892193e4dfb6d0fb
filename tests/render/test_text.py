"""Terraform-like text: verbose lines, colour only when asked, the summary and apply results."""

from __future__ import annotations

import re

from support.plan import partial_result, representative_plan

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
        text.splitlines()[-1] == "Plan: 2 to create, 3 to update, 3 to delete, 3 devices to change."
    )


def test_result_text_lists_failed_then_not_attempted_then_done() -> None:
    text = render_result(partial_result(), "text")
    assert text.splitlines()[0] == "Apply for acme-web: 1 done, 1 failed, 1 not attempted."
    assert text.index("Failed:") < text.index("Not attempted:") < text.index("Done:")
    assert "POST /v4/schedules (schedule/x) → new-1" in text
    assert "bad alias" in text
