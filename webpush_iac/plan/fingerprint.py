"""Hashes of live objects as they were read, so apply can tell that one moved on since planning.

A saved plan is reviewed and applied later; between the two someone may edit a schedule in the
console or a device may gain a tag. Each change records the fingerprint of every live object it
touches, and ``apply --plan`` refuses when a re-read hashes differently.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from webpush_iac.state import JSON, LiveDevice, LiveSchedule


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no whitespace, UTF-8 kept (checksums, fingerprints)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def fingerprint_schedule(raw: JSON) -> str:
    """Hash of a schedule exactly as the API returned it (key order does not matter)."""
    return sha256_hex(raw)


def fingerprint_device(device: LiveDevice) -> str:
    """Hash of a device's tags (as a set) and alias."""
    return sha256_hex(
        {
            "registration_id": device.registration_id,
            "tags": sorted(device.tags),
            "alias": device.alias,
        }
    )


def schedule_fingerprint(have: LiveSchedule) -> str:
    """Fingerprint of what the API returned; fixtures without ``raw`` hash the parsed fields."""
    raw = have.raw or {
        "schedule_id": have.schedule_id,
        "name": have.name,
        "enabled": have.enabled,
        "trigger": have.trigger,
        "push": have.push,
    }
    return fingerprint_schedule(raw)


__all__ = [
    "canonical_json",
    "fingerprint_device",
    "fingerprint_schedule",
    "schedule_fingerprint",
    "sha256_hex",
]
