"""Progress: counted events from device reads and apply, shown on stderr as a bar or sparse lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import APP_KEY, MASTER_SECRET
from e2e_support import ENV, project_yaml, single_schedule, target_for, write_tree
from starlette.applications import Starlette

from webpush_iac.cli import cli
from webpush_iac.cli.display import ProgressDisplay, is_interactive
from webpush_iac.commands.operations import apply_command
from webpush_iac.live import read_devices
from webpush_iac.progress import (
    STAGE_APPLY,
    STAGE_DEVICES,
    ProgressCounter,
    ProgressEvent,
    counts_of,
)

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counted(events: list[str], stage: str) -> list[tuple[int, int]]:
    return [(c[1], c[2]) for e in events if (c := counts_of(e)) and c[0] == stage]


def test_counter_reports_each_whole_percent_once_and_always_the_last_item() -> None:
    events: list[str] = []
    counter = ProgressCounter(events.append, stage="devices", total=10_000, label="read devices")
    counter.start()
    for _ in range(10_000):
        counter.advance()
    assert len(events) == 101  # 0%, 1%, ..., 100%: cheap for any callback
    assert counts_of(events[-1]) == ("devices", 10_000, 10_000)
    assert events[-1] == "read devices 10,000/10,000"  # still a plain message for str callbacks


def test_counter_without_a_callback_or_work_is_silent() -> None:
    ProgressCounter(None, stage="x", total=5, label="l").advance()
    events: list[str] = []
    empty = ProgressCounter(events.append, stage="x", total=0, label="l")
    empty.start()
    empty.advance()
    assert events == []


def test_plain_messages_carry_no_counts() -> None:
    assert counts_of("reading schedules…") is None
    assert counts_of(ProgressEvent("hello")) is None


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


class FakeReader:
    async def get_device(self, registration_id: str) -> dict[str, object]:
        return {"tags": [], "alias": ""}


async def test_device_reads_report_done_of_total() -> None:
    events: list[str] = []
    rids = [f"r{i}" for i in range(250)]
    devices, _ = await read_devices(FakeReader(), rids, progress=events.append)  # type: ignore[arg-type]
    assert len(devices) == 250
    seen = counted(events, STAGE_DEVICES)
    assert seen[0] == (0, 250)
    assert seen[-1] == (250, 250)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


async def test_apply_reports_every_request_as_counted_progress(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    files = {"webpush-iac.yaml": project_yaml()}
    files.update({f"s{i}.yaml": single_schedule(f"s{i}", enabled=i != 0) for i in range(3)})
    root = write_tree(tmp_path / "m", files)
    events: list[str] = []
    run = await apply_command(
        [root],
        target=target_for(emulator_app),
        environ=ENV,
        journal_dir=tmp_path / "j",
        progress=events.append,
    )
    assert run.result.ok
    total = len(run.result.done)
    assert total == 4  # three creates and the PUT that disables s0
    assert counted(events, STAGE_APPLY)[-1] == (total, total)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBPUSH_APP_KEY", APP_KEY)
    monkeypatch.setenv("WEBPUSH_MASTER_SECRET", MASTER_SECRET)
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("WEBPUSH_BASE_URL", raising=False)
    return tmp_path


def test_cli_progress_goes_to_stderr_and_json_on_stdout_stays_parseable(in_tmp: Path) -> None:
    result = CliRunner().invoke(
        cli, ["plan", str(ROOT / "examples" / "news_site"), "--emulator", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format_version"] == 1
    assert "read devices 13/13 (100%)" in result.stderr
    assert "\r" not in result.stderr
    assert MASTER_SECRET not in result.stdout + result.stderr
