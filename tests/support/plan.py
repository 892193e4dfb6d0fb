"""Small builders of DesiredState / LiveState for the plan, apply, render and audit tests.

The live side is built the way the API echoes a schedule back (``schedule_id``, ``raw``), so the
tests exercise the same normalisation a real read goes through. :func:`mixed_plan` and
:func:`representative_plan` are finished plans for the tests of what consumes one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from support.constants import APP_KEY, MASTER_SECRET
from webpush_iac.apply.result import ApplyResult, RequestOutcome
from webpush_iac.plan import ApiRequest, Change, Plan, diff, plan_signing_key, sign_plan
from webpush_iac.state import (
    DesiredDevice,
    DesiredSchedule,
    DesiredState,
    LiveDevice,
    LiveSchedule,
    LiveState,
    ProjectSettings,
    TagPolicy,
)

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
PREFIX = "iac_"
# The key saved plans are signed with for the test credentials (what `plan --out` would use).
PLAN_KEY = plan_signing_key(APP_KEY, MASTER_SECRET)


def push(
    title: str = "Weekly digest",
    *,
    to: Any = None,
    alert: str = "Your digest is ready",
    url: str = "https://example.com/digest",
    ttl: int | None = 3600,
    languages: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if ttl is not None:
        options["time_to_live"] = ttl
    if languages:
        options["multi_language"] = languages
    body: dict[str, Any] = {
        "platform": "web",
        "notification": {"web": {"title": title, "alert": alert, "url": url}},
    }
    if options:
        body["options"] = options
    return {"from": "push", "to": to if to is not None else {"tag": ["digest"]}, "body": body}


def single(time: str = "2026-12-01 09:00:00", zone_type: int | None = 1) -> dict[str, Any]:
    spec: dict[str, Any] = {"time": time}
    if zone_type is not None:
        spec["zone_type"] = zone_type
    return {"single": spec}


def periodical(
    *,
    time: str = "09:00:00",
    unit: str = "week",
    point: Sequence[str | int] | None = None,  # the API may echo month points as numbers
    start: str = "2026-01-01 00:00:00",
    end: str = "2026-12-31 23:59:59",
    frequency: int = 1,
    zone_type: int | None = 1,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "start": start,
        "end": end,
        "time": time,
        "time_unit": unit,
        "frequency": frequency,
    }
    if point is not None:
        spec["point"] = point
    elif unit == "week":
        spec["point"] = ["MON"]
    if zone_type is not None:
        spec["zone_type"] = zone_type
    return {"periodical": spec}


def intelligent(backup_time: str = "2026-12-01 09:00:00") -> dict[str, Any]:
    return {"intelligent": {"backup_time": backup_time}}


def schedule(
    name: str,
    trigger: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    *,
    enabled: bool = True,
    prefix: str = PREFIX,
    renamed_from: str | None = None,
) -> DesiredSchedule:
    return DesiredSchedule(
        name=name,
        live_name=prefix + name,
        enabled=enabled,
        trigger=trigger if trigger is not None else single(),
        push=payload if payload is not None else push(),
        renamed_from=renamed_from,
    )


def live_schedule(
    name: str,
    trigger: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    *,
    schedule_id: str | None = None,
    enabled: bool = True,
) -> LiveSchedule:
    """A live schedule with its API ``raw`` form; ``name`` is the live name."""
    trig = copy.deepcopy(trigger if trigger is not None else single())
    body = copy.deepcopy(payload if payload is not None else push())
    sid = schedule_id or f"id-{name}"
    raw = {"schedule_id": sid, "name": name, "enabled": enabled, "trigger": trig, "push": body}
    return LiveSchedule(
        schedule_id=sid, name=name, enabled=enabled, trigger=trig, push=body, raw=raw
    )


def live_from(desired: DesiredSchedule, schedule_id: str | None = None) -> LiveSchedule:
    """The live copy a converged system would hold for ``desired``."""
    return live_schedule(
        desired.live_name,
        desired.trigger,
        desired.push,
        schedule_id=schedule_id,
        enabled=desired.enabled,
    )


def device(
    rid: str,
    tags: set[str] | frozenset[str] = frozenset(),
    *,
    forbidden: set[str] | frozenset[str] = frozenset(),
    alias: str | None = None,
) -> DesiredDevice:
    return DesiredDevice(
        registration_id=rid,
        tags=frozenset(tags),
        forbidden_tags=frozenset(forbidden),
        alias=alias,
    )


def live_device(
    rid: str, tags: set[str] | frozenset[str] = frozenset(), alias: str = ""
) -> LiveDevice:
    return LiveDevice(registration_id=rid, tags=frozenset(tags), alias=alias)


def desired_state(
    schedules: Sequence[DesiredSchedule] = (),
    devices: Sequence[DesiredDevice] = (),
    *,
    tags: dict[str, str] | None = None,
    baseline: Sequence[str] | None = None,
    **project: Any,
) -> DesiredState:
    """``tags`` maps tag name to mode; tags named by devices default to exact, as the loader does.
    ``baseline``: the schedule names declared at ``--baseline`` (None: no baseline)."""
    modes = dict(tags or {})
    for d in devices:
        for t in d.tags | d.forbidden_tags:
            modes.setdefault(t, "exact")
    return DesiredState(
        project=ProjectSettings(name=project.pop("name", "acme-web"), **project),
        schedules={s.name: s for s in schedules},
        devices={d.registration_id: d for d in devices},
        tags={t: TagPolicy(t, mode) for t, mode in modes.items()},  # type: ignore[arg-type]
        baseline_schedules=frozenset(baseline) if baseline is not None else None,
    )


def live_state(
    schedules: Sequence[LiveSchedule] = (),
    devices: Sequence[LiveDevice] = (),
    *,
    device_errors: dict[str, str] | None = None,
    unreadable: dict[str, str] | None = None,
    alias_owners: dict[str, tuple[str, ...]] | None = None,
) -> LiveState:
    return LiveState(
        schedules=tuple(schedules),
        devices={d.registration_id: d for d in devices},
        device_errors=device_errors or {},
        unreadable_devices=unreadable or {},
        alias_owners=alias_owners or {},
    )


def mixed_plan() -> Plan:
    """A small plan with a create, an update, a delete, a device tag change and an alias move."""
    keep = schedule("keep", payload=push(title="new"))
    return diff(
        desired_state(
            [schedule("new", enabled=False), keep],
            [device("rid000000000001", {"beta"}, alias="qa_anna")],
            prune_schedules=True,
        ),
        live_state(
            [live_from(schedule("keep", payload=push(title="old"))), live_schedule("iac_gone")],
            [
                live_device("rid000000000001", {"old"}),
                live_device("rid000000000002", alias="qa_anna"),
            ],
            alias_owners={"qa_anna": ("rid000000000002",)},
        ),
        now=NOW,
        target="https://webpushapi-sgp.engagelab.com",
    )


# --- a plan with one of everything, for the renderers ----------------------------------------------

RID_A = "1a0018970a5c6c1"
RID_B = "1a0018970a5c7d2"
RID_C = "0f3c5e7a9b1d2c4"
RID_D = "9e8d7c6b5a4f3e2"
VIP = "77aa88bb99cc00d"


MASK_KEY = b"golden-mask-key"


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
        # Two stale copies: neither matches the manifest, so the lowest id is kept and updated.
        live_from(schedule("dup", single("2026-07-01 09:00:00"), push("Duplicate")), "d-1"),
        live_from(schedule("dup", single("2026-07-01 09:00:00"), push("Duplicate")), "d-2"),
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
            [
                live_device(RID_A, {"old_beta", "sdk_lang_en"}),
                live_device(RID_B, alias="qa_anna"),  # read because it holds the alias
                live_device(RID_C, {"beta"}),
            ],
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
    plan.mask_key = MASK_KEY  # golden files need the alias tags to be the same on every run
    return plan


def saved(plan: Plan) -> dict[str, Any]:
    """The saved-plan document ``plan --out`` writes for the test credentials, read back."""
    return json.loads(json.dumps(sign_plan(plan, PLAN_KEY)))  # type: ignore[no-any-return]


def _order(change: Change) -> tuple[int, str]:
    from webpush_iac.plan.model import _order_key

    return _order_key(change)


def partial_result() -> ApplyResult:
    """An apply that created one schedule, failed on an alias and never reached a delete."""
    post = ApiRequest("POST", "/v4/schedules", {"name": "iac_x"}, "schedule.create")
    alias = ApiRequest("POST", f"/v4/devices/{RID_A}", {"alias": "qa_anna"}, "device.update")
    delete = ApiRequest("DELETE", "/v4/schedules/r-1", None, "schedule.delete")
    return ApplyResult(
        project="acme-web",
        done=[RequestOutcome("schedule/x", post, created_id="new-1")],
        failed=[RequestOutcome(f"device/{RID_A}", alias, error="HTTP 400 code 21003: bad alias")],
        not_attempted=[RequestOutcome("schedule/retired", delete)],
    )
