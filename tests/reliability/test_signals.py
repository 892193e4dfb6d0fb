"""A CI cancel (SIGTERM) or ctrl-C (SIGINT) in the middle of a real ``apply`` process.

The apply runs against the emulator on a loopback socket with latency, so requests are in flight
when the signal lands (sent once the k-th mutating request shows up in the emulator's log). The
process must not die silently: it lets the requests in flight end, starts no other, prints the
result summary, writes the journal's ``aborted`` line and exits 128 + the signal. Every request
the server saw has an intent and an outcome, so nothing is left "in flight"; the next plan + apply
converges.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest
from support.constants import EXAMPLE_ENV, MASTER_SECRET, NEWS_SITE
from support.e2e import no_sleep
from support.reliability import (
    PROCESS_TIMEOUT,
    cli_process,
    live_names,
    news_site_desired,
    request_log,
    served_news_site,
    wait_for_mutations,
)

from webpush_iac.apply.journal import in_flight, read_journal, run_status
from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command, plan_command

pytestmark = pytest.mark.slow  # apply subprocesses over a socket with latency

LATENCY_MS = 60


def converge(url: str, tmp_path: Path) -> None:
    async def rounds() -> None:
        target = Target(base_url=url, client_options={"sleep": no_sleep})
        run = await apply_command(
            [NEWS_SITE],
            target=target,
            environ=EXAMPLE_ENV,
            journal_dir=tmp_path / "resume",
            lock_dir=tmp_path / "locks",
        )
        assert run.result.ok, run.result.to_data()
        planned = await plan_command([NEWS_SITE], target=target, environ=EXAMPLE_ENV)
        assert not planned.plan.has_mutations

    asyncio.run(rounds())


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.parametrize("k", [2, 9])  # in the device phase, and once the creates have begun
def test_a_signal_mid_apply_ends_with_the_summary_the_aborted_line_and_128_plus_the_signal(
    tmp_path: Path, sig: signal.Signals, code: int, k: int
) -> None:
    name = signal.Signals(sig).name
    with served_news_site(tmp_path / "emulator.sqlite", LATENCY_MS) as (url, admin):
        proc = cli_process(tmp_path, "apply", str(NEWS_SITE), "--auto-approve", "--base-url", url)
        assert wait_for_mutations(proc, admin, k) >= k
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=PROCESS_TIMEOUT)
        assert proc.returncode == code, err

        assert "Traceback" not in err
        assert MASTER_SECRET not in out + err
        assert f"{name}: no new request starts; waiting for the ones in flight" in err
        assert f"error: apply stopped by {name}: " in err
        assert "Apply for daily_ledger: " in out
        assert f"Stopped by {name}: no request started after it." in out

        (journal,) = (tmp_path / ".webpush-iac" / "journal").glob("*.jsonl")
        records = read_journal(journal)
        assert run_status(records) == "aborted"
        assert records[-1]["error"] == name
        assert in_flight(records) == []  # the calls in flight ended and were journalled
        log = request_log(admin)
        landed = Counter((e["method"], e["path"]) for e in log if e["method"] != "GET")
        intents = Counter((r["method"], r["path"]) for r in records if r["event"] == "intent")
        assert landed == intents  # nothing started after the signal that was not journalled
        assert records[-1]["not_attempted"] > 0
        assert records[-1]["done"] == sum(landed.values())

        converge(url, tmp_path)
        desired = news_site_desired()
        assert live_names(admin) == {s.live_name: 1 for s in desired.schedules.values()}
