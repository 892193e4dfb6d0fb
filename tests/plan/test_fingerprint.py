"""Fingerprints of live objects: equal for equal content, whatever the key or tag order."""

from __future__ import annotations

from webpush_iac.plan import fingerprint_device, fingerprint_schedule
from webpush_iac.state import LiveDevice


def test_schedule_fingerprint_ignores_key_order_but_not_values() -> None:
    raw = {"schedule_id": "s", "name": "n", "push": {"a": 1, "b": [1, 2]}}
    reordered = {"push": {"b": [1, 2], "a": 1}, "name": "n", "schedule_id": "s"}
    assert fingerprint_schedule(raw) == fingerprint_schedule(reordered)
    assert fingerprint_schedule(raw) != fingerprint_schedule({**raw, "name": "m"})


def test_device_fingerprint_treats_tags_as_a_set() -> None:
    a = LiveDevice("r", frozenset({"x", "y"}), "al")
    b = LiveDevice("r", frozenset({"y", "x"}), "al")
    assert fingerprint_device(a) == fingerprint_device(b)
    assert fingerprint_device(a) != fingerprint_device(LiveDevice("r", frozenset({"x"}), "al"))
    assert fingerprint_device(a) != fingerprint_device(LiveDevice("r", a.tags, ""))
