"""Task-group helpers: run coroutines concurrently and surface the first real error; and the
cooperative stop request a signal handler sets.

``asyncio.TaskGroup`` gives the cancellation we want but wraps errors in an ``ExceptionGroup``,
which would slip past the CLI's one error boundary; these helpers unwrap to the first leaf so a
failed device read reads as that read's error, not as a group of one.

Cancelling a task mid-request is the wrong way to stop an apply: a cancelled write may or may not
have landed, and its journal line says neither. :class:`StopRequest` is the other way: whoever
handles SIGINT/SIGTERM sets it, apply stops *starting* requests and lets the ones in flight end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


async def run_all(coros: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run concurrently; on the first failure cancel the rest and raise *that* error."""
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                group.create_task(coro)
    except BaseExceptionGroup as group_error:
        raise first_leaf(group_error) from None


async def gather_all(aws: Iterable[Awaitable[T]]) -> list[T]:
    """Like gather, but lets every call finish before raising the first failure (no orphans)."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    out: list[T] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        out.append(result)
    return out


class StopRequest:
    """A one-way flag: "stop starting new work", with the reason (``SIGTERM``, ``SIGINT``).

    ``draining`` is set by the code that honours the flag while it is running (apply, once it
    sends), so the signal handler knows a graceful stop is possible; before that (planning,
    reading) nothing has been sent and cancelling outright is cleaner.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.draining = False

    def __repr__(self) -> str:
        return f"StopRequest(reason={self.reason!r}, draining={self.draining})"

    def set(self, reason: str) -> None:
        """Record the first reason; later ones do not overwrite it."""
        if self.reason is None:
            self.reason = reason

    def __bool__(self) -> bool:
        return self.reason is not None


def first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


__all__ = ["StopRequest", "first_leaf", "gather_all", "run_all"]
