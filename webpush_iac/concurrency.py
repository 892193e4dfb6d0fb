"""Task-group helpers: run coroutines concurrently and surface the first real error.

``asyncio.TaskGroup`` gives the cancellation we want but wraps errors in an ``ExceptionGroup``,
which would slip past the CLI's one error boundary; these helpers unwrap to the first leaf so a
failed device read reads as that read's error, not as a group of one.
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


def first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


__all__ = ["first_leaf", "gather_all", "run_all"]
