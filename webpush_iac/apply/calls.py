"""One mutating API call with its journal lines, and what may still be sent in this run.

Why the intent is written from inside the client: a request may wait for an in-flight slot and a
rate-limit permit for a long while, and an intent written before that wait would claim a call "in
flight" that never left (a SIGKILL then leaves hundreds of them). So :class:`Call` is the client's
``before_send`` hook: it runs once the request holds its slot and permit, right before its bytes go
out, and it refuses (:class:`_NotSent`) when the run is stopping, when an earlier failure makes
every further call pointless, or when the intent cannot be made durable. A request whose intent is
not on disk is never sent, and neither is any later one: the journal's first failed write marks it
failed for good.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from webpush_iac.apply.journal import Journal
from webpush_iac.concurrency import StopRequest
from webpush_iac.errors import (
    ApiError,
    AuthError,
    JournalError,
    NoAnswerError,
    NotFoundError,
    ReadOnlyViolation,
    WebpushIacError,
)
from webpush_iac.plan import ApiRequest
from webpush_iac.state import JSON


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
        before_send: Callable[[], None] | None = None,
    ) -> Any: ...

    async def list_schedules(self) -> list[JSON]: ...

    async def get_schedule(self, schedule_id: str) -> JSON | None: ...

    async def get_device(self, registration_id: str) -> JSON: ...

    @property
    def server_time(self) -> datetime | None: ...


class _NotSent(Exception):
    """The request was not sent (``reason`` says why); it and the rest of its change are not
    attempted."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _CallFailed(Exception):
    """The API call failed; ``error`` is the client's error, ``note`` what the journal lacks."""

    def __init__(self, error: WebpushIacError, note: str = "") -> None:
        self.error = error
        self.note = note
        super().__init__(str(error))


class Guard:
    """What every call of one run shares: the journal, the stop request and the first fatal
    reason (authentication refused, the server stopped answering, the journal failed)."""

    def __init__(self, journal: Journal, stop: StopRequest | None = None) -> None:
        self.journal = journal
        self.stop = stop
        self.fatal: str | None = None

    def blocked(self) -> str | None:
        """Why no further request may start, or ``None`` while they may."""
        if self.stop:
            return f"apply was stopped ({self.stop.reason})"
        return self.fatal

    def halt(self, reason: str) -> None:
        if self.fatal is None:
            self.fatal = reason

    def journal_failed(self, exc: JournalError) -> None:
        self.halt(f"the journal could not be written ({self.journal.failure or exc})")

    def on_error(self, exc: WebpushIacError) -> None:
        """Errors that say every remaining call would fail too, so none should start."""
        if isinstance(exc, AuthError):
            self.halt(f"authentication failed (HTTP {exc.status})")
        elif isinstance(exc, NoAnswerError):
            self.halt(f"the server stopped answering ({exc})")


class Call:
    """One request's journal lines; pass the object itself to the client as ``before_send``."""

    def __init__(self, guard: Guard, address: str, request: ApiRequest) -> None:
        self.guard = guard
        self.address = address
        self.request = request
        self.seq: int | None = None

    def __call__(self) -> None:
        if self.seq is not None:
            return  # a retry of a call already journalled: the same intent covers it
        reason = self.guard.blocked()
        if reason is not None:
            raise _NotSent(f"not attempted: {reason}")
        req = self.request
        try:
            self.seq = self.guard.journal.intent(
                address=self.address, kind=req.kind, method=req.method, path=req.path, body=req.body
            )
        except JournalError as exc:
            self.guard.journal_failed(exc)
            raise _NotSent(f"not sent: its intent could not be journalled ({exc})") from None

    def outcome(self, status: str, **fields: Any) -> str:
        """Journal how the call ended; returns a note for the result if the journal lacks it."""
        if self.seq is None:
            return ""
        try:
            self.guard.journal.outcome(self.seq, status=status, **fields)
        except JournalError as exc:
            self.guard.journal_failed(exc)
            return f"the journal lacks this outcome: {exc}"
        return ""


async def send(client: Requester, guard: Guard, address: str, req: ApiRequest) -> tuple[Any, str]:
    """Send one request under its journal lines: ``(answer, note)``.

    Raises :class:`_NotSent` when it was not sent and :class:`_CallFailed` when the API call failed.
    A ``DELETE`` answered 404 counts as done: its goal is absence, which a retry after a lost
    answer, or someone deleting first, both reach.
    """
    call = Call(guard, address, req)
    try:
        response = await client.request(req.method, req.path, json=req.body, before_send=call)
    except (_NotSent, ReadOnlyViolation):
        raise  # ReadOnlyViolation is a programming error, not an API outcome
    except WebpushIacError as exc:
        if isinstance(exc, NotFoundError) and req.method.upper() == "DELETE":
            return None, call.outcome("ok", http_status=404, error="already absent")
        note = call.outcome("failed", error=str(exc), http_status=http_status(exc))
        guard.on_error(exc)
        raise _CallFailed(exc, note) from exc
    return response, call.outcome("ok")


def http_status(exc: BaseException) -> int | None:
    return exc.status if isinstance(exc, ApiError) else None


def created_id_of(response: Any) -> str | None:
    """The ``schedule_id`` a create answered with, if it said one."""
    value: JSON = response if isinstance(response, dict) else {}
    schedule_id = value.get("schedule_id")
    return str(schedule_id) if schedule_id else None


__all__ = ["Call", "Guard", "Requester", "created_id_of", "http_status", "send"]
