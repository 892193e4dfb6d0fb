"""Crafted saved plans: each attack of the hardening issue, against the real pipeline.

The scene: a plan made against the Project region's host (routed in process to the emulator by a
recording transport, so no byte leaves the machine), with a create, an update, a bulk tag change
and a device change; an unowned live schedule sits beside them. Each attack edits the plan file
the way someone who can write a CI artifact would, then runs ``apply --plan``.

Two variants of every attack:

* ``forged``: the attacker recomputes the old unkeyed checksum. Refused by the signature before
  any request at all;
* ``re-signed``: the attacker somehow holds the signing key too. The checks behind the
  signature must still refuse, with no mutating request, no request to another host and no
  other variable's value in an Authorization header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from support.constants import APP_KEY, ENV, MASTER_SECRET
from support.e2e import no_sleep
from support.emulator import SCHEDULE, Admin
from support.manifests import in_days, project_yaml, single_schedule, tag, to_yaml, write_tree
from support.plan import PLAN_KEY

from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command, plan_command, write_plan_file
from webpush_iac.errors import StalePlanError
from webpush_iac.plan import sha256_hex
from webpush_iac.plan.planfile import sign_data
from webpush_iac.times import format_time

HOME = "webpushapi-sgp.engagelab.com"  # the Project region's host (never dialled: see Recorder)
ATTACKER = "attacker.example"
OTHER_SECRET = "other-canary-7c6b5a4f"  # a variable apply must never send
ATTACK_ENV = {**ENV, "OTHER_KEY": "other-key", "OTHER_SECRET": OTHER_SECRET}


@dataclass
class Recorder(httpx.AsyncBaseTransport):
    """Forwards every request to the in-process emulator, whatever its host, and records it."""

    app: Starlette
    sent: list[tuple[str, str, str, str]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        decoded = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else auth
        self.sent.append((request.url.host, request.method, request.url.path, decoded))
        return await httpx.ASGITransport(app=self.app).handle_async_request(request)

    def mutating(self) -> list[tuple[str, str]]:
        return [(m, p) for _h, m, p, _a in self.sent if m != "GET"]


@dataclass
class Scene:
    app: Starlette
    recorder: Recorder
    data: dict[str, Any]
    unowned_id: str
    unowned_raw: dict[str, Any]
    root: Path

    def target(self) -> Target:
        return Target(client_options={"transport": self.recorder, "sleep": no_sleep})


async def scene(tmp_path: Path, app: Starlette) -> Scene:
    admin = Admin(app)
    await admin.devices({"registration_id": "d1", "tags": []})
    unowned = await admin.call(
        "POST",
        "/v4/schedules",
        {
            **SCHEDULE,
            "name": "marketing_blast",
            "trigger": {"intelligent": {"backup_time": in_days(30)}},
        },
    )
    recorder = Recorder(app)
    async with EngageLabClient(
        f"https://{HOME}", Credentials(APP_KEY, MASTER_SECRET), transport=recorder
    ) as client:
        unowned_raw = await client.get_schedule(str(unowned["schedule_id"]))
    assert unowned_raw is not None
    target = Target(client_options={"transport": recorder, "sleep": no_sleep})
    files = {"webpush-iac.yaml": project_yaml(), "b.yaml": single_schedule("b", alert="Old")}
    root = write_tree(tmp_path / "m", files)
    await apply_command([root], target=target, environ=ENV, journal_dir=tmp_path / "j")
    files.update(
        {
            "a.yaml": single_schedule("a"),
            "b.yaml": single_schedule("b", alert="New"),
            "t.yaml": to_yaml(tag("beta", mode="exact", members=["d1"])),
        }
    )
    write_tree(root, files)
    run = await plan_command([root], target=target, environ=ENV)
    path = write_plan_file(run.plan, tmp_path / "plan.json", key=run.signing_key)
    data = json.loads(path.read_text())
    assert data["target"] == f"https://{HOME}"
    assert {r["kind"] for c in data["changes"] for r in c["requests"]} >= {
        "schedule.create",
        "schedule.update",
        "tag.update",
    }
    recorder.sent.clear()
    return Scene(app, recorder, data, str(unowned["schedule_id"]), unowned_raw, root)


# -- the attacks: each edits the saved-plan document in place -------------------------------------

Attack = Callable[[dict[str, Any], Scene], None]


def _change(data: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(c for c in data["changes"] if c["address"].startswith(prefix) and c["requests"])


def _extra_change(address: str, request: dict[str, Any], **fields: Any) -> dict[str, Any]:
    change: dict[str, Any] = {
        "address": address,
        "action": "delete",
        "before": None,
        "after": None,
        "fields": [],
        "requests": [request],
        "fingerprints": {},
        "live_name": None,
        "schedule_id": None,
        "reason": "",
        "broadcast": False,
        "preview": None,
        "renamed_from": None,
    }
    change.update(fields)
    return change


def target_swap(data: dict[str, Any], _s: Scene) -> None:
    data["target"] = f"https://{ATTACKER}"


def env_name_swap(data: dict[str, Any], _s: Scene) -> None:
    data["settings"]["app_key_env"] = "OTHER_KEY"
    data["settings"]["master_secret_env"] = "OTHER_SECRET"


def unowned_delete(data: dict[str, Any], s: Scene) -> None:
    request = {
        "method": "DELETE",
        "path": f"/v4/schedules/{s.unowned_id}",
        "body": None,
        "kind": "schedule.delete",
    }
    data["changes"].append(
        _extra_change("schedule/marketing_blast", request, live_name="marketing_blast")
    )


def unowned_delete_lying_about_its_name(data: dict[str, Any], s: Scene) -> None:
    """The live name claims ownership; only the re-read at apply shows it is not."""
    from webpush_iac.plan import fingerprint_schedule

    unowned_delete(data, s)
    change = data["changes"][-1]
    change["live_name"] = "iac_marketing_blast"
    fingerprint = fingerprint_schedule(s.unowned_raw)
    change["fingerprints"] = {f"schedule:{s.unowned_id}": fingerprint}


def push_to_all(data: dict[str, Any], _s: Scene) -> None:
    create = _change(data, "schedule/a")["requests"][0]
    create["path"] = "/v4/push"
    create["body"] = {"from": "push", "to": "all", "body": {"platform": "web"}}


def emulator_reset(data: dict[str, Any], _s: Scene) -> None:
    _change(data, "tag/")["requests"][0].update(path="/v4/tags/../../_emulator/reset", body={})


def not_after_a_year_ahead(data: dict[str, Any], _s: Scene) -> None:
    data["not_after"] = format_time(datetime.now(UTC) + timedelta(days=365))


def created_61_days_ago(data: dict[str, Any], _s: Scene) -> None:
    data["created_at"] = format_time(datetime.now(UTC) - timedelta(days=61))
    data["not_after"] = format_time(datetime.now(UTC) + timedelta(hours=1))


def created_in_the_future(data: dict[str, Any], _s: Scene) -> None:
    data["created_at"] = format_time(datetime.now(UTC) + timedelta(days=2))
    data["not_after"] = format_time(datetime.now(UTC) + timedelta(days=2, hours=23))


def empty_fingerprints(data: dict[str, Any], _s: Scene) -> None:
    for change in data["changes"]:
        change["fingerprints"] = {}


def nan_threshold(data: dict[str, Any], _s: Scene) -> None:
    data["settings"]["max_delete_percent"] = float("nan")


def tiny_qps(data: dict[str, Any], _s: Scene) -> None:
    data["settings"]["qps"] = 1e-9


def huge_concurrency(data: dict[str, Any], _s: Scene) -> None:
    data["settings"]["concurrency"] = 10**9


ATTACKS: dict[str, tuple[Attack, str]] = {  # what the re-signed variant is refused for
    "target swap": (target_swap, f"made for https://{ATTACKER}, not https://{HOME}"),
    "env-name swap": (env_name_swap, "unexpected key 'app_key_env'"),
    "unowned DELETE": (unowned_delete, "not owned"),
    "unowned DELETE, lying live name": (unowned_delete_lying_about_its_name, "ownership prefix"),
    "POST /v4/push to all": (push_to_all, "goes to /v4/schedules, not '/v4/push'"),
    "/v4/tags/../../_emulator/reset": (emulator_reset, "not a tag.update path"),
    "not_after a year ahead": (not_after_a_year_ahead, "not within 24 h"),
    "created_at 61 days old": (created_61_days_ago, "not within 24 h"),
    "created_at in the future": (created_in_the_future, "clock skew"),
    "empty fingerprints": (empty_fingerprints, "no fingerprint for"),
    "NaN threshold": (nan_threshold, "NaN is not JSON"),
    "qps 1e-9": (tiny_qps, "settings.qps"),
    "concurrency 10**9": (huge_concurrency, "settings.concurrency"),
}


def sign_anything(data: dict[str, Any]) -> dict[str, Any]:
    """The documented signature, computed by the attacker's own code: it signs NaN too."""
    body = {k: v for k, v in data.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hmac.new(PLAN_KEY, canonical.encode("ascii"), hashlib.sha256).hexdigest()
    return {**body, "signature": "hmac-sha256:" + digest}


def forge(data: dict[str, Any]) -> dict[str, Any]:
    """What anyone could do to the old format: recompute an unkeyed checksum."""
    body = {k: v for k, v in data.items() if k not in ("signature", "checksum")}
    return {**body, "checksum": "sha256:" + sha256_hex(body)}


@pytest.mark.parametrize("signed", [False, True], ids=["forged", "re-signed"])
@pytest.mark.parametrize("name", list(ATTACKS))
async def test_crafted_saved_plan_is_refused_and_sends_nothing(
    tmp_path: Path, emulator_app: Starlette, name: str, signed: bool
) -> None:
    s = await scene(tmp_path, emulator_app)
    attack, reason = ATTACKS[name]
    attack(s.data, s)
    crafted = sign_anything(s.data) if signed else forge(s.data)
    plan_file = tmp_path / "crafted.json"
    plan_file.write_text(json.dumps(crafted))  # NaN is written as NaN, as an attacker would

    with pytest.raises(StalePlanError) as refusal:
        await apply_command(
            [],
            target=s.target(),
            plan_file=plan_file,
            environ=ATTACK_ENV,
            journal_dir=tmp_path / "journal",
        )
    message = str(refusal.value)
    assert "\n" not in message
    assert "nothing was sent" in message
    if not signed:
        assert "not signed" in message or "not a saved plan" in message
        assert s.recorder.sent == []  # refused before any request, reads included
    else:
        assert reason in message
    assert s.recorder.mutating() == []
    assert all(host == HOME for host, *_ in s.recorder.sent)
    assert not any(OTHER_SECRET in auth for *_, auth in s.recorder.sent)
    schedules = await Admin(emulator_app).schedules()
    assert sorted(x["name"] for x in schedules) == ["iac_b", "marketing_blast"]


def test_the_attackers_signer_is_the_documented_signature() -> None:
    data = {"format_version": 2, "target": "https://x.example", "n": [1.5, "é"]}
    assert sign_anything(data) == sign_data(data, PLAN_KEY)


async def test_the_unmodified_plan_still_applies(tmp_path: Path, emulator_app: Starlette) -> None:
    """The scene itself is sound: without an attack the same file applies and converges."""
    s = await scene(tmp_path, emulator_app)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(s.data))
    run = await apply_command(
        [], target=s.target(), plan_file=plan_file, environ=ENV, journal_dir=tmp_path / "j"
    )
    assert run.result.ok
    assert all(host == HOME for host, *_ in s.recorder.sent)
    again = await plan_command([s.root], target=s.target(), environ=ENV)
    assert not again.plan.has_mutations
