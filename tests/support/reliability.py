"""Shared pieces of the reliability suites (faults, crash-resume): one emulator reached the same way
in process or over a socket, the news_site example's starting state, and the convergence checks.

Some trials run over a real loopback socket, where dropped connections and a killed process behave
as they do in production, so the admin helper takes a transport factory.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from support.constants import NEWS_SITE
from support.emulator import Admin, TransportFactory
from webpush_iac.manifest import load
from webpush_iac.state import DesiredState

LOOPBACK = "http://127.0.0.1:9"  # in-process runs: a loopback URL the client accepts, never dialled

# Live state before the first apply, chosen so that every kind of device change is exercised:
# an exact tag to strip, a tombstoned tag, an alias to clear, and an SDK-set tag to leave alone.
NEWS_SITE_START: dict[str, dict[str, Any]] = {
    "0e83f5a7c9b1d31": {"tags": ["topic_politics", "sdk_seen"]},  # not a politics member
    "0d4a2e6b8c1f5a9": {"tags": ["digest_weekly"]},  # in digest_weekly's remove list
    "191e35f7e05d9c4": {"tags": ["qa_team"], "alias": "qa_safari_ios"},  # retired QA device
    "0a91c3e5b7d9f11": {"tags": ["sdk_seen"]},
}

# Every request the reconciler may send for news_site; anything else (a push, a device delete,
# a schedule delete with nothing to prune) would be a bug.
ALLOWED_REQUESTS = [
    ("GET", re.compile(r"/v4/schedules")),
    ("GET", re.compile(r"/v4/schedules/[^/]+")),
    ("POST", re.compile(r"/v4/schedules")),
    ("PUT", re.compile(r"/v4/schedules/[^/]+")),
    ("GET", re.compile(r"/v4/devices/[^/]+")),
    ("POST", re.compile(r"/v4/devices/[^/]+")),
    ("POST", re.compile(r"/v4/tags/[^/]+")),
    ("GET", re.compile(r"/v4/aliases/[^/]+")),
]


def news_site_desired() -> DesiredState:
    return load([NEWS_SITE])


def unexpected_requests(log: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (e["method"], e["path"])
        for e in log
        if not any(e["method"] == m and p.fullmatch(e["path"]) for m, p in ALLOWED_REQUESTS)
    ]


class HttpAdmin(Admin):
    """:class:`support.emulator.Admin` reached through any transport, plus the news_site helpers."""

    def __init__(self, base_url: str, transport: TransportFactory) -> None:
        super().__init__(None, base_url=base_url, transport=transport)

    async def clear_faults(self) -> None:
        await self.faults(fail_rate=0, drop_rate=0, qps=None, commit_then_drop=0, latency_ms=0)

    async def seed_news_site(self, desired: DesiredState) -> None:
        """Register the example's devices, as ``--emulator`` does, with :data:`NEWS_SITE_START`."""
        devices = [
            {"registration_id": rid, **NEWS_SITE_START.get(rid, {})}
            for rid in sorted(desired.devices)
        ]
        await self.devices(*devices)

    async def schedule_names(self) -> Counter[str]:
        return Counter(s["name"] for s in await self.schedules())


def expected_device(desired: DesiredState, rid: str) -> tuple[set[str], str]:
    """Tags and alias a news_site device must carry once converged (design §3.4 semantics)."""
    start = NEWS_SITE_START.get(rid, {})
    device = desired.devices[rid]
    tags = {
        t
        for t in start.get("tags", [])
        if not (desired.is_managed_tag(t) and desired.is_exact_tag(t))
    }
    tags = (tags | set(device.tags)) - set(device.forbidden_tags)
    alias = start.get("alias", "") if device.alias is None else device.alias
    return tags, alias


async def lost_device_changes(admin: HttpAdmin, desired: DesiredState) -> dict[str, Any]:
    """Devices whose live tags or alias differ from :func:`expected_device` (empty = none lost)."""
    wrong: dict[str, Any] = {}
    for rid in sorted(desired.devices):
        live = await admin.device(rid)
        got = (set(live.get("tags") or []), live.get("alias") or "")
        want = expected_device(desired, rid)
        if got != want:
            wrong[rid] = {"live": got, "expected": want}
    return wrong
