"""SIGINT and SIGTERM while a command runs, with real signals sent to this process.

The reliability suite sends them to a real ``apply`` subprocess; these pin the rules themselves:
graceful while apply drains, an immediate cancel before anything is sent, a second signal cancels
what is in flight, exit 128 + the signal, and the previous handlers back afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from webpush_iac.cli.signals import SignalHandling
from webpush_iac.concurrency import StopRequest
from webpush_iac.errors import Interrupted


def test_the_first_signal_while_apply_drains_only_asks_it_to_stop() -> None:
    stop = StopRequest()
    notes: list[str] = []
    noticed = asyncio.Event()  # binds to the command's loop on first use

    def notify(text: str) -> None:
        notes.append(text)
        noticed.set()

    async def command() -> str:
        stop.draining = True
        os.kill(os.getpid(), signal.SIGTERM)
        await noticed.wait()
        return "finished its in-flight work"

    assert SignalHandling(stop, notify).run(command()) == "finished its in-flight work"
    assert stop.reason == "SIGTERM"
    assert notes == [
        "SIGTERM: no new request starts; waiting for the ones in flight "
        "(send the signal again to cancel them)"
    ]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_before_anything_is_sent_cancels_the_command(sig: int, code: int) -> None:
    async def command() -> None:
        os.kill(os.getpid(), sig)
        await asyncio.Event().wait()  # planning: nothing to wind down, so no need to finish

    with pytest.raises(Interrupted) as info:
        SignalHandling(StopRequest(), print).run(command())
    assert info.value.exit_code == code
    assert str(info.value) == f"interrupted by {signal.Signals(sig).name}"


def test_a_second_signal_cancels_the_requests_still_in_flight() -> None:
    stop = StopRequest()
    cancelled: list[bool] = []

    async def command() -> None:
        stop.draining = True
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
        try:
            await asyncio.Event().wait()  # a request that never ends
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    with pytest.raises(Interrupted) as info:
        SignalHandling(stop, lambda _text: None).run(command())
    assert cancelled == [True]
    assert info.value.exit_code == 143


def test_the_previous_handlers_are_back_after_the_command() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    async def command() -> None:
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]

    SignalHandling(StopRequest(), print).run(command())
    assert {s: signal.getsignal(s) for s in before} == before
