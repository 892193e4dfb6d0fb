"""SIGINT and SIGTERM while a command runs: a CI cancel is handled like ctrl-C, never a silent death.

A CI runner cancels a job with SIGTERM, and the default action kills Python on the spot: no result
summary, no journal end line, exit -15. So while a command's event loop runs, both signals go to
:class:`SignalHandling`:

* while apply sends (``StopRequest.draining``), the first signal sets the stop request: no new
  request starts, the ones in flight end (each bounded by the timeout), the journal gets its
  ``aborted`` line and the result summary is printed; the exit code is then 128 + the signal
  (130 for SIGINT, 143 for SIGTERM). A second signal cancels the requests still in flight.
* before anything is sent (reading, planning), the first signal cancels the command at once:
  there is nothing to wind down.
* one more signal after that raises at once (``KeyboardInterrupt`` / :class:`Interrupted`). The
  confirmation prompt installs its own handlers while it waits (``reconcile.confirm``), so there
  the first signal ends it.

Plain ``signal.signal`` handlers rather than the event loop's: they also run while the loop is
blocked in a synchronous call (the confirmation prompt), as ``asyncio.run``'s own SIGINT handler
does, which this replaces for the duration.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

from webpush_iac.concurrency import StopRequest
from webpush_iac.errors import Interrupted

T = TypeVar("T")
HANDLED = (signal.SIGINT, signal.SIGTERM)


def interrupted(name: str, message: str = "") -> Interrupted:
    """The error for a run a signal ended; ``name`` is ``SIGTERM`` or ``SIGINT``."""
    number = int(signal.Signals[name])
    return Interrupted(message or f"interrupted by {name}", signal_number=number)


def terminate_on_sigterm() -> None:
    """Outside a command's loop (start-up, printing) SIGTERM ends the process as an error with
    exit 143, as SIGINT's KeyboardInterrupt does with 130, instead of a silent death."""

    def raise_interrupted(signum: int, _frame: FrameType | None) -> None:
        raise interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, raise_interrupted)


class SignalHandling:
    """Runs one coroutine under :func:`asyncio.run` with the signal rules of the module docstring."""

    def __init__(self, stop: StopRequest, notify: Callable[[str], None]) -> None:
        self.stop = stop
        self._notify = notify
        self._count = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        with self._installed():
            try:
                return asyncio.run(self._main(coro))
            except asyncio.CancelledError:
                if self.stop.reason is not None:
                    raise interrupted(self.stop.reason) from None
                raise

    async def _main(self, coro: Coroutine[Any, Any, T]) -> T:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        try:
            return await coro
        finally:
            self._task = None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self._count += 1
        graceful = self.stop.draining and self._count == 1
        self.stop.set(name)
        cancel = self._count == 1 or (self._count == 2 and self.stop.draining)
        if not graceful and not cancel:
            raise KeyboardInterrupt if signum == signal.SIGINT else interrupted(name)
        loop, task = self._loop, self._task
        if loop is None or task is None:
            return  # the loop is starting or ending: the next await point sees the stop request
        if graceful:
            loop.call_soon_threadsafe(
                self._notify,
                f"{name}: no new request starts; waiting for the ones in flight "
                "(send the signal again to cancel them)",
            )
        else:
            task.cancel()
        loop.call_soon_threadsafe(lambda: None)  # wake the loop if it waits in select()

    @contextmanager
    def _installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may set handlers (and only it receives signals)
            return
        previous = {sig: signal.getsignal(sig) for sig in HANDLED}
        for sig in HANDLED:
            signal.signal(sig, self._handle)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


__all__ = ["SignalHandling", "interrupted", "terminate_on_sigterm"]
