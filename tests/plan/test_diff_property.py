"""Property: a converged system is a fixpoint — diff(desired, live built from desired) sends nothing.

The live side is built the way the API may echo things back (other case, other order, defaults
filled, server fields added, null placeholders, unmanaged tags on devices), which is exactly where a
reconciler produces phantom updates that re-send pushes or churn tags on every run.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.plan import NOW, desired_state, device, live_device, live_schedule, live_state

from webpush_iac.plan import diff
from webpush_iac.state import DesiredSchedule, DesiredState, LiveState

WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
tag_names = st.sampled_from(["beta", "qa", "news", "vip", "team_a", "team_b"])
future_days = st.integers(min_value=2, max_value=300)
clock = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)).map(
    lambda t: f"{t[0]:02d}:{t[1]:02d}:{t[2]:02d}"
)


def _date(days: int) -> str:
    from datetime import timedelta

    return (NOW + timedelta(days=days)).strftime("%Y-%m-%d")


zone_types = st.sampled_from([None, 1, 2])


@st.composite
def triggers(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["single", "periodical", "intelligent"]))
    if kind == "intelligent":
        return {"intelligent": {"backup_time": f"{_date(draw(future_days))} {draw(clock)}"}}
    zone = draw(zone_types)
    if kind == "single":
        spec: dict[str, Any] = {"time": f"{_date(draw(future_days))} {draw(clock)}"}
    else:
        unit = draw(st.sampled_from(["day", "week", "month"]))
        spec = {
            "start": "2026-01-01 00:00:00",
            "end": f"{_date(draw(future_days))} 23:59:59",
            "time": draw(clock),
            "time_unit": unit,
            "frequency": draw(st.integers(1, 100)),
        }
        if unit == "week":
            spec["point"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True))
        elif unit == "month":
            days = draw(st.lists(st.integers(1, 31), min_size=1, unique=True))
            spec["point"] = [f"{d:02d}" for d in days]
    if zone is not None:
        spec["zone_type"] = zone
    return {kind: spec}


@st.composite
def pushes(draw: st.DrawFn) -> dict[str, Any]:
    to: Any = draw(
        st.one_of(
            st.just("all"),
            st.builds(lambda t: {"tag": t}, st.lists(tag_names, min_size=1, unique=True)),
        )
    )
    web = {"title": draw(st.text(max_size=20)), "alert": draw(st.text(min_size=1, max_size=20))}
    web["url"] = "https://example.com/" + draw(st.from_regex(r"[a-z]{0,6}", fullmatch=True))
    body: dict[str, Any] = {"platform": "web", "notification": {"web": web}}
    ttl = draw(st.one_of(st.none(), st.integers(0, 1_296_000)))
    if ttl is not None:
        body["options"] = {"time_to_live": ttl}
    return {"from": "push", "to": to, "body": body}


def echo(schedule: DesiredSchedule, draw: st.DrawFn, i: int) -> Any:
    """What the API might return for a schedule created from ``schedule``."""
    trigger = copy.deepcopy(schedule.trigger)
    kind, spec = next(iter(trigger.items()))
    if kind in ("single", "periodical") and "zone_type" not in spec and draw(st.booleans()):
        spec["zone_type"] = draw(st.sampled_from([1, "1"]))
    if "time_unit" in spec:
        spec["time_unit"] = draw(st.sampled_from([str.upper, str.title, str.lower]))(
            spec["time_unit"]
        )
    if "point" in spec:
        points = list(reversed(spec["point"]))
        spec["point"] = [p.lower() if p in WEEKDAYS else p.lstrip("0") or p for p in points]
    if draw(st.booleans()):
        trigger.update({k: None for k in ("single", "periodical", "intelligent") if k != kind})
    payload = copy.deepcopy(schedule.push)
    payload["request_id"] = f"srv{i}"
    payload["msg_id"] = str(i)
    options = payload["body"].setdefault("options", {})
    options.setdefault("time_to_live", 86400)
    if isinstance(payload["to"], dict):
        payload["to"] = {k: list(reversed(v)) for k, v in payload["to"].items()}
    return live_schedule(
        schedule.live_name, trigger, payload, schedule_id=f"id{i}", enabled=schedule.enabled
    )


@st.composite
def converged(draw: st.DrawFn) -> tuple[DesiredState, LiveState]:
    from support.plan import schedule as make_schedule

    schedule_names = draw(st.lists(names, max_size=6, unique=True))
    schedules = [
        make_schedule(n, draw(triggers()), draw(pushes()), enabled=draw(st.booleans()))
        for n in schedule_names
    ]
    lives = [echo(s, draw, i) for i, s in enumerate(schedules)]
    lives += [
        live_schedule(f"ext_{n}", schedule_id=f"u{n}") for n in draw(st.lists(names, max_size=3))
    ]
    lives = draw(st.permutations(lives))

    devices, live_devices = [], []
    aliases = iter(f"alias_{i}" for i in range(100))
    for i in range(draw(st.integers(0, 5))):
        rid = f"rid{i:08d}"
        tags = set(draw(st.lists(tag_names, unique=True, max_size=4)))
        alias = draw(st.sampled_from([None, "", next(aliases)]))
        devices.append(device(rid, tags, alias=alias))
        unmanaged = set(draw(st.lists(st.sampled_from(["sdk_x", "sdk_y", "loose"]), unique=True)))
        live_alias = alias if alias is not None else draw(st.sampled_from(["", "sdk_alias"]))
        live_devices.append(live_device(rid, tags | unmanaged, alias=live_alias or ""))
    desired = desired_state(
        schedules,
        devices,
        tags={"loose": "additive"},
        prune_schedules=draw(st.booleans()),
        timezone=draw(st.sampled_from(["UTC", "Asia/Singapore", "America/Los_Angeles"])),
    )
    return desired, live_state(lives, live_devices)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(converged())
def test_converged_state_is_a_fixpoint_of_diff(states: tuple[DesiredState, LiveState]) -> None:
    desired, live = states
    plan = diff(desired, live, now=NOW)
    assert [c.address for c in plan.changes if c.mutating] == []
    assert plan.errors == []
    assert not plan.has_mutations
