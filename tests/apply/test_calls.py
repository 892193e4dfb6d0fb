"""What may still be sent: the intent written as the request leaves, a journal that fills up, a
stop request, a server that stopped answering.

The real client sends through ``httpx.MockTransport`` into the stateful fake of
:mod:`support.fake_api`; :class:`support.disk.FullDisk` fails the journal's writes the way a full
disk or a file-size limit does. The reliability suite repeats the disk and signal cases with a
real process, a real limit and real signals.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.disk import FullDisk
from support.fake_api import SECRET, FakeApi, create, plan_of

from webpush_iac.apply.executor import apply_plan
from webpush_iac.apply.journal import Journal, in_flight, read_journal, run_status
from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.concurrency import StopRequest
from webpush_iac.plan import ApiRequest, Change


async def no_sleep(_seconds: float) -> None:
    return None


def client(api: FakeApi, *, concurrency: int = 1) -> EngageLabClient:
    return EngageLabClient(
        "https://api.example.test",
        Credentials("app", SECRET),
        transport=httpx.MockTransport(api),
        sleep=no_sleep,
        concurrency=concurrency,
    )


def tags(n: int) -> list[Change]:
    return [
        Change(
            f"tag/t{i}",
            "update",
            requests=(
                ApiRequest(
                    "POST", f"/v4/tags/t{i}", {"registration_ids": {"add": ["r"]}}, "tag.update"
                ),
            ),
        )
        for i in range(n)
    ]


def intents(journal: Journal) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in read_journal(journal.path) if r["event"] == "intent"]


async def test_an_intent_is_written_as_its_request_leaves_not_while_it_waits_for_a_slot(
    tmp_path: Path,
) -> None:
    """Ten changes, one in-flight slot: when the server sees the k-th request, the journal holds
    exactly k intents (an intent written before the wait would claim ten calls in flight)."""
    api = FakeApi()
    journal = Journal(tmp_path)
    seen: list[int] = []

    def count_intents(request: httpx.Request) -> None:
        seen.append(len(intents(journal)))

    api.faults.append(count_intents)  # observes, never answers
    async with client(api) as c:
        result = await apply_plan(c, plan_of(*tags(10)), journal=journal)
    journal.close()
    assert result.ok
    assert seen == list(range(1, 11))


async def test_a_journal_that_fills_up_stops_every_later_request_and_apply_still_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeApi()
    journal = Journal(tmp_path)
    FullDisk(monkeypatch, journal.path, limit=1500)  # room for the start line and a few calls
    async with client(api) as c:
        result = await apply_plan(c, plan_of(*tags(12)), journal=journal)
    journal.close()

    sent = api.mutations()
    assert 0 < len(sent) < 12
    assert sent == intents(journal)  # every request that reached the server has its intent
    assert len(result.done) == len(sent)
    # The write that hit the limit was an intent (that request "could not be journalled") or an
    # outcome (noted on its done request); every later request names the failed journal.
    reasons = {o.error for o in result.not_attempted}
    assert reasons <= {
        "not sent: its intent could not be journalled (cannot write the journal "
        f"{journal.path}: File too large)",
        "not attempted: the journal could not be written (File too large)",
    }
    assert len(result.done) + len(result.not_attempted) == 12
    assert not result.ok
    (warning,) = result.warnings
    assert f"the journal {journal.path} is incomplete (File too large)" in warning


async def test_an_outcome_the_journal_could_not_take_is_still_in_the_result_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeApi()
    journal = Journal(tmp_path)
    # Writes: 1 start, 2 phase, 3 intent, 4 outcome (fails), after which nothing is sent.
    FullDisk(monkeypatch, journal.path, fail_at=4)
    async with client(api) as c:
        result = await apply_plan(c, plan_of(*tags(3)), journal=journal)
    journal.close()
    assert api.mutations() == [("POST", "/v4/tags/t0")]
    (done,) = result.done
    assert done.request.path == "/v4/tags/t0"
    assert done.note.startswith("the journal lacks this outcome: cannot write the journal")
    assert "No space left on device" in done.note
    assert [o.request.path for o in result.not_attempted] == ["/v4/tags/t1", "/v4/tags/t2"]
    records = read_journal(journal.path)
    assert [r["path"] for r in in_flight(records)] == ["/v4/tags/t0"]  # the safe direction


async def test_a_journal_that_cannot_take_its_first_line_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeApi()
    journal = Journal(tmp_path)
    FullDisk(monkeypatch, journal.path, limit=0)
    async with client(api) as c:
        result = await apply_plan(c, plan_of(create("a"), *tags(2)), journal=journal)
    journal.close()
    assert api.mutations() == []
    assert result.done == []
    assert len(result.not_attempted) == 3


async def test_a_stop_request_lets_the_call_in_flight_finish_and_starts_no_other(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    stop = StopRequest()

    def signal_arrives_mid_request(request: httpx.Request) -> None:
        assert stop.draining  # apply said it can wind down, so the handler did not cancel it
        stop.set("SIGTERM")

    api.faults.append(signal_arrives_mid_request)
    journal = Journal(tmp_path)
    async with client(api) as c:
        result = await apply_plan(c, plan_of(*tags(4)), journal=journal, stop=stop)
    journal.close()
    assert api.mutations() == [("POST", "/v4/tags/t0")]
    assert [o.request.path for o in result.done] == ["/v4/tags/t0"]
    assert {o.error for o in result.not_attempted} == {"not attempted: apply was stopped (SIGTERM)"}
    assert result.stopped == "SIGTERM"
    records = read_journal(journal.path)
    assert run_status(records) == "aborted"
    assert records[-1]["error"] == "SIGTERM"
    assert records[-1]["done"] == 1
    assert in_flight(records) == []  # the call in flight ended and was journalled


async def test_a_server_that_stops_answering_ends_the_run_after_one_call_gave_up(
    tmp_path: Path,
) -> None:
    api = FakeApi()

    def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("", request=request)

    api.faults.append(silent)
    journal = Journal(tmp_path)
    async with client(api) as c:
        result = await apply_plan(c, plan_of(*tags(2), create("later")), journal=journal)
    journal.close()
    assert api.log.count(("POST", "/v4/tags/t0")) == 3  # three timed-out attempts, no more
    assert ("POST", "/v4/tags/t1") not in api.log
    (failed,) = result.failed
    assert "no answer within 10 s (read timeout) after 3 attempts" in failed.error
    reasons = {o.error for o in result.not_attempted}
    assert len(result.not_attempted) == 2
    assert all(r.startswith("not attempted: the server stopped answering (POST") for r in reasons)
