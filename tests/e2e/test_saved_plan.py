"""Saved plans end to end: sent byte for byte, refused when stale, and the safety thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from support.constants import ENV
from support.e2e import target_for
from support.emulator import Admin, mutating
from support.manifests import device, project_yaml, single_schedule, tag, to_yaml, write_tree
from support.plan import PLAN_KEY

from webpush_iac.commands.operations import (
    apply_command,
    plan_command,
    read_plan_file,
    write_plan_file,
)
from webpush_iac.errors import SafetyError, StalePlanError


async def saved_plan(root: Path, app: Starlette, out: Path) -> Path:
    run = await plan_command([root], target=target_for(app), environ=ENV)
    return write_plan_file(run.plan, out, key=run.signing_key)


async def apply_saved(plan_file: Path, app: Starlette, tmp_path: Path, **kw: object) -> object:
    return await apply_command(
        [],
        target=target_for(app),
        plan_file=plan_file,
        environ=ENV,
        journal_dir=tmp_path / "journal",
        **kw,  # type: ignore[arg-type]
    )


def two_schedules(tmp_path: Path, alert: str = "Hello") -> Path:
    return write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "a.yaml": single_schedule("a", alert=alert),
            "b.yaml": single_schedule("b", enabled=False),
        },
    )


async def test_saved_plan_sends_exactly_its_requests(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    plan_file = await saved_plan(two_schedules(tmp_path), emulator_app, tmp_path / "plan.json")
    planned = [
        (r["method"], r["path"])
        for c in json.loads(plan_file.read_text())["changes"]
        for r in c["requests"]
    ]
    mark = await admin.mark()
    run = await apply_saved(plan_file, emulator_app, tmp_path)
    assert run.result.ok  # type: ignore[attr-defined]
    (disabled,) = [s for s in await admin.schedules() if s["name"] == "iac_b"]
    expected = [(m, p.replace("{created_id}", disabled["schedule_id"])) for m, p in planned]
    assert sorted(mutating(await admin.requests(mark))) == sorted(expected)


async def test_stale_plan_is_refused_with_zero_mutating_requests(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    root = two_schedules(tmp_path)
    await apply_command([root], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path)
    write_tree(
        root,
        {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a", alert="New text")},
    )
    plan_file = await saved_plan(root, emulator_app, tmp_path / "plan.json")
    # Someone edits the schedule between plan and apply.
    (live_a,) = [s for s in await admin.schedules() if s["name"] == "iac_a"]
    await admin.call("PUT", f"/v4/schedules/{live_a['schedule_id']}", {"enabled": False})

    mark = await admin.mark()
    with pytest.raises(StalePlanError, match="schedule/a"):
        await apply_saved(plan_file, emulator_app, tmp_path)
    assert mutating(await admin.requests(mark)) == []


async def test_tampered_or_expired_plan_is_refused_before_any_request(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    plan_file = await saved_plan(two_schedules(tmp_path), emulator_app, tmp_path / "plan.json")
    data = json.loads(plan_file.read_text())

    tampered = tmp_path / "tampered.json"
    data["changes"][0]["requests"][0]["body"]["name"] = "iac_evil"
    tampered.write_text(json.dumps(data))
    mark = await admin.mark()
    with pytest.raises(StalePlanError, match="signature does not match"):
        await apply_saved(tampered, emulator_app, tmp_path)
    assert await admin.requests(mark) == []

    await admin.advance(2 * 86400)  # the server's clock is past not_after (24 h)
    with pytest.raises(StalePlanError, match="expired"):
        await apply_saved(plan_file, emulator_app, tmp_path)
    assert mutating(await admin.requests(mark)) == []


async def test_plan_file_holds_no_secret_and_no_credential_variable_name(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    plan_file = await saved_plan(two_schedules(tmp_path), emulator_app, tmp_path / "plan.json")
    text = plan_file.read_text()
    assert ENV["WEBPUSH_MASTER_SECRET"] not in text
    assert "WEBPUSH_" not in text
    plan = read_plan_file(plan_file, key=PLAN_KEY)
    assert plan.target == "emulator"
    assert plan.owner_prefix == "iac_"
    assert "master_secret_env" not in plan.settings


async def test_mass_delete_is_refused_unless_allowed(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    files = {"webpush-iac.yaml": project_yaml(prune=True)}
    files.update({f"s{i}.yaml": single_schedule(f"s{i}") for i in range(10)})
    root = write_tree(tmp_path / "m", files)
    await apply_command([root], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path)
    for i in range(4):
        del files[f"s{i}.yaml"]
    write_tree(root, files)

    planned = await plan_command([root], target=target_for(emulator_app), environ=ENV)
    assert planned.safety is not None
    assert "4 of 10" in str(planned.safety)
    assert "--allow-large-changes" in str(planned.safety)
    mark = await admin.mark()
    with pytest.raises(SafetyError):
        await apply_command(
            [root], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path
        )
    assert mutating(await admin.requests(mark)) == []

    run = await apply_command(
        [root],
        target=target_for(emulator_app),
        environ=ENV,
        journal_dir=tmp_path,
        allow_large=True,
    )
    assert run.result.ok
    assert len(await admin.schedules()) == 6


async def test_saved_plan_refused_when_a_device_behind_a_bulk_tag_change_moved(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    await admin.devices({"registration_id": "d1", "tags": []})
    beta = to_yaml(tag("beta", mode="exact", members=["d1"]))
    root = write_tree(tmp_path / "m", {"webpush-iac.yaml": project_yaml(), "t.yaml": beta})
    plan_file = await saved_plan(root, emulator_app, tmp_path / "plan.json")
    await admin.devices({"registration_id": "d1", "tags": ["vip"]})  # the app's SDK tags it

    mark = await admin.mark()
    with pytest.raises(StalePlanError, match="device/d1"):
        await apply_saved(plan_file, emulator_app, tmp_path)
    assert mutating(await admin.requests(mark)) == []


async def test_saved_plan_refused_when_the_device_an_alias_moves_from_changed(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    """The previous holder is not declared, yet its alias is cleared: it is fingerprinted too."""
    admin = Admin(emulator_app)
    await admin.devices(
        {"registration_id": "d1", "tags": [], "alias": "qa_anna"},
        {"registration_id": "d2", "tags": []},
    )
    anna = to_yaml(device("anna", "d2", alias="qa_anna"))
    root = write_tree(tmp_path / "m", {"webpush-iac.yaml": project_yaml(), "d.yaml": anna})
    plan_file = await saved_plan(root, emulator_app, tmp_path / "plan.json")
    fingerprints = json.loads(plan_file.read_text())["changes"][0]["fingerprints"]
    assert set(fingerprints) == {"device:d1", "device:d2"}

    await admin.devices({"registration_id": "d1", "tags": ["vip"], "alias": "qa_anna"})
    mark = await admin.mark()
    with pytest.raises(StalePlanError, match="device/d2"):
        await apply_saved(plan_file, emulator_app, tmp_path)
    assert mutating(await admin.requests(mark)) == []
