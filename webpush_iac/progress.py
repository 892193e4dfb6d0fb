"""Progress reporting: the events the library emits while it works.

Why a ``str`` subclass: every long operation takes a ``progress: Callable[[str], None]`` callback
(tests pass ``list.append``, scripts pass ``print``). Counted events (``done``/``total`` for device
reads and apply requests) are still plain messages to such callbacks, so nothing that already
consumes progress breaks, while a count-aware consumer reads ``event.done``/``event.total``.

Why counts are thinned here rather than in the display: a 10,000-device read would otherwise call
the callback 10,000 times. :class:`ProgressCounter` reports each whole percent at most once (so
≤ 101 events per stage), which is plenty for a bar and cheap for everyone.

How events are shown is the CLI's business (``webpush_iac.cli.display``): the library never prints.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]

STAGE_DEVICES = "devices"
STAGE_APPLY = "apply"


class ProgressEvent(str):
    """A progress message that may carry ``done`` of ``total`` work items for one ``stage``."""

    stage: str
    done: int | None
    total: int | None

    def __new__(
        cls, message: str, *, stage: str = "", done: int | None = None, total: int | None = None
    ) -> ProgressEvent:
        event = super().__new__(cls, message)
        event.stage = stage
        event.done = done
        event.total = total
        return event

    @property
    def counted(self) -> bool:
        return self.done is not None and self.total is not None


def counts_of(message: str) -> tuple[str, int, int] | None:
    """``(stage, done, total)`` of a counted event; ``None`` for a plain message."""
    if isinstance(message, ProgressEvent) and message.done is not None and message.total:
        return message.stage, message.done, message.total
    return None


class ProgressCounter:
    """Counts finished work items and reports each whole percent (and the last item) once."""

    def __init__(self, progress: Progress | None, *, stage: str, total: int, label: str) -> None:
        self._progress = progress
        self.stage = stage
        self.total = total
        self.label = label
        self.done = 0
        self._reported = -1  # the last percent reported

    def start(self) -> None:
        """Report ``0/total`` so a display can open its bar before the first item finishes."""
        self._emit()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._progress is None or self.total <= 0:
            return
        percent = min(100, self.done * 100 // self.total)
        if percent > self._reported or self.done >= self.total:
            self._emit()

    def _emit(self) -> None:
        if self._progress is None or self.total <= 0:
            return
        self._reported = min(100, self.done * 100 // self.total)
        text = f"{self.label} {self.done:,}/{self.total:,}"
        self._progress(ProgressEvent(text, stage=self.stage, done=self.done, total=self.total))


__all__ = [
    "STAGE_APPLY",
    "STAGE_DEVICES",
    "Progress",
    "ProgressCounter",
    "ProgressEvent",
    "counts_of",
]
