"""The token bucket: pacing, AIMD adaptation and sharing per credential, on a fake clock."""

from __future__ import annotations

import gc

import pytest

from webpush_iac.client.ratelimit import TokenBucket, shared_bucket


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_bucket_lets_a_small_burst_through_then_paces_at_the_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(500, clock=t)
    assert bucket.capacity == pytest.approx(10)
    for _ in range(10):
        assert await bucket.acquire(t.sleep) == 0.0
    start = t.now
    for _ in range(500):
        await bucket.acquire(t.sleep)
    assert t.now - start == pytest.approx(1.0)


async def test_default_rate_and_burst_stay_under_the_500_qps_server_limit() -> None:
    t = FakeTime()
    bucket = TokenBucket(450, clock=t)
    start = t.now
    sent = 0
    while t.now - start < 1.0:
        await bucket.acquire(t.sleep)
        sent += 1
    assert sent <= 460  # under 500 with room for scheduling jitter (benchmarks/RESULTS.md)


async def test_concurrent_waiters_are_spaced_one_interval_apart() -> None:
    t = FakeTime()
    bucket = TokenBucket(10, clock=t)  # capacity 1
    waits = [bucket.reserve() for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_rate_limited_answer_halves_the_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(400, clock=t)
    bucket.on_rate_limited()
    assert bucket.rate == pytest.approx(200)


def test_a_burst_of_rate_limited_answers_halves_only_once_per_cooldown() -> None:
    t = FakeTime()
    bucket = TokenBucket(400, clock=t)
    for _ in range(32):  # every in-flight request comes back 23008 at once
        bucket.on_rate_limited()
    assert bucket.rate == pytest.approx(200)
    t.now += 1.5
    bucket.on_rate_limited()
    assert bucket.rate == pytest.approx(100)


def test_rate_never_drops_below_one_request_per_second() -> None:
    t = FakeTime()
    bucket = TokenBucket(8, clock=t)
    for _ in range(10):
        bucket.on_rate_limited()
        t.now += 2
    assert bucket.rate == pytest.approx(1.0)


def test_successes_recover_the_rate_additively_up_to_the_configured_ceiling() -> None:
    t = FakeTime()
    bucket = TokenBucket(100, clock=t, increase_per_success=1.0)
    bucket.on_rate_limited()
    assert bucket.rate == pytest.approx(50)
    for _ in range(10):
        bucket.on_success()
    assert bucket.rate == pytest.approx(60)
    for _ in range(1000):
        bucket.on_success()
    assert bucket.rate == pytest.approx(100)


async def test_slowed_bucket_paces_at_the_reduced_rate_without_a_burst() -> None:
    t = FakeTime()
    bucket = TokenBucket(100, clock=t)
    bucket.on_rate_limited()  # 50 qps, saved-up burst dropped
    assert bucket.reserve() > 0
    start = t.now
    for _ in range(50):
        await bucket.acquire(t.sleep)
    assert t.now - start == pytest.approx(1.0, abs=0.03)


def test_two_clients_of_one_credential_share_one_bucket_and_the_lower_rate() -> None:
    a = shared_bucket("key-share", "https://h.test", 450)
    b = shared_bucket("key-share", "https://h.test", 200)
    other_key = shared_bucket("key-other", "https://h.test", 450)
    other_host = shared_bucket("key-share", "https://other.test", 450)
    assert a is b
    assert a.max_rate == pytest.approx(200)
    assert other_key is not a
    assert other_host is not a


def test_registry_forgets_a_bucket_nobody_holds() -> None:
    first = shared_bucket("key-weak", "https://h.test", 10)
    first.on_rate_limited()
    del first
    gc.collect()
    fresh = shared_bucket("key-weak", "https://h.test", 450)
    assert fresh.rate == pytest.approx(450)


@pytest.mark.parametrize("rate", [0, -1])
def test_bucket_refuses_a_non_positive_rate(rate: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate)
