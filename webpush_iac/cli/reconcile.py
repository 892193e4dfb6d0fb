"""``plan``, ``apply``, ``audit`` and ``export``: the commands that talk to the API."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any, TypeVar

import click

from webpush_iac.apply import ApplyResult
from webpush_iac.cli.app import cli, exit_with, mask_errors
from webpush_iac.cli.display import ProgressDisplay, is_interactive
from webpush_iac.cli.options import (
    OutputOptions,
    TargetOptions,
    credential_env_of,
    credential_env_options,
    reconciler_options,
    target_options,
)
from webpush_iac.cli.signals import SignalHandling, interrupted
from webpush_iac.commands.export import export_command
from webpush_iac.commands.operations import (
    apply_command,
    audit_command,
    plan_command,
    write_plan_file,
)
from webpush_iac.concurrency import StopRequest
from webpush_iac.errors import (
    EXIT_CHANGES,
    ApplyCancelled,
    ApplyFailedError,
    ConfigError,
    PlanError,
)
from webpush_iac.plan import AuditReport, Plan
from webpush_iac.progress import Progress
from webpush_iac.render import OutputFormat, render_audit, render_plan, render_result

T = TypeVar("T")


def run(
    where: TargetOptions,
    command: Callable[..., Coroutine[Any, Any, T]],
    *,
    stop: StopRequest | None = None,
    **kwargs: Any,
) -> T:
    """Run a ``commands`` coroutine; progress goes to stderr only (a bar on a terminal, a plain
    line every 10% or 5 s in CI), so stdout stays parseable.

    SIGINT and SIGTERM follow :mod:`webpush_iac.cli.signals`; a command that can wind down
    (apply) takes ``stop`` and honours it, any other is cancelled and ends with exit 128 + signal.
    """
    tty = is_interactive(sys.stderr.isatty(), os.environ)
    display = ProgressDisplay(lambda text: click.echo(text, err=True, nl=False), tty=tty)
    progress: Progress = display
    handling = SignalHandling(stop if stop is not None else StopRequest(), display)
    if stop is not None:
        kwargs["stop"] = stop
    try:
        return handling.run(command(target=where.target(), progress=progress, **kwargs))
    finally:
        display.close()


def show_plan(out: OutputOptions, plan: Plan, *, err: bool = False) -> None:
    text = render_plan(
        plan, out.fmt, show_identifiers=out.show_identifiers, color=out.color(err=err)
    )
    click.echo(text, err=err)


def show_result(out: OutputOptions, result: ApplyResult) -> None:
    text = render_result(result, out.fmt, show_identifiers=out.show_identifiers, color=out.color())
    click.echo(text)


def show_audit(out: OutputOptions, report: AuditReport) -> None:
    text = render_audit(report, out.fmt, show_identifiers=out.show_identifiers, color=out.color())
    click.echo(text)


def confirm(question: str) -> bool:
    """Ask on stderr; the first ctrl-C (or SIGTERM) ends the prompt at once, nothing sent.

    apply asks while its event loop runs, and the loop's signal handling only cancels the main
    task and returns (``cli.signals``): the prompt went on waiting, the first ctrl-C seemed
    swallowed, and a later "y" started an apply that the pending cancellation killed straight
    away. While the prompt waits, either signal raises in it instead; the loop's handlers are
    back afterwards.
    """
    caught: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        caught.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo(err=True)  # the prompt's line was left open
        if caught:
            message = f"interrupted by {caught[0]} at the confirmation prompt: nothing was sent"
            raise interrupted(caught[0], message) from None
        raise ApplyCancelled("no answer at the confirmation prompt: nothing was sent") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@cli.command("plan")
@reconciler_options()
@click.option("--out", metavar="FILE", help="Also write the JSON saved plan to FILE.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
def plan_cmd(
    paths: tuple[str, ...],
    baseline: str | None,
    show_identifiers: bool,
    fmt: OutputFormat,
    base_url: str | None,
    emulator: bool,
    timeout: float | None,
    debug: int,
    out: str | None,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change (GET requests only)."""
    mask_errors(fmt, show_identifiers, paths)
    where = target_options(base_url, emulator, timeout)
    result = run(where, plan_command, paths=paths, baseline=baseline)
    show_plan(OutputOptions(fmt, show_identifiers), result.plan)
    if out:
        saved = write_plan_file(result.plan, out, key=result.signing_key)
        click.echo(f"plan saved to {saved}", err=True)
    result.plan.raise_for_errors()
    if result.safety is not None:
        raise result.safety
    if detailed_exitcode and result.plan.has_mutations:
        exit_with(EXIT_CHANGES)


@cli.command("apply")
@reconciler_options()
@click.option("--plan", "plan_file", metavar="FILE", help="Apply this saved plan (no manifests).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-large-changes", is_flag=True, help="Override the safety thresholds.")
@credential_env_options()
def apply_cmd(
    paths: tuple[str, ...],
    baseline: str | None,
    show_identifiers: bool,
    fmt: OutputFormat,
    base_url: str | None,
    emulator: bool,
    timeout: float | None,
    debug: int,
    plan_file: str | None,
    auto_approve: bool,
    allow_large_changes: bool,
    app_key_env: str | None,
    master_secret_env: str | None,
) -> None:
    """Converge live state to the manifests, or to a saved plan."""
    mask_errors(fmt, show_identifiers, paths)
    if plan_file and (paths or baseline):
        raise ConfigError("apply --plan reads no manifests: drop the PATH and --baseline arguments")
    credential_env = credential_env_of(app_key_env, master_secret_env)
    where = target_options(base_url, emulator, timeout)
    out = OutputOptions(fmt, show_identifiers)

    def review(plan: Plan) -> bool:
        # With --format json stdout carries only the result, so the plan goes to stderr as text.
        as_json = fmt == "json"
        show_plan(OutputOptions("text" if as_json else fmt, show_identifiers), plan, err=as_json)
        if auto_approve:
            return True
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise ApplyCancelled(
                "refusing to apply without confirmation: not a terminal; pass --auto-approve "
                "or apply a reviewed --plan FILE (nothing was sent)"
            )
        return confirm("Apply these changes?")

    stop = StopRequest()
    done = run(
        where,
        apply_command,
        stop=stop,
        paths=paths,
        baseline=baseline,
        plan_file=plan_file,
        credential_env=credential_env,
        allow_large=allow_large_changes,
        confirm=None if plan_file else review,
    )
    if done.journal is None and fmt != "json":
        click.echo("No changes: live state already matches.")
    else:
        show_result(out, done.result)
    if done.journal is not None:
        click.echo(f"journal: {done.journal}", err=True)
    if fmt != "text":  # text shows them with the result; a CI log shows stderr whatever stdout is
        for warning in done.result.warnings:
            click.echo(f"warning: {warning}", err=True)
    if stop.reason is not None:
        # Even when every request was done: a signal means the job was cancelled, and CI should
        # see that, not a success.
        failed, skipped = len(done.result.failed), len(done.result.not_attempted)
        raise interrupted(
            stop.reason,
            f"apply stopped by {stop.reason}: {len(done.result.done)} done, {failed} failed, "
            f"{skipped} not attempted; run plan then apply again to converge",
        )
    if done.journal is None:
        return
    if not done.result.ok:
        failed, skipped = len(done.result.failed), len(done.result.not_attempted)
        raise ApplyFailedError(
            f"apply partially failed: {failed} failed, {skipped} not attempted; "
            "run plan then apply again to converge",
            done.result,
        )


@cli.command("audit")
@reconciler_options()
def audit_cmd(
    paths: tuple[str, ...],
    baseline: str | None,
    show_identifiers: bool,
    fmt: OutputFormat,
    base_url: str | None,
    emulator: bool,
    timeout: float | None,
    debug: int,
) -> None:
    """Report drift, orphans, unowned, fired/expired schedules and quota use (exit 2 on drift)."""
    mask_errors(fmt, show_identifiers, paths)
    where = target_options(base_url, emulator, timeout)
    report = run(where, audit_command, paths=paths, baseline=baseline)
    show_audit(OutputOptions(fmt, show_identifiers), report)
    if report.has_drift:
        exit_with(EXIT_CHANGES)
    if report.errors:
        raise PlanError(f"the audit could not check {len(report.errors)} object(s); see above")


@cli.command("export")
@reconciler_options(manifests=False)
@click.argument("path", required=False, metavar="[PATH]")
@click.option("--out", "out_dir", metavar="DIR", default="exported", show_default=True)
@click.option("--registration-ids", "rid_file", metavar="FILE", help="Devices to export.")
def export_cmd(
    base_url: str | None,
    emulator: bool,
    timeout: float | None,
    debug: int,
    path: str | None,
    out_dir: str,
    rid_file: str | None,
) -> None:
    """Write manifests for what is live: one file per schedule, devices from an id list.

    PATH is a manifest tree (or its webpush-iac.yaml): its Project's ownership prefix, region,
    credential variables and time zone are used. Without PATH: prefix iac_ and the default
    WEBPUSH_APP_KEY / WEBPUSH_MASTER_SECRET.
    """
    where = target_options(base_url, emulator, timeout)
    done = run(where, export_command, out_dir=out_dir, project=path, registration_ids_file=rid_file)
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {len(done.files)} file(s) to {done.directory}")


__all__ = ["apply_cmd", "audit_cmd", "export_cmd", "plan_cmd"]
