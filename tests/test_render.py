"""Renderers: golden files for every format, colour, masking, escaping and the markdown size cap.

Regenerate the golden files after an intended output change with
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from plan_builders import (
    NOW,
    desired_state,
    device,
    live_device,
    live_from,
    live_schedule,
    live_state,
    periodical,
    push,
    schedule,
    single,
)

from webpush_iac.apply.result import ApplyResult, RequestOutcome
from webpush_iac.plan import ApiRequest, Change, Plan, diff, plan_from_data, plan_to_data
from webpush_iac.render import render_plan, render_result
from webpush_iac.render.markup import MAX_CHARS

GOLDEN = Path(__file__).parent / "golden" / "plan"
RID_A = "1a0018970a5c6c1"
RID_B = "1a0018970a5c7d2"
RID_C = "0f3c5e7a9b1d2c4"
RID_D = "9e8d7c6b5a4f3e2"
VIP = "77aa88bb99cc00d"


def representative_plan() -> Plan:
    """One of everything: create, update, replace, delete, conflict, fired, expired, orphan,
    unowned, noop, device tag add/remove, an alias move and an unreadable device."""
    weekly = periodical(point=["MON", "THU"], start="2026-01-01 00:00:00")
    desired = [
        schedule(
            "spring_sale",
            single("2026-06-10 10:00:00"),
            push(
                "Spring sale",
                to="all",
                alert="Everything -20% until Sunday",
                url="https://example.com/sale",
                languages={"fr": {"title": "Soldes", "content": "Tout à -20%"}},
            ),
            enabled=False,
        ),
        schedule("weekly_digest", weekly, push("Weekly digest #2")),
        schedule(
            "vip_note", single("2026-06-20 08:00:00"), push("VIP", to={"registration_id": [VIP]})
        ),
        schedule("flash", periodical(unit="day", point=None)),
        schedule("launch", single("2026-05-01 09:00:00")),
        schedule("old_series", periodical(start="2025-01-01 00:00:00", end="2025-12-31 23:59:59")),
        schedule("dup", single("2026-07-01 09:00:00"), push("Duplicate fixed")),
        schedule("steady", single("2026-08-01 09:00:00")),
    ]
    by_name = {s.name: s for s in desired}
    live = [
        live_from(
            schedule("weekly_digest", periodical(point=["mon"]), push("Weekly digest")), "w-1"
        ),
        live_from(
            schedule("vip_note", single("2026-06-20 08:00:00"), push("VIP", to={"tag": ["vip"]})),
            "v-1",
        ),
        live_from(schedule("flash", single("2026-06-05 12:00:00")), "f-1"),
        live_from(schedule("dup", single("2026-07-01 09:00:00"), push("Duplicate")), "d-1"),
        live_from(by_name["dup"], "d-2"),
        live_from(by_name["steady"], "s-1"),
        live_schedule("iac_retired", schedule_id="r-1"),
        live_schedule("marketing_blast", schedule_id="m-1"),
    ]
    devices = [
        device(RID_A, {"beta", "qa_team"}, alias="qa_anna"),
        device(RID_C, forbidden={"beta"}),
        device(RID_D, {"beta"}),
    ]
    state = desired_state(
        desired,
        devices,
        tags={"old_beta": "exact"},
        timezone="Asia/Singapore",
        prune_schedules=True,
    )
    plan = diff(
        state,
        live_state(
            live,
            [live_device(RID_A, {"old_beta", "sdk_lang_en"}), live_device(RID_C, {"beta"})],
            device_errors={RID_D: f"GET /v4/devices/{RID_D}: HTTP 404: device not found"},
            alias_owners={"qa_anna": (RID_B,)},
        ),
        now=NOW,
        target="https://webpushapi-sgp.engagelab.com",
    )
    # An orphan needs prune off; take it from a second diff of the same project.
    orphan_plan = diff(
        desired_state([], timezone="Asia/Singapore"),
        live_state([live_schedule("iac_legacy", schedule_id="l-1")]),
        now=NOW,
    )
    plan.changes = sorted([*plan.changes, *orphan_plan.changes], key=_order)
    return plan


def _order(change: Change) -> tuple[int, str]:
    from webpush_iac.plan.model import _order_key

    return _order_key(change)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1"
    assert text + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "name"), [("text", "plan.txt"), ("markdown", "plan.md"), ("json", "plan.json")]
)
def test_representative_plan_matches_golden_file(fmt: str, name: str) -> None:
    check_golden(name, render_plan(representative_plan(), fmt))


def test_verbose_text_lists_unchanged_schedules() -> None:
    plan = representative_plan()
    assert "= schedule/steady" not in render_plan(plan, "text")
    assert "= schedule/steady" in render_plan(plan, "text", verbose=True)


def test_json_output_is_the_saved_plan_format() -> None:
    plan = representative_plan()
    assert json.loads(render_plan(plan, "json")) == json.loads(json.dumps(plan_to_data(plan)))
    assert plan_from_data(json.loads(render_plan(plan, "json"))) == plan


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


def test_empty_plan_says_no_changes() -> None:
    plan = diff(desired_state(), live_state(), now=NOW)
    assert render_plan(plan, "text").splitlines()[-1] == (
        "No changes. Live state matches the manifests."
    )
    assert "**No changes.**" in render_plan(plan, "markdown")


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
    assert lines[0].startswith("### webpush-iac plan")
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


def result_fixture() -> ApplyResult:
    post = ApiRequest("POST", "/v4/schedules", {"name": "iac_x"}, "schedule.create")
    alias = ApiRequest("POST", f"/v4/devices/{RID_A}", {"alias": "qa_anna"}, "device.update")
    delete = ApiRequest("DELETE", "/v4/schedules/r-1", None, "schedule.delete")
    return ApplyResult(
        project="acme-web",
        done=[RequestOutcome("schedule/x", post, created_id="new-1")],
        failed=[RequestOutcome(f"device/{RID_A}", alias, error="HTTP 400 code 21003: bad alias")],
        not_attempted=[RequestOutcome("schedule/retired", delete)],
    )


def test_result_text_lists_failed_then_not_attempted_then_done() -> None:
    text = render_result(result_fixture(), "text")
    assert text.splitlines()[0] == "Apply for acme-web: 1 done, 1 failed, 1 not attempted."
    assert text.index("Failed:") < text.index("Not attempted:") < text.index("Done:")
    assert "POST /v4/schedules (schedule/x) → new-1" in text
    assert "bad alias" in text


def test_result_markdown_masks_identifiers_and_json_round_trips() -> None:
    md = render_result(result_fixture(), "markdown")
    assert RID_A not in md
    assert "partially failed" in md
    data = json.loads(render_result(result_fixture(), "json"))
    assert data["summary"] == {"done": 1, "failed": 1, "not_attempted": 1}
    assert data["ok"] is False


def test_unknown_format_is_a_config_error() -> None:
    from webpush_iac.errors import ConfigError

    with pytest.raises(ConfigError, match="yaml"):
        render_plan(representative_plan(), "yaml")


def test_target_assigned_after_planning_is_scrubbed_in_every_output() -> None:
    plan = representative_plan()
    plan.target = "https://appkey:s3cr3t@webpushapi-sgp.engagelab.com/?sig=abc"
    for fmt in ("text", "markdown", "json"):
        out = render_plan(plan, fmt)
        assert "s3cr3t" not in out
        assert "sig=abc" not in out
        assert "https://webpushapi-sgp.engagelab.com/" in out
