"""Random mutations of valid saved plans: always a one-line refusal or the original plan.

Mutations reach every key of the document: values of every JSON type (NaN and Infinity, huge
numbers, CR/LF, lone surrogates, path tricks), deleted and added keys, and text-level edits of the
file (CRLF line ends, a BOM, truncation). Two readers of the outcome:

* as written, with the original signature: the loader returns the original plan exactly when the
  document still means the same, and refuses otherwise;
* re-signed with the right key (the attacker holds it, or a buggy writer): the loader may accept,
  but only a plan that is sane by every rule (settings in range, a day's life at most, every
  request on the allow-list) and that the renderers and apply's target resolution can handle.

Every refusal is a :class:`StalePlanError` (``InvalidPlanError`` mostly) whose message is one
line. A hang shows up as the test run's timeout.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.plan import PLAN_KEY, mixed_plan, representative_plan, saved

from webpush_iac.commands.connection import (
    CredentialEnv,
    Target,
    saved_plan_target,
    settings_from_plan,
)
from webpush_iac.errors import StalePlanError
from webpush_iac.plan import PLAN_TTL, Plan, parse_plan_json, plan_from_data, plan_to_data
from webpush_iac.plan.planfile import sign_data
from webpush_iac.plan.planparse import CONCURRENCY_MAX, QPS_MAX, QPS_MIN
from webpush_iac.plan.requests import check_plan_requests
from webpush_iac.render import render_plan

pytestmark = pytest.mark.slow

BASES = {"mixed": mixed_plan(), "representative": representative_plan()}
DOCS = {name: saved(plan) for name, plan in BASES.items()}

TRICKY = [
    "",
    " ",
    "\r\n",
    "a\r\nb",
    "\x00",
    "\u202e",
    "\ud800",
    "é",
    "标签",
    "../",
    "..",
    "%2e%2e",
    "%2F",
    "/v4/push",
    "/v4/push/validate",
    "/v4/batch/push/all",
    "/_emulator/reset",
    "/v4/tags/../../_emulator/reset",
    "/v4/schedules/{created_id}",
    "/v4/schedules/",
    "/v4/schedules/a/b",
    "/v4/devices/a b",
    "{created_id}",
    "iac_",
    "marketing_blast",
    "schedule.create",
    "tag.update",
    "push.send",
    "DELETE",
    "PATCH",
    "emulator",
    "https://attacker.example",
    "http://127.0.0.1:1",
    "NaN",
    "Infinity",
    "9999-12-31T23:59:59Z",
    "2020-01-01T00:00:00Z",
    "2026-06-01T12:00:00",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63),
    st.sampled_from([0, -1, 1, 1024, 1025, 10**9, 10**18]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-9, 0.0, -0.0, 100.0, 100.5, 1e308]),
    st.text(max_size=20),
    st.sampled_from(TRICKY),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
NEW_KEYS = st.sampled_from(["checksum", "app_key_env", "master_secret_env", "extra", "kind", "x"])


def slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of a JSON tree, so a mutation can reach any of them."""
    found: list[tuple[Any, Any]] = []
    items: Any = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in list(items):
        found.append((value, key))
        if isinstance(child, dict | list):
            found.extend(slots(child))
    return found


def mutate(doc: dict[str, Any], data: st.DataObject) -> None:
    container, key = data.draw(st.sampled_from(slots(doc)))
    op = data.draw(st.sampled_from(["replace", "delete", "add", "wrap", "tricky"]))
    if op == "replace":
        container[key] = data.draw(VALUES)
    elif op == "delete":
        if isinstance(container, dict):
            del container[key]
        else:
            container.pop(key)
    elif op == "add":
        target = container[key] if isinstance(container[key], dict) else container
        if isinstance(target, dict):
            target[data.draw(NEW_KEYS)] = data.draw(VALUES)
        else:
            target.append(data.draw(VALUES))
    elif op == "wrap":
        container[key] = [container[key]]
    else:
        container[key] = data.draw(st.sampled_from(TRICKY))


def as_text(doc: dict[str, Any], data: st.DataObject) -> str:
    text = json.dumps(doc, indent=data.draw(st.sampled_from([None, 2])), ensure_ascii=False)
    edit = data.draw(st.sampled_from(["none"] * 5 + ["crlf", "bom", "truncate", "nul"]))
    if edit == "crlf":
        return text.replace("\n", "\r\n")
    if edit == "bom":
        return "\ufeff" + text
    if edit == "truncate":
        return text[: data.draw(st.integers(0, max(0, len(text) - 1)))]
    if edit == "nul":
        return text + "\x00"
    return text


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sign_anything(doc: dict[str, Any]) -> dict[str, Any]:
    """The documented signature as an attacker's own code computes it: NaN and all."""
    body = {k: v for k, v in doc.items() if k != "signature"}
    digest = hmac.new(PLAN_KEY, canonical(body).encode("ascii"), hashlib.sha256).hexdigest()
    return {**body, "signature": "hmac-sha256:" + digest}


def load(text: str) -> Plan:
    """What ``apply --plan`` does before its first request, minus credentials and the clock."""
    plan = plan_from_data(parse_plan_json(text), PLAN_KEY)
    saved_plan_target(plan, settings_from_plan(plan, CredentialEnv()), Target())
    return plan


def refusal_or(text: str) -> Plan | None:
    try:
        return load(text)
    except StalePlanError as exc:
        message = str(exc)
        assert message, "a refusal says why"
        assert "\n" not in message, message
        assert "\r" not in message, message
        return None


def assert_sane(plan: Plan) -> None:
    settings_ = plan.settings
    assert math.isfinite(settings_["qps"])
    assert QPS_MIN <= settings_["qps"] <= QPS_MAX
    assert 1 <= settings_["concurrency"] <= CONCURRENCY_MAX
    assert 0 <= settings_["max_delete_percent"] <= 100
    assert settings_["max_device_changes"] >= 0
    assert plan.not_after is not None
    assert plan.created_at <= plan.not_after <= plan.created_at + PLAN_TTL
    check_plan_requests(plan)
    assert plan_from_data(sign_data(plan_to_data(plan), PLAN_KEY), PLAN_KEY) == plan
    for fmt in ("text", "markdown", "json"):
        render_plan(plan, fmt)


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@FUZZ
@given(name=st.sampled_from(sorted(DOCS)), data=st.data())
def test_mutated_plan_keeps_its_signature_only_if_it_means_the_same(
    name: str, data: st.DataObject
) -> None:
    original = DOCS[name]
    doc = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(0, 3))):
        mutate(doc, data)
    text = as_text(doc, data)
    outcome = refusal_or(text)
    try:
        unchanged = canonical(json.loads(text)) == canonical(original)
    except ValueError:
        unchanged = False
    if outcome is not None:
        assert unchanged, "a changed document must not pass its old signature"
        assert outcome == BASES[name]
    else:
        assert not unchanged or "\ufeff" in text or "\x00" in text


@FUZZ
@given(name=st.sampled_from(sorted(DOCS)), data=st.data())
def test_mutated_and_re_signed_plan_is_refused_or_sane(name: str, data: st.DataObject) -> None:
    doc = copy.deepcopy(DOCS[name])
    for _ in range(data.draw(st.integers(1, 4))):
        mutate(doc, data)
    plan = refusal_or(as_text(sign_anything(doc), data))
    if plan is not None:
        assert_sane(plan)


@FUZZ
@given(
    key=st.sampled_from(["qps", "concurrency", "max_delete_percent", "max_device_changes"]),
    spelled=st.one_of(
        st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, "1e-9", "-0.0"]),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.integers().map(str),
    ),
)
def test_any_spelling_of_a_numeric_setting_is_refused_or_in_range(key: str, spelled: str) -> None:
    doc = copy.deepcopy(DOCS["mixed"])
    doc["settings"][key] = "__marker__"
    text = json.dumps(doc).replace('"__marker__"', spelled)
    try:
        parsed = json.loads(text)
    except ValueError:  # e.g. 5000 digits: the reader refuses it the same way
        parsed = None
    if isinstance(parsed, dict):  # sign what the text now says, so only the range check is left
        text = json.dumps(sign_anything(parsed))
    plan = refusal_or(text)
    if plan is not None:
        assert_sane(plan)
