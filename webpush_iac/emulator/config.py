"""Settings of one emulator instance: which credentials it accepts, which product it serves, how
it reads the API's unsure rules and how it misbehaves.

Kept separate from the app so the CLI, the test fixtures and the reconciler's embedded emulator
can build one without importing Starlette or uvicorn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from webpush_iac.emulator.rules import RULE_KEYS, Zone, check_rules

Product = Literal["web", "app"]


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything an emulator is started with; runtime changes go through ``/_emulator/faults``.

    ``master_secret`` is excluded from ``repr`` so that a config printed in a test failure or a log
    line never leaks it. The rule fields (``zone2_fire`` .. ``tags_list_cap``) are documented with
    their evidence in ``docs/emulator.md``.
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
    product: Product = "web"  # web: Web Push API; app: App Push API (Android, iOS, HarmonyOS)
    # --- rules (see webpush_iac.emulator.rules) ---
    zone2_fire: Zone = "earliest"  # where a zone_type 2 time first fires
    zone2_leave: Zone = "latest"  # where a zone_type 2 single/intelligent leaves the list
    periodical_zone2_leave: Zone = "latest"  # where a zone_type 2 periodical's end is read
    intelligent_expires: bool = True  # intelligent tasks leave the list once backup_time passed
    max_message_bytes: int = 4000  # DOC*: push body (compact UTF-8 JSON) limit, else 21005
    max_body_bytes: int = 1 << 20  # request bodies past this get HTTP 413
    max_upload_bytes: int = 10 << 20  # multipart (voice pack) bodies past this get HTTP 413
    plan_deletion: bool = True  # SDK: push plans can be deleted (console guide: they cannot)
    tags_list_cap: int | None = None  # GET /v4/tags lists at most this many tags per platform

    def __post_init__(self) -> None:
        if not self.app_key or not self.master_secret:
            raise ValueError("the emulator needs an app key and a master secret")
        if self.product not in ("web", "app"):
            raise ValueError("product must be web or app")
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
        check_rules(self.rules())

    def rules(self) -> dict[str, Any]:
        """The rule fields as the ``Rules`` object and ``/_emulator/faults`` spell them."""
        return {key: getattr(self, key) for key in RULE_KEYS}
