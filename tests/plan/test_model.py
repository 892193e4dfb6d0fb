"""The Plan model: counts, the summary, mutations and errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.plan import NOW, mixed_plan

from webpush_iac.errors import PlanError
from webpush_iac.plan import Change, Plan, PlanProblem


def test_counts_summary_and_has_mutations() -> None:
    plan = mixed_plan()
    counts = plan.counts()
    assert (counts["create"], counts["update"], counts["delete"], counts["device"]) == (1, 1, 1, 1)
    assert counts["tag"] == 1  # beta gains the device; "old" is not managed, so it stays
    assert plan.summary() == {"create": 1, "update": 1, "delete": 1, "devices": 2, "requests": 7}
    assert plan.has_mutations


def test_plan_with_only_informational_changes_has_no_mutations() -> None:
    plan = Plan(project="p", created_at=NOW, changes=[Change("schedule/x", "orphan")])
    assert not plan.has_mutations
    assert plan.not_after == NOW + timedelta(hours=24)


def test_raise_for_errors_lists_every_problem() -> None:
    plan = Plan(
        project="p",
        created_at=NOW,
        errors=[PlanProblem("device/b", "too many tags"), PlanProblem("device/a", "unreadable")],
    )
    with pytest.raises(PlanError) as info:
        plan.raise_for_errors()
    assert "2 errors" in str(info.value)
    assert str(info.value).index("device/a") < str(info.value).index("device/b")
