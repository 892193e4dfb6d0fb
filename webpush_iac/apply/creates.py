"""Schedule creates, the one call that is not idempotent, and the duplicates they can leave.

``POST /v4/schedules`` makes a new ``schedule_id`` each time (docs/api-notes.md "Retries"), so:

* After an ambiguous failure (the request may have landed) we re-list by name before anything
  else: one live match is the schedule we created, none means it never landed and is created once
  more. Never a duplicate from our own retry.
* Two applies at once can still each create the same name: the local lock stops that on one
  machine, but CI runners do not share a disk. So once the create phase is over apply lists again
  and, for every name it created that now has several live copies, keeps the lowest
  ``schedule_id`` and deletes the rest, each delete journalled and reported. Two racing runs keep
  the same copy (a fixed order, not "mine"), so the one whose create landed last removes the
  extra and they converge.
"""

from __future__ import annotations

from collections.abc import Mapping

from webpush_iac.apispec import SCHEDULES, schedule_path
from webpush_iac.apply.calls import (
    Call,
    Guard,
    Requester,
    _CallFailed,
    _NotSent,
    created_id_of,
    http_status,
    send,
)
from webpush_iac.apply.result import OutcomeStatus, RequestOutcome
from webpush_iac.errors import AmbiguousWriteError, ReadOnlyViolation, WebpushIacError
from webpush_iac.plan import ApiRequest, Change, schedule_id_order

Entry = tuple[OutcomeStatus, RequestOutcome]


class _Unresolved(WebpushIacError):
    """An ambiguous create we could not settle by re-listing; the change fails, others go on."""


def ids_deleted_by(change: Change) -> set[str]:
    prefix = SCHEDULES + "/"
    return {
        r.path[len(prefix) :]
        for r in change.requests
        if r.method.upper() == "DELETE" and r.path.startswith(prefix)
    }


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


async def create_schedule(
    client: Requester, guard: Guard, change: Change, req: ApiRequest
) -> tuple[str, str]:
    """Create once; after an ambiguous failure look by name before a single re-create.

    Returns ``(schedule_id, note)``; raises ``_NotSent`` or ``_CallFailed`` like ``send``.
    """
    name = str((req.body or {}).get("name", ""))
    ignore = ids_deleted_by(change)
    notes: list[str] = []
    for attempt in (1, 2):
        call = Call(guard, change.address, req)
        try:
            response = await client.request("POST", SCHEDULES, json=req.body, before_send=call)
        except (_NotSent, ReadOnlyViolation):
            raise
        except AmbiguousWriteError as exc:
            notes.append(call.outcome("ambiguous", error=str(exc)))
            found = await _find_by_name(client, guard, name, ignore, _join(*notes))
            guard.journal.note(
                "ambiguous_create_check", seq=call.seq, name=name, found=found, attempt=attempt
            )
            if len(found) == 1:
                return found[0], _join(*notes)
            if len(found) > 1:
                raise _CallFailed(
                    _Unresolved(
                        f"{len(found)} live schedules named {name!r} after an ambiguous create;"
                        " run plan to see the conflict"
                    ),
                    _join(*notes),
                ) from exc
            if attempt == 2:
                raise _CallFailed(exc, _join(*notes)) from exc
            continue  # absent: it never landed, so one more create is safe
        except WebpushIacError as exc:
            notes.append(call.outcome("failed", error=str(exc), http_status=http_status(exc)))
            guard.on_error(exc)
            raise _CallFailed(exc, _join(*notes)) from exc
        schedule_id = created_id_of(response)
        if schedule_id is None:
            # Created, but the answer did not say which id: find it the same way as above.
            found = await _find_by_name(client, guard, name, ignore, _join(*notes))
            if len(found) != 1:
                notes.append(call.outcome("ok", error="no schedule_id in the response"))
                unresolved = _Unresolved(f"created {name!r} but could not tell its schedule id")
                raise _CallFailed(unresolved, _join(*notes))
            schedule_id = found[0]
        notes.append(call.outcome("ok", created_id=schedule_id))
        return schedule_id, _join(*notes)
    raise AssertionError("unreachable")  # pragma: no cover


async def _find_by_name(
    client: Requester, guard: Guard, name: str, ignore: set[str], note: str
) -> list[str]:
    try:
        schedules = await client.list_schedules()
    except WebpushIacError as exc:
        guard.on_error(exc)
        raise _CallFailed(exc, note) from exc
    return [
        str(s["schedule_id"])
        for s in schedules
        if isinstance(s, dict)
        and s.get("name") == name
        and s.get("schedule_id")
        and str(s["schedule_id"]) not in ignore
    ]


async def remove_duplicates(
    client: Requester, guard: Guard, created: Mapping[str, str]
) -> tuple[list[Entry], list[str]]:
    """The post-create check over ``created`` (live name -> change address): entries for the
    deletes it sent and warnings for a check that could not run."""
    reason = guard.blocked()
    if reason is not None:
        return [], [f"the duplicate check after the creates did not run: {reason}"]
    try:
        live = await client.list_schedules()
    except WebpushIacError as exc:
        guard.on_error(exc)
        return [], [
            f"the duplicate check after the creates could not list schedules ({exc}); "
            "run plan to see any duplicates"
        ]
    copies: dict[str, set[str]] = {}
    for item in live:
        name = str(item.get("name", "")) if isinstance(item, dict) else ""
        if name in created and item.get("schedule_id"):
            copies.setdefault(name, set()).add(str(item["schedule_id"]))
    duplicated = {
        n: sorted(ids, key=schedule_id_order) for n, ids in copies.items() if len(ids) > 1
    }
    guard.journal.note("duplicate_check", names=len(created), duplicated=sorted(duplicated))
    entries: list[Entry] = []
    for name in sorted(duplicated):
        kept, *extras = duplicated[name]
        guard.journal.note("duplicate_found", name=name, kept=kept, deleting=extras)
        address = created[name]
        why = f"deletes a duplicate of {kept} (two applies at once, or a fault); {kept} is kept"
        for sid in extras:
            req = ApiRequest("DELETE", schedule_path(sid), None, "schedule.delete")
            try:
                _answer, note = await send(client, guard, address, req)
            except _NotSent as exc:
                entries.append(
                    ("not_attempted", RequestOutcome(address, req, exc.reason, note=why))
                )
            except _CallFailed as exc:
                outcome = RequestOutcome(address, req, str(exc.error), note=_join(why, exc.note))
                entries.append(("failed", outcome))
            else:
                entries.append(("done", RequestOutcome(address, req, note=_join(why, note))))
    return entries, []


__all__ = ["create_schedule", "ids_deleted_by", "remove_duplicates"]
