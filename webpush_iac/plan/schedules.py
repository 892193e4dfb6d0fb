"""Schedules: pair desired and live by live name, and decide create, update, replace or delete.

Both sides are normalised (``normalize``) and compared with ``==`` first; field paths are only
computed (``field_paths``) for the pairs that differ. Clock rules: a one-shot schedule whose fire
time has passed is ``fired`` and never re-created (the API drops fired tasks from its list, so
re-creating "missing" ones would re-send the push on every apply); a periodical whose end has
passed is ``expired``.

Duplicates (several owned live schedules with one name) only come from a fault or from two applies
at once, and every extra copy sends the push once more, so the plan deletes the extras whatever
``prune`` says: it keeps the copy that already matches the manifest, else the lowest
``schedule_id`` (the copy apply's post-create check keeps too), and ``--detailed-exitcode``
reports the change.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from webpush_iac.apispec import SCHEDULES, schedule_path
from webpush_iac.plan.field_paths import field_changes
from webpush_iac.plan.fingerprint import schedule_fingerprint
from webpush_iac.plan.lifecycle import lifecycle
from webpush_iac.plan.model import CREATED_ID, ApiRequest, Change
from webpush_iac.plan.normalize import normalize_desired, normalize_live
from webpush_iac.plan.preview import notification_preview
from webpush_iac.state import JSON, DesiredSchedule, DesiredState, LiveSchedule, LiveState
from webpush_iac.times import fire_time


def diff_schedules(
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
        if len(copies) > 1:
            kept, extras, matched = _keeper(want, copies)
            change = _conflict(_pair(want, kept, zone, now), kept, extras, matched)
        else:
            change = _pair(want, copies[0] if copies else None, zone, now)
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


def _passed_reason(want: DesiredSchedule, passed: str) -> str:
    spec: JSON = next(iter(want.trigger.values()), {})
    if passed == "expired":
        return f"periodical end {spec.get('end')} has passed; not created or updated"
    when = spec.get("time") or spec.get("backup_time")
    return f"{want.trigger_kind} fire time {when} has passed; never re-created"


__all__ = ["create_requests", "diff_schedules", "schedule_id_order"]
