"""A JSON-lines journal of every mutating call apply makes: an ``intent`` line before, an ``outcome`` after.

Why: apply talks to an API with no transactions. If the process dies (ctrl-C, a killed CI job, a lost
connection), the operator needs to know which calls were in flight and which had landed; an
``intent`` without an ``outcome`` is exactly "maybe happened". That is why the intent line is
written and fsync'd right before the request goes out (the client calls apply back once the request
holds its in-flight slot and rate-limit permit), while outcome lines are only written: losing an
outcome merely makes a finished call look in flight, which is the safe direction.

A journal that cannot be written (disk full, a file-size limit) must not be papered over: the first
failed write marks it failed, raises :class:`~webpush_iac.errors.JournalError`, and every later
write refuses too, so apply sends no request whose intent is not on disk. Lines go out with one
``os.write`` loop on an unbuffered descriptor, so nothing half-written lingers in a buffer to be
glued onto a later line; a write torn by the limit can only be the file's last line, which
:func:`read_journal` skips.

The journal never holds credentials. Request bodies (schedule payloads, tag memberships) are
recorded because they are what an operator needs to replay or undo by hand; as defence in depth any
string registered through ``redact`` is replaced (whole occurrences only, see
``webpush_iac.redaction``) before a line is written.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from webpush_iac.errors import JournalError
from webpush_iac.redaction import redact, secret_pattern

DEFAULT_JOURNAL_DIR = Path(".webpush-iac") / "journal"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Journal:
    """One apply run's journal file, ``<dir>/<UTC timestamp>-<short id>.jsonl``.

    Single-threaded by design: apply runs on one event loop and each line is written whole by one
    synchronous call, so concurrent tasks cannot interleave half lines.
    """

    def __init__(
        self,
        directory: Path | str = DEFAULT_JOURNAL_DIR,
        *,
        redact: Iterable[str] = (),
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._clock = clock
        self._redact = secret_pattern(redact)
        self._seq = 0
        started = clock().astimezone(UTC)
        self.run_id = secrets.token_hex(4)
        self.directory = Path(directory)
        name = f"{started.strftime('%Y%m%dT%H%M%S')}Z-{self.run_id}.jsonl"
        self.path = self.directory / name
        #: Why the journal stopped taking lines (``None`` while it works).
        self.failure: str | None = None
        self._ended = False  # a finish or aborted line is written: the run's story is complete
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
            self._fd: int | None = os.open(self.path, flags, 0o666)
        except OSError as exc:
            raise JournalError(
                f"cannot create the apply journal in {self.directory}: {_reason(exc)}; "
                "nothing was sent"
            ) from None

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # -- lines -----------------------------------------------------------------------------------

    def start(self, **info: Any) -> None:
        """Record what is being applied (project, target, plan summary) so the file stands alone.

        The process id is recorded too: after a crash it tells which CI job or shell the run was.
        """
        record = {"event": "start", "run_id": self.run_id, "pid": os.getpid(), **info}
        self._write(record, sync=True)

    def intent(
        self,
        *,
        address: str,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
    ) -> int:
        """Record a call about to be sent; returns the sequence number its outcome refers to."""
        self._seq += 1
        self._write(
            {
                "event": "intent",
                "seq": self._seq,
                "address": address,
                "kind": kind,
                "method": method,
                "path": path,
                "body": body,
            },
            sync=True,
        )
        return self._seq

    def outcome(
        self,
        seq: int,
        *,
        status: str,
        error: str | None = None,
        created_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        """Record how call ``seq`` ended: ``ok``, ``failed`` or ``ambiguous`` (outcome unknown)."""
        line: dict[str, Any] = {"event": "outcome", "seq": seq, "status": status}
        if http_status is not None:
            line["http_status"] = http_status
        if error is not None:
            line["error"] = error
        if created_id is not None:
            line["created_id"] = created_id
        self._write(line, sync=False)

    def note(self, event: str, **data: Any) -> None:
        """Record a decision that is not a call (e.g. an ambiguous create resolved by re-listing).

        Best effort: a note nobody acts on is not worth stopping for, and a failed write still
        marks the journal failed, so the next intent refuses.
        """
        if self.failure is None:
            with contextlib.suppress(JournalError):
                self._write({"event": event, **data}, sync=False)

    def finish(self, **summary: Any) -> None:
        self._write({"event": "finish", **summary}, sync=True)
        self._ended = True

    def abort(self, reason: str, **summary: Any) -> None:
        """The run was stopped on purpose (SIGTERM, SIGINT): it ends here, without ``finish``."""
        self._write({"event": "aborted", "error": reason, **summary}, sync=True)
        self._ended = True

    # -- file handling ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self._fd is not None and self.failure is None and not self._ended:
            # ctrl-C or a crash: say so, so the open intents read as "in flight", not "forgotten".
            # The original exception is the news; a failed write is recorded in ``failure``.
            with contextlib.suppress(JournalError):
                self._write({"event": "aborted", "error": type(exc).__name__}, sync=True)
        self.close()

    def _clean(self, record: dict[str, Any]) -> dict[str, Any]:
        """Every value of ``record`` without the redacted strings; the event name is ours."""
        if self._redact is None:
            return record
        return {k: v if k == "event" else _redacted(v, self._redact) for k, v in record.items()}

    def _write(self, record: dict[str, Any], *, sync: bool) -> None:
        if self._fd is None:
            raise ValueError("journal is closed")
        if self.failure is not None:
            raise JournalError(f"the journal {self.path} failed earlier ({self.failure})")
        # The values are redacted, not the JSON text: a secret that spells a key or a bit of
        # syntax must not break the line, and only whole occurrences are replaced.
        line = json.dumps(
            {"ts": self._clock().astimezone(UTC).isoformat(), **self._clean(record)},
            ensure_ascii=False,
            sort_keys=False,
            default=str,
        )
        data = memoryview((line + "\n").encode("utf-8"))
        try:
            while data:
                data = data[os.write(self._fd, data) :]
            if sync:
                os.fsync(self._fd)
        except OSError as exc:
            self.failure = _reason(exc)
            raise JournalError(f"cannot write the journal {self.path}: {self.failure}") from None


def _reason(exc: OSError) -> str:
    """``File too large``, ``No space left on device``: the OS's words, without the path again."""
    return exc.strerror or type(exc).__name__


def _redacted(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return redact(value, pattern)
    if isinstance(value, dict):
        return {_redacted(k, pattern): _redacted(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v, pattern) for v in value]
    return value


def read_journal(path: Path | str) -> list[dict[str, Any]]:
    """Parse a journal file; a torn last line (killed mid-write, or cut by a full disk, possibly in
    the middle of a multi-byte character) is ignored rather than fatal."""
    records: list[dict[str, Any]] = []
    for raw in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


def run_status(records: Iterable[dict[str, Any]]) -> str:
    """How a run ended: ``finished``, ``aborted`` (an exception was caught and recorded) or
    ``killed`` (no final line: SIGKILL, OOM or power loss ended it without a word).

    ``killed`` and ``aborted`` runs may have calls in flight (:func:`in_flight`); a re-run of plan
    then apply reads live state again, so it neither repeats what landed nor forgets what did not.
    """
    events = [rec.get("event") for rec in records]
    if "finish" in events:
        return "finished"
    if "aborted" in events:
        return "aborted"
    return "killed"


def in_flight(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The intents that never got an outcome: the calls whose effect must be checked by hand."""
    intents: dict[int, dict[str, Any]] = {}
    for rec in records:
        if rec.get("event") == "intent":
            intents[int(rec["seq"])] = rec
        elif rec.get("event") == "outcome":
            intents.pop(int(rec["seq"]), None)
    return [intents[k] for k in sorted(intents)]
