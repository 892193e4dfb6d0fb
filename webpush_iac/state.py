"""The two normalised states the engine compares: what the manifests want and what the API has.

Both sides use plain frozen dataclasses (no pydantic, no httpx) so that ``diff`` and ``plan`` stay
pure functions of data, the way pip-tools keeps ``sync.diff`` apart from ``sync.sync``. ``manifest``
builds a :class:`DesiredState`; ``live`` builds a :class:`LiveState`.

Schedule payloads on both sides are in the API's own JSON shape (``trigger`` is ``{"single": {...}}``
and friends, ``push`` is a complete create-push object) so that what we diff is what we send.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

JSON = dict[str, Any]
TagMode = Literal["exact", "additive"]
UnknownDevices = Literal["warn", "error"]

#: Seconds the client waits for a connection, for a request to go out and for each answer
#: (``Project.spec.timeout``, ``--timeout``). EngageLab answers in well under a second, so ten
#: seconds of silence means the server or the path to it is not answering.
DEFAULT_TIMEOUT = 10.0
#: The longest timeout accepted anywhere: three attempts of it already cost half an hour.
MAX_TIMEOUT = 600.0
#: Attempts of an idempotent call that may each time out before the call gives up: a silent
#: server costs at most TIMEOUT_ATTEMPTS x the timeout (plus under a second of backoff) per call.
TIMEOUT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)  # one per known device: 1,000,000 from a members file
class SourceRef:
    """Where a desired object was declared, for messages that point at a manifest line."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file


@dataclass(frozen=True)
class ProjectSettings:
    """The Project document with every default filled in."""

    name: str
    region: str = "sgp"
    product: str = "web"
    app_key_env: str = "WEBPUSH_APP_KEY"
    master_secret_env: str = "WEBPUSH_MASTER_SECRET"  # noqa: S105 - an env var *name*
    timezone: str = "UTC"
    prefix: str = "iac_"
    prune_schedules: bool = False
    managed_tag_globs: tuple[str, ...] = ()
    qps: float = 450.0
    concurrency: int = 32
    timeout: float = DEFAULT_TIMEOUT
    max_delete_percent: float = 30.0
    max_device_changes: int = 10000
    unknown_devices: UnknownDevices = "warn"  # a device the API does not know: warning or error
    vars: JSON = field(default_factory=dict)
    source: SourceRef | None = None


@dataclass(frozen=True)
class DesiredSchedule:
    """One Schedule document, rendered: ``trigger`` and ``push`` are exactly what the API gets."""

    name: str  # metadata.name, the identity in addresses (schedule/<name>)
    live_name: str  # prefix + name, the name the API stores
    enabled: bool
    trigger: JSON
    push: JSON
    template: str | None = None
    source: SourceRef | None = None
    renamed_from: str | None = None  # metadata.renamed_from: the live prefix+OLD is this schedule

    @property
    def trigger_kind(self) -> str:
        return next(iter(self.trigger))

    def api_body(self) -> JSON:
        """The full four-section body for POST/PUT /v4/schedules."""
        return {
            "name": self.live_name,
            "enabled": self.enabled,
            "trigger": self.trigger,
            "push": self.push,
        }


@dataclass(frozen=True)
class TagPolicy:
    """How authoritative the project is over one tag: ``exact`` strips it from known devices that
    should not carry it, ``additive`` only ever adds it."""

    name: str
    mode: TagMode = "exact"
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)  # slots: a members file may name 1,000,000 devices
class DesiredDevice:
    """A known device and what the project wants of it.

    ``tags`` must be present; ``forbidden_tags`` must be absent (``remove:`` tombstones); managed
    tags in ``exact`` mode that the device carries but are not in ``tags`` are removed too.
    ``alias``: ``None`` leaves the alias alone, ``""`` removes it, anything else binds it.
    """

    registration_id: str
    tags: frozenset[str] = frozenset()
    forbidden_tags: frozenset[str] = frozenset()
    alias: str | None = None
    labels: tuple[str, ...] = ()  # metadata.name of the Device documents naming it
    source: SourceRef | None = None


@dataclass(frozen=True)
class DesiredState:
    """Everything the manifests declare, validated and rendered."""

    project: ProjectSettings
    schedules: dict[str, DesiredSchedule] = field(default_factory=dict)
    devices: dict[str, DesiredDevice] = field(default_factory=dict)
    tags: dict[str, TagPolicy] = field(default_factory=dict)
    # Schedule names (metadata.name and renamed_from) the manifests declared at --baseline REF;
    # None without a baseline. Tells a fired single from one that was never created.
    baseline_schedules: frozenset[str] | None = None

    def is_managed_tag(self, tag: str) -> bool:
        return tag in self.tags or any(
            fnmatch.fnmatchcase(tag, g) for g in self.project.managed_tag_globs
        )

    def is_exact_tag(self, tag: str) -> bool:
        """Exact tags are stripped from known devices that should not carry them."""
        policy = self.tags.get(tag)
        if policy is not None:
            return policy.mode == "exact"
        return self.is_managed_tag(tag)


@dataclass(frozen=True)
class LiveSchedule:
    """One schedule as the API returns it; ``raw`` keeps every server field for fingerprints."""

    schedule_id: str
    name: str
    enabled: bool
    trigger: JSON
    push: JSON
    raw: JSON = field(default_factory=dict)


@dataclass(frozen=True)
class LiveDevice:
    registration_id: str
    tags: frozenset[str] = frozenset()
    alias: str = ""


@dataclass(frozen=True)
class LiveState:
    """What the API holds for the objects the project can see.

    ``server_time`` is the API's clock (from the HTTP ``Date`` header) in UTC: the server decides when
    a schedule fires, so fired/expired decisions use its clock when we have it.
    """

    schedules: tuple[LiveSchedule, ...] = ()
    devices: dict[str, LiveDevice] = field(default_factory=dict)
    device_errors: dict[str, str] = field(default_factory=dict)  # rid -> the API does not know it
    # rid -> why its read kept failing (retries spent): its live state is unknown this time
    unreadable_devices: dict[str, str] = field(default_factory=dict)
    alias_owners: dict[str, tuple[str, ...]] = field(default_factory=dict)  # alias -> rids
    server_time: datetime | None = None
