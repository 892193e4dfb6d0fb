"""The one rule for when an API wall-clock time fires (``times.fire_instant``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from webpush_iac.times import fire_instant, fire_time


def test_zone_type_2_fires_first_at_utc_plus_14() -> None:
    fire = fire_instant("2027-01-01 00:00:00", 2, ZoneInfo("Europe/Paris"))
    assert fire == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)


def test_an_intelligent_backup_time_is_read_by_its_own_zone_type() -> None:
    zone = ZoneInfo("Europe/Paris")
    written = {"intelligent": {"backup_time": "2027-02-01 10:00:00"}}
    assert fire_time(written, zone) == datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    device_local = {"intelligent": {"backup_time": "2027-02-01 10:00:00", "zone_type": 2}}
    assert fire_time(device_local, zone) == datetime(2027, 1, 31, 20, 0, tzinfo=UTC)
