"""A real ``apply`` process whose journal hits a file-size limit (the disk-full case).

``RLIMIT_FSIZE`` is set in the child, with SIGXFSZ ignored, so the kernel fails the journal's
writes with EFBIG once the file reaches the limit, exactly as it does on a quota'd or full disk.
The limits are chosen to fail the start line, an intent, or a write in the middle of the run.
Whatever the point, the process must end with the result summary and exit 4 (no traceback), and
the journal must agree with the emulator's request log: every request that reached the server
has a durable intent, and nothing was sent after the journal failed.
"""

from __future__ import annotations

import asyncio
import resource
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
)

from webpush_iac.apply.journal import read_journal
from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command

pytestmark = pytest.mark.slow  # apply subprocesses over a socket

#: Bytes the journal may grow to: not even the start line, a few calls, most of the run.
LIMITS = [100, 2500, 6000, 9000]


def file_size_limit(limit: int) -> object:
    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death by SIGXFSZ
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


@pytest.mark.parametrize("limit", LIMITS)
def test_a_journal_cut_by_a_file_size_limit_ends_with_the_summary_exit_4_and_agrees_with_the_server(
    tmp_path: Path, limit: int
) -> None:
    with served_news_site(tmp_path / "emulator.sqlite") as (url, admin):
        proc = cli_process(
            tmp_path / "run",
            "apply",
            str(NEWS_SITE),
            "--auto-approve",
            "--base-url",
            url,
            preexec_fn=file_size_limit(limit),  # type: ignore[arg-type]
        )
        out, err = proc.communicate(timeout=PROCESS_TIMEOUT)
        assert proc.returncode == 4, err
        assert "Traceback" not in err
        assert MASTER_SECRET not in out + err
        assert "Apply for daily_ledger: " in out
        assert "is incomplete (File too large)" in out
        assert "error: apply partially failed" in err

        (journal,) = (tmp_path / "run" / ".webpush-iac" / "journal").glob("*.jsonl")
        assert journal.stat().st_size <= limit
        records = read_journal(journal)
        landed = Counter(
            (e["method"], e["path"]) for e in request_log(admin) if e["method"] != "GET"
        )
        intents = Counter((r["method"], r["path"]) for r in records if r["event"] == "intent")
        assert landed == intents  # every request that reached the server has a durable intent
        planned = 16  # news_site's mutating requests from its starting state
        assert sum(landed.values()) < planned  # the failed journal stopped the run part-way
        assert (sum(landed.values()) > 0) == (limit > LIMITS[0])
        assert "finish" not in [r["event"] for r in records]

        async def resume() -> None:
            run = await apply_command(
                [NEWS_SITE],
                target=Target(base_url=url, client_options={"sleep": no_sleep}),
                environ=EXAMPLE_ENV,
                journal_dir=tmp_path / "resume",
                lock_dir=tmp_path / "locks",
            )
            assert run.result.ok, run.result.to_data()

        asyncio.run(resume())
        desired = news_site_desired()
        assert live_names(admin) == {s.live_name: 1 for s in desired.schedules.values()}
