"""The apply journal: intent before, outcome after, readable after a crash, never a secret."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from webpush_iac.apply.journal import Journal, in_flight, read_journal

CANARY = 'journal-canary-s3cr3t-"quoted"'


def _fixed_clock() -> datetime:
    return datetime(2026, 11, 22, 21, 30, 5, tzinfo=UTC)


def test_journal_file_is_named_by_utc_timestamp_and_short_id(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", clock=_fixed_clock)
    journal.close()
    assert journal.path.parent == tmp_path / "j"
    stamp, run_id = journal.path.stem.split("-")
    assert stamp == "20261122T213005Z"
    assert run_id == journal.run_id
    assert len(run_id) == 8


def test_two_runs_in_the_same_second_get_two_files(tmp_path: Path) -> None:
    first = Journal(tmp_path, clock=_fixed_clock)
    second = Journal(tmp_path, clock=_fixed_clock)
    first.close()
    second.close()
    assert first.path != second.path


def test_intent_is_on_disk_before_the_outcome_is_written(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    seq = journal.intent(
        address="schedule/a", kind="schedule.create", method="POST", path="/v4/schedules", body={}
    )
    # Read through a separate handle while the journal is still open: the call is "in flight".
    pending = in_flight(read_journal(journal.path))
    assert [(r["seq"], r["address"]) for r in pending] == [(seq, "schedule/a")]

    journal.outcome(seq, status="ok", created_id="id-1")
    journal.close()
    records = read_journal(journal.path)
    assert in_flight(records) == []
    assert records[-1] == {
        "ts": records[-1]["ts"],
        "event": "outcome",
        "seq": seq,
        "status": "ok",
        "created_id": "id-1",
    }


def test_interrupted_run_is_marked_aborted_and_keeps_open_intents(tmp_path: Path) -> None:
    journal = Journal(tmp_path)

    def interrupted_run() -> None:
        with journal:
            journal.intent(
                address="tag/beta", kind="tag.update", method="POST", path="/v4/tags/beta"
            )
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()
    records = read_journal(journal.path)
    assert records[-1]["event"] == "aborted"
    assert [r["path"] for r in in_flight(records)] == ["/v4/tags/beta"]


def test_torn_last_line_is_ignored_when_reading(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.intent(address="device/r1", kind="device.update", method="POST", path="/v4/devices/r1")
    journal.close()
    with journal.path.open("a", encoding="utf-8") as fh:
        fh.write('{"event": "outcome", "se')
    assert len(read_journal(journal.path)) == 1


def test_registered_secret_never_reaches_the_file_even_json_escaped(tmp_path: Path) -> None:
    journal = Journal(tmp_path, redact=[CANARY])
    seq = journal.intent(
        address="schedule/x",
        kind="schedule.create",
        method="POST",
        path="/v4/schedules",
        body={"push": {"body": {"notification": {"web": {"alert": CANARY}}}}},
    )
    journal.outcome(seq, status="failed", error=f"HTTP 401: bad secret {CANARY}")
    journal.close()
    text = journal.path.read_text(encoding="utf-8")
    assert CANARY not in text
    assert json.dumps(CANARY)[1:-1] not in text
    assert "s3cr3t" not in text
