"""Running the real pipeline (manifest loader, client, live reader, diff, apply) in process.

The end-to-end tests call the ``commands`` functions against the real emulator app; only faults
the emulator cannot place on one exact request are injected, by
:class:`support.emulator.FailMatching` in front of it.
"""

from __future__ import annotations

from typing import Any

from webpush_iac.commands.connection import Target


async def no_sleep(_seconds: float) -> None:
    """Backoff waits are skipped: the emulator's faults do not depend on elapsed time."""


def target_for(app: Any) -> Target:
    """Run the pipeline against ``app`` in process; backoff sleeps are skipped to keep tests fast."""
    return Target(emulator=lambda **_: app, client_options={"sleep": no_sleep})
