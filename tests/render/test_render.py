"""Every format of plan, audit and result: golden files, the saved-plan JSON, scrubbed targets.

Regenerate the golden files after an intended output change with
``UPDATE_GOLDEN=1 python -m pytest tests/render/test_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.plan import (
    NOW,
    PLAN_KEY,
    desired_state,
    device,
    live_device,
    live_from,
    live_schedule,
    live_state,
    push,
    representative_plan,
    schedule,
)

from webpush_iac.plan import build_audit, diff, plan_from_data, plan_to_data
from webpush_iac.plan.planfile import sign_data
from webpush_iac.render import OutputFormat, render_audit, render_plan

GOLDEN = Path(__file__).parent / "golden"


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
def test_representative_plan_matches_golden_file(fmt: OutputFormat, name: str) -> None:
    check_golden(name, render_plan(representative_plan(), fmt))


def test_json_output_is_the_saved_plan_format_without_its_signature() -> None:
    plan = representative_plan()
    printed = json.loads(render_plan(plan, "json"))
    assert printed == json.loads(json.dumps(plan_to_data(plan)))
    assert "signature" not in printed  # renderers hold no key: only `plan --out` signs
    assert plan_from_data(sign_data(printed, PLAN_KEY), PLAN_KEY) == plan


def test_empty_plan_says_no_changes() -> None:
    plan = diff(desired_state(), live_state(), now=NOW)
    assert render_plan(plan, "text").splitlines()[-1] == (
        "No changes. Live state matches the manifests."
    )
    assert "**No changes. Live state matches the manifests.**" in render_plan(plan, "markdown")


def test_unknown_format_is_a_config_error() -> None:
    from webpush_iac.errors import ConfigError

    with pytest.raises(ConfigError, match="yaml"):
        render_plan(representative_plan(), "yaml")  # type: ignore[arg-type]  # not a format


def test_target_assigned_after_planning_is_scrubbed_in_every_output() -> None:
    plan = representative_plan()
    plan.target = "https://appkey:s3cr3t@webpushapi-sgp.engagelab.com/?sig=abc"
    for fmt in ("text", "markdown", "json"):
        out = render_plan(plan, fmt)
        assert "s3cr3t" not in out
        assert "sig=abc" not in out
        assert "https://webpushapi-sgp.engagelab.com/" in out


def test_audit_data_and_renderings_agree() -> None:
    want = schedule("digest", payload=push(title="new"))
    report = build_audit(
        desired_state([want], [device("1a0018970a5c6c1", {"beta"})]),
        live_state(
            [live_from(schedule("digest", payload=push(title="old"))), live_schedule("other")],
            [live_device("1a0018970a5c6c1")],
        ),
        now=NOW,
    )
    data = json.loads(render_audit(report, "json"))
    assert data["has_drift"] is True
    assert data["summary"]["drift"] == 2
    assert data["quota"] == {"used": 2, "limit": 1000}
    assert [c["address"] for c in data["unowned"]] == ["schedule/other"]
    md = render_audit(report, "markdown")
    assert "**Drift found.**" in md
    assert "1a0018970a5c6c1" not in md
    text = render_audit(report, "text")
    assert "~ schedule/digest" in text
    assert "Drift found." in text
