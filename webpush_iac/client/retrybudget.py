"""How long one call keeps retrying: a count of tries and, for reads, seconds of backoff.

Reads ride out longer bursts than writes: a plan is all reads, and one GET that gave up after five
tries aborted the whole plan under a burst of 503s (docs/api-notes.md "Retries"). A read stops
retrying once its waits would pass :data:`READ_RETRY_BUDGET` seconds in total (about 15 tries at
the default backoff) or after :data:`MAX_READ_RETRIES`, whichever comes first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger("webpush_iac.client")

READ_RETRY_BUDGET = 60.0
MAX_READ_RETRIES = 20
READ_BUDGET = (MAX_READ_RETRIES, READ_RETRY_BUDGET)


@dataclass
class RetryBudget:
    """How many more tries one call gets: a count, and for reads a total of backoff seconds.

    The time bound counts the waits the client plans, not the wall clock, so it holds however long
    each answer takes and tests that skip the sleeps see the same decisions.
    """

    max_retries: int
    seconds: float | None = None
    spent: float = 0.0

    def take(self, retries_so_far: int, delay: float, call: str) -> bool:
        """Spend ``delay`` on one more retry of ``call`` if the budget allows; log a give-up."""
        over = self.seconds is not None and self.spent + delay > self.seconds
        if retries_so_far >= self.max_retries or over:
            logger.debug(
                "%s: giving up after %d attempts (%.1fs of backoff spent)",
                call,
                retries_so_far + 1,
                self.spent,
            )
            return False
        self.spent += delay
        return True


def retry_budget(method: str, max_retries: int, read_budget: tuple[int, float]) -> RetryBudget:
    """A GET's budget is ``read_budget`` (retries, seconds of backoff); a write's ``max_retries``."""
    if method.upper() == "GET":
        return RetryBudget(read_budget[0], read_budget[1])
    return RetryBudget(max_retries)


__all__ = ["MAX_READ_RETRIES", "READ_BUDGET", "READ_RETRY_BUDGET", "RetryBudget", "retry_budget"]
