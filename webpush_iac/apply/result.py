"""What an apply did, request by request, so a partial failure can be reported and resumed.

``apply`` fills an :class:`ApplyResult`; the renderers turn it into text, markdown or JSON. Every
request of the plan ends in exactly one of three lists: ``done``, ``failed`` (with the error text,
which never holds a secret because the client keeps credentials out of exception messages) or
``not_attempted`` (skipped because something it depends on failed, or apply stopped early).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from webpush_iac.plan import ApiRequest
from webpush_iac.state import JSON

OutcomeStatus = Literal["done", "failed", "not_attempted"]


@dataclass(frozen=True)
class RequestOutcome:
    """One request of one change; ``created_id`` is the schedule id a create returned."""

    address: str
    request: ApiRequest
    error: str = ""
    created_id: str | None = None

    def to_data(self) -> JSON:
        data: JSON = {"address": self.address, "request": self.request.to_data()}
        if self.error:
            data["error"] = self.error
        if self.created_id:
            data["created_id"] = self.created_id
        return data


@dataclass
class ApplyResult:
    """Mutable on purpose: apply appends as requests complete."""

    project: str = ""
    done: list[RequestOutcome] = field(default_factory=list)
    failed: list[RequestOutcome] = field(default_factory=list)
    not_attempted: list[RequestOutcome] = field(default_factory=list)

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
        }


__all__ = ["ApplyResult", "OutcomeStatus", "RequestOutcome"]
