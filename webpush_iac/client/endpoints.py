"""The Web Push v4 endpoints, as methods over one generic ``request``.

A mixin so that ``engagelab`` keeps the transport machinery (and the only httpx import) while this
module holds what each endpoint means: paths, chunk sizes, and the defensive reading of answers
whose shape the SDKs disagree on (each is in docs/api-notes.md). Every path segment that comes
from data is percent-encoded: tags and aliases may be CJK and must not be able to smuggle a ``/``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from webpush_iac.apispec import (
    BATCH_LIMIT,
    DETAILS_CHUNK,
    DEVICES_STATUS,
    MAX_SCHEDULE_PAGES,
    MESSAGE_DETAILS,
    PUSH,
    PUSH_VALIDATE,
    SCHEDULES,
    STATUS_CHUNK,
    TAG_CHUNK,
    TAGS,
    TAGS_COUNT,
    TAGS_COUNT_CHUNK,
    alias_path,
    batch_push_path,
    device_path,
    schedule_msg_ids_path,
    schedule_path,
    tag_member_path,
    tag_path,
)
from webpush_iac.client.policy import parse_msg_ids
from webpush_iac.client.schedule_list import Page, merge, read_page
from webpush_iac.concurrency import gather_all
from webpush_iac.errors import ClientError, NotFoundError
from webpush_iac.state import JSON

T = TypeVar("T")

logger = logging.getLogger("webpush_iac.client")

LIST_ATTEMPTS = 3


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class EndpointsMixin:
    """Endpoint methods; the class using it provides ``request``."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        raise NotImplementedError

    # --- schedules ------------------------------------------------------------------------------

    async def _schedule_page(self, page: int) -> Page:
        return read_page(await self.request("GET", SCHEDULES, params={"page": page}), page)

    async def _schedule_pages(self) -> list[Page]:
        """Page 1, then the rest concurrently (or one by one until an empty page when no page
        count is given)."""
        first = await self._schedule_page(1)
        if first.total_pages is not None:
            rest = range(2, first.total_pages + 1)
            return [first, *await gather_all(self._schedule_page(n) for n in rest)]
        pages = [first]
        while pages[-1].items:
            if len(pages) >= MAX_SCHEDULE_PAGES:
                raise ClientError(
                    f"GET {SCHEDULES} gave no page count and no empty page within "
                    f"{MAX_SCHEDULE_PAGES} pages; the schedule list cannot be trusted"
                )
            pages.append(await self._schedule_page(len(pages) + 1))
        return pages

    async def list_schedules(self) -> list[JSON]:
        """Every schedule the list shows, across all pages; a ClientError when the answers do
        not add up (docs/api-notes.md "Schedules: list").

        The list is not a snapshot: a task expiring between two page reads shifts later tasks one
        place left, so one would be missed and a reconciler would create it again. When the pages
        disagree on ``total_count``, or do not list as many schedules as it says, the whole
        listing is read again.
        """
        problem = ""
        for _ in range(LIST_ATTEMPTS):
            listing = merge(await self._schedule_pages())
            if not listing.problem:
                return listing.schedules
            problem = listing.problem
            logger.debug("schedule list: %s; reading it again", problem)
        raise ClientError(
            f"the schedule list did not add up in {LIST_ATTEMPTS} reads ({problem}): it kept "
            "changing while it was read page by page, or the server answers wrongly; nothing was "
            "planned, retry"
        )

    async def get_schedule(self, schedule_id: str) -> JSON | None:
        """One schedule, or None when absent; the API answers an array, JPush an object."""
        try:
            data = await self.request("GET", schedule_path(schedule_id))
        except NotFoundError:
            return None
        if isinstance(data, list):
            return data[0] if data and isinstance(data[0], dict) else None
        return data if isinstance(data, dict) else None

    async def create_schedule(self, body: JSON) -> JSON:
        """Create a schedule: ``{"schedule_id", "name"}``. Never retried (not idempotent)."""
        data = await self.request("POST", SCHEDULES, json=body)
        return data if isinstance(data, dict) else {}

    async def update_schedule(self, schedule_id: str, body: JSON) -> Any:
        return await self.request("PUT", schedule_path(schedule_id), json=body)

    async def delete_schedule(self, schedule_id: str, *, missing_ok: bool = False) -> None:
        """Delete a schedule. ``missing_ok``: a 404 counts as done, as after a retried DELETE
        whose first answer was lost."""
        try:
            await self.request("DELETE", schedule_path(schedule_id))
        except NotFoundError:
            if not missing_ok:
                raise

    async def schedule_msg_ids(self, schedule_id: str) -> list[str]:
        data = await self.request("GET", schedule_msg_ids_path(schedule_id))
        return parse_msg_ids(data)

    # --- devices --------------------------------------------------------------------------------

    async def get_device(self, registration_id: str) -> JSON:
        """``{"tags": [...], "alias": str}`` with JPush-style nulls normalised to empty values."""
        data = await self.request("GET", device_path(registration_id))
        data = data if isinstance(data, dict) else {}
        tags = data.get("tags") or []
        alias = data.get("alias") or ""
        return {**data, "tags": [str(t) for t in tags], "alias": str(alias)}

    async def set_device(
        self,
        registration_id: str,
        *,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        alias: str | None = None,
        clear_tags: bool = False,
    ) -> None:
        """Change a device's tags and/or alias. ``alias=""`` removes the alias, ``None`` leaves it.

        Does nothing (sends nothing) when there is nothing to change.
        """
        add, remove = _unique(add_tags), _unique(remove_tags)
        body: JSON = {}
        if clear_tags:
            if add or remove:
                raise ValueError("clear_tags cannot be combined with add_tags/remove_tags")
            body["tags"] = ""
        elif add or remove:
            body["tags"] = {k: v for k, v in (("add", add), ("remove", remove)) if v}
        if alias is not None:
            body["alias"] = alias
        if body:
            await self.request("POST", device_path(registration_id), json=body)

    async def delete_device(self, registration_id: str) -> None:
        await self.request("DELETE", device_path(registration_id))

    async def devices_status(self, registration_ids: Iterable[str]) -> list[JSON]:
        """Online status rows ``{"regid", "online", ...}``; a JPush-style map is turned into rows."""
        rows: list[JSON] = []
        for chunk in _chunks(_unique(registration_ids), STATUS_CHUNK):
            data = await self.request(
                "POST", DEVICES_STATUS, json={"registration_ids": list(chunk)}
            )
            if isinstance(data, list):
                rows += [r for r in data if isinstance(r, dict)]
            elif isinstance(data, dict):
                rows += [{"regid": k, **v} for k, v in data.items() if isinstance(v, dict)]
        return rows

    # --- tags -----------------------------------------------------------------------------------

    async def list_tags(self) -> list[str]:
        data = await self.request("GET", TAGS)
        tags = data.get("tags") if isinstance(data, dict) else None
        return [str(t) for t in tags] if isinstance(tags, list) else []

    async def update_tag(
        self, tag: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> int:
        """Bulk-add/remove devices to a tag, ≤ 1000 ids per list per call; returns calls sent.

        Calls go one after another, so after a failure every earlier chunk is known to be done.
        """
        adds = _chunks(_unique(add), TAG_CHUNK)
        removes = _chunks(_unique(remove), TAG_CHUNK)
        path = tag_path(tag)
        calls = max(len(adds), len(removes))
        for i in range(calls):
            ids: JSON = {}
            if i < len(adds):
                ids["add"] = list(adds[i])
            if i < len(removes):
                ids["remove"] = list(removes[i])
            await self.request("POST", path, json={"registration_ids": ids})
        return calls

    async def delete_tag(self, tag: str, *, platform: str | None = None) -> None:
        params = {"platform": platform} if platform else None
        await self.request("DELETE", tag_path(tag), params=params)

    async def tag_has_device(self, tag: str, registration_id: str) -> bool:
        path = tag_member_path(tag, registration_id)
        try:
            data = await self.request("GET", path)
        except NotFoundError:
            return False
        return isinstance(data, dict) and data.get("result") is True

    async def tags_count(
        self, tags: Iterable[str], *, platform: str | None = "web"
    ) -> dict[str, int]:
        """Devices per tag; the API wants repeated ``tags=`` keys and a single ``platform``."""
        counts: dict[str, int] = {}
        for chunk in _chunks(_unique(tags), TAGS_COUNT_CHUNK):
            params: JSON = {"tags": list(chunk)}
            if platform:
                params["platform"] = platform
            data = await self.request("GET", TAGS_COUNT, params=params)
            found = data.get("tagsCount") if isinstance(data, dict) else None
            if isinstance(found, dict):
                counts.update({str(k): int(v) for k, v in found.items() if isinstance(v, int)})
        return counts

    # --- aliases --------------------------------------------------------------------------------

    async def get_alias(self, alias: str, *, platform: str | None = None) -> list[str]:
        """Registration ids bound to an alias ([] when unknown)."""
        params = {"platform": platform} if platform else None
        try:
            data = await self.request("GET", alias_path(alias), params=params)
        except NotFoundError:
            return []
        rids = data.get("registration_ids") if isinstance(data, dict) else None
        return [str(r) for r in rids] if isinstance(rids, list) else []

    async def delete_alias(self, alias: str, *, platform: str | None = None) -> None:
        params = {"platform": platform} if platform else None
        await self.request("DELETE", alias_path(alias), params=params)

    # --- push and statistics --------------------------------------------------------------------

    async def push(self, body: JSON) -> JSON:
        """Send a push now: ``{"request_id", "msg_id"}``. Never retried (not idempotent)."""
        data = await self.request("POST", PUSH, json=body)
        return data if isinstance(data, dict) else {}

    async def validate_push(self, body: JSON) -> JSON:
        """Validate a push without delivering it; retried like a read since nothing is sent."""
        data = await self.request("POST", PUSH_VALIDATE, json=body, idempotent=True)
        return data if isinstance(data, dict) else {}

    async def batch_push(self, kind: Literal["regid", "alias"], requests: Sequence[JSON]) -> JSON:
        """One batch push call (≤ 500 targets); per-target failures are in the answer's results."""
        if kind not in ("regid", "alias"):
            raise ValueError("kind must be 'regid' or 'alias'")
        if not requests or len(requests) > BATCH_LIMIT:
            raise ValueError(f"a batch push takes 1 to {BATCH_LIMIT} requests")
        data = await self.request("POST", batch_push_path(kind), json={"requests": list(requests)})
        return data if isinstance(data, dict) else {}

    async def message_details(self, message_ids: Iterable[str]) -> JSON:
        """Delivery statistics keyed by message id (≤ 100 ids per call, merged)."""
        merged: JSON = {}
        for chunk in _chunks(_unique(str(m) for m in message_ids), DETAILS_CHUNK):
            data = await self.request(
                "GET", MESSAGE_DETAILS, params={"message_ids": ",".join(chunk)}
            )
            if isinstance(data, dict):
                merged.update(data)
        return merged


__all__ = ["EndpointsMixin"]
