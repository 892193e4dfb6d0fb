"""Settings of one emulator instance: which credentials it accepts and how it misbehaves.

Kept separate from the app so the CLI, the test fixtures and the reconciler's embedded emulator
can build one without importing Starlette or uvicorn.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything an emulator is started with; runtime changes go through ``/_emulator/faults``.

    ``master_secret`` is excluded from ``repr`` so that a config printed in a test failure or a log
    line never leaks it.
    """

    app_key: str
    master_secret: str = field(repr=False)
    db_path: str = ":memory:"
    qps: float | None = None  # requests per second per app key; None = unlimited
    latency_ms: int = 0
    fail_rate: float = 0.0  # share of API calls answered 503 / 21030
    drop_rate: float = 0.0  # share of API calls whose connection is cut mid-response
    timezone: str = "UTC"  # IANA zone that zone_type 1 schedule times are read in
    page_size: int = 50  # schedules per list page (JPUSH: fixed 50)
    max_valid_schedules: int = 1000  # DOC*/JPUSH: 1000 valid tasks per app key
    seed: int | None = None  # seeds the fault dice so a test can replay a run

    def __post_init__(self) -> None:
        if not self.app_key or not self.master_secret:
            raise ValueError("the emulator needs an app key and a master secret")
        for name in ("fail_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.qps is not None and self.qps <= 0:
            raise ValueError("qps must be positive")
        if self.page_size < 1 or self.max_valid_schedules < 0:
            raise ValueError("page_size must be positive and max_valid_schedules not negative")
