"""What an apply did, request by request, so a partial failure can be reported and resumed.

``apply`` fills an :class:`ApplyResult`; the renderers turn it into text, markdown or JSON. Every
request of the plan ends in exactly one of three lists: ``done``, ``failed`` (with the error text,
which never holds a secret because the client keeps credentials out of exception messages) or
``not_attempted`` (skipped because something it depends on failed, or apply stopped early). The
post-create duplicate check adds the deletes it sent to the same lists, each with a ``note``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from webpush_iac.plan import ApiRequest
from webpush_iac.state import JSON

OutcomeStatus = Literal["done", "failed", "not_attempted"]


@dataclass(frozen=True)
class RequestOutcome:
    """One request of one change; ``created_id`` is the schedule id a create returned.

    ``note`` says what the operator should know beyond the outcome: that the journal lacks this
    outcome (it could not be written), why a request the plan did not hold was sent, or why a
    request counts as done although the API refused it (a delete of a task already off the list).
    """

    address: str
    request: ApiRequest
    error: str = ""
    created_id: str | None = None
    note: str = ""

    def to_data(self) -> JSON:
        data: JSON = {"address": self.address, "request": self.request.to_data()}
        if self.error:
            data["error"] = self.error
        if self.created_id:
            data["created_id"] = self.created_id
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class ApplyResult:
    """Mutable on purpose: apply appends as requests complete.

    ``stopped`` names the signal that stopped the run early (``SIGTERM``); ``warnings`` are facts
    about the run as a whole (the journal became unwritable, the duplicate check could not run).
    """

    project: str = ""
    done: list[RequestOutcome] = field(default_factory=list)
    failed: list[RequestOutcome] = field(default_factory=list)
    not_attempted: list[RequestOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped: str | None = None

    def add(self, status: OutcomeStatus, outcome: RequestOutcome) -> None:
        {"done": self.done, "failed": self.failed, "not_attempted": self.not_attempted}[
            status
        ].append(outcome)

    @property
    def ok(self) -> bool:
        """Everything the plan asked for was done (exit 0); otherwise apply exits 4."""
        return not self.failed and not self.not_attempted

    def to_data(self) -> JSON:
        return {
            "project": self.project,
            "ok": self.ok,
            "summary": {
                "done": len(self.done),
                "failed": len(self.failed),
                "not_attempted": len(self.not_attempted),
            },
            "done": [o.to_data() for o in self.done],
            "failed": [o.to_data() for o in self.failed],
            "not_attempted": [o.to_data() for o in self.not_attempted],
            "warnings": list(self.warnings),
            "stopped": self.stopped,
        }


__all__ = ["ApplyResult", "OutcomeStatus", "RequestOutcome"]
