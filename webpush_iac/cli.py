"""The thin click layer: parse options, call one library function, render, map errors to exit codes.

The only module that imports click and the only one that writes to stdout/stderr. Every
:class:`~webpush_iac.errors.WebpushIacError` is caught once, in :class:`_Cli`, and turned into a
message and an exit code; ``--debug`` adds the traceback (never a secret: secrets are not kept in
exception text).
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from webpush_iac import __version__
from webpush_iac.errors import EXIT_ERROR, ConfigError, ManifestError, WebpushIacError

F = TypeVar("F", bound=Callable[..., Any])

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
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            n = len(exc.problems)
            click.echo(f"error: {n} problem{'s' if n != 1 else ''} found", err=True)
            ctx.exit(exc.exit_code)
        except WebpushIacError as exc:
            if _debug_enabled(ctx):
                traceback.print_exc(file=sys.stderr)
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        return None  # pragma: no cover


def _debug_enabled(ctx: click.Context) -> bool:
    while ctx is not None:
        if ctx.params.get("debug"):
            return True
        ctx = ctx.parent  # type: ignore[assignment]
    return False


def debug_option(f: F) -> F:
    def _set(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        return value

    return click.option(
        "--debug", is_flag=True, callback=_set, expose_value=True, help="Log more detail to stderr."
    )(f)


@click.group(cls=_Cli, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="webpush-iac")
def cli() -> None:
    """Plan and apply EngageLab Web Push schedules, tags and aliases from YAML manifests."""


# --- manifests: validate / render / schema -------------------------------------------------------

_PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=str))


@cli.command("validate")
@_PATHS
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@debug_option
def validate_command(paths: tuple[str, ...], fmt: str, debug: bool) -> None:
    """Check manifests offline; exit 1 listing every problem as file:line:col.

    When several PATHs hold their own webpush-iac.yaml, each is checked as a separate
    project, so `validate examples/*` checks every example.
    """
    import json

    from webpush_iac.manifest import LoadResult, group_paths, load_report

    checked: list[tuple[list[str], LoadResult]] = []
    problems = []
    groups = group_paths(paths or (".",))
    for group in groups:
        try:
            checked.append((group, load_report(group)))
        except ManifestError as exc:
            problems.extend(exc.problems)
    warnings = [w for _, result in checked for w in result.warnings]
    if fmt == "json":
        counts: dict[str, int] = {}
        for _, result in checked:
            for kind, n in result.counts.items():
                counts[kind] = counts.get(kind, 0) + n
        report = {
            "valid": not problems,
            "documents": sum(counts.values()),
            "counts": counts,
            "problems": [p.to_data() for p in sorted(problems)],
            "warnings": [w.to_data() for w in warnings],
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        if problems:
            click.get_current_context().exit(EXIT_ERROR)
        return
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if problems:
        raise ManifestError(problems)
    for group, result in checked:
        where = f" in {' '.join(group)}" if len(groups) > 1 else ""
        click.echo(f"ok: {result.summary()}{where}")


@cli.command("render")
@_PATHS
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@debug_option
def render_command(paths: tuple[str, ...], fmt: str, debug: bool) -> None:
    """Print the exact API body (name, enabled, trigger, push) of every schedule, offline."""
    import json

    from webpush_iac.manifest import dump_yaml, load

    state = load(paths or (".",))
    data = {name: schedule.api_body() for name, schedule in state.schedules.items()}
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(dump_yaml(data), nl=False)


@cli.command("schema")
@click.option(
    "--out",
    default="schemas",
    show_default=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Directory to write <kind>.schema.json and manifest.schema.json into.",
)
@debug_option
def schema_command(out: str, debug: bool) -> None:
    """Write the JSON Schema of every manifest kind, for editors and CI."""
    from webpush_iac.errors import ConfigError
    from webpush_iac.manifest.schema import write_schemas

    try:
        written = write_schemas(out)
    except OSError as exc:
        raise ConfigError(f"cannot write schemas to {out}: {exc.strerror or exc}") from None
    for path in written:
        click.echo(f"wrote {path}")


# --- reconciler: plan / apply / audit / export ----------------------------------------------------


def _reconciler_options(*, manifests: bool = True) -> Callable[[F], F]:
    """Target (``--base-url``/``WEBPUSH_BASE_URL`` or ``--emulator``), ``--debug`` and, for the
    commands that read manifests, PATH, ``--baseline``, ``--show-identifiers`` and ``--format``."""

    def wrap(f: F) -> F:
        f = debug_option(f)
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
            f = click.option("--format", "fmt", type=formats, help="Output (default text).")(f)
            f = click.option("--show-identifiers", is_flag=True, help="Unmask ids in markdown.")(f)
            f = click.option("--baseline", metavar="REF", help="Git ref naming devices too.")(f)
            f = click.argument("paths", nargs=-1)(f)
        return f

    return wrap


def _embedded_emulator(*, app_key: str, master_secret: str, timezone: str) -> Any:
    """The ``--emulator`` app: only cli may import the emulator (design §2)."""
    from webpush_iac.connection import EMULATOR_DB
    from webpush_iac.emulator import EmulatorConfig, create_app

    EMULATOR_DB.parent.mkdir(parents=True, exist_ok=True)
    return create_app(EmulatorConfig(app_key, master_secret, str(EMULATOR_DB), timezone=timezone))


def _target(opts: dict[str, Any]) -> Any:
    from webpush_iac.connection import Target

    if not opts["emulator"]:
        return Target(base_url=opts["base_url"])
    # An inherited WEBPUSH_BASE_URL must not defeat --emulator; an explicit --base-url does.
    from_env = click.get_current_context().get_parameter_source("base_url")
    base_url = None if from_env is click.core.ParameterSource.ENVIRONMENT else opts["base_url"]
    return Target(base_url=base_url, emulator=_embedded_emulator, register_devices=True)


def _run(opts: dict[str, Any], command: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an ``operations`` coroutine with the shared options; progress goes to stderr only
    (a bar on a terminal, a plain line every 10% or 5 s in CI), so stdout stays parseable."""
    import asyncio
    import os

    from webpush_iac.progress import ProgressDisplay, is_interactive

    if "paths" in opts:
        kwargs["baseline"] = opts["baseline"]
    tty = is_interactive(sys.stderr.isatty(), os.environ)
    display = ProgressDisplay(lambda text: click.echo(text, err=True, nl=False), tty=tty)
    try:
        return asyncio.run(command(*args, target=_target(opts), progress=display, **kwargs))
    finally:
        display.close()


def _show(opts: dict[str, Any], renderer: Any, value: Any, *, err: bool = False) -> None:
    import os

    fmt = opts["fmt"] or "text"
    color = (sys.stderr if err else sys.stdout).isatty() and "NO_COLOR" not in os.environ
    text = renderer(value, fmt, show_identifiers=opts["show_identifiers"], color=color)
    click.echo(text, err=err)


@cli.command("plan")
@_reconciler_options()
@click.option("--out", metavar="FILE", help="Also write the JSON saved plan to FILE.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
def plan_cmd(**opts: Any) -> None:
    """Show what apply would change (GET requests only)."""
    from webpush_iac.errors import EXIT_CHANGES
    from webpush_iac.operations import plan_command, write_plan_file
    from webpush_iac.render import render_plan

    run = _run(opts, plan_command, opts["paths"])
    _show(opts, render_plan, run.plan)
    if opts["out"]:
        click.echo(f"plan saved to {write_plan_file(run.plan, opts['out'])}", err=True)
    run.plan.raise_for_errors()
    if run.safety is not None:
        raise run.safety
    if opts["detailed_exitcode"] and run.plan.has_mutations:
        click.get_current_context().exit(EXIT_CHANGES)


@cli.command("apply")
@_reconciler_options()
@click.option("--plan", "plan_file", metavar="FILE", help="Apply this saved plan (no manifests).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-large-changes", is_flag=True, help="Override the safety thresholds.")
def apply_cmd(**opts: Any) -> None:
    """Converge live state to the manifests, or to a saved plan."""
    from webpush_iac.errors import ApplyCancelled, ApplyFailedError
    from webpush_iac.operations import apply_command
    from webpush_iac.render import render_plan, render_result

    if opts["plan_file"] and (opts["paths"] or opts["baseline"]):
        raise ConfigError("apply --plan reads no manifests: drop the PATH and --baseline arguments")

    def review(plan: Any) -> bool:
        # With --format json stdout carries only the result, so the plan goes to stderr as text.
        as_json = opts["fmt"] == "json"
        _show({**opts, "fmt": "text" if as_json else opts["fmt"]}, render_plan, plan, err=as_json)
        if opts["auto_approve"]:
            return True
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise ApplyCancelled(
                "refusing to apply without confirmation: not a terminal; pass --auto-approve "
                "or apply a reviewed --plan FILE (nothing was sent)"
            )
        return click.confirm("Apply these changes?", default=False, err=True)

    run = _run(
        opts,
        apply_command,
        opts["paths"],
        plan_file=opts["plan_file"],
        allow_large=opts["allow_large_changes"],
        confirm=None if opts["plan_file"] else review,
    )
    if run.journal is None and opts["fmt"] != "json":
        click.echo("No changes: live state already matches.")
        return
    _show(opts, render_result, run.result)
    if run.journal is not None:
        click.echo(f"journal: {run.journal}", err=True)
    if not run.result.ok:
        failed, skipped = len(run.result.failed), len(run.result.not_attempted)
        raise ApplyFailedError(
            f"apply partially failed: {failed} failed, {skipped} not attempted; "
            "run plan then apply again to converge",
            run.result,
        )


@cli.command("audit")
@_reconciler_options()
def audit_cmd(**opts: Any) -> None:
    """Report drift, orphans, unowned, fired/expired schedules and quota use (exit 2 on drift)."""
    from webpush_iac.errors import EXIT_CHANGES, PlanError
    from webpush_iac.operations import audit_command
    from webpush_iac.render import render_audit

    report = _run(opts, audit_command, opts["paths"])
    _show(opts, render_audit, report)
    if report.has_drift:
        click.get_current_context().exit(EXIT_CHANGES)
    if report.errors:
        raise PlanError(f"the audit could not check {len(report.errors)} object(s); see above")


@cli.command("export")
@_reconciler_options(manifests=False)
@click.option("--out", "out_dir", metavar="DIR", default="exported", show_default=True)
@click.option("--registration-ids", "rid_file", metavar="FILE", help="Devices to export.")
def export_cmd(**opts: Any) -> None:
    """Write manifests for what is live: one file per schedule, devices from an id list."""
    from webpush_iac.export import export_command

    run = _run(opts, export_command, opts["out_dir"], registration_ids_file=opts["rid_file"])
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {len(run.files)} file(s) to {run.directory}")


# --- emulator -------------------------------------------------------------------------------------


@cli.group()
def emulator() -> None:
    """A local EngageLab-compatible server for tests, demos and CI (never a real tenant)."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", "db_path", default=":memory:", show_default=True, help="SQLite state file.")
@click.option("--app-key", envvar="WEBPUSH_APP_KEY", help="[env WEBPUSH_APP_KEY]")
@click.option("--master-secret", envvar="WEBPUSH_MASTER_SECRET", help="[env WEBPUSH_MASTER_SECRET]")
@click.option("--qps", type=click.FloatRange(min=0, min_open=True), help="QPS limit per app key.")
@click.option("--latency-ms", default=0, type=click.IntRange(min=0), help="Delay every API call.")
@click.option("--fail-rate", default=0.0, type=click.FloatRange(0, 1), help="Share answered 503.")
@click.option("--timezone", default="UTC", show_default=True, help="Zone of zone_type 1 times.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
@debug_option
def emulator_serve(host: str, port: int, allow_remote: bool, debug: bool, **settings: Any) -> None:
    """Serve the emulator until interrupted (port 0 = any free); prints its URL once listening."""
    from webpush_iac.emulator import EmulatorConfig, serve

    if not settings["app_key"] or not settings["master_secret"]:
        raise ConfigError("set --app-key/--master-secret or WEBPUSH_APP_KEY/WEBPUSH_MASTER_SECRET")
    try:
        config = EmulatorConfig(**settings)
        announce = "webpush-iac emulator listening on {}".format
        serve(
            config,
            host,
            port,
            allow_remote=allow_remote,
            on_ready=lambda u: click.echo(announce(u)),
        )
    except ValueError as exc:  # bad host, zone or limit; never carries the secret
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


_EXAMPLES = {
    "validate": ["validate examples/quickstart", "validate examples/* --format json"],
    "render": ["render examples/quickstart", "render manifests/ --format json > payloads.json"],
    "schema": ["schema --out schemas/"],
    "plan": [
        "plan examples/quickstart --emulator",
        "plan manifests/ --baseline origin/main --format markdown --out plan.json > plan.md",
        "plan manifests/ --detailed-exitcode   # 0 no changes, 2 changes",
    ],
    "apply": [
        "apply examples/quickstart --emulator --auto-approve",
        "apply --plan plan.json   # exactly the reviewed requests, refused if stale",
    ],
    "audit": ["audit manifests/ --format markdown   # exit 2 on drift"],
    "export": ["export --out imported/ --registration-ids devices.txt"],
}
for _name, _lines in _EXAMPLES.items():
    cli.commands[_name].epilog = "\b\nExamples:\n" + "\n".join(f"  webpush-iac {x}" for x in _lines)
emulator_serve.epilog = (
    "\b\nExample:\n  webpush-iac emulator serve --port 8787 --app-key k --master-secret s"
)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="webpush-iac")


__all__ = ["EXIT_ERROR", "cli", "main"]
