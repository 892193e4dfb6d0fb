"""The click group and its one error boundary.

Every :class:`~webpush_iac.errors.WebpushIacError` is caught once, in :class:`_Cli`, and turned
into a message and an exit code; ``--debug`` adds the traceback (never a secret: secrets are not
kept in exception text). A command writing markdown for a pull request (:func:`mask_errors`) has
its error lines masked too: the shipped workflows paste them into the comment.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from webpush_iac import __version__
from webpush_iac.errors import ManifestError, WebpushIacError
from webpush_iac.manifest import identifiers
from webpush_iac.render.masking import identifier_spellings, keep, scrub_error_text

F = TypeVar("F", bound=Callable[..., Any])
_ERROR_MASK = "webpush_iac.error_mask"  # in click's ctx.meta, which every nested context shares

EPILOG = """\b
Examples:
  webpush-iac validate examples/quickstart
  webpush-iac plan examples/quickstart --emulator --format markdown
  webpush-iac apply examples/quickstart --emulator --auto-approve
"""


class _Cli(click.Group):
    """One error boundary for every command: no traceback for anything we raise on purpose."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ManifestError as exc:
            mask = _error_mask(ctx)
            for problem in exc.problems:
                click.echo(mask(str(problem)), err=True)
            n = len(exc.problems)
            click.echo(f"error: {n} problem{'s' if n != 1 else ''} found", err=True)
            ctx.exit(exc.exit_code)
        except WebpushIacError as exc:
            if debug_enabled(ctx):
                traceback.print_exc(file=sys.stderr)
            click.echo(_error_mask(ctx)(f"error: {exc}"), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        return None  # pragma: no cover


def mask_errors(fmt: str, show_identifiers: bool, paths: Sequence[str]) -> None:
    """Mask registration ids and aliases in this command's error lines when its output is
    markdown (a pull-request comment) and ``--show-identifiers`` was not given.

    The ids are those the manifests under ``paths`` name (read only if an error comes), plus any
    other sitting where our messages put identifiers (a device path, ``device/<id>``).
    """
    if fmt != "markdown" or show_identifiers:
        return
    spellings: dict[str, str] | None = None

    def mask(text: str) -> str:
        nonlocal spellings
        if spellings is None:
            try:
                spellings = identifier_spellings(*identifiers(list(paths) or ["."]))
            except WebpushIacError:
                spellings = {}
        return scrub_error_text(text, spellings)

    click.get_current_context().meta[_ERROR_MASK] = mask


def _error_mask(ctx: click.Context) -> Callable[[str], str]:
    mask: Callable[[str], str] = ctx.meta.get(_ERROR_MASK, keep)
    return mask


def debug_enabled(ctx: click.Context | None) -> bool:
    while ctx is not None:
        if ctx.params.get("debug"):
            return True
        ctx = ctx.parent
    return False


_handler: logging.Handler | None = None


def configure_debug(level: int) -> None:
    """``--debug`` (level 1): webpush-iac's own detail (files skipped, every request's method,
    path, status and duration, retry and rate-limit decisions). ``--debug --debug`` (2) adds the
    libraries' internals (httpx, httpcore, asyncio). Neither shows the secret: our lines never
    hold it, and the HTTP libraries do not log request headers, Authorization included."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:  # once per process, even when commands run in-process (tests)
        root.removeHandler(_handler)
        _handler = None
    if level <= 0:
        return
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG if level >= 2 else logging.WARNING)
    logging.getLogger("webpush_iac").setLevel(logging.DEBUG)


def debug_option(f: F) -> F:
    def _set(ctx: click.Context, _param: click.Parameter, value: int) -> int:
        configure_debug(value)
        return value

    return click.option(
        "--debug",
        count=True,
        callback=_set,
        expose_value=True,
        help="Log webpush-iac's own detail to stderr; twice: the HTTP libraries' too.",
    )(f)


@click.group(cls=_Cli, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="webpush-iac")
def cli() -> None:
    """Plan and apply EngageLab Push schedules, tags and aliases from YAML manifests."""


def exit_with(code: int) -> None:
    """End the current command with ``code`` (after its output is written)."""
    click.get_current_context().exit(code)


__all__ = [
    "EPILOG",
    "cli",
    "configure_debug",
    "debug_enabled",
    "debug_option",
    "exit_with",
    "mask_errors",
]
