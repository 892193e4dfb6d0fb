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
* ``POST /v4/schedules`` is not idempotent. After an ambiguous failure (the request may have landed)
  we re-list by name before anything else: one live match is the schedule we created, none means it
  never landed and is created once more. Never a duplicate.
* An authentication failure says every remaining call will fail too, so apply stops starting new
  changes and reports them as not attempted rather than hammering the API with doomed calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from webpush_iac.apispec import SCHEDULES
from webpush_iac.apply.journal import DEFAULT_JOURNAL_DIR, Journal
from webpush_iac.apply.result import ApplyResult, OutcomeStatus, RequestOutcome
from webpush_iac.concurrency import run_all
from webpush_iac.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    NotFoundError,
    ReadOnlyViolation,
    WebpushIacError,
)
from webpush_iac.plan import (
    CREATED_ID,
    ApiRequest,
    Change,
    Plan,
)
from webpush_iac.progress import STAGE_APPLY, Progress, ProgressCounter
from webpush_iac.state import JSON
from webpush_iac.times import format_time

SCHEDULES_PATH = SCHEDULES

PHASE_DEVICES = 0
PHASE_SCHEDULES = 1
PHASE_DELETES = 2
PHASE_NAMES = {
    PHASE_DEVICES: "devices and tags",
    PHASE_SCHEDULES: "schedules",
    PHASE_DELETES: "deletes",
}


class Requester(Protocol):
    """The part of :class:`~webpush_iac.client.EngageLabClient` apply needs."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        idempotent: bool | None = None,
    ) -> Any: ...

    async def list_schedules(self) -> list[JSON]: ...

    async def get_schedule(self, schedule_id: str) -> JSON | None: ...

    async def get_device(self, registration_id: str) -> JSON: ...

    @property
    def server_time(self) -> datetime | None: ...


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


Entry = tuple[OutcomeStatus, RequestOutcome]


class _Applier:
    def __init__(
        self, client: Requester, journal: Journal, counter: ProgressCounter | None = None
    ) -> None:
        self.client = client
        self.journal = journal
        self.fatal: str | None = None
        self.counter = counter

    async def run(self, changes: Sequence[Change], result: ApplyResult) -> None:
        entries: dict[int, list[Entry]] = {}
        phased: dict[int, list[tuple[int, Change]]] = {}
        for idx, change in enumerate(changes):
            phase = change_phase(change)
            if phase is not None:
                phased.setdefault(phase, []).append((idx, change))
        try:
            for phase in sorted(phased):
                self.journal.note("phase", phase=PHASE_NAMES[phase], changes=len(phased[phase]))
                await run_all(self._run_chain(c, entries) for c in chain_changes(phased[phase]))
        finally:
            # Plan order, not completion order, so the report reads like the plan did.
            for idx in sorted(entries):
                for status, outcome in entries[idx]:
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
        if self.fatal is not None:
            reason = f"not attempted: {self.fatal}"
            return [
                ("not_attempted", RequestOutcome(change.address, r, reason))
                for r in change.requests
            ]
        out: list[Entry] = []
        created_id: str | None = None
        for pos, req in enumerate(change.requests):
            sent = req
            if CREATED_ID in req.path:
                if created_id is None:
                    return self._stop(out, change, pos, req, "no schedule id from the create")
                sent = replace(req, path=req.path.replace(CREATED_ID, created_id))
            try:
                if sent.method.upper() == "POST" and sent.path.rstrip("/") == SCHEDULES_PATH:
                    created_id = await self._create_schedule(change, sent)
                    out.append(
                        ("done", RequestOutcome(change.address, sent, created_id=created_id))
                    )
                else:
                    await self._send(change, sent)
                    out.append(("done", RequestOutcome(change.address, sent)))
            except ReadOnlyViolation:
                raise  # a programming error, not an API outcome
            except WebpushIacError as exc:
                if isinstance(exc, AuthError):
                    self.fatal = f"authentication failed (HTTP {exc.status})"
                return self._stop(out, change, pos, sent, str(exc) or type(exc).__name__)
        return out

    @staticmethod
    def _stop(
        out: list[Entry], change: Change, pos: int, sent: ApiRequest, error: str
    ) -> list[Entry]:
        """The failed request, then every later one of the change as not attempted."""
        out.append(("failed", RequestOutcome(change.address, sent, error)))
        reason = f"not attempted: {sent.method} {sent.path} failed"
        for later in change.requests[pos + 1 :]:
            out.append(("not_attempted", RequestOutcome(change.address, later, reason)))
        return out

    async def _send(self, change: Change, req: ApiRequest) -> Any:
        seq = self.journal.intent(
            address=change.address, kind=req.kind, method=req.method, path=req.path, body=req.body
        )
        try:
            response = await self.client.request(req.method, req.path, json=req.body)
        except WebpushIacError as exc:
            if isinstance(exc, NotFoundError) and req.method.upper() == "DELETE":
                # The goal of a DELETE is absence: a retry after a lost answer, or someone else
                # deleting first, both reach it.
                self.journal.outcome(seq, status="ok", http_status=404, error="already absent")
                return None
            self.journal.outcome(
                seq, status="failed", error=str(exc), http_status=_http_status(exc)
            )
            raise
        self.journal.outcome(seq, status="ok")
        return response

    async def _create_schedule(self, change: Change, req: ApiRequest) -> str:
        """Create once; after an ambiguous failure look by name before a single re-create."""
        name = str((req.body or {}).get("name", ""))
        ignore = ids_deleted_by(change)
        for attempt in (1, 2):
            seq = self.journal.intent(
                address=change.address,
                kind=req.kind,
                method="POST",
                path=SCHEDULES_PATH,
                body=req.body,
            )
            try:
                response = await self.client.request("POST", SCHEDULES_PATH, json=req.body)
            except AmbiguousWriteError as exc:
                self.journal.outcome(seq, status="ambiguous", error=str(exc))
                found = await self._find_by_name(name, ignore)
                self.journal.note(
                    "ambiguous_create_check", seq=seq, name=name, found=found, attempt=attempt
                )
                if len(found) == 1:
                    return found[0]
                if len(found) > 1:
                    raise _Unresolved(
                        f"{len(found)} live schedules named {name!r} after an ambiguous create;"
                        " run plan to see the conflict"
                    ) from exc
                if attempt == 2:
                    raise
                continue  # absent: it never landed, so one more create is safe
            except WebpushIacError as exc:
                self.journal.outcome(
                    seq, status="failed", error=str(exc), http_status=_http_status(exc)
                )
                raise
            schedule_id = response.get("schedule_id") if isinstance(response, dict) else None
            if schedule_id:
                self.journal.outcome(seq, status="ok", created_id=str(schedule_id))
                return str(schedule_id)
            # Created, but the answer did not say which id: find it the same way as above.
            found = await self._find_by_name(name, ignore)
            if len(found) != 1:
                self.journal.outcome(seq, status="ok", error="no schedule_id in the response")
                raise _Unresolved(f"created {name!r} but could not tell its schedule id")
            self.journal.outcome(seq, status="ok", created_id=found[0])
            return found[0]
        raise AssertionError("unreachable")  # pragma: no cover

    async def _find_by_name(self, name: str, ignore: set[str]) -> list[str]:
        schedules = await self.client.list_schedules()
        return [
            str(s["schedule_id"])
            for s in schedules
            if isinstance(s, dict)
            and s.get("name") == name
            and s.get("schedule_id")
            and str(s["schedule_id"]) not in ignore
        ]


class _Unresolved(WebpushIacError):
    """An ambiguous create we could not settle by re-listing; the change fails, others go on."""


def ids_deleted_by(change: Change) -> set[str]:
    prefix = SCHEDULES_PATH + "/"
    return {
        r.path[len(prefix) :]
        for r in change.requests
        if r.method.upper() == "DELETE" and r.path.startswith(prefix)
    }


def _http_status(exc: BaseException) -> int | None:
    return exc.status if isinstance(exc, ApiError) else None


async def apply_plan(
    client: Requester,
    plan: Plan,
    *,
    journal_dir: Path | str | None = None,
    journal: Journal | None = None,
    redact: Sequence[str] = (),
    progress: Progress | None = None,
) -> ApplyResult:
    """Send every change's requests in phase order and report each request's fate.

    Refuses (``PlanError``) a plan that carries errors before sending anything. Never raises for an
    API failure: those land in ``result.failed`` / ``result.not_attempted`` and the caller turns a
    non-``ok`` result into exit code 4. ``journal`` may be passed by a caller that wants its path
    before the run; otherwise one is opened under ``journal_dir``.
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
    try:
        # created_at is the plan's identity: a saved plan file carries the same spelling.
        jrnl.start(
            project=plan.project,
            target=plan.target,
            plan_created_at=format_time(plan.created_at),
            summary=plan.summary(),
        )
        counter.start()
        await _Applier(client, jrnl, counter).run(mutating, result)
        jrnl.finish(
            done=len(result.done),
            failed=len(result.failed),
            not_attempted=len(result.not_attempted),
        )
    except BaseException as exc:
        if own:
            jrnl.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if own:
        jrnl.close()
    return result
