"""The diff at the size the design plans for: 10,000 devices and 1,000 schedules.

No timing assert (CI machines vary); pytest-timeout bounds it and the report's profile numbers come
from running this scenario under cProfile. What is asserted is the shape that keeps apply cheap.
"""

from __future__ import annotations

import copy

from support.plan import (
    NOW,
    desired_state,
    device,
    live_device,
    live_from,
    live_state,
    push,
    schedule,
    single,
)

from webpush_iac.plan import diff
from webpush_iac.state import DesiredState, LiveState


def big_states() -> tuple[DesiredState, LiveState]:
    schedules = [
        schedule(f"s{i:04d}", single(f"2026-12-{1 + i % 28:02d} 09:00:00"), push(title=f"T{i}"))
        for i in range(1000)
    ]
    lives = [live_from(s, schedule_id=f"id{i}") for i, s in enumerate(schedules)]
    # Every tenth live schedule drifted (a different title), in the API's own spelling.
    for i in range(0, 1000, 10):
        payload = copy.deepcopy(lives[i].push)
        payload["body"]["notification"]["web"]["title"] = "drifted"
        lives[i] = type(lives[i])(
            lives[i].schedule_id, lives[i].name, True, lives[i].trigger, payload, lives[i].raw
        )
    rids = [f"{i:016x}" for i in range(10_000)]
    desired = desired_state(schedules, [device(r, {"news", "beta"}) for r in rids])
    live = live_state(lives, [live_device(r, {"news", "sdk_tag"}) for r in rids])
    return desired, live


def test_10000_devices_gaining_one_tag_cost_10_requests_and_drift_is_found() -> None:
    desired, live = big_states()
    plan = diff(desired, live, now=NOW)
    counts = plan.counts()
    assert counts["update"] == 100
    assert counts["noop"] == 900
    assert counts["device"] == 10_000
    (tag,) = [c for c in plan.changes if c.kind == "tag"]
    assert tag.address == "tag/beta"
    assert len(tag.requests) == 10
    assert plan.summary()["requests"] == 110
