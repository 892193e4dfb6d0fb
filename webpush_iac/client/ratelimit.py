"""A token bucket with adaptive (AIMD) rate, shared by every client of one credential.

EngageLab limits each AppKey to 500 requests per second and answers past that with code 23008
(or HTTP 429). Two clients of one AppKey draw on that one budget, so buckets live in a module-level
registry keyed by app key and base URL. The configured rate is a ceiling: a rate-limited answer
halves the rate (multiplicative decrease, floor 1 qps) and each success adds a little back (additive
increase), the way TCP shares a link without knowing its capacity.

Time is read through an injectable clock and waited through an injectable sleep so tests run
deterministically and never really sleep. The bucket holds only numbers, no asyncio primitives, so
it may be shared across event loops.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable

logger = logging.getLogger("webpush_iac.client")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Burst capacity as a fraction of the rate: at 450 qps a 9-token burst makes at most 459 requests
#: in any second. The server allows 500 (docs/api-notes.md "Rate limits"), so the remaining 41
#: (8%, about 90 ms of sending) absorb the scheduling jitter that bunches requests into one second;
#: a burst that uses up that margin draws 23008 answers, and each one halves the rate. A burst only
#: saves time when the bucket is full, at the start of a run, so a small one costs almost nothing.
BURST_FRACTION = 0.02
#: After a decrease, further rate-limited answers within this many seconds are echoes of requests
#: sent before the decrease (32 in flight would otherwise halve the rate 32 times).
DECREASE_COOLDOWN = 1.0


class TokenBucket:
    """Hands out send permits at ``rate`` per second with a small burst, adapting to 23008/429."""

    def __init__(
        self,
        rate: float,
        *,
        floor: float = 1.0,
        decrease_factor: float = 0.5,
        increase_per_success: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor must be between 0 and 1")
        self._max_rate = float(rate)
        self._rate = float(rate)
        self._floor = min(float(floor), self._max_rate)
        self._decrease_factor = decrease_factor
        self._increase = increase_per_success
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._last_decrease: float | None = None

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self._rate:g}, max_rate={self._max_rate:g})"

    @property
    def rate(self) -> float:
        """The current (possibly reduced) rate in permits per second."""
        return self._rate

    @property
    def max_rate(self) -> float:
        """The configured ceiling the rate recovers to."""
        return self._max_rate

    @property
    def capacity(self) -> float:
        return max(1.0, self._rate * BURST_FRACTION)

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self._rate)

    def reserve(self) -> float:
        """Take one permit now, on credit if need be; return the seconds to wait before using it.

        Reserving instead of polling means every waiter sleeps exactly once and waiters are served
        in arrival order, with no thundering herd when the bucket refills.
        """
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self._rate

    async def acquire(self, sleep: Sleep = asyncio.sleep) -> float:
        """Wait for a permit; return how long we waited (0.0 when one was free)."""
        wait = self.reserve()
        if wait > 0:
            await sleep(wait)
        return wait

    def on_rate_limited(self) -> None:
        """The server said slow down: halve the rate (once per cooldown) and drop any burst."""
        now = self._clock()
        if self._last_decrease is not None and now - self._last_decrease < DECREASE_COOLDOWN:
            return
        self._last_decrease = now
        self._refill()
        self._rate = max(self._floor, self._rate * self._decrease_factor)
        self._tokens = min(self._tokens, 0.0)
        logger.debug("rate limited by the server: pacing at %.1f requests/s", self._rate)

    def on_success(self) -> None:
        """A request went through: creep back toward the configured rate."""
        if self._rate < self._max_rate:
            self._refill()
            self._rate = min(self._max_rate, self._rate + self._increase)

    def lower_max_rate(self, rate: float) -> None:
        """Adopt a lower ceiling (another client of the same credential asked for less)."""
        if 0 < rate < self._max_rate:
            self._max_rate = float(rate)
            self._floor = min(self._floor, self._max_rate)
            self._rate = min(self._rate, self._max_rate)


_REGISTRY: weakref.WeakValueDictionary[tuple[str, str], TokenBucket] = weakref.WeakValueDictionary()


def shared_bucket(
    app_key: str, base_url: str, rate: float, *, clock: Clock | None = None
) -> TokenBucket:
    """The bucket of one credential on one host, created on first use.

    The server's limit is per AppKey, so when two clients ask for different rates the lower one wins.
    Entries are weak: a bucket lives as long as some client holds it, so separate runs (and tests)
    start fresh. ``clock`` only matters for the client that creates the bucket.
    """
    key = (app_key, base_url)
    bucket = _REGISTRY.get(key)
    if bucket is None:
        bucket = TokenBucket(rate, clock=clock or time.monotonic)
        _REGISTRY[key] = bucket
    else:
        bucket.lower_max_rate(rate)
    return bucket


__all__ = ["Clock", "Sleep", "TokenBucket", "shared_bucket"]
