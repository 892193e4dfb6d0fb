"""Writes the API refused because a schedule's time passed between plan and apply, said in words.

The plan pairs a listed task whatever the clock says (docs/api-notes.md "Lifecycle"), so a PUT
may reach a task that fired a moment earlier and left the list; a create may arrive after its own
time. The API answers such writes with a plain 400 whose code and text are not documented, so the
verdict comes from what can be checked: is the task still listed, and has its time passed by the
server's clock. Each verdict keeps the API's own answer beside it.

* PUT of a task no longer listed: "fired (or expired) before the update reached it". The change
  fails (the correction did not land), independent work goes on, and a re-plan then sees the task
  absent and past: fired, never re-created.
* DELETE of a task no longer listed: done. The goal of a delete is a task that will not send, and
  one off the list sends no more.
* Create refused with its time already past: "its time passed before the create reached the API".
  It was never created; the re-plan reports it (a plan error with ``--baseline``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from webpush_iac.apispec import SCHEDULES
from webpush_iac.errors import ApiError, AuthError, RateLimitedError, WebpushIacError
from webpush_iac.plan import ApiRequest, Change
from webpush_iac.plan.lifecycle import lifecycle
from webpush_iac.state import JSON


class Lister(Protocol):
    async def list_schedules(self) -> list[JSON]: ...

    @property
    def server_time(self) -> datetime | None: ...


@dataclass(frozen=True)
class Refusal:
    """Why the API refused; ``done`` when the refusal still reached the request's goal."""

    message: str
    done: bool = False


def _refused(exc: WebpushIacError) -> ApiError | None:
    """A definite refusal (4xx), not a fault, an auth failure or a rate limit."""
    if not isinstance(exc, ApiError) or isinstance(exc, AuthError | RateLimitedError):
        return None
    return exc if 400 <= exc.status < 500 else None


async def explain_refusal(
    client: Lister, change: Change, request: ApiRequest, exc: WebpushIacError, zone: ZoneInfo
) -> Refusal | None:
    """The lifecycle reading of a refused schedule write, or None when it is some other error."""
    refused = _refused(exc)
    prefix = SCHEDULES + "/"
    if refused is None or not request.path.startswith(SCHEDULES):
        return None
    answer = f"HTTP {refused.status}" + (f" code {refused.code}" if refused.code else "")
    answer += f": {refused.api_message}"
    now = client.server_time or datetime.now(UTC)
    if request.kind == "schedule.create":
        trigger = (request.body or {}).get("trigger")
        if isinstance(trigger, dict) and lifecycle(trigger, zone, now) is not None:
            return Refusal(
                "its time passed before the create reached the API, so it was never created and "
                f"will not be sent; move the time forward or remove the document ({answer})"
            )
        return None
    schedule_id = request.path[len(prefix) :]
    if request.kind not in ("schedule.update", "schedule.delete") or "/" in schedule_id:
        return None
    try:
        listed = {str(s.get("schedule_id")) for s in await client.list_schedules()}
    except WebpushIacError:
        return None  # cannot tell: keep the API's own answer
    if schedule_id in listed:
        return None
    if request.kind == "schedule.delete":
        return Refusal(f"task {schedule_id} had already left the list ({answer})", done=True)
    before = change.before if isinstance(change.before, dict) else {}
    kind = next(iter(before.get("trigger") or {}), "")
    passed = "expired" if kind == "periodical" else "fired"
    return Refusal(
        f"task {schedule_id} {passed} before the update reached it and the API no longer lists "
        f"it, so the correction did not land; run plan again ({answer})"
    )


__all__ = ["Refusal", "explain_refusal"]
