"""A JSON-lines journal of every mutating call apply makes: an ``intent`` line before, an ``outcome`` after.

Why: apply talks to an API with no transactions. If the process dies (ctrl-C, a killed CI job, a lost
connection), the operator needs to know which calls were in flight and which had landed; an
``intent`` without an ``outcome`` is exactly "maybe happened". That is why the intent line is flushed
and fsync'd before the request goes out, while outcome lines are only flushed: losing an outcome
merely makes a finished call look in flight, which is the safe direction.

The journal never holds credentials. Request bodies (schedule payloads, tag memberships) are
recorded because they are what an operator needs to replay or undo by hand; as defence in depth any
string registered through ``redact`` is replaced before a line is written.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

DEFAULT_JOURNAL_DIR = Path(".webpush-iac") / "journal"
REDACTED = "***"


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
        # Match the secret both raw and as JSON would escape it inside a string.
        self._redact = tuple(
            {form for s in redact if s for form in (s, json.dumps(s, ensure_ascii=False)[1:-1])}
        )
        self._seq = 0
        started = clock().astimezone(UTC)
        self.run_id = secrets.token_hex(4)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{started.strftime('%Y%m%dT%H%M%S')}Z-{self.run_id}.jsonl"
        self.path = self.directory / name
        self._fh: TextIO | None = self.path.open("x", encoding="utf-8")

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
        """Record a decision that is not a call (e.g. an ambiguous create resolved by re-listing)."""
        self._write({"event": event, **data}, sync=False)

    def finish(self, **summary: Any) -> None:
        self._write({"event": "finish", **summary}, sync=True)

    # -- file handling ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self._fh is not None:
            # ctrl-C or a crash: say so, so the open intents read as "in flight", not "forgotten".
            self._write({"event": "aborted", "error": type(exc).__name__}, sync=True)
        self.close()

    def _write(self, record: dict[str, Any], *, sync: bool) -> None:
        if self._fh is None:
            raise ValueError("journal is closed")
        line = json.dumps(
            {"ts": self._clock().astimezone(UTC).isoformat(), **record},
            ensure_ascii=False,
            sort_keys=False,
            default=str,
        )
        for secret in self._redact:
            line = line.replace(secret, REDACTED)
        self._fh.write(line + "\n")
        self._fh.flush()
        if sync:
            os.fsync(self._fh.fileno())


def read_journal(path: Path | str) -> list[dict[str, Any]]:
    """Parse a journal file; a torn last line (killed mid-write) is ignored rather than fatal."""
    records: list[dict[str, Any]] = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
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
