"""Progress events: counted stages report each whole percent once, plain messages carry no counts.

Who emits them is tested where they are emitted (``test_live``, ``apply/test_executor``); how they
look on stderr in ``cli/test_display``.
"""

from __future__ import annotations

from webpush_iac.progress import ProgressCounter, ProgressEvent, counts_of


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
