"""The one rule for when an API wall-clock time fires (``times.fire_instant``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from webpush_iac.times import fire_instant


def test_zone_type_2_fires_first_at_utc_plus_14() -> None:
    fire = fire_instant("2027-01-01 00:00:00", 2, ZoneInfo("Europe/Paris"))
    assert fire == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
