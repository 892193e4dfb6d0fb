"""The state one emulator instance shares across requests, and what a handler is handed.

The store is opened lazily on first use rather than in an ASGI lifespan hook: httpx's
``ASGITransport`` never runs lifespan, and the reconciler's embedded emulator goes through it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from starlette.datastructures import QueryParams

from webpush_iac.emulator.checks import Limits
from webpush_iac.emulator.clock import EmulatorClock, load_zone
from webpush_iac.emulator.config import EmulatorConfig
from webpush_iac.emulator.faults import Faults, RateLimiter
from webpush_iac.emulator.protocol import Family, Reply, invalid
from webpush_iac.emulator.rules import Rules
from webpush_iac.emulator.store import Store

_CLOCK_KEY = "clock_offset_seconds"


class Emulator:
    """Config, clock, rules, faults, rate limiter and (lazily) the store of one emulator."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.product = config.product
        self.home: tzinfo = load_zone(config.timezone)
        self.clock = EmulatorClock()
        self.rules = Rules(config.rules())
        self.faults = Faults(config)
        self.limiter = RateLimiter()
        self._store: Store | None = None
        self._lock = threading.Lock()
        # The earliest next_event of a listed task, once looked up: lets a call skip the
        # "anything due?" query. ``due_known`` False means look it up again.
        self.due_at: float | None = None
        self.due_known = False

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                store = Store(self.config.db_path)
                offset = store.meta_get(_CLOCK_KEY)
                if offset is not None:
                    self.clock.set_offset(float(offset))
                self._store = store
            return self._store

    def now(self) -> datetime:
        _ = self.store  # the persisted clock offset is loaded with the store
        return self.clock.now()

    def limits(self) -> Limits:
        return Limits(self.product, self.rules.max_message_bytes)

    def save_clock(self) -> None:
        self.store.meta_set(_CLOCK_KEY, repr(self.clock.offset_seconds))

    def reset(self) -> None:
        """Forget every object, request and clock shift; keep the configuration."""
        self.store.reset()
        self.due_known = False
        self.clock.set_offset(0.0)
        self.faults.restore()
        self.rules.restore()
        self.limiter.clear()

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


_NO_BODY: Any = object()


@dataclass
class Call:
    """One authenticated API call as a handler sees it."""

    emu: Emulator
    method: str
    params: dict[str, str]
    query: QueryParams
    raw_body: Any  # parsed JSON, or _NO_BODY when the request had none
    now: datetime
    family: Family
    app_key: str
    drop_after_reply: bool = False  # set by a handler to commit, then cut the connection
    form: dict[str, Any] | None = None  # multipart fields: str, or (filename, bytes) for files

    def json(self) -> Any:
        if self.raw_body is _NO_BODY:
            raise invalid(self.family, "a JSON request body is required")
        return self.raw_body

    def has_body(self) -> bool:
        return self.raw_body is not _NO_BODY


Handler = Callable[[Call], Reply]
NO_BODY = _NO_BODY
