"""Schedules: pair desired and live by live name, and decide create, update, replace or delete.

Both sides are normalised (``normalize``) and compared with ``==`` first; field paths are only
computed (``field_paths``) for the pairs that differ. A document pairs with the live task of its
name, or with ``prefix + renamed_from`` (``renames``). The list beats the clock: a listed task is
diffed whatever the clock says, and only an absent one can be fired, expired or missed
(``lifecycle``), never re-created, since re-creating "missing" fired tasks would re-send the push
on every apply.

Duplicates (several owned live schedules with one name) only come from a fault or from two applies
at once, and every extra copy sends the push once more, so the plan deletes the extras whatever
``prune`` says: it keeps the copy that already matches the manifest, else the lowest
``schedule_id`` (the copy apply's post-create check keeps too), and ``--detailed-exitcode``
reports the change.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from webpush_iac.apispec import SCHEDULES, schedule_path
from webpush_iac.plan.field_paths import field_changes
from webpush_iac.plan.fingerprint import schedule_fingerprint
from webpush_iac.plan.lifecycle import absent_passed, lifecycle, passed_while_listed
from webpush_iac.plan.model import (
    CREATED_ID,
    ApiRequest,
    Change,
    FieldChange,
    PlanProblem,
    PlanWarning,
)
from webpush_iac.plan.normalize import normalize_desired, normalize_live
from webpush_iac.plan.preview import notification_preview
from webpush_iac.plan.renames import claim, likely_renames
from webpush_iac.state import JSON, DesiredSchedule, DesiredState, LiveSchedule, LiveState
from webpush_iac.times import fire_time


@dataclass
class ScheduleDiff:
    """Every schedule change, with what the plan needs besides: problems, warnings, the owned
    count (for the delete threshold) and the fire times of what is sent (for ``not_after``)."""

    changes: list[Change] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    owned_count: int = 0
    deadlines: list[datetime] = field(default_factory=list)


def diff_schedules(
    desired: DesiredState, live: LiveState, zone: ZoneInfo, now: datetime
) -> ScheduleDiff:
    prefix = desired.project.prefix
    prune = desired.project.prune_schedules
    owned: dict[str, list[LiveSchedule]] = {}
    unowned: list[LiveSchedule] = []
    for schedule in live.schedules:
        if schedule.name.startswith(prefix):
            owned.setdefault(schedule.name, []).append(schedule)
        else:
            unowned.append(schedule)
    out = ScheduleDiff(owned_count=sum(len(v) for v in owned.values()))

    creates: list[tuple[DesiredSchedule, Change]] = []
    for name in sorted(desired.schedules):
        want = desired.schedules[name]
        copies, renamed_from, problem = claim(want, owned, prefix)
        out.problems.extend([problem] if problem else [])
        kept, extras, matched = (copies[0] if copies else None), list[LiveSchedule](), False
        if len(copies) > 1:
            kept, extras, matched = _keeper(want, copies)
        change = _pair(want, kept, zone, now, renamed_from)
        passed = lifecycle(want.trigger, zone, now) if kept is None else None
        if passed is not None:
            change, problems, warnings = absent_passed(
                want, change, passed, desired.baseline_schedules
            )
            out.problems.extend(problems)
            out.warnings.extend(warnings)
        if extras and kept is not None:
            change = _conflict(change, kept, extras, matched)
        if kept is not None:
            listed = passed_while_listed(want, kept, change, zone, now)
            out.problems.extend([listed] if listed else [])
        if change.requests:
            moment = fire_time(want.trigger, zone)
            if moment is not None and moment > now:  # a listed task past its time: no deadline
                out.deadlines.append(moment)
        if change.action == "create":
            creates.append((want, change))
        out.changes.append(change)

    orphans: list[LiveSchedule] = []
    for live_name, copies in owned.items():
        change = _undeclared(live_name, copies, prefix, prune)
        if change.action == "orphan":
            orphans.append(copies[0])
        out.changes.append(change)
    out.warnings.extend(likely_renames(creates, orphans, prefix))
    for schedule in unowned:
        out.changes.append(
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
    return out


def _pair(
    want: DesiredSchedule,
    have: LiveSchedule | None,
    zone: ZoneInfo,
    now: datetime,
    renamed_from: str | None = None,
) -> Change:
    """The change for one desired schedule and the live copy it is paired with (if any).

    A listed copy is diffed whatever the clock says: it is still valid, so a correction reaches it
    (or the API refuses because it fired meanwhile, which apply reports). ``renamed_from`` means
    ``have`` still carries the old name: one PUT renames it and carries every other change.
    """
    after = normalize_desired(want)
    base = Change(
        address=f"schedule/{want.name}",
        action="noop",
        after=after,
        live_name=want.live_name,
        broadcast=want.push.get("to") == "all",
        preview=notification_preview(want.push),
    )
    if have is None:
        passed = lifecycle(want.trigger, zone, now)
        if passed is not None:
            return replace(base, action=passed)  # the caller words it (``absent_passed``)
        return replace(base, action="create", requests=create_requests(want))

    before = normalize_live(have, want)
    base = replace(base, before=before, schedule_id=have.schedule_id, renamed_from=renamed_from)
    if before == after and renamed_from is None:
        return base  # no fingerprint: nothing will be sent, and hashing 1000 copies is not free
    base = replace(base, fingerprints={f"schedule:{have.schedule_id}": schedule_fingerprint(have)})
    fields = field_changes(before, after)
    renaming = ""
    if renamed_from is not None:
        fields = (FieldChange("name", have.name, want.live_name), *fields)
        renaming = f"renamed from {renamed_from}"
    live_kind = next(iter(before["trigger"]), None)
    if live_kind != want.trigger_kind:
        return replace(
            base,
            action="replace",
            fields=fields,
            requests=(_delete_request(have), *create_requests(want)),
            reason=f"trigger kind changes from {live_kind} to {want.trigger_kind}, which the API "
            "cannot update in place" + (f"; {renaming}" if renaming else ""),
        )
    return replace(
        base,
        action="update",
        fields=fields,
        requests=(
            ApiRequest("PUT", schedule_path(have.schedule_id), _body(want), "schedule.update"),
        ),
        reason=f"{renaming} in place: one PUT, no second copy" if renaming else "",
    )


def schedule_id_order(schedule_id: str) -> tuple[int, int, str]:
    """Sort key for "the lowest schedule_id": numeric ids by value, others as text after them.

    Any fixed total order would do for agreement; this one keeps the oldest copy where ids grow.
    """
    if schedule_id.isdigit():
        return (0, int(schedule_id), "")
    return (1, 0, schedule_id)


def _keeper(
    want: DesiredSchedule, copies: list[LiveSchedule]
) -> tuple[LiveSchedule, list[LiveSchedule], bool]:
    """The copy to keep (one that matches the manifest, else the lowest id), the extras, and
    whether the kept copy matched."""
    ordered = sorted(copies, key=lambda c: schedule_id_order(c.schedule_id))
    after = normalize_desired(want)
    matching = next((c for c in ordered if normalize_live(c, want) == after), None)
    kept = matching or ordered[0]
    return kept, [c for c in ordered if c is not kept], matching is not None


def _duplicates_head(name: str, ordered: list[LiveSchedule]) -> str:
    ids = ", ".join(c.schedule_id for c in ordered)
    return f"{len(ordered)} live schedules are named {name} ({ids}): each extra copy sends again"


def _conflict(
    base: Change, kept: LiveSchedule, extras: list[LiveSchedule], matched: bool
) -> Change:
    """Delete the extra copies of a declared schedule; the kept one is diffed as usual."""
    ordered = sorted([kept, *extras], key=lambda c: schedule_id_order(c.schedule_id))
    fingerprints = {f"schedule:{c.schedule_id}": schedule_fingerprint(c) for c in ordered}
    why = "it matches the manifest" if matched else "the lowest schedule_id"
    then = f" and {base.action}s it" if base.requests else ""
    return replace(
        base,
        action="conflict",
        requests=(*(_delete_request(e) for e in extras), *base.requests),
        fingerprints=fingerprints,
        reason=f"{_duplicates_head(kept.name, ordered)}; keeps {kept.schedule_id} ({why}){then}, "
        "deletes " + ", ".join(e.schedule_id for e in extras),
    )


def _undeclared(live_name: str, copies: list[LiveSchedule], prefix: str, prune: bool) -> Change:
    """Owned live schedules no manifest declares: deleted with prune on, reported otherwise
    (but for their duplicate copies, which are deleted either way)."""
    ordered = sorted(copies, key=lambda c: schedule_id_order(c.schedule_id))
    first = ordered[0]
    ids = ", ".join(c.schedule_id for c in ordered)
    base = Change(
        address=f"schedule/{live_name[len(prefix) :]}",
        action="orphan",
        before=normalize_live(first),
        live_name=live_name,
        schedule_id=first.schedule_id,
        fingerprints={f"schedule:{c.schedule_id}": schedule_fingerprint(c) for c in ordered},
    )
    declared_by_none = f"owned (prefix {prefix!r}) but declared by no manifest"
    if prune:
        return replace(
            base,
            action="delete",
            requests=tuple(_delete_request(c) for c in ordered),
            reason=f"{declared_by_none}; prune is on"
            + (f" (deletes all {len(ordered)} copies: {ids})" if len(ordered) > 1 else ""),
        )
    if len(ordered) > 1:
        extras = ordered[1:]
        return replace(
            base,
            action="conflict",
            requests=tuple(_delete_request(e) for e in extras),
            reason=f"{_duplicates_head(live_name, ordered)}; {declared_by_none} and prune is off, "
            f"so it keeps {first.schedule_id} (the lowest schedule_id) and deletes "
            + ", ".join(e.schedule_id for e in extras),
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
    """All four sections on every write: the API replaces a section wholesale (docs/api-notes.md
    "Schedules: create and update")."""
    return copy.deepcopy(want.api_body())


def _delete_request(have: LiveSchedule) -> ApiRequest:
    return ApiRequest("DELETE", schedule_path(have.schedule_id), None, "schedule.delete")


__all__ = ["ScheduleDiff", "create_requests", "diff_schedules", "schedule_id_order"]
