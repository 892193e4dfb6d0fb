"""The Starlette app of one emulator: the product's routes (:mod:`routes`) behind the one
pipeline every call goes through (:mod:`pipeline`)."""

from __future__ import annotations

from starlette.applications import Starlette

from webpush_iac.emulator.config import EmulatorConfig
from webpush_iac.emulator.core import Emulator
from webpush_iac.emulator.pipeline import Endpoint
from webpush_iac.emulator.routes import routes


def create_app(config: EmulatorConfig) -> Starlette:
    """A fresh emulator app. Its state (``app.state.emulator``) opens the store on first use."""
    emu = Emulator(config)
    app = Starlette(routes=routes(emu))
    # Anything unrouted (including paths the catch-alls' regexes cannot match, such as ones
    # with a newline) gets the JSON 404 of our pipeline, never Starlette's text or a redirect.
    app.router.redirect_slashes = False
    app.router.default = Endpoint(emu, {}, "push")
    app.state.emulator = emu
    return app


def emulator_of(app: Starlette) -> Emulator:
    """The :class:`Emulator` behind an app made by :func:`create_app` (tests, server shutdown)."""
    emu = app.state.emulator
    assert isinstance(emu, Emulator)
    return emu
