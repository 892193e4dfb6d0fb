"""Compare desired and live state and produce a :class:`~webpush_iac.plan.Plan` (pure).

Like pip-tools' ``sync.diff``, this only decides; ``apply`` acts. Schedules are paired by their live
name (prefix + ``metadata.name``); both sides are normalised (``normalize``) and compared with ``==``
first, and deepdiff — the only importer of it in the package — is asked for field paths only for the
pairs that differ, because it is far too slow to run on thousands of equal pairs.

Clock rules: ``now`` is passed in (callers use the API's clock when they have it). A one-shot schedule
whose fire time has passed is ``fired`` and never re-created — the API drops fired tasks from its list,
so re-creating "missing" ones would re-send the push on every apply. A periodical whose end has passed
is ``expired``. Both are left alone even when a live copy still differs (the API refuses to update an
expired task).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from deepdiff import DeepDiff

from webpush_iac.apispec import SCHEDULE_QUOTA, SCHEDULES, safe_target, schedule_path
from webpush_iac.diff_devices import diff_devices
from webpush_iac.normalize import (
    lifecycle,
    normalize_desired,
    normalize_live,
    notification_preview,
)
from webpush_iac.plan import (
    CREATED_ID,
    PLAN_TTL,
    ApiRequest,
    Change,
    FieldChange,
    Plan,
    PlanProblem,
    fingerprint_schedule,
)
from webpush_iac.state import JSON, DesiredSchedule, DesiredState, LiveSchedule, LiveState
from webpush_iac.times import fire_time, project_zone


def diff(desired: DesiredState, live: LiveState, now: datetime, *, target: str = "") -> Plan:
    """Everything that differs, as an ordered plan with its requests, errors and deadline.

    ``now`` must be timezone-aware (a naive value is taken as UTC). ``target`` is the API base URL
    shown in the plan; any credentials or query in it are dropped.
    """
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    zone = project_zone(desired.project.timezone)
    schedule_changes, owned_count, deadlines = _diff_schedules(desired, live, zone, now)
    device_changes, problems = diff_devices(desired, live)
    problems.extend(_moved_into_the_past(schedule_changes, live, zone, now))
    not_after = min([now + PLAN_TTL, *deadlines])
    plan = Plan(
        project=desired.project.name,
        created_at=now,
        changes=[*device_changes, *schedule_changes],
        errors=problems,
        target=safe_target(target),
        not_after=max(not_after, now),
        owned_live_count=owned_count,
        live_schedule_count=len(live.schedules),
    )
    after = plan.schedules_after_apply()
    if after > SCHEDULE_QUOTA:
        summary = plan.summary()
        plan.errors.append(
            PlanProblem(
                "schedules",
                f"{after} valid schedules after apply (live {plan.live_schedule_count} "
                f"- {summary['delete']} deleted + {summary['create']} created), above the API "
                f"limit of {SCHEDULE_QUOTA} per AppKey",
            )
        )
        plan.errors.sort()
    return plan


def _moved_into_the_past(
    changes: list[Change], live: LiveState, zone: ZoneInfo, now: datetime
) -> list[PlanProblem]:
    """A live task still to come whose desired time has already passed would send at its OLD time.

    That is almost always an edit mistake (a past date typed into a pending schedule); calling it
    ``fired`` would let the stale copy go out, so the plan refuses until the manifest says a future
    time or the schedule is removed.
    """
    by_id = {s.schedule_id: s for s in live.schedules}
    problems = []
    for change in changes:
        have = by_id.get(change.schedule_id or "")
        if change.action not in ("fired", "expired") or have is None or not change.fields:
            continue
        if lifecycle(have.trigger, zone, now) is None:
            problems.append(
                PlanProblem(
                    change.address,
                    f"the manifest's time has passed but the live task {have.schedule_id} is still "
                    "scheduled with other settings and would send as it is; set a future time, "
                    "or delete the schedule from the manifests (with prune on) to cancel it",
                )
            )
    return problems


def _diff_schedules(
    desired: DesiredState, live: LiveState, zone: ZoneInfo, now: datetime
) -> tuple[list[Change], int, list[datetime]]:
    prefix = desired.project.prefix
    prune = desired.project.prune_schedules
    owned: dict[str, list[LiveSchedule]] = {}
    unowned: list[LiveSchedule] = []
    for schedule in live.schedules:
        if schedule.name.startswith(prefix):
            owned.setdefault(schedule.name, []).append(schedule)
        else:
            unowned.append(schedule)
    owned_count = sum(len(v) for v in owned.values())

    changes: list[Change] = []
    deadlines: list[datetime] = []
    for name in sorted(desired.schedules):
        want = desired.schedules[name]
        copies = owned.pop(want.live_name, [])
        change = _pair(want, copies[0] if copies else None, zone, now)
        if len(copies) > 1:
            change = _conflict(change, copies, prune)
        if change.action in ("create", "update", "replace") or (
            change.action == "conflict" and change.requests
        ):
            moment = fire_time(want.trigger, zone)
            if moment is not None:
                deadlines.append(moment)
        changes.append(change)

    for live_name, copies in owned.items():
        changes.append(_undeclared(live_name, copies, prefix, prune))
    for schedule in unowned:
        changes.append(
            Change(
                address=f"schedule/{schedule.name}",
                action="unowned",
                before=normalize_live(schedule),
                live_name=schedule.name,
                schedule_id=schedule.schedule_id,
                reason=f"not owned by this project (name does not start with {prefix!r}); "
                "never changed",
            )
        )
    return changes, owned_count, deadlines


def _pair(
    want: DesiredSchedule, have: LiveSchedule | None, zone: ZoneInfo, now: datetime
) -> Change:
    """The change for one desired schedule and the live copy it is paired with (if any)."""
    after = normalize_desired(want)
    base = Change(
        address=f"schedule/{want.name}",
        action="noop",
        after=after,
        live_name=want.live_name,
        broadcast=want.push.get("to") == "all",
        preview=notification_preview(want.push),
    )
    passed = lifecycle(want.trigger, zone, now)
    if have is None:
        if passed == "fired":
            return replace(base, action="fired", reason=_passed_reason(want, "fired"))
        if passed == "expired":
            return replace(base, action="expired", reason=_passed_reason(want, "expired"))
        return replace(base, action="create", requests=create_requests(want))

    before = normalize_live(have, want)
    base = replace(base, before=before, schedule_id=have.schedule_id)
    if before == after:
        return base  # no fingerprint: nothing will be sent, and hashing 1000 copies is not free
    base = replace(base, fingerprints={f"schedule:{have.schedule_id}": schedule_fingerprint(have)})
    fields = field_changes(before, after)
    if passed is not None:
        return replace(
            base,
            action=passed,
            fields=fields,
            reason=_passed_reason(want, passed) + "; the live copy differs but the API no longer "
            "accepts updates to it",
        )
    live_kind = next(iter(before["trigger"]), None)
    if live_kind != want.trigger_kind:
        return replace(
            base,
            action="replace",
            fields=fields,
            requests=(_delete_request(have), *create_requests(want)),
            reason=f"trigger kind changes from {live_kind} to {want.trigger_kind}, which the API "
            "cannot update in place",
        )
    return replace(
        base,
        action="update",
        fields=fields,
        requests=(
            ApiRequest("PUT", schedule_path(have.schedule_id), _body(want), "schedule.update"),
        ),
    )


def _conflict(base: Change, copies: list[LiveSchedule], prune: bool) -> Change:
    """Several owned live schedules share the name: keep the first listed (the oldest)."""
    kept, extras = copies[0], copies[1:]
    ids = ", ".join(c.schedule_id for c in copies)
    fingerprints = {f"schedule:{kept.schedule_id}": schedule_fingerprint(kept)}
    for extra in extras:
        fingerprints[f"schedule:{extra.schedule_id}"] = schedule_fingerprint(extra)
    head = f"{len(copies)} live schedules are named {kept.name} ({ids})"
    if not prune:
        return replace(
            base,
            action="conflict",
            requests=(),
            fingerprints=fingerprints,
            reason=f"{head}; nothing is changed until prune is on (which keeps {kept.schedule_id} "
            "and deletes the others) or the extra copies are deleted by hand",
        )
    then = f" and {base.action}s it" if base.requests else ""
    return replace(
        base,
        action="conflict",
        requests=(*(_delete_request(e) for e in extras), *base.requests),
        fingerprints=fingerprints,
        reason=f"{head}; keeps {kept.schedule_id}{then}, deletes "
        + ", ".join(e.schedule_id for e in extras),
    )


def _undeclared(live_name: str, copies: list[LiveSchedule], prefix: str, prune: bool) -> Change:
    """Owned live schedules no manifest declares: deleted with prune on, reported otherwise."""
    first = copies[0]
    ids = ", ".join(c.schedule_id for c in copies)
    base = Change(
        address=f"schedule/{live_name[len(prefix) :]}",
        action="orphan",
        before=normalize_live(first),
        live_name=live_name,
        schedule_id=first.schedule_id,
        fingerprints={f"schedule:{c.schedule_id}": schedule_fingerprint(c) for c in copies},
    )
    declared_by_none = f"owned (prefix {prefix!r}) but declared by no manifest"
    if prune:
        return replace(
            base,
            action="delete",
            requests=tuple(_delete_request(c) for c in copies),
            reason=f"{declared_by_none}; prune is on"
            + (f" (deletes all {len(copies)} copies: {ids})" if len(copies) > 1 else ""),
        )
    if len(copies) > 1:
        return replace(
            base,
            action="conflict",
            reason=f"{len(copies)} live schedules are named {live_name} ({ids}); "
            f"{declared_by_none}; prune is off",
        )
    return replace(base, reason=f"{declared_by_none}; prune is off, so it is left alone")


def create_requests(want: DesiredSchedule) -> tuple[ApiRequest, ...]:
    """POST with ``enabled: true`` (the API refuses false on create), then disable with a PUT."""
    body = _body(want)
    body["enabled"] = True
    requests = [ApiRequest("POST", SCHEDULES, body, "schedule.create")]
    if not want.enabled:
        requests.append(
            ApiRequest("PUT", f"{SCHEDULES}/{CREATED_ID}", _body(want), "schedule.update")
        )
    return tuple(requests)


def _body(want: DesiredSchedule) -> JSON:
    """All four sections on every write: the API replaces a section wholesale (reference §2.5)."""
    return copy.deepcopy(want.api_body())


def _delete_request(have: LiveSchedule) -> ApiRequest:
    return ApiRequest("DELETE", schedule_path(have.schedule_id), None, "schedule.delete")


def _passed_reason(want: DesiredSchedule, passed: str) -> str:
    spec: JSON = next(iter(want.trigger.values()), {})
    if passed == "expired":
        return f"periodical end {spec.get('end')} has passed; not created or updated"
    when = spec.get("time") or spec.get("backup_time")
    return f"{want.trigger_kind} fire time {when} has passed; never re-created"


def schedule_fingerprint(have: LiveSchedule) -> str:
    """Fingerprint of what the API returned; fixtures without ``raw`` hash the parsed fields."""
    raw = have.raw or {
        "schedule_id": have.schedule_id,
        "name": have.name,
        "enabled": have.enabled,
        "trigger": have.trigger,
        "push": have.push,
    }
    return fingerprint_schedule(raw)


def field_changes(before: Any, after: Any) -> tuple[FieldChange, ...]:
    """Dotted paths of what differs (``trigger.periodical.time``); a list is reported whole."""
    paths: set[tuple[str, ...]] = set()
    _collect(before, after, (), paths)
    kept = sorted(p for p in paths if not any(p[: len(q)] == q and p != q for q in paths))
    return tuple(FieldChange(".".join(p), _lookup(before, p), _lookup(after, p)) for p in kept)


def _collect(before: Any, after: Any, prefix: tuple[str, ...], paths: set[tuple[str, ...]]) -> None:
    """Walk the top levels ourselves (cheap ``==`` per key) and hand deepdiff only the small
    sub-dicts that differ: one DeepDiff over a whole schedule costs about a millisecond."""
    if before == after:
        return
    if not (isinstance(before, dict) and isinstance(after, dict)):
        paths.add(prefix)
        return
    if len(prefix) >= _NARROW_DEPTH:
        tree = DeepDiff(before, after, view="tree", ignore_numeric_type_changes=True)
        for levels in tree.values():
            for level in levels:
                paths.add(prefix + _collapse(level.path(output_format="list")))
        return
    for key in sorted(before.keys() | after.keys(), key=str):
        _collect(before.get(key), after.get(key), (*prefix, str(key)), paths)


_NARROW_DEPTH = 3  # e.g. push.body.notification: below this deepdiff takes over


def _collapse(path: Iterable[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for part in path:
        if not isinstance(part, str):
            break  # a list index: report the list as a whole
        out.append(part)
    return tuple(out)


def _lookup(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


__all__ = ["create_requests", "diff", "field_changes", "schedule_fingerprint"]
