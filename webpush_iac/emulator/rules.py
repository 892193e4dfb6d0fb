"""The emulator's readings of API rules the reference is unsure of, as settable options.

Each rule here changes what a reconciler sees (when a zone_type 2 task fires and leaves the list,
whether intelligent tasks expire, how big a push may be, ...), so tests must be able to run the
engine under every reading. Rules start from :class:`EmulatorConfig` and change at run time
through ``POST /_emulator/faults``. The evidence for each default is in ``docs/emulator.md``.
"""

from __future__ import annotations

import threading
from datetime import UTC, timedelta, timezone, tzinfo
from typing import Any, Final, Literal, get_args

Zone = Literal["earliest", "latest", "utc"]
ZONES: Final = frozenset(get_args(Zone))
# zone_type 2 means "this wall time in every device's own zone" (DOC): the earliest zone on Earth
# is UTC+14, the latest UTC-12, and "utc" reads the time as if every device were on UTC.
ZONE_OFFSETS: Final[dict[str, tzinfo]] = {
    "earliest": timezone(timedelta(hours=14)),
    "latest": timezone(timedelta(hours=-12)),
    "utc": UTC,
}
# Hours ahead of UTC, so "fires no later than it leaves" is a comparison of these numbers.
_AHEAD: Final = {"earliest": 14, "utc": 0, "latest": -12}

RULE_DEFAULTS: Final[dict[str, Any]] = {
    "zone2_fire": "earliest",
    "zone2_leave": "latest",
    "periodical_zone2_leave": "latest",
    "intelligent_expires": True,
    "max_message_bytes": 4000,
    "max_body_bytes": 1 << 20,
    "max_upload_bytes": 10 << 20,
    "plan_deletion": True,
    "tags_list_cap": None,
}
RULE_KEYS: Final = frozenset(RULE_DEFAULTS)
#: Rules that change when stored schedules fire or leave the list: setting one re-times them.
TIMING_KEYS: Final = frozenset(
    {"zone2_fire", "zone2_leave", "periodical_zone2_leave", "intelligent_expires"}
)


def check_rule(key: str, value: Any) -> Any:
    """The checked value of one rule; ValueError naming the rule otherwise."""
    if key in ("zone2_fire", "zone2_leave", "periodical_zone2_leave"):
        if not isinstance(value, str) or value not in ZONES:
            raise ValueError(f"{key} must be one of earliest, latest, utc")
        return value
    if key in ("intelligent_expires", "plan_deletion"):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    if key == "tags_list_cap" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1 << 30:
        raise ValueError(f"{key} must be a positive integer")
    return value


def check_rules(values: dict[str, Any]) -> dict[str, Any]:
    """Check a whole set of rules, including the ones that only make sense together."""
    extra = sorted(set(values) - RULE_KEYS)
    if extra:
        raise ValueError(f"unknown rule {extra[0]!r}")
    checked = {key: check_rule(key, value) for key, value in values.items()}
    for leave in ("zone2_leave", "periodical_zone2_leave"):
        if _AHEAD[checked["zone2_fire"]] < _AHEAD[checked[leave]]:
            raise ValueError(
                f"{leave}={checked[leave]} would take zone_type 2 tasks off the list before "
                f"they fire (zone2_fire={checked['zone2_fire']})"
            )
    return checked


class Rules:
    """The rules in force; reads are plain attribute reads, updates are atomic and checked."""

    def __init__(self, initial: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._initial = check_rules({**RULE_DEFAULTS, **initial})
        self.zone2_fire: Zone = "earliest"
        self.zone2_leave: Zone = "latest"
        self.periodical_zone2_leave: Zone = "latest"
        self.intelligent_expires = True
        self.max_message_bytes = 4000
        self.max_body_bytes = 1 << 20
        self.max_upload_bytes = 10 << 20
        self.plan_deletion = True
        self.tags_list_cap: int | None = None
        self.restore()

    def restore(self) -> None:
        with self._lock:
            for key, value in self._initial.items():
                setattr(self, key, value)

    def update(self, data: dict[str, Any]) -> None:
        """Apply a partial set; nothing changes when any value is refused."""
        with self._lock:
            merged = check_rules({**self._current(), **data})
            for key, value in merged.items():
                setattr(self, key, value)

    def _current(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in RULE_KEYS}

    def to_data(self) -> dict[str, Any]:
        with self._lock:
            return dict(sorted(self._current().items()))
