"""The saved-plan file (``plan --out plan.json``): versioned JSON, signed with an HMAC.

Why a signature: ``apply --plan`` sends the requests stored in the file, and the file is often a
CI artifact that others can write. An unkeyed checksum only catches accidents (anyone recomputes
it), so the plan carries an HMAC-SHA256 over its canonical JSON keyed by :func:`plan_signing_key`,
derived from the AppKey and master secret: only a holder of the secret can mint a plan apply
accepts, and neither the key nor the secret is ever in the file. The signature is checked before
anything else is read from the file, and long before anything is sent.

Then, because a valid signature proves who made a plan but not that it is sane, everything is
re-checked as if it were hostile: every key and type, the numeric settings' ranges, the time
bounds (``not_after`` at most :data:`~webpush_iac.plan.model.PLAN_TTL` after ``created_at``) and
every request against the allow-list in :mod:`webpush_iac.plan.requests`. Each failure is a
one-line :class:`~webpush_iac.errors.InvalidPlanError` (``planparse``). Everything here is pure: the caller
reads and writes the file, passes the key in and checks the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from typing import Any, Final

from webpush_iac.apispec import safe_target
from webpush_iac.errors import InvalidPlanError, StalePlanError
from webpush_iac.plan.model import Plan
from webpush_iac.plan.planparse import plan_from_json
from webpush_iac.plan.requests import check_plan_requests, show
from webpush_iac.state import JSON, ProjectSettings
from webpush_iac.times import format_time

FORMAT_VERSION: Final = 2
SIGNATURE_PREFIX: Final = "hmac-sha256:"
_KEY_CONTEXT: Final = b"webpush-iac saved plan v2\x00"
_NOT_SENT: Final = "re-run plan (nothing was sent)"


def plan_signing_key(app_key: str, master_secret: str) -> bytes:
    """HMAC-SHA256(master secret, context + AppKey): a key per credential pair that says nothing
    about the secret, so a leaked key signs plans but never authenticates to the API."""
    message = _KEY_CONTEXT + app_key.encode("utf-8")
    return hmac.new(master_secret.encode("utf-8"), message, hashlib.sha256).digest()


def plan_to_data(plan: Plan) -> JSON:
    """Everything apply needs, plus the summary a reviewer or a pipeline script reads first.

    Unsigned: ``plan --format json`` prints this; :func:`sign_plan` makes the file apply accepts.
    """
    return {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "target": safe_target(plan.target),
        "created_at": format_time(plan.created_at),
        "not_after": format_time(plan.not_after) if plan.not_after else None,
        "owner_prefix": plan.owner_prefix,
        "owned_live_count": plan.owned_live_count,
        "live_schedule_count": plan.live_schedule_count,
        "settings": plan.settings,
        "summary": {
            **plan.summary(),
            "actions": plan.counts(),
            "errors": len(plan.errors),
            "warnings": len(plan.warnings),
            "unknown_devices": plan.warning_count("unknown_device"),
            "has_mutations": plan.has_mutations,
            "schedules_after_apply": plan.schedules_after_apply(),
        },
        "errors": [p.to_data() for p in plan.errors],
        "warnings": [w.to_data() for w in plan.warnings],
        "changes": [c.to_data() for c in plan.changes],
    }


def sign_plan(plan: Plan, key: bytes) -> JSON:
    """The saved-plan document with its ``signature``."""
    return sign_data(plan_to_data(plan), key)


def sign_data(data: JSON, key: bytes) -> JSON:
    """``data`` (a saved-plan document) with its ``signature`` set for ``key``."""
    body = {k: v for k, v in data.items() if k != "signature"}
    return {**body, "signature": _signature(body, key)}


def plan_from_data(data: Any, key: bytes) -> Plan:
    """Version, then signature, then every field and request; ``StalePlanError`` otherwise."""
    check_format_version(data)
    verify_signature(data, key)
    plan = plan_from_json(data)
    check_plan_requests(plan)
    return plan


def check_format_version(data: Any) -> None:
    """Refuse what is not a saved plan of this format, with what to do about it."""
    if not isinstance(data, dict):
        raise InvalidPlanError("not a saved plan: expected a JSON object; nothing was sent")
    version = data.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and 0 < version < FORMAT_VERSION:
        raise StalePlanError(
            f"saved plan was made by an older webpush-iac (format_version {version}, unsigned); "
            + _NOT_SENT
        )
    if version != FORMAT_VERSION:
        raise InvalidPlanError(
            f"saved plan has format_version {show(version)}, this webpush-iac reads "
            f"{FORMAT_VERSION}; re-run plan with this version (nothing was sent)"
        )


def verify_signature(data: dict[str, Any], key: bytes) -> None:
    """Constant-time comparison of the HMAC, before any other field is trusted."""
    given = data.get("signature")
    if not isinstance(given, str) or not given.startswith(SIGNATURE_PREFIX):
        raise InvalidPlanError(
            "saved plan is not signed: only `plan --out FILE` writes a plan apply accepts; "
            + _NOT_SENT
        )
    expected = _signature(data, key)
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii")):
        raise InvalidPlanError(
            "saved plan signature does not match: the file was changed after plan wrote it, or "
            "it was made with other credentials than apply uses; " + _NOT_SENT
        )


def _signature(data: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 over one spelling of everything but the signature: sorted keys, no spaces,
    ASCII escapes (so any string, lone surrogates included, has exactly one spelling)."""
    body = {k: v for k, v in data.items() if k != "signature"}
    try:
        canonical = json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError):
        raise InvalidPlanError("saved plan is not plain JSON; " + _NOT_SENT) from None
    digest = hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def saved_settings(project: ProjectSettings) -> JSON:
    """What ``apply --plan`` needs to reconnect and re-check safety without the manifests.

    No credential, and no credential variable name either: apply reads its own (a plan must not
    choose which environment variable's value is sent as a password).
    """
    return {
        "region": project.region,
        "product": project.product,
        "timezone": project.timezone,
        "qps": project.qps,
        "concurrency": project.concurrency,
        "timeout": project.timeout,
        "max_delete_percent": project.max_delete_percent,
        "max_device_changes": project.max_device_changes,
    }


def parse_plan_json(text: str) -> Any:
    """Strict JSON: no NaN or Infinity (or numbers too large for a float), no repeated key."""

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    def finite(spelled: str) -> float:
        value = float(spelled)
        if not math.isfinite(value):
            raise ValueError(f"number {spelled[:20]} is out of range")
        return value

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"key {show(key)} appears twice")
            out[key] = value
        return out

    try:
        return json.loads(
            text, parse_constant=no_constant, parse_float=finite, object_pairs_hook=unique
        )
    except RecursionError:
        raise InvalidPlanError("saved plan is nested too deeply; nothing was sent") from None
    except ValueError as exc:  # JSONDecodeError, and too many digits in an int
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise InvalidPlanError(f"not a saved plan ({reason}); nothing was sent") from None


__all__ = [
    "FORMAT_VERSION",
    "SIGNATURE_PREFIX",
    "check_format_version",
    "parse_plan_json",
    "plan_from_data",
    "plan_signing_key",
    "plan_to_data",
    "saved_settings",
    "sign_data",
    "sign_plan",
    "verify_signature",
]
