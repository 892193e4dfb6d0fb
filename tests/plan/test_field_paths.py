"""Field paths of what differs: dotted, lists reported whole, nothing for equal values."""

from __future__ import annotations

from webpush_iac.plan.field_paths import field_changes


def test_a_changed_list_is_reported_whole() -> None:
    fields = field_changes(
        {"trigger": {"periodical": {"point": ["MON"]}}},
        {"trigger": {"periodical": {"point": ["MON", "WED"]}}},
    )
    assert [(f.path, f.before, f.after) for f in fields] == [
        ("trigger.periodical.point", ["MON"], ["MON", "WED"])
    ]


def test_field_changes_of_equal_values_is_empty() -> None:
    assert field_changes({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == ()
