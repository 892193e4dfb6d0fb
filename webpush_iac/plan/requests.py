"""What a plan may ask apply to send: the allow-list of request kinds, as one table.

Why a table: apply sends a saved plan's requests as written, and a plan is a file (often a CI
artifact) that left our hands. So every request is checked against :data:`RULES` twice — when a
saved plan is loaded, and once more just before each request goes out — and whatever a file says,
apply can only create, update and delete schedules named with the project's ownership prefix,
change tag membership in bulk and set device aliases. Never a send endpoint (``/v4/push``,
``/v4/batch/...``), never the emulator's admin routes, never a path the ``apispec`` builders would
not spell for a typed id (each path is parsed back and rebuilt, see :func:`apispec.item_id`).

Each rule also names the live objects a request touches (``schedule:<id>``, ``device:<rid>``): a
saved plan must carry a fingerprint of each, or apply could not re-read it before sending.

Adding a kind (App Push's push plans and voices) is its name in ``model.RequestKind`` and one
entry in :data:`RULES`; ``tests/plan/test_requests.py`` checks that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from webpush_iac.apispec import (
    DEVICES,
    DEVICES_STATUS,
    MAX_SCHEDULE_NAME_BYTES,
    MAX_TAG_BYTES,
    REGISTRATION_ID_PATTERN,
    SCHEDULES,
    TAG_CHUNK,
    TAGS,
    TRIGGER_KINDS,
    device_path,
    item_id,
)
from webpush_iac.errors import InvalidPlanError
from webpush_iac.plan.model import (
    CREATED_ID,
    ChangeKind,
    Method,
    Plan,
    RequestKind,
    is_request_kind,
)

_RID = re.compile(REGISTRATION_ID_PATTERN)
_MAX_SCHEDULE_ID = 128  # server-made ids are short (UUIDs); anything longer is not one
_SHOWN = 60  # characters of a foreign value a message quotes at most

IdCheck = Callable[[str], None]
BodyCheck = Callable[[Any, str], None]  # (body, ownership prefix)
Touches = Callable[[str | None, Any], set[str]]  # (id in the path, body) -> fingerprint keys


@dataclass(frozen=True)
class Rule:
    """One kind of request a plan may contain.

    ``item`` is ``None`` for a request to the collection itself (``POST /v4/schedules``), else the
    check of the id in ``<collection>/<id>``. ``named`` requests carry the change's live name in
    their body; ``addressed`` ones act on the object their change's address names (``tag/NAME``).
    """

    change: ChangeKind
    method: Method
    collection: str
    item: IdCheck | None
    body: BodyCheck
    touches: Touches
    named: bool = False
    addressed: bool = False


def show(value: Any) -> str:
    """A foreign value for a one-line message: ``repr`` (so CR/LF stay escaped), shortened."""
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will spell
        return f"<{type(value).__name__}>"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _refuse(reason: str) -> NoReturn:
    raise InvalidPlanError(reason)


def _refuse_plan(reason: str) -> NoReturn:
    raise InvalidPlanError(f"plan refused: {reason}; nothing was sent")


def _printable(value: Any, what: str, *, max_bytes: int, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        _refuse(f"{what} must be a non-empty string, not {show(value)}")
    if not value.isprintable() or len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        _refuse(f"{what} {show(value)} is not printable text of at most {max_bytes} bytes")
    return str(value)


# -- ids in paths --------------------------------------------------------------------------------


def _schedule_id(ident: str) -> None:
    _printable(ident, "schedule id", max_bytes=_MAX_SCHEDULE_ID)


def _tag_name(ident: str) -> None:
    _printable(ident, "tag", max_bytes=MAX_TAG_BYTES)


def _registration_id(ident: str) -> None:
    if not _RID.match(ident):
        _refuse(f"{show(ident)} is not a valid registration id")
    if device_path(ident) == DEVICES_STATUS:
        _refuse(f"{DEVICES_STATUS} is an API endpoint, not a device")


# -- bodies --------------------------------------------------------------------------------------


def _keys(
    body: Any, allowed: set[str], what: str, *, required: set[str] | None = None
) -> dict[str, Any]:
    if not isinstance(body, dict):
        _refuse(f"{what} must be a JSON object, not {show(body)}")
    extra = sorted(set(body) - allowed)
    if extra:
        _refuse(f"{what} may not carry {', '.join(show(k) for k in extra)}")
    missing = sorted((allowed if required is None else required) - set(body))
    if missing:
        _refuse(f"{what} lacks {', '.join(missing)}")
    return body


def _schedule_body(body: Any, prefix: str) -> None:
    """All four sections (the API replaces each wholesale), and an owned name."""
    fields = _keys(body, {"name", "enabled", "trigger", "push"}, "a schedule body")
    name = _printable(fields["name"], "schedule name", max_bytes=MAX_SCHEDULE_NAME_BYTES)
    if not name.startswith(prefix) or name == prefix:
        _refuse(f"schedule name {show(name)} does not carry the ownership prefix {show(prefix)}")
    if not isinstance(fields["enabled"], bool):
        _refuse(f"schedule enabled must be true or false, not {show(fields['enabled'])}")
    trigger = fields["trigger"]
    if (
        not isinstance(trigger, dict)
        or len(trigger) != 1
        or next(iter(trigger)) not in TRIGGER_KINDS
        or not isinstance(next(iter(trigger.values())), dict)
    ):
        _refuse(f"schedule trigger must be one of {', '.join(TRIGGER_KINDS)} with its settings")
    if not isinstance(fields["push"], dict) or not fields["push"]:
        _refuse("schedule push must be a non-empty JSON object")


def _no_body(body: Any, _prefix: str) -> None:
    if body is not None:
        _refuse("a delete carries no body")


def _tag_body(body: Any, _prefix: str) -> None:
    """Only ``registration_ids.add`` / ``.remove`` lists of valid, distinct ids, ≤ 1000 each."""
    outer = _keys(body, {"registration_ids"}, "a tag body")
    lists = _keys(outer["registration_ids"], {"add", "remove"}, "registration_ids", required=set())
    if not lists:
        _refuse("registration_ids must add or remove at least one device")
    seen: set[str] = set()
    for key, ids in lists.items():
        if not isinstance(ids, list) or not ids or len(ids) > TAG_CHUNK:
            _refuse(f"registration_ids.{key} must list 1 to {TAG_CHUNK} ids")
        for rid in ids:
            if not isinstance(rid, str) or not _RID.match(rid):
                _refuse(f"registration_ids.{key} holds {show(rid)}, not a valid registration id")
            if rid in seen:
                _refuse(f"registration_ids names {show(rid)} twice")
            seen.add(rid)


def _alias_body(body: Any, _prefix: str) -> None:
    """Only ``{"alias": ...}``: a device request never changes tags or anything else."""
    alias = _keys(body, {"alias"}, "a device body")["alias"]
    _printable(alias, "alias", max_bytes=MAX_TAG_BYTES, empty=True)


# -- what each request touches --------------------------------------------------------------------


def _nothing(_ident: str | None, _body: Any) -> set[str]:
    return set()


def _schedule_key(ident: str | None, _body: Any) -> set[str]:
    return {f"schedule:{ident}"} if ident is not None else set()


def _device_key(ident: str | None, _body: Any) -> set[str]:
    return {f"device:{ident}"} if ident is not None else set()


def _member_keys(_ident: str | None, body: Any) -> set[str]:
    lists = body["registration_ids"]
    return {f"device:{rid}" for ids in lists.values() for rid in ids}


#: Every request a plan may contain; nothing else is ever sent by apply.
RULES: Final[Mapping[RequestKind, Rule]] = {
    "schedule.create": Rule("schedule", "POST", SCHEDULES, None, _schedule_body, _nothing, named=True),
    "schedule.update": Rule("schedule", "PUT", SCHEDULES, _schedule_id, _schedule_body, _schedule_key, named=True),
    "schedule.delete": Rule("schedule", "DELETE", SCHEDULES, _schedule_id, _no_body, _schedule_key),
    "tag.update": Rule("tag", "POST", TAGS, _tag_name, _tag_body, _member_keys, addressed=True),
    "device.update": Rule("device", "POST", DEVICES, _registration_id, _alias_body, _device_key),
}  # fmt: skip


# -- checking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A request that passed its rule: the id its path names (``None``: the collection, or the
    schedule an earlier create in the same change makes) and the live objects it touches."""

    rule: Rule
    ident: str | None
    touches: set[str]


def check_request(
    kind: str, method: str, path: str, body: Any, *, prefix: str, after_create: bool = False
) -> Checked:
    """``InvalidPlanError`` unless ``kind`` is allowed and method, path and body are what it
    sends. ``after_create``: a schedule create precedes it in its change, so a
    ``{created_id}`` path is allowed (the id is only known once that create returns)."""
    if not is_request_kind(kind) or kind not in RULES:
        _refuse(f"request kind {show(kind)} is not one a plan may contain")
    rule = RULES[kind]
    if method != rule.method:
        _refuse(f"a {kind} request is sent with {rule.method}, not {show(method)}")
    ident = _path_id(rule, kind, path, after_create=after_create)
    rule.body(body, prefix)
    return Checked(rule, ident, rule.touches(ident, body))


def _path_id(rule: Rule, kind: str, path: Any, *, after_create: bool) -> str | None:
    if not isinstance(path, str):
        _refuse(f"path {show(path)} is not a string")
    if rule.item is None:
        if path != rule.collection:
            _refuse(f"a {kind} request goes to {rule.collection}, not {show(path)}")
        return None
    if kind == "schedule.update" and after_create and path == f"{SCHEDULES}/{CREATED_ID}":
        return None
    ident = item_id(path, rule.collection)
    if ident is None:
        _refuse(f"path {show(path)} is not a {kind} path built from an id")
    rule.item(ident)
    return ident


def classify(method: str, path: str) -> RequestKind:
    """The one kind whose method and path shape match, for a request about to be sent."""
    for kind, rule in RULES.items():
        if method != rule.method:
            continue
        if rule.item is None and path == rule.collection:
            return kind
        ident = item_id(path, rule.collection) if rule.item is not None else None
        if rule.item is not None and ident is not None:
            try:
                rule.item(ident)
            except InvalidPlanError:
                continue
            return kind
    raise InvalidPlanError("no request a plan may contain has this method and path")


def check_outgoing(method: str, path: str, body: Any, *, prefix: str) -> RequestKind:
    """The last check before a request is sent; the path holds real ids by now."""
    try:
        kind = classify(method, path)
        check_request(kind, method, path, body, prefix=prefix)
    except InvalidPlanError as exc:
        raise InvalidPlanError(f"refusing to send {method} {show(path)}: {exc}") from None
    return kind


def check_plan_requests(plan: Plan) -> None:
    """Every request of every change against :data:`RULES`, each change's requests against
    its kind and live name, and a re-read fingerprint for every live object touched."""
    prefix = plan.owner_prefix
    checked = plan.checked_fingerprints()
    for change in plan.changes:
        if not change.requests:
            continue
        where = f"change {show(change.address)}"
        if change.action not in ("create", "update", "replace", "delete", "conflict"):
            _refuse_plan(f"{where}: a {change.action} change sends no requests")
        if change.kind == "schedule" and not str(change.live_name or "").startswith(prefix):
            _refuse_plan(
                f"{where}: live name {show(change.live_name)} is not owned ({show(prefix)})"
            )
        created = False
        for n, req in enumerate(change.requests, 1):
            try:
                done = check_request(
                    req.kind, req.method, req.path, req.body, prefix=prefix, after_create=created
                )
                _check_in_change(change.kind, change.name, change.live_name, req.body, done)
            except InvalidPlanError as exc:
                _refuse_plan(f"{where}, request {n}: {exc}")
            created = created or req.kind == "schedule.create"
            missing = sorted(done.touches - checked.keys())
            if missing:
                _refuse_plan(
                    f"{where}, request {n}: no fingerprint for {show(missing[0])}, so apply "
                    "could not check that it is unchanged since planning"
                )


def _check_in_change(
    kind: ChangeKind, name: str, live_name: str | None, body: Any, done: Checked
) -> None:
    rule = done.rule
    if rule.change != kind:
        _refuse(f"a {kind} change may not send a {rule.change} request")
    if rule.named and body.get("name") != live_name:
        _refuse(f"the body names {show(body.get('name'))}, not the change's {show(live_name)}")
    if rule.addressed and done.ident != name:
        _refuse(f"the path names {show(done.ident)}, not the change's {show(name)}")


__all__ = [
    "RULES",
    "Checked",
    "Rule",
    "check_outgoing",
    "check_plan_requests",
    "check_request",
    "classify",
    "show",
]
