"""The options plan, apply, audit and export share, as small typed records.

click hands each command its options as keyword arguments; the commands gather them into these
records at once, so the helpers below them take typed values instead of a ``**opts`` bag.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from webpush_iac.cli.app import debug_option
from webpush_iac.commands.connection import EMULATOR_DB, CredentialEnv, Target
from webpush_iac.render import OutputFormat
from webpush_iac.state import DEFAULT_TIMEOUT, MAX_TIMEOUT, TIMEOUT_ATTEMPTS

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class TargetOptions:
    """Where requests go: ``--base-url`` / ``WEBPUSH_BASE_URL``, or the embedded emulator."""

    base_url: str | None
    emulator: bool
    base_url_from_env: bool = False
    timeout: float | None = None

    def target(self) -> Target:
        if not self.emulator:
            return Target(base_url=self.base_url, timeout=self.timeout)
        # An inherited WEBPUSH_BASE_URL must not defeat --emulator; an explicit --base-url does.
        base_url = None if self.base_url_from_env else self.base_url
        return Target(
            base_url=base_url,
            emulator=embedded_emulator,
            register_devices=True,
            timeout=self.timeout,
        )


@dataclass(frozen=True)
class OutputOptions:
    """How a plan, audit or result is shown."""

    fmt: OutputFormat
    show_identifiers: bool

    def color(self, *, err: bool = False) -> bool:
        stream = sys.stderr if err else sys.stdout
        return stream.isatty() and "NO_COLOR" not in os.environ


def target_options(
    base_url: str | None, emulator: bool, timeout: float | None = None
) -> TargetOptions:
    source = click.get_current_context().get_parameter_source("base_url")
    return TargetOptions(
        base_url=base_url,
        emulator=emulator,
        base_url_from_env=source is click.core.ParameterSource.ENVIRONMENT,
        timeout=timeout,
    )


def embedded_emulator(*, app_key: str, master_secret: str, timezone: str) -> Any:
    """The ``--emulator`` app: only cli may import the emulator."""
    from webpush_iac.emulator import EmulatorConfig, create_app

    EMULATOR_DB.parent.mkdir(parents=True, exist_ok=True)
    return create_app(EmulatorConfig(app_key, master_secret, str(EMULATOR_DB), timezone=timezone))


def reconciler_options(*, manifests: bool = True) -> Callable[[F], F]:
    """Target (``--base-url``/``WEBPUSH_BASE_URL`` or ``--emulator``), ``--timeout``,
    ``--debug`` and, for the commands that read manifests, PATH, ``--baseline``,
    ``--show-identifiers`` and ``--format``."""

    def wrap(f: F) -> F:
        f = debug_option(f)
        f = click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True, max=MAX_TIMEOUT),
            metavar="SECONDS",
            help=f"Wait at most this long for a connection and for each API answer (default: "
            f"the Project's spec.timeout, else {DEFAULT_TIMEOUT:g}); a call gives up after "
            f"{TIMEOUT_ATTEMPTS} such waits.",
        )(f)
        f = click.option("--emulator", is_flag=True, help="Use the embedded emulator.")(f)
        f = click.option(
            "--base-url",
            envvar="WEBPUSH_BASE_URL",
            show_envvar=True,
            metavar="URL",
            help="API base URL instead of the Project region.",
        )(f)
        if manifests:
            formats = click.Choice(["text", "markdown", "json"])
            f = click.option(
                "--format", "fmt", type=formats, default="text", help="Output (default text)."
            )(f)
            f = click.option("--show-identifiers", is_flag=True, help="Unmask ids in markdown.")(f)
            f = click.option("--baseline", metavar="REF", help="Git ref naming devices too.")(f)
            f = click.argument("paths", nargs=-1)(f)
        return f

    return wrap


def credential_env_options() -> Callable[[F], F]:
    """``apply --plan``'s own credential variable names: a saved plan never chooses them."""
    defaults = CredentialEnv()

    def wrap(f: F) -> F:
        f = click.option(
            "--master-secret-env",
            metavar="NAME",
            help=f"With --plan: read the master secret from NAME (default {defaults.master_secret}).",
        )(f)
        return click.option(
            "--app-key-env",
            metavar="NAME",
            help=f"With --plan: read the AppKey from NAME (default {defaults.app_key}).",
        )(f)

    return wrap


def credential_env_of(app_key: str | None, master_secret: str | None) -> CredentialEnv | None:
    """``None`` when neither option was given (the defaults, or the Project's names)."""
    if app_key is None and master_secret is None:
        return None
    defaults = CredentialEnv()
    return CredentialEnv(app_key or defaults.app_key, master_secret or defaults.master_secret)


__all__ = [
    "OutputOptions",
    "TargetOptions",
    "credential_env_of",
    "credential_env_options",
    "embedded_emulator",
    "reconciler_options",
    "target_options",
]
