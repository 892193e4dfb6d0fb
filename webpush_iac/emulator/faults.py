"""Injected misbehaviour (latency, 5xx, dropped connections) and the per-app-key QPS limit.

Faults start from the :class:`EmulatorConfig` and are changed at runtime through
``POST /_emulator/faults``. The dice are a seeded :class:`random.Random` so a failing test run can
be replayed exactly by setting the same ``seed``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from typing import Any

from webpush_iac.emulator.config import EmulatorConfig

FAULT_KEYS = frozenset({"latency_ms", "fail_rate", "drop_rate", "commit_then_drop", "qps", "seed"})


class _DroppedConnection(ConnectionResetError):
    """Raised after a partial response so the server cuts the connection (or, in-process, so
    the caller sees a reset): the client must treat the outcome as unknown."""


class Faults:
    """Current fault settings; every method is thread-safe."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self.latency_ms = 0
        self.fail_rate = 0.0
        self.drop_rate = 0.0
        self.commit_then_drop = 0
        self.qps: float | None = None
        self.seed: int | None = None
        self._rng = random.Random()
        self.restore()

    def restore(self) -> None:
        """Back to the configured values (reset keeps the config)."""
        with self._lock:
            self.latency_ms = self._config.latency_ms
            self.fail_rate = self._config.fail_rate
            self.drop_rate = self._config.drop_rate
            self.commit_then_drop = 0
            self.qps = self._config.qps
            self.seed = self._config.seed
            self._rng = random.Random(self.seed)

    def check(self, data: dict[str, Any]) -> dict[str, Any]:
        """The checked settings; raises ValueError naming the first bad field."""
        extra = sorted(set(data) - FAULT_KEYS)
        if extra:
            raise ValueError(f"unknown fault setting {extra[0]!r}")
        return {key: _check_setting(key, value) for key, value in data.items()}

    def update(self, data: dict[str, Any]) -> None:
        """Apply a partial settings object; raises ValueError naming the first bad field."""
        checked = self.check(data)
        with self._lock:
            for key, value in checked.items():
                setattr(self, key, value)
            if "seed" in checked:
                self._rng = random.Random(self.seed)

    def to_data(self) -> dict[str, Any]:
        with self._lock:
            return {key: getattr(self, key) for key in sorted(FAULT_KEYS)}

    def roll_fail(self) -> bool:
        with self._lock:
            return self.fail_rate > 0 and self._rng.random() < self.fail_rate

    def roll_drop(self) -> bool:
        with self._lock:
            return self.drop_rate > 0 and self._rng.random() < self.drop_rate

    def take_commit_then_drop(self) -> bool:
        """True (and one less left) when the next create must be committed and then dropped."""
        with self._lock:
            if self.commit_then_drop <= 0:
                return False
            self.commit_then_drop -= 1
            return True


def _check_setting(key: str, value: Any) -> Any:
    if key in ("fail_rate", "drop_rate"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{key} must be a number between 0 and 1")
        return float(value)
    if key in ("latency_ms", "commit_then_drop"):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 600_000:
            raise ValueError(f"{key} must be a non-negative integer")
        return value
    if key == "qps":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError("qps must be a positive number or null")
        return float(value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("seed must be an integer or null")
    return value


class RateLimiter:
    """A sliding one-second window per app key (DOC: the limit is per AppKey).

    Uses the monotonic real clock, not the emulator clock: advancing the emulator's time must not
    refill anyone's quota.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def acquire(self, key: str, qps: float | None, cost: int = 1) -> int:
        """Take up to ``cost`` slots now; returns how many were granted (all when unlimited)."""
        if qps is None:
            return cost
        limit = max(1, int(qps))
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            granted = max(0, min(cost, limit - len(window)))
            window.extend([now] * granted)
        return granted

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
