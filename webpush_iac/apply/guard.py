"""The last check before a request leaves: every mutating call against the plan allow-list.

A saved plan's requests are checked when it is loaded (``plan.requests``); this checks each one
again at the moment it is sent, with its real ids filled in (a ``{created_id}`` path only gets its
id from the create's answer, which came from the server). So even a bug between loading and
sending cannot make apply call a send endpoint, an admin route or a path no plan may contain.
A refused request is refused before the client is asked, so it never reaches the API and no
intent claims it was in flight; it fails like any other (reported, exit 4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from webpush_iac.apply.calls import Requester
from webpush_iac.errors import InvalidPlanError
from webpush_iac.plan import check_outgoing
from webpush_iac.plan.requests import show
from webpush_iac.state import JSON


class GuardedRequester:
    """A :class:`Requester` that refuses (``InvalidPlanError``) any request outside the plan
    allow-list, checked against the ownership prefix the plan recorded; reads pass through."""

    def __init__(self, inner: Requester, *, prefix: str) -> None:
        self._inner = inner
        self._prefix = prefix

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        idempotent: bool | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> Any:
        check_outgoing(method, path, json, prefix=self._prefix)
        if params is not None:
            raise InvalidPlanError(
                f"refusing to send {method} {show(path)} with a query: no plan request takes one"
            )
        return await self._inner.request(
            method, path, json=json, params=params, idempotent=idempotent, before_send=before_send
        )

    async def list_schedules(self) -> list[JSON]:
        return await self._inner.list_schedules()

    async def get_schedule(self, schedule_id: str) -> JSON | None:
        return await self._inner.get_schedule(schedule_id)

    async def get_device(self, registration_id: str) -> JSON:
        return await self._inner.get_device(registration_id)

    @property
    def server_time(self) -> datetime | None:
        return self._inner.server_time


__all__ = ["GuardedRequester"]
