"""How progress events look on stderr: a redrawn bar on a terminal, sparse lines in CI logs.

:class:`ProgressDisplay` writes through the function the CLI hands it (stderr), so
``--format json`` on stdout stays parseable. On a TTY it redraws one ``\\r`` bar; in CI logs (no
TTY, or ``CI=true``) it writes a plain line every ``step`` percent or every ``interval`` seconds
(stages of ``min_total`` items or more), whichever comes first, because a log viewer shows every
``\\r`` frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from webpush_iac.progress import counts_of


def is_interactive(isatty: bool, environ: Mapping[str, str]) -> bool:
    """A bar only for a person watching a terminal; CI logs get plain lines even on a pseudo-TTY."""
    ci = environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return isatty and not ci and environ.get("TERM") != "dumb"


class ProgressDisplay:
    """Turn progress events into stderr text: a redrawn bar on a TTY, sparse lines otherwise."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        tty: bool,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 5.0,
        step: int = 10,
        width: int = 28,
        min_total: int = 100,
    ) -> None:
        self._write = write
        self.tty = tty
        self._clock = clock
        self.interval = interval
        self.step = step
        self.width = width
        self.min_total = min_total
        self._bar_open = False
        self._stage: str | None = None
        self._last_bucket = 0
        self._last_time = 0.0

    def __call__(self, message: str) -> None:
        counted = counts_of(message)
        if counted is None:
            self._end_bar()
            self._write(f"{message}\n")
            return
        stage, done, total = counted
        if stage != self._stage or done == 0:
            self._stage, self._last_bucket, self._last_time = stage, 0, self._clock()
        if self.tty:
            self._draw(str(message), done, total)
        else:
            self._maybe_line(str(message), done, total)

    def close(self) -> None:
        """End an unfinished bar line (an error or ctrl-C mid-stage) so later text starts clean."""
        self._end_bar()

    def _draw(self, text: str, done: int, total: int) -> None:
        filled = self.width * done // total
        bar = "#" * filled + "-" * (self.width - filled)
        self._write(f"\r[{bar}] {done * 100 // total:3d}% {text}\x1b[K")
        self._bar_open = True
        if done >= total:
            self._end_bar()

    def _maybe_line(self, text: str, done: int, total: int) -> None:
        if done == 0:
            return  # the stage's own plain message ("reading N devices…") already opened it
        # Percent lines only for stages big enough to take a while; a slow small one still gets
        # a line every interval, and every stage ends with its total.
        bucket = done * 100 // total // self.step if total >= self.min_total else 0
        now = self._clock()
        if done >= total or bucket > self._last_bucket or now - self._last_time >= self.interval:
            self._last_bucket, self._last_time = bucket, now
            self._write(f"{text} ({done * 100 // total}%)\n")

    def _end_bar(self) -> None:
        if self._bar_open:
            self._write("\n")
            self._bar_open = False


__all__ = ["ProgressDisplay", "is_interactive"]
