"""Progress on stderr: a redrawn bar for a person at a terminal, sparse lines in CI logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.constants import APP_KEY, MASTER_SECRET, NEWS_SITE

from webpush_iac.cli import cli
from webpush_iac.cli.display import ProgressDisplay, is_interactive
from webpush_iac.progress import ProgressCounter, ProgressEvent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ci_logs_get_a_line_every_ten_percent_and_the_total() -> None:
    out: list[str] = []
    display = ProgressDisplay(out.append, tty=False, clock=Clock())
    display("reading 1,000 devices…")
    counter = ProgressCounter(display, stage="devices", total=1000, label="read devices")
    counter.start()
    for _ in range(1000):
        counter.advance()
    assert out[0] == "reading 1,000 devices…\n"
    assert out[1] == "read devices 100/1,000 (10%)\n"
    assert out[-1] == "read devices 1,000/1,000 (100%)\n"
    assert len(out) == 11
    assert not any("\r" in line for line in out)


def test_ci_logs_of_a_slow_small_stage_get_a_line_every_interval() -> None:
    out: list[str] = []
    clock = Clock()
    display = ProgressDisplay(out.append, tty=False, clock=clock, interval=5.0)
    counter = ProgressCounter(display, stage="apply", total=20, label="apply requests")
    counter.start()
    counter.advance()  # small stage: no percent lines
    clock.now = 6.0
    counter.advance()  # but 6 s passed: one line
    counter.advance()
    counter.advance(17)
    assert out == ["apply requests 2/20 (10%)\n", "apply requests 20/20 (100%)\n"]


def test_terminal_gets_one_redrawn_bar_ended_by_a_newline() -> None:
    out: list[str] = []
    display = ProgressDisplay(out.append, tty=True)
    counter = ProgressCounter(display, stage="devices", total=4, label="read devices")
    counter.start()
    counter.advance(2)
    display("a message mid-bar")  # ends the bar line first
    counter.advance(2)
    display.close()
    text = "".join(out)
    assert text.startswith("\r[")
    assert " 50% read devices 2/4" in text
    assert "\x1b[K\na message mid-bar\n" in text
    assert text.endswith("100% read devices 4/4\x1b[K\n")


def test_close_ends_an_unfinished_bar() -> None:
    out: list[str] = []
    display = ProgressDisplay(out.append, tty=True)
    display(ProgressEvent("x 1/3", stage="s", done=1, total=3))
    display.close()
    display.close()
    assert out[-1] == "\n"
    assert out.count("\n") == 1


@pytest.mark.parametrize(
    ("isatty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"CI": "true"}, False),
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_a_bar_only_for_a_person_at_a_terminal(
    isatty: bool, env: dict[str, str], expected: bool
) -> None:
    assert is_interactive(isatty, env) is expected


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBPUSH_APP_KEY", APP_KEY)
    monkeypatch.setenv("WEBPUSH_MASTER_SECRET", MASTER_SECRET)
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("WEBPUSH_BASE_URL", raising=False)
    return tmp_path


def test_cli_progress_goes_to_stderr_and_json_on_stdout_stays_parseable(in_tmp: Path) -> None:
    result = CliRunner().invoke(cli, ["plan", str(NEWS_SITE), "--emulator", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format_version"] == 2
    assert "read devices 13/13 (100%)" in result.stderr
    assert "\r" not in result.stderr
    assert MASTER_SECRET not in result.stdout + result.stderr
