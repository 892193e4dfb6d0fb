"""Rebuilding a :class:`Plan` from saved-plan JSON, as if the file were hostile.

The signature (``planfile``) says who made a plan, not that it is sane, so every key is
required, every type and range checked and every unexpected key refused, each failure a one-line
:class:`~webpush_iac.errors.InvalidPlanError` that quotes at most a short ``repr`` of a foreign
value (never a raw line break). Numeric settings get the Project schema's bounds, so any plan
``plan`` writes passes and a crafted one cannot make apply spin (``qps`` 1e-9) or exhaust memory
(``concurrency`` 10**9).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, NoReturn, TypeGuard, TypeVar

from webpush_iac.apispec import BASE_URLS
from webpush_iac.errors import ConfigError, InvalidPlanError
from webpush_iac.plan.model import (
    PLAN_TTL,
    ApiRequest,
    Change,
    FieldChange,
    Plan,
    PlanProblem,
    PlanWarning,
    is_action,
    is_change_kind,
    is_method,
    is_warning_code,
)
from webpush_iac.plan.requests import show
from webpush_iac.state import JSON, MAX_TIMEOUT
from webpush_iac.times import format_time, parse_time, project_zone

_NOT_SENT: Final = "re-run plan (nothing was sent)"
_HEX = frozenset("0123456789abcdef")
_MAX_TEXT: Final = 4096  # characters of a name, address, target or path
_MAX_PROSE: Final = 1_000_000  # characters of a reason or message (a conflict lists every id)

#: The Project schema's bounds (``RateLimit``, ``Safety``), so every plan ``plan`` writes passes.
#: qps below 1 (the rate limiter's floor) would make apply wait for ever between requests.
QPS_MIN: Final = 1.0
QPS_MAX: Final = 100_000.0
CONCURRENCY_MAX: Final = 1024
_COUNT_MAX: Final = 10**9


def plan_from_json(data: Any) -> Plan:
    """The plan a (verified) saved-plan document describes; ``InvalidPlanError`` otherwise."""
    return _plan(_Reader(data, "saved plan"))


V = TypeVar("V", bound=str)


class _Reader:
    """Typed access to one JSON object; unknown keys are refused by :meth:`done`."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            _malformed(f"{where} must be a JSON object, not {show(data)}")
        self.data: dict[str, Any] = data
        self.where = where
        self.seen: set[str] = set()

    def raw(self, key: str) -> Any:
        if key not in self.data:
            _malformed(f"{self.where} lacks {key}")
        self.seen.add(key)
        return self.data[key]

    def text(self, key: str, *, empty: bool = False, limit: int = _MAX_TEXT) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or (not value and not empty) or len(value) > limit:
            _malformed(
                f"{self.where}.{key} must be a{'' if empty else ' non-empty'} string of at most "
                f"{limit} characters, not {show(value)}"
            )
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self.raw(key) is None else self.text(key)

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            _malformed(f"{self.where}.{key} must be true or false, not {show(value)}")
        return value

    def count(self, key: str, high: int = _COUNT_MAX, low: int = 0) -> int:
        value = self.raw(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            _malformed(
                f"{self.where}.{key} must be a whole number {low}..{high}, not {show(value)}"
            )
        return value

    def number(self, key: str, low: float, high: float, *, above: bool = False) -> float:
        """A finite number in [low, high], or in (low, high] when ``above``."""
        value = self.raw(key)
        number = math.nan
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:  # an int past any float
                number = math.nan
        in_range = (low < number if above else low <= number) and number <= high
        if not (math.isfinite(number) and in_range):
            _malformed(
                f"{self.where}.{key} must be a finite number in {'(' if above else '['}{low:g}, "
                f"{high:g}], not {show(value)}"
            )
        return number

    def obj(self, key: str) -> dict[str, Any] | None:
        """A free-form JSON object (what a change looked like), or null."""
        value = self.raw(key)
        if value is not None and not isinstance(value, dict):
            _malformed(f"{self.where}.{key} must be a JSON object or null, not {show(value)}")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            _malformed(f"{self.where}.{key} must be a list, not {show(value)}")
        return value

    def member(self, key: str, check: Callable[[object], TypeGuard[V]], what: str) -> V:
        value = self.raw(key)
        if not check(value):
            _malformed(f"{self.where}.{key}: unknown {what} {show(value)}")
        return value

    def time(self, key: str) -> datetime:
        value = self.text(key)
        try:
            return parse_time(value)
        except (ValueError, OverflowError):
            _malformed(f"{self.where}.{key} {show(value)} is not an ISO 8601 time with a zone")

    def done(self) -> None:
        extra = sorted(set(self.data) - self.seen)
        if extra:
            _malformed(f"{self.where} has unexpected key {show(extra[0])}")


def _malformed(reason: str) -> NoReturn:
    raise InvalidPlanError(f"saved plan is malformed: {reason}; {_NOT_SENT}")


def _plan(top: _Reader) -> Plan:
    top.raw("format_version")
    top.raw("signature")
    top.raw("summary")  # derived from the changes; recomputed, never trusted
    created_at = top.time("created_at")
    not_after = top.time("not_after")
    try:
        latest = created_at + PLAN_TTL
    except OverflowError:
        _malformed("created_at is out of range")
    if not created_at <= not_after <= latest:
        _malformed(
            f"not_after {format_time(not_after)} is not within {PLAN_TTL.total_seconds() / 3600:g}"
            f" h after created_at {format_time(created_at)}"
        )
    plan = Plan(
        project=_printable(top, "project"),
        target=_printable(top, "target"),
        created_at=created_at,
        not_after=not_after,
        owner_prefix=_printable(top, "owner_prefix"),
        owned_live_count=top.count("owned_live_count"),
        live_schedule_count=top.count("live_schedule_count"),
        settings=_settings(_Reader(top.raw("settings"), "settings")),
        errors=[_problem(_Reader(e, "errors[]")) for e in top.items("errors")],
        warnings=[_warning(_Reader(w, "warnings[]")) for w in top.items("warnings")],
        changes=[_change(_Reader(c, f"changes[{n}]")) for n, c in enumerate(top.items("changes"))],
    )
    top.done()
    return plan


def _printable(reader: _Reader, key: str) -> str:
    value = reader.text(key)
    if not value.isprintable():
        _malformed(f"{reader.where}.{key} {show(value)} is not printable")
    return value


def _settings(s: _Reader) -> JSON:
    """How apply reconnects and re-checks safety; ranges as in the Project schema."""
    product = s.text("product")
    regions = BASE_URLS.get(product)
    if regions is None:
        _malformed(f"settings.product {show(product)} is not one of {', '.join(BASE_URLS)}")
    region = s.text("region")
    if region not in regions:
        _malformed(f"settings.region {show(region)} is not a {product} region")
    out: JSON = {
        "region": region,
        "product": product,
        "timezone": _zone(s),
        "qps": s.number("qps", QPS_MIN, QPS_MAX),
        "concurrency": s.count("concurrency", CONCURRENCY_MAX, low=1),
        "timeout": s.number("timeout", 0.0, MAX_TIMEOUT, above=True),
        "max_delete_percent": s.number("max_delete_percent", 0.0, 100.0),
        "max_device_changes": s.count("max_device_changes"),
    }
    s.done()
    return out


def _zone(s: _Reader) -> str:
    name = _printable(s, "timezone")
    try:
        project_zone(name)
    except ConfigError:
        _malformed(f"settings.timezone {show(name)} is not a known time zone")
    return name


def _problem(e: _Reader) -> PlanProblem:
    problem = PlanProblem(e.text("address"), e.text("message", empty=True, limit=_MAX_PROSE))
    e.done()
    return problem


def _warning(w: _Reader) -> PlanWarning:
    warning = PlanWarning(
        w.text("address"),
        w.member("code", is_warning_code, "warning code"),
        w.text("message", empty=True, limit=_MAX_PROSE),
    )
    w.done()
    return warning


def _change(c: _Reader) -> Change:
    address = _printable(c, "address")
    kind, _, name = address.partition("/")
    if not is_change_kind(kind) or not name:
        _malformed(f"{c.where}.address {show(address)} is not schedule/, device/ or tag/ NAME")
    fingerprints = _Reader(c.raw("fingerprints"), f"{c.where}.fingerprints")
    change = Change(
        address=address,
        action=c.member("action", is_action, "action"),
        before=c.obj("before"),
        after=c.obj("after"),
        fields=tuple(_field(_Reader(f, f"{c.where}.fields[]")) for f in c.items("fields")),
        requests=tuple(
            _request(_Reader(r, f"{c.where}.requests[{n}]"))
            for n, r in enumerate(c.items("requests"))
        ),
        fingerprints={key: _fingerprint(fingerprints, key) for key in list(fingerprints.data)},
        live_name=c.opt_text("live_name"),
        schedule_id=c.opt_text("schedule_id"),
        reason=c.text("reason", empty=True, limit=_MAX_PROSE),
        broadcast=c.flag("broadcast"),
        preview=_preview(c.obj("preview"), c.where),
        renamed_from=c.opt_text("renamed_from"),
    )
    c.done()
    if kind == "device":
        _device_fields(change, c.where)
    return change


def _device_fields(change: Change, where: str) -> None:
    """The fields ``devices`` writes (tags added, tags removed, alias), which renderers read."""

    def tags(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(t, str) for t in value)

    def alias(value: Any) -> bool:
        return value is None or isinstance(value, str)

    shapes: dict[str, Callable[[FieldChange], bool]] = {
        "tags.add": lambda f: f.before is None and tags(f.after),
        "tags.remove": lambda f: tags(f.before) and f.after is None,
        "alias": lambda f: alias(f.before) and alias(f.after),
    }
    for f in change.fields:
        shape = shapes.get(f.path)
        if shape is None or not shape(f):
            _malformed(f"{where}.fields: {show(f.path)} is not a device field the planner writes")


def _preview(value: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    """The shape ``preview.notification_preview`` makes, which the renderers rely on."""
    if value is None:
        return None
    extra = sorted(set(value) - {"title", "alert", "url", "icon", "image", "languages"})
    if extra:
        _malformed(f"{where}.preview has unexpected key {show(extra[0])}")
    languages = value.get("languages", {})
    if not isinstance(languages, dict) or not all(
        isinstance(spec, dict) and set(spec) <= {"title", "alert"} for spec in languages.values()
    ):
        _malformed(f"{where}.preview.languages must map languages to title and alert")
    return value


def _field(f: _Reader) -> FieldChange:
    change = FieldChange(f.text("path"), f.raw("before"), f.raw("after"))
    f.done()
    return change


def _request(r: _Reader) -> ApiRequest:
    kind = r.text("kind")
    request = ApiRequest(
        method=r.member("method", is_method, "method"),
        path=r.text("path"),
        body=r.raw("body"),
        kind=kind,  # type: ignore[arg-type]  # checked against requests.RULES right after
    )
    r.done()
    return request


def _fingerprint(reader: _Reader, key: str) -> str:
    kind, _, ident = key.partition(":")
    if kind not in ("schedule", "device") or not ident or not ident.isprintable():
        _malformed(f"{reader.where} key {show(key)} is not schedule:ID or device:ID")
    value = reader.text(key)
    if len(value) != 64 or not set(value) <= _HEX:
        _malformed(f"{reader.where}[{show(key)}] is not a SHA-256 hex digest")
    return value


__all__ = ["CONCURRENCY_MAX", "QPS_MAX", "QPS_MIN", "plan_from_json"]
