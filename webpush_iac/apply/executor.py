"""Execute a Plan against the API: phase ordering, concurrency, the journal and partial failure.

Why it is shaped this way:

* The plan already holds the exact requests (``Change.requests``), so apply decides only *when* to
  send them, never *what*: a reviewed saved plan is sent byte for byte.
* Phases run in plan order — device tags/aliases, then schedule creates/updates/replaces, then
  deletes — so that a failure mid-way never leaves the project with fewer schedules than it
  asked for. A later phase still runs after failures in an earlier one: nothing in it depends on them.
* Within a change, requests run in order and a failure stops that change (the ``PUT`` that disables a
  schedule cannot run when its create failed: it is *not attempted*). Changes within a phase run
  concurrently; the client's token bucket and in-flight cap bound the load. Changes that touch the same
  API object (an alias moving between two devices) are chained and run in plan order, so they never
  race each other.
* Schedule creates are not idempotent: their ambiguous failures and the duplicates two racing
  applies leave are ``creates``' job; once the create phase is over, the duplicate check runs.
* Each request's intent is journalled right before it goes out (``calls``). An authentication
  failure, a server that stopped answering, a journal that cannot be written or a stop request
  (SIGTERM, SIGINT) each say no further call should start: apply stops starting them, lets the
  ones in flight end, and reports the rest as not attempted rather than sending doomed calls.
* A schedule write refused because the task's time passed meanwhile (``refusals``) is reported in
  those words; a delete of a task that already left the list counts as done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from webpush_iac.apispec import SCHEDULES
from webpush_iac.apply.calls import Guard, Requester, _CallFailed, _NotSent, send
from webpush_iac.apply.creates import Entry, create_schedule, remove_duplicates
from webpush_iac.apply.journal import DEFAULT_JOURNAL_DIR, Journal
from webpush_iac.apply.refusals import explain_refusal
from webpush_iac.apply.result import ApplyResult, RequestOutcome
from webpush_iac.concurrency import StopRequest, run_all
from webpush_iac.errors import JournalError
from webpush_iac.plan import (
    CREATED_ID,
    ApiRequest,
    Change,
    Plan,
)
from webpush_iac.progress import STAGE_APPLY, Progress, ProgressCounter
from webpush_iac.times import format_time, project_zone

SCHEDULES_PATH = SCHEDULES

PHASE_DEVICES = 0
PHASE_SCHEDULES = 1
PHASE_DELETES = 2
PHASE_NAMES = {
    PHASE_DEVICES: "devices and tags",
    PHASE_SCHEDULES: "schedules",
    PHASE_DELETES: "deletes",
}


def change_phase(change: Change) -> int | None:
    """Which phase a change belongs to (``None``: nothing to send)."""
    if not change.requests:
        return None
    if change.address.startswith(("device/", "tag/")):
        return PHASE_DEVICES
    if all(r.method.upper() == "DELETE" for r in change.requests):
        return PHASE_DELETES
    return PHASE_SCHEDULES


def chain_changes(changes: list[tuple[int, Change]]) -> list[list[tuple[int, Change]]]:
    """Group changes that touch a common API path (union-find), each group kept in plan order."""
    parent = list(range(len(changes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (_idx, change) in enumerate(changes):
        for req in change.requests:
            if CREATED_ID in req.path:
                continue  # an id only this change will know: nobody else can touch it
            key = req.path.rstrip("/")
            if req.method.upper() == "POST" and key == SCHEDULES_PATH:
                continue  # creates of different schedules share the collection path only
            if key in owner:
                parent[find(i)] = find(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[tuple[int, Change]]] = {}
    for i, item in enumerate(changes):
        groups.setdefault(find(i), []).append(item)
    return list(groups.values())


def _is_create(req: ApiRequest) -> bool:
    return req.method.upper() == "POST" and req.path.rstrip("/") == SCHEDULES_PATH


class _Applier:
    def __init__(
        self,
        client: Requester,
        guard: Guard,
        counter: ProgressCounter | None = None,
        zone: ZoneInfo | None = None,
    ) -> None:
        self.client = client
        self.guard = guard
        self.counter = counter
        self.zone = zone or ZoneInfo("UTC")  # the project zone: when a zone_type 1 time passes

    async def run(self, changes: Sequence[Change], result: ApplyResult) -> None:
        entries: dict[int, list[Entry]] = {}
        checked: list[Entry] = []
        phased: dict[int, list[tuple[int, Change]]] = {}
        for idx, change in enumerate(changes):
            phase = change_phase(change)
            if phase is not None:
                phased.setdefault(phase, []).append((idx, change))
        try:
            for phase in sorted(phased):
                self.guard.journal.note(
                    "phase", phase=PHASE_NAMES[phase], changes=len(phased[phase])
                )
                await run_all(self._run_chain(c, entries) for c in chain_changes(phased[phase]))
                # Only creates that went out can have raced another apply's.
                created = {
                    str((o.request.body or {}).get("name", "")): o.address
                    for idx, _change in phased[phase]
                    for status, o in entries.get(idx, [])
                    if _is_create(o.request) and status != "not_attempted"
                }
                if created:
                    found, warnings = await remove_duplicates(self.client, self.guard, created)
                    checked += found
                    result.warnings += warnings
        finally:
            # Plan order, not completion order, so the report reads like the plan did; the
            # duplicate check's deletes, which no plan held, come last.
            for idx in sorted(entries):
                for status, outcome in entries[idx]:
                    result.add(status, outcome)
            for status, outcome in checked:
                result.add(status, outcome)

    async def _run_chain(
        self, chain: list[tuple[int, Change]], entries: dict[int, list[Entry]]
    ) -> None:
        for idx, change in chain:
            entries[idx] = await self._run_change(change)
            if self.counter is not None:
                # Every request ends as exactly one entry (done, failed or not attempted).
                self.counter.advance(len(entries[idx]))

    async def _run_change(self, change: Change) -> list[Entry]:
        reason = self.guard.blocked()
        if reason is not None:
            return self._skip([], change, 0, f"not attempted: {reason}")
        out: list[Entry] = []
        created_id: str | None = None
        for pos, req in enumerate(change.requests):
            sent = req
            if CREATED_ID in req.path:
                if created_id is None:
                    return self._stop(out, change, pos, req, "no schedule id from the create")
                sent = replace(req, path=req.path.replace(CREATED_ID, created_id))
            try:
                if _is_create(sent):
                    created_id, note = await create_schedule(self.client, self.guard, change, sent)
                    outcome = RequestOutcome(change.address, sent, created_id=created_id, note=note)
                else:
                    _answer, note = await send(self.client, self.guard, change.address, sent)
                    outcome = RequestOutcome(change.address, sent, note=note)
            except _NotSent as exc:
                return self._skip(out, change, pos, exc.reason)
            except _CallFailed as exc:
                refusal = await explain_refusal(self.client, change, sent, exc.error, self.zone)
                if refusal is None:
                    error = str(exc.error) or type(exc.error).__name__
                    return self._stop(out, change, pos, sent, error, exc.note)
                self.guard.journal.note(
                    "refusal", address=change.address, path=sent.path, verdict=refusal.message
                )
                if not refusal.done:
                    return self._stop(out, change, pos, sent, refusal.message, exc.note)
                outcome = RequestOutcome(change.address, sent, note=refusal.message)
            out.append(("done", outcome))
        return out

    @staticmethod
    def _skip(out: list[Entry], change: Change, pos: int, reason: str) -> list[Entry]:
        """This request and every later one of the change were not sent."""
        for later in change.requests[pos:]:
            out.append(("not_attempted", RequestOutcome(change.address, later, reason)))
        return out

    @staticmethod
    def _stop(
        out: list[Entry],
        change: Change,
        pos: int,
        sent: ApiRequest,
        error: str,
        note: str = "",
    ) -> list[Entry]:
        """The failed request, then every later one of the change as not attempted."""
        out.append(("failed", RequestOutcome(change.address, sent, error, note=note)))
        return _Applier._skip(
            out, change, pos + 1, f"not attempted: {sent.method} {sent.path} failed"
        )


async def apply_plan(
    client: Requester,
    plan: Plan,
    *,
    journal_dir: Path | str | None = None,
    journal: Journal | None = None,
    redact: Sequence[str] = (),
    progress: Progress | None = None,
    stop: StopRequest | None = None,
) -> ApplyResult:
    """Send every change's requests in phase order and report each request's fate.

    Refuses (``PlanError``) a plan that carries errors before sending anything. Never raises for an
    API failure, a journal that fails part-way or a ``stop`` request: those land in
    ``result.failed`` / ``result.not_attempted`` / ``result.warnings`` / ``result.stopped`` and the
    caller turns a non-``ok`` result into exit code 4 (143 or 130 after a signal). ``journal`` may
    be passed by a caller that wants its path before the run; otherwise one is opened under
    ``journal_dir``.
    """
    plan.raise_for_errors()
    result = ApplyResult(project=plan.project)
    mutating = [c for c in plan.changes if c.requests]
    if not mutating:
        return result
    own = journal is None
    jrnl = journal or Journal(
        journal_dir if journal_dir is not None else DEFAULT_JOURNAL_DIR, redact=redact
    )
    n = sum(len(c.requests) for c in mutating)
    if progress is not None:
        progress(f"applying {len(mutating)} changes ({n} requests)…")
    counter = ProgressCounter(progress, stage=STAGE_APPLY, total=n, label="apply requests")
    guard = Guard(jrnl, stop)
    if stop is not None:
        stop.draining = True  # from here a signal lets in-flight requests end
    try:
        try:
            # created_at is the plan's identity: a saved plan file carries the same spelling.
            jrnl.start(
                project=plan.project,
                target=plan.target,
                plan_created_at=format_time(plan.created_at),
                summary=plan.summary(),
            )
        except JournalError as exc:
            guard.journal_failed(exc)  # nothing is sent: every intent now refuses
        counter.start()
        zone = project_zone(str(plan.settings.get("timezone") or "UTC"))
        await _Applier(client, guard, counter, zone).run(mutating, result)
        _end_run(jrnl, guard, result)
    except BaseException as exc:
        if stop and jrnl.failure is None:
            # A second signal cancelled the in-flight requests: say which signal, not "cancelled".
            jrnl.abort(f"{stop.reason}, in-flight requests cancelled")
        if own:
            jrnl.__exit__(type(exc), exc, exc.__traceback__)
        raise
    finally:
        if stop is not None:
            stop.draining = False
    if own:
        jrnl.close()
    return result


def _end_run(journal: Journal, guard: Guard, result: ApplyResult) -> None:
    """The journal's last line (``finish``, or ``aborted`` after a stop request) and the
    run-wide warnings."""
    counts = {
        "done": len(result.done),
        "failed": len(result.failed),
        "not_attempted": len(result.not_attempted),
    }
    stop = guard.stop
    if stop:
        result.stopped = stop.reason
    if journal.failure is None:
        try:
            if stop and stop.reason:
                journal.abort(stop.reason, **counts)
            else:
                journal.finish(**counts)
        except JournalError as exc:
            guard.journal_failed(exc)
    if journal.failure is not None:
        result.warnings.append(
            f"the journal {journal.path} is incomplete ({journal.failure}): no request was sent "
            "after its first failed write, and outcomes it lacks are noted per request"
        )
