"""Two ``apply`` processes at once against one emulator on a socket never leave a duplicate.

On one machine (one working directory, so one ``.webpush-iac/locks``) the lock lets one apply run
and refuses the other, or the second runs after the first and finds nothing to do. On two CI
runners (two working directories: no shared lock) both may plan "absent" and both create; the
post-create duplicate check of each then deletes the extra copies, keeping the lowest id, so the
project still ends with exactly one copy of every schedule. The same holds for one saved plan
applied twice at once. Latency on the emulator widens the window in which both have planned.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.constants import APP_KEY, NEWS_SITE
from support.reliability import (
    PROCESS_TIMEOUT,
    cli_process,
    live_names,
    news_site_desired,
    request_log,
    served_news_site,
)

pytestmark = pytest.mark.slow  # pairs of apply subprocesses over a socket

LATENCY_MS = 20
TRIALS = range(3)
LOCKED = "another apply holds the lock for"


def expected() -> dict[str, int]:
    return {s.live_name: 1 for s in news_site_desired().schedules.values()}


def run_pair(cwds: list[Path], *args: str) -> list[tuple[int, str]]:
    procs = [cli_process(cwd, *args) for cwd in cwds]
    outcomes = []
    for proc in procs:
        _out, err = proc.communicate(timeout=PROCESS_TIMEOUT)
        outcomes.append((proc.returncode, err))
    return outcomes


def creates_seen(admin: httpx.Client) -> int:
    return sum(
        1 for e in request_log(admin) if (e["method"], e["path"]) == ("POST", "/v4/schedules")
    )


@pytest.mark.parametrize("trial", TRIALS)
def test_two_applies_at_once_on_one_machine_take_turns_through_the_lock(
    tmp_path: Path, trial: int
) -> None:
    with served_news_site(tmp_path / "emulator.sqlite", LATENCY_MS) as (url, admin):
        outcomes = run_pair(
            [tmp_path / "job", tmp_path / "job"],
            "apply",
            str(NEWS_SITE),
            "--auto-approve",
            "--base-url",
            url,
        )
        for code, err in outcomes:
            assert code == 0 or (code == 1 and LOCKED in err), err
        assert 0 in [code for code, _err in outcomes]
        assert live_names(admin) == expected()
        assert creates_seen(admin) == len(expected())  # the lock stopped the race before it began


def test_two_applies_at_once_on_separate_runners_converge_to_one_copy_each(
    tmp_path: Path,
) -> None:
    raced = 0
    for trial in TRIALS:
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        with served_news_site(folder / "emulator.sqlite", LATENCY_MS) as (url, admin):
            outcomes = run_pair(
                [folder / "runner-a", folder / "runner-b"],
                "apply",
                str(NEWS_SITE),
                "--auto-approve",
                "--base-url",
                url,
            )
            assert [code for code, _err in outcomes] == [0, 0], outcomes
            assert live_names(admin) == expected(), f"trial {trial} left duplicates"
            raced += creates_seen(admin) > len(expected())
    assert raced, "no trial raced: the duplicate check was never exercised"


@pytest.mark.parametrize("shared_disk", [True, False], ids=["one-machine", "two-runners"])
def test_one_saved_plan_applied_twice_at_once_never_duplicates(
    tmp_path: Path, shared_disk: bool
) -> None:
    with served_news_site(tmp_path / "emulator.sqlite", LATENCY_MS) as (url, admin):
        plan_file = tmp_path / "plan.json"
        planned = cli_process(
            tmp_path, "plan", str(NEWS_SITE), "--base-url", url, "--out", str(plan_file)
        )
        assert planned.wait(timeout=PROCESS_TIMEOUT) == 0
        cwds = [tmp_path / "job"] * 2 if shared_disk else [tmp_path / "a", tmp_path / "b"]
        outcomes = run_pair(cwds, "apply", "--plan", str(plan_file), "--base-url", url)
        for code, err in outcomes:
            # the loser is refused by the lock, or by the re-read that finds the creates landed
            assert code == 0 or (code == 1 and "nothing was sent" in err), err
        assert 0 in [code for code, _err in outcomes]
        assert live_names(admin) == expected()


HOLDER = """
import sys
from webpush_iac.apply.lock import ApplyLock
with ApplyLock(sys.argv[1], sys.argv[2], sys.argv[3]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_an_apply_refused_by_the_lock_sends_nothing_and_says_who_holds_it(tmp_path: Path) -> None:
    with served_news_site(tmp_path / "emulator.sqlite") as (url, admin):
        locks = tmp_path / "job" / ".webpush-iac" / "locks"
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(locks), url, APP_KEY],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "held\n"
            before = len(request_log(admin))
            refused = cli_process(
                tmp_path / "job", "apply", str(NEWS_SITE), "--auto-approve", "--base-url", url
            )
            _out, err = refused.communicate(timeout=PROCESS_TIMEOUT)
        finally:
            holder.communicate("", timeout=PROCESS_TIMEOUT)
        assert refused.returncode == 1
        assert f"error: {LOCKED} {url} since " in err
        assert f"(pid {holder.pid} on host " in err
        assert len(request_log(admin)) == before  # not even a GET
