"""Every command explains itself with runnable examples (an experienced user reads --help first)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from webpush_iac.cli import cli

COMMANDS = [
    ["validate"],
    ["render"],
    ["schema"],
    ["plan"],
    ["apply"],
    ["audit"],
    ["export"],
    ["emulator", "serve"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_of_every_command_shows_an_example_of_itself(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"webpush-iac {' '.join(command)} " in result.output


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("validate", "render", "schema", "plan", "apply", "audit", "export", "emulator"):
        assert f"  {name} " in result.output
