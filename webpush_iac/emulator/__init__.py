"""A local EngageLab v4 emulator, Web Push or App Push: Starlette app, SQLite store, faults,
and options for the API rules the vendor leaves unsure (docs/emulator.md).

Only tests, the CLI (``webpush-iac emulator serve``) and the CLI's ``--emulator`` option use it;
the reconciler core never imports it. It keeps its own reading of the API on purpose: as an
independent oracle it must not share the engine's interpretation, which would hide the engine's
bugs.
"""

from webpush_iac.emulator.app import create_app, emulator_of
from webpush_iac.emulator.config import EmulatorConfig
from webpush_iac.emulator.server import running_server, serve

__all__ = [
    "EmulatorConfig",
    "create_app",
    "emulator_of",
    "running_server",
    "serve",
]
