"""``validate``, ``render`` and ``schema``: the commands that read manifests and never the API."""

from __future__ import annotations

import json
from typing import Literal

import click

from webpush_iac.cli.app import cli, debug_option, exit_with
from webpush_iac.commands.validate import render_command, schema_command, validate_command
from webpush_iac.errors import EXIT_ERROR, ManifestError
from webpush_iac.manifest import dump_yaml

PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=str))


@cli.command("validate")
@PATHS
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@debug_option
def validate_cmd(paths: tuple[str, ...], fmt: Literal["text", "json"], debug: int) -> None:
    """Check manifests offline; exit 1 listing every problem as file:line:col.

    When several PATHs hold their own webpush-iac.yaml, each is checked as a separate
    project, so `validate examples/*` checks every example.
    """
    report = validate_command(paths)
    if fmt == "json":
        click.echo(json.dumps(report.to_data(), indent=2, ensure_ascii=False))
        if not report.valid:
            exit_with(EXIT_ERROR)
        return
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not report.valid:
        raise ManifestError(report.problems)
    for group, result in report.checked:
        where = f" in {' '.join(group)}" if report.several else ""
        click.echo(f"ok: {result.summary()}{where}")


@cli.command("render")
@PATHS
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@debug_option
def render_cmd(paths: tuple[str, ...], fmt: Literal["yaml", "json"], debug: int) -> None:
    """Print the exact API body (name, enabled, trigger, push) of every schedule, offline."""
    data = render_command(paths)
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
def schema_cmd(out: str, debug: int) -> None:
    """Write the JSON Schema of every manifest kind, for editors and CI."""
    for path in schema_command(out):
        click.echo(f"wrote {path}")


__all__ = ["render_cmd", "schema_cmd", "validate_cmd"]
