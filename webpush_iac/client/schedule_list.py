"""Reading the paged schedule list strictly: an answer it cannot account for fails the plan.

Why strict: the list is the only way a reconciler learns which schedules exist. An answer read as
"no schedules" when it is really ``{}``, the word ``success``, a renamed key or a count with no
items makes every apply create every declared schedule again, a duplicate send per run. So each
page must be the documented object (docs/api-notes.md "Schedules: list": ``total_count``,
``total_pages``, ``page``, ``schedules``), every item must carry the id and name later calls need,
and the pages together must add up to the count they report. Pure functions; the client does the
reading and the re-reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webpush_iac.apispec import MAX_SCHEDULE_PAGES, SCHEDULES
from webpush_iac.errors import ClientError
from webpush_iac.state import JSON


@dataclass(frozen=True)
class Page:
    """One validated list page."""

    number: int
    items: tuple[JSON, ...]
    total_count: int | None = None
    total_pages: int | None = None


def _refuse(page: int, what: str) -> ClientError:
    return ClientError(
        f"GET {SCHEDULES}?page={page} answered {what}; the schedule list cannot be trusted, "
        "so nothing was planned (a plan from it could create every schedule again)"
    )


def _describe(data: Any) -> str:
    if data is None:
        return "an empty or bare 'success' body instead of a page object"
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:8]) or "none"
        return f"an object without a 'schedules' list (keys: {keys})"
    return f"a JSON {type(data).__name__} instead of a page object"


def _count(data: JSON, key: str, page: int) -> int | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _refuse(page, f"{key} {str(value)[:40]!r}, not a non-negative integer")
    return value


def read_page(data: Any, page: int) -> Page:
    """Validate one answer of ``GET /v4/schedules?page=N``; raise ClientError on any other shape."""
    if not isinstance(data, dict) or not isinstance(data.get("schedules"), list):
        raise _refuse(page, _describe(data))
    items: list[JSON] = []
    for index, item in enumerate(data["schedules"], start=1):
        if not isinstance(item, dict):
            raise _refuse(
                page, f"a page whose item {index} is a JSON {type(item).__name__}, not an object"
            )
        sid = item.get("schedule_id")
        if isinstance(sid, bool) or not isinstance(sid, str | int) or sid == "":
            raise _refuse(page, f"a page whose item {index} has no schedule_id")
        if not isinstance(item.get("name"), str):
            raise _refuse(page, f"a page whose item {index} (schedule {sid}) has no name")
        items.append(item)
    total_pages = _count(data, "total_pages", page)
    if total_pages is not None and total_pages > MAX_SCHEDULE_PAGES:
        raise _refuse(
            page, f"total_pages {total_pages}, past the {MAX_SCHEDULE_PAGES} read at most"
        )
    return Page(page, tuple(items), _count(data, "total_count", page), total_pages)


@dataclass(frozen=True)
class Listing:
    """What a set of pages adds up to: the schedules, or why they do not add up.

    Every such ``problem`` is one a change between two page reads can explain (a task expiring
    shifts later ones a place), so the client reads the whole list again before giving up.
    """

    schedules: list[JSON]
    problem: str = ""


def merge(pages: list[Page]) -> Listing:
    """Schedules of consecutive pages up to the first empty one, de-duplicated by id, checked
    against the ``total_count`` the pages report."""
    seen: dict[str, JSON] = {}
    empty_at: int | None = None
    for page in pages:
        if not page.items:
            empty_at = page.number if empty_at is None else empty_at
            continue
        if empty_at is not None:
            return Listing(
                [], f"page {page.number} lists schedules after the empty page {empty_at}"
            )
        for item in page.items:
            seen.setdefault(str(item["schedule_id"]), item)
    schedules = list(seen.values())
    counts = {p.total_count for p in pages if p.total_count is not None}
    if len(counts) > 1:
        return Listing(schedules, "the pages disagree on total_count")
    total = next(iter(counts), None)
    if total is not None and total != len(schedules):
        return Listing(
            schedules,
            f"total_count says {total} schedules but the pages list {len(schedules)}",
        )
    return Listing(schedules)


__all__ = ["Listing", "Page", "merge", "read_page"]
