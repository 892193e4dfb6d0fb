"""The apply journal: intent before, outcome after, readable after a crash, never a secret."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.disk import FullDisk

from webpush_iac.apply.journal import Journal, in_flight, read_journal, run_status
from webpush_iac.errors import JournalError

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


def test_a_last_line_torn_inside_a_multibyte_character_is_ignored(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.note("phase", phase="schedules")
    journal.close()
    with journal.path.open("ab") as fh:
        fh.write('{"event": "intent", "body": "摘要'.encode()[:-1])  # cut mid-character
    assert [r["event"] for r in read_journal(journal.path)] == ["phase"]


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


# -- a journal that cannot be written ------------------------------------------------------------


def _intent(journal: Journal, path: str = "/v4/tags/beta") -> int:
    return journal.intent(address="tag/beta", kind="tag.update", method="POST", path=path)


def test_a_write_cut_by_a_file_size_limit_fails_the_journal_for_good(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path)
    journal.start(project="p")
    limit = journal.path.stat().st_size + 20  # the next line is cut after 20 bytes
    FullDisk(monkeypatch, journal.path, limit=limit)
    with pytest.raises(JournalError, match="File too large"):
        _intent(journal)
    assert journal.failure == "File too large"
    with pytest.raises(JournalError, match="failed earlier"):
        journal.outcome(1, status="ok")
    journal.note("phase", phase="deletes")  # best effort: no exception, nothing written
    journal.close()
    assert journal.path.stat().st_size == limit  # nothing after the torn line
    assert [r["event"] for r in read_journal(journal.path)] == ["start"]


def test_a_failed_write_is_not_retried_into_a_later_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path)
    disk = FullDisk(monkeypatch, journal.path, fail_at=2)
    journal.start(project="p")
    with pytest.raises(JournalError, match="No space left on device"):
        _intent(journal)
    disk.fail_at = None  # space came back: the journal stays failed, its story already has a gap
    with pytest.raises(JournalError):
        _intent(journal, "/v4/tags/other")
    journal.close()
    assert disk.writes == 2
    assert [r["event"] for r in read_journal(journal.path)] == ["start"]


def test_a_journal_that_cannot_be_created_says_so_and_that_nothing_was_sent(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "journal"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    with pytest.raises(JournalError, match=r"cannot create the apply journal .*nothing was sent"):
        Journal(blocker)


def test_an_aborted_run_after_a_stop_is_not_marked_aborted_twice(tmp_path: Path) -> None:
    journal = Journal(tmp_path)

    def stopped_then_interrupted() -> None:
        with journal:
            journal.abort("SIGTERM", done=1)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stopped_then_interrupted()
    records = read_journal(journal.path)
    assert [(r["event"], r.get("error")) for r in records] == [("aborted", "SIGTERM")]
    assert run_status(records) == "aborted"


@pytest.mark.parametrize(
    "secret", ["s", "ab", "k3y9Zq7W", "0f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccdd"]
)
def test_short_secret_is_redacted_as_a_whole_value_never_inside_words_or_keys(
    tmp_path: Path, secret: str
) -> None:
    journal = Journal(tmp_path, redact=[secret])
    journal.start(project="news_site", target="https://example.test")
    seq = journal.intent(
        address="device/1a0018970a5c6c1",
        kind="device.update",
        method="POST",
        path="/v4/devices/1a0018970a5c6c1",
        body={"alias": secret, "tags": {"add": ["subscribers"]}},
    )
    journal.outcome(seq, status="failed", error=f"registration id is not registered ({secret})")
    journal.close()
    records = read_journal(journal.path)
    assert [r["event"] for r in records] == ["start", "intent", "outcome"]
    assert records[1]["body"] == {"alias": "***", "tags": {"add": ["subscribers"]}}
    assert records[2]["status"] == "failed"
    assert records[2]["error"] == "registration id is not registered (***)"
    assert records[0]["project"] == "news_site"
