"""What a plan is made of: changes, the API requests that realise them, and the checks on them.

A :class:`Plan` is plain data so that the three things that consume it (the renderers, the saved-plan
file and ``apply``) cannot disagree about what will happen: every request apply will send is already
spelled out here (method, path, body), in order. ``diff`` builds plans; nothing here reads the API or
the clock.

Addresses: ``schedule/<metadata.name>`` (unowned live schedules use their live name),
``device/<registration_id>`` for what one device will look like, and ``tag/<name>`` for the bulk
membership requests that actually carry the device tag changes (one device per request would cost
10,000 calls for 10,000 devices; per tag it costs 10).
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal, TypeGuard, get_args

from webpush_iac.apispec import touched_registration_ids
from webpush_iac.errors import PlanError
from webpush_iac.state import JSON

PLAN_TTL: Final = timedelta(hours=24)

Action = Literal[
    "create",
    "update",
    "replace",
    "delete",
    "conflict",
    "noop",
    "fired",
    "expired",
    "missed",
    "orphan",
    "unowned",
]
RequestKind = Literal[
    "schedule.create",
    "schedule.update",
    "schedule.delete",
    "tag.update",
    "device.update",
]
ChangeKind = Literal["schedule", "device", "tag"]
# Stable codes a pipeline may match on; the message around them is for people and may change.
WarningCode = Literal[
    "unknown_device",  # the API does not know a declared device: its changes are left out
    "device_unreadable",  # a device's read kept failing: its changes are left out this time
    "likely_rename",  # an orphan equal to a create: both copies would send
    "past_absent_unknown",  # a passed one-shot absent live: fired, or never created?
]
Method = Literal["GET", "POST", "PUT", "DELETE"]

ACTIONS: Final[tuple[Action, ...]] = get_args(Action)
MUTATING_ACTIONS: Final[tuple[Action, ...]] = ("create", "update", "replace", "delete")
REQUEST_KINDS: Final[tuple[RequestKind, ...]] = get_args(RequestKind)
CHANGE_KINDS: Final[tuple[ChangeKind, ...]] = get_args(ChangeKind)
METHODS: Final[tuple[Method, ...]] = get_args(Method)
WARNING_CODES: Final[tuple[WarningCode, ...]] = get_args(WarningCode)
CREATED_ID: Final = "{created_id}"  # placeholder apply fills with the id a create returned


def is_action(value: object) -> TypeGuard[Action]:
    return value in ACTIONS


def is_request_kind(value: object) -> TypeGuard[RequestKind]:
    return value in REQUEST_KINDS


def is_change_kind(value: object) -> TypeGuard[ChangeKind]:
    return value in CHANGE_KINDS


def is_method(value: object) -> TypeGuard[Method]:
    return value in METHODS


def is_warning_code(value: object) -> TypeGuard[WarningCode]:
    return value in WARNING_CODES


@dataclass(frozen=True)
class FieldChange:
    """One leaf (or whole list) that differs; ``None`` on a side means the key is absent there."""

    path: str
    before: Any
    after: Any

    def to_data(self) -> JSON:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ApiRequest:
    """Exactly what apply sends. ``path`` may contain ``{created_id}`` (see :data:`CREATED_ID`)."""

    method: Method
    path: str
    body: JSON | None = None
    kind: RequestKind | Literal[""] = ""

    def to_data(self) -> JSON:
        return {"method": self.method, "path": self.path, "body": self.body, "kind": self.kind}

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Change:
    """One addressed object and what the plan does to it.

    ``requests`` is empty for informational actions (noop, fired, expired, missed, orphan, unowned,
    and a conflict while prune is off); ``missed`` is a single whose time passed before it was ever
    created (a plan error goes with it). ``fingerprints`` maps ``schedule:<id>`` / ``device:<rid>`` to the
    hash of the live object as read, so apply can refuse when it moved on since planning.
    """

    address: str
    action: Action
    before: Any = None
    after: Any = None
    fields: tuple[FieldChange, ...] = ()
    requests: tuple[ApiRequest, ...] = ()
    fingerprints: dict[str, str] = field(default_factory=dict)
    live_name: str | None = None
    schedule_id: str | None = None
    reason: str = ""
    broadcast: bool = False
    preview: JSON | None = None
    renamed_from: str | None = None  # metadata.renamed_from when this change renames the live task

    @property
    def kind(self) -> ChangeKind:
        """``schedule``, ``device`` or ``tag``: the address prefix."""
        prefix = self.address.partition("/")[0]
        if not is_change_kind(prefix):
            raise ValueError(f"address {self.address!r} has no known kind")
        return prefix

    @property
    def name(self) -> str:
        return self.address.partition("/")[2]

    @property
    def mutating(self) -> bool:
        """Apply changes this object. A device change carries no requests of its own when only
        its tags change (the ``tag/NAME`` changes send them in bulk) yet it still mutates."""
        return bool(self.requests) or self.action in MUTATING_ACTIONS

    def to_data(self) -> JSON:
        return {
            "address": self.address,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "fields": [f.to_data() for f in self.fields],
            "requests": [r.to_data() for r in self.requests],
            "fingerprints": dict(sorted(self.fingerprints.items())),
            "live_name": self.live_name,
            "schedule_id": self.schedule_id,
            "reason": self.reason,
            "broadcast": self.broadcast,
            "preview": self.preview,
            "renamed_from": self.renamed_from,
        }


@dataclass(frozen=True, order=True)
class PlanProblem:
    """Live state makes this object's desired state unreachable; a plan with any cannot be applied."""

    address: str
    message: str

    def __str__(self) -> str:
        return f"{self.address}: {self.message}"

    def to_data(self) -> JSON:
        return {"address": self.address, "message": self.message}


@dataclass(frozen=True, order=True)
class PlanWarning:
    """Something a reviewer must know that is not a change and does not stop the plan: a device
    left out, a create that may duplicate a send, a fact the tool cannot establish on its own."""

    address: str
    code: WarningCode
    message: str

    def __str__(self) -> str:
        return f"{self.address}: {self.message}"

    def to_data(self) -> JSON:
        return {"address": self.address, "code": self.code, "message": self.message}


def _order_key(change: Change) -> tuple[int, str]:
    """Devices, then tags, then schedule creates/updates, then deletions, then notes: the order
    apply sends them in, so a failure part-way never leaves fewer schedules than asked for."""
    if change.kind == "device":
        return (0, change.address)
    if change.kind == "tag":
        return (1, change.address)
    if change.action in ("create", "update", "replace"):
        return (2, change.address)
    if change.mutating:  # delete, and conflicts that delete their extras
        return (3, change.address)
    return (4, change.address)


@dataclass
class Plan:
    """An ordered list of changes plus the facts needed to judge and apply them later.

    ``live_schedule_count`` is every schedule the list returned (the 1000 quota counts them all,
    owned or not); ``owned_live_count`` feeds the delete-percentage safety threshold.
    """

    project: str
    created_at: datetime
    changes: list[Change] = field(default_factory=list)
    errors: list[PlanProblem] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    target: str = ""
    not_after: datetime | None = None
    owned_live_count: int = 0
    live_schedule_count: int = 0
    # Live schedules whose name starts with it belong to the project: a saved plan records it
    # (signed) so apply can refuse to update or delete anything else, whatever the file says.
    owner_prefix: str = ""
    # How ``apply --plan`` reconnects and re-checks without manifests: product, region, qps,
    # concurrency, time zone, safety thresholds (filled by ``operations``; never a credential).
    settings: JSON = field(default_factory=dict)
    # The key of the tags that tell masked aliases apart in markdown (``render.masking``):
    # random per plan object and never saved, so no reader of a comment can recompute a tag.
    mask_key: bytes = field(
        default_factory=lambda: secrets.token_bytes(16), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.changes = sorted(self.changes, key=_order_key)
        self.errors = sorted(self.errors)
        self.warnings = sorted(set(self.warnings))
        if self.not_after is None:
            self.not_after = self.created_at + PLAN_TTL

    @property
    def has_mutations(self) -> bool:
        """True exactly when apply would send a request (``--detailed-exitcode`` exits 2)."""
        return any(c.mutating for c in self.changes)

    @property
    def requests(self) -> list[ApiRequest]:
        return [r for c in self.changes for r in c.requests]

    def checked_fingerprints(self) -> dict[str, tuple[str, str]]:
        """Fingerprint key -> (hash, address) of every live object apply re-reads first.

        The changes that send requests, plus devices whose only change is their tags: those
        send nothing themselves (the bulk ``tag/NAME`` changes do), yet the bulk lists were
        computed from their live tags. A fingerprint anywhere else is never re-read, so the
        saved-plan checks count only these.
        """
        found: dict[str, tuple[str, str]] = {}
        for change in self.changes:
            if change.requests or (change.kind == "device" and change.fields):
                for key, value in change.fingerprints.items():
                    found.setdefault(key, (value, change.address))
        return found

    def counts(self) -> dict[str, int]:
        """Schedule changes per action (every action present, zero included), plus ``device``
        (devices whose tags or alias change) and ``tag`` (tags whose membership changes)."""
        counter = Counter(c.action for c in self.changes if c.kind == "schedule")
        out: dict[str, int] = {action: counter.get(action, 0) for action in ACTIONS}
        out["device"] = sum(1 for c in self.changes if c.kind == "device" and c.mutating)
        out["tag"] = sum(1 for c in self.changes if c.kind == "tag" and c.mutating)
        return out

    def summary(self) -> dict[str, int]:
        """Terraform-style totals counted from the requests, so a replace is one create and one
        delete and a conflict's extra copies count as deletes."""
        reqs = self.requests
        return {
            "create": sum(1 for r in reqs if r.kind == "schedule.create"),
            "update": sum(
                1 for r in reqs if r.kind == "schedule.update" and CREATED_ID not in r.path
            ),
            "delete": self.schedule_deletes(),
            "devices": len(self.touched_devices()),
            "requests": len(reqs),
        }

    def warning_count(self, code: WarningCode) -> int:
        return sum(1 for w in self.warnings if w.code == code)

    def schedule_deletes(self) -> int:
        return sum(1 for r in self.requests if r.kind == "schedule.delete")

    def touched_devices(self) -> set[str]:
        """Every device a request changes: declared devices and the previous owners of moved
        aliases (their alias is cleared)."""
        touched: set[str] = set()
        for change in self.changes:
            if change.kind == "device" and change.mutating:
                touched.add(change.name)
            if change.kind in ("device", "tag"):
                for request in change.requests:
                    touched.update(touched_registration_ids(request.path, request.body))
        return touched

    def schedules_after_apply(self) -> int:
        """Valid schedules once applied: what the list showed, minus deletes, plus creates."""
        return self.live_schedule_count - self.schedule_deletes() + self.summary()["create"]

    def raise_for_errors(self) -> None:
        """Raise :class:`PlanError` listing every problem; apply calls this before sending."""
        if self.errors:
            lines = "\n".join(f"  {p}" for p in self.errors)
            n = len(self.errors)
            raise PlanError(f"the plan has {n} error{'s' if n != 1 else ''}:\n{lines}")


__all__ = [
    "ACTIONS",
    "CHANGE_KINDS",
    "CREATED_ID",
    "METHODS",
    "MUTATING_ACTIONS",
    "PLAN_TTL",
    "REQUEST_KINDS",
    "WARNING_CODES",
    "Action",
    "ApiRequest",
    "Change",
    "ChangeKind",
    "FieldChange",
    "Method",
    "Plan",
    "PlanProblem",
    "PlanWarning",
    "RequestKind",
    "WarningCode",
    "is_action",
    "is_change_kind",
    "is_method",
    "is_request_kind",
    "is_warning_code",
]
