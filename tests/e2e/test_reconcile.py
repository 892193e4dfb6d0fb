"""End to end, in process: manifests → live read → diff → apply against the real emulator app.

Each test converges, then checks the second plan is empty (the fixpoint), and reads the emulator's
request log to prove what was (not) sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from support.constants import ENV
from support.e2e import target_for
from support.emulator import Admin, mutating
from support.manifests import (
    device,
    periodical_schedule,
    project_yaml,
    single_schedule,
    tag,
    to_yaml,
    write_tree,
)

from webpush_iac.commands.operations import apply_command, audit_command, plan_command
from webpush_iac.plan import Plan


async def plan(root: Path, app: Any) -> Plan:
    return (await plan_command([root], target=target_for(app), environ=ENV)).plan


async def apply(root: Path, app: Any, tmp_path: Path) -> Any:
    run = await apply_command(
        [root], target=target_for(app), environ=ENV, journal_dir=tmp_path / "journal"
    )
    return run.result


def actions(plan: Plan) -> dict[str, str]:
    return {c.address: c.action for c in plan.changes}


def device_doc(
    name: str, rid: str, *, alias: str | None = None, tags: list[str] | None = None
) -> str:
    spec: dict[str, Any] = {}
    if alias is not None:
        spec["alias"] = alias
    if tags is not None:
        spec["tags"] = tags
    return to_yaml(device(name, rid, **spec))


def tag_doc(
    name: str, *, mode: str, members: Sequence[str] = (), remove: Sequence[str] = ()
) -> str:
    return to_yaml(tag(name, mode=mode, members=list(members), remove=list(remove)))


async def test_converged_project_plans_empty_and_plan_and_audit_only_get(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    await admin.devices(
        {"registration_id": "rid_a", "tags": ["sdk_tag"]},
        {"registration_id": "rid_b"},
    )
    root = write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "schedules/launch.yaml": single_schedule("launch"),
            "schedules/quiet.yaml": single_schedule("quiet", enabled=False),
            "schedules/weekly.yaml": periodical_schedule("weekly"),
            "devices.yaml": device_doc("a", "rid_a", alias="anna", tags=["digest", "beta"])
            + "---\n"
            + device_doc("b", "rid_b", tags=["digest"]),
        },
    )
    first = await plan(root, emulator_app)
    assert actions(first)["schedule/launch"] == "create"
    result = await apply(root, emulator_app, tmp_path)
    assert result.ok, result.to_data()

    live = {s["name"]: s for s in await admin.schedules()}
    assert sorted(live) == ["iac_launch", "iac_quiet", "iac_weekly"]
    assert live["iac_quiet"]["enabled"] is False
    device_a = await admin.device("rid_a")
    assert sorted(device_a["tags"]) == ["beta", "digest", "sdk_tag"]  # unmanaged tag kept
    assert device_a["alias"] == "anna"

    mark = await admin.mark()
    second = await plan(root, emulator_app)
    report = await audit_command([root], target=target_for(emulator_app), environ=ENV)
    assert not second.has_mutations, [c.to_data() for c in second.changes if c.mutating]
    assert not report.has_drift
    sent = await admin.requests(mark)
    assert sent, "plan and audit must have read something"
    assert mutating(sent) == []


async def test_fired_single_and_expired_periodical_are_not_recreated(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    root = write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "schedules/soon.yaml": single_schedule("soon"),  # in 90 days
            "schedules/weekly.yaml": periodical_schedule("weekly"),  # ends in 300 days
        },
    )
    assert (await apply(root, emulator_app, tmp_path)).ok

    await admin.advance(120 * 86400)  # the single fires and leaves the list
    after_fire = await plan(root, emulator_app)
    assert actions(after_fire)["schedule/soon"] == "fired"
    assert not after_fire.has_mutations

    await admin.advance(200 * 86400)  # past the periodical's end as well
    mark = await admin.mark()
    later = await plan(root, emulator_app)
    assert actions(later) == {"schedule/soon": "fired", "schedule/weekly": "expired"}
    assert (await apply(root, emulator_app, tmp_path)).ok
    assert mutating(await admin.requests(mark)) == []
    assert await admin.schedules() == []


async def test_unowned_schedules_are_never_touched_even_with_prune(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    other = write_tree(
        tmp_path / "other",
        {
            "webpush-iac.yaml": project_yaml(prefix="sdk_"),
            "s.yaml": single_schedule("console_made"),
        },
    )
    assert (await apply(other, emulator_app, tmp_path)).ok  # someone else's schedule
    root = write_tree(
        tmp_path / "m",
        {"webpush-iac.yaml": project_yaml(prune=True), "s.yaml": single_schedule("mine")},
    )
    first = await plan(root, emulator_app)
    assert actions(first)["schedule/sdk_console_made"] == "unowned"
    mark = await admin.mark()
    assert (await apply(root, emulator_app, tmp_path)).ok
    assert mutating(await admin.requests(mark)) == [("POST", "/v4/schedules")]
    assert sorted(s["name"] for s in await admin.schedules()) == ["iac_mine", "sdk_console_made"]


@pytest.mark.parametrize("prune", [False, True])
async def test_undeclared_owned_schedule_is_orphan_or_deleted_by_prune(
    tmp_path: Path, emulator_app: Starlette, prune: bool
) -> None:
    admin = Admin(emulator_app)
    files = {
        "webpush-iac.yaml": project_yaml(prune=prune),
        "a.yaml": single_schedule("keep"),
        "b.yaml": single_schedule("drop"),
    }
    root = write_tree(tmp_path / "m", files)
    assert (await apply(root, emulator_app, tmp_path)).ok
    del files["b.yaml"]
    write_tree(root, files)

    undeclared = await plan(root, emulator_app)
    assert actions(undeclared)["schedule/drop"] == ("delete" if prune else "orphan")
    assert (await apply(root, emulator_app, tmp_path)).ok
    names = sorted(s["name"] for s in await admin.schedules())
    assert names == (["iac_keep"] if prune else ["iac_drop", "iac_keep"])
    assert not (await plan(root, emulator_app)).has_mutations


async def test_update_keeps_the_schedule_and_kind_change_replaces_it(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    root = write_tree(
        tmp_path / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("promo")}
    )
    assert (await apply(root, emulator_app, tmp_path)).ok
    (original,) = await admin.schedules()

    write_tree(
        root,
        {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("promo", alert="Changed")},
    )
    updated = await plan(root, emulator_app)
    change = next(c for c in updated.changes if c.address == "schedule/promo")
    assert change.action == "update"
    assert [f.path for f in change.fields] == ["push.body.notification.web.alert"]
    assert (await apply(root, emulator_app, tmp_path)).ok
    (after_update,) = await admin.schedules()
    assert after_update["schedule_id"] == original["schedule_id"]

    periodical = periodical_schedule("promo")
    write_tree(root, {"webpush-iac.yaml": project_yaml(), "a.yaml": periodical})
    assert actions(await plan(root, emulator_app))["schedule/promo"] == "replace"
    assert (await apply(root, emulator_app, tmp_path)).ok
    (replaced,) = await admin.schedules()
    assert replaced["schedule_id"] != original["schedule_id"]
    assert "periodical" in replaced["trigger"]
    assert not (await plan(root, emulator_app)).has_mutations


async def test_tag_modes_exact_additive_and_remove(tmp_path: Path, emulator_app: Starlette) -> None:
    admin = Admin(emulator_app)
    await admin.devices(
        {"registration_id": "d1", "tags": ["sdk_tag"]},
        {"registration_id": "d2", "tags": ["beta"]},
        {"registration_id": "d3", "tags": ["news", "vip"]},
    )
    root = write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "tags.yaml": tag_doc("beta", mode="exact", members=["d1"], remove=[])
            + "---\n"
            + tag_doc("news", mode="additive", members=["d1"])
            + "---\n"
            + tag_doc("vip", mode="additive", members=[], remove=["d3"])
            + "---\n"
            + tag_doc("placeholder", mode="additive", members=["d2"]),
        },
    )
    assert (await apply(root, emulator_app, tmp_path)).ok
    tags = {rid: sorted((await admin.device(rid))["tags"]) for rid in ("d1", "d2", "d3")}
    assert tags == {
        "d1": ["beta", "news", "sdk_tag"],  # gained beta and news; unmanaged sdk_tag untouched
        "d2": ["placeholder"],  # exact beta: d2 is known but not a member, so it loses beta
        "d3": ["news"],  # additive news is kept; vip removed by the tombstone
    }
    assert not (await plan(root, emulator_app)).has_mutations


async def test_alias_moves_from_its_live_owner(tmp_path: Path, emulator_app: Starlette) -> None:
    admin = Admin(emulator_app)
    await admin.devices(
        {"registration_id": "old_phone", "alias": "anna"},
        {"registration_id": "new_phone"},
    )
    root = write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "d.yaml": device_doc("anna_phone", "new_phone", alias="anna"),
        },
    )
    moved = await plan(root, emulator_app)
    assert "moves" in next(c.reason for c in moved.changes if c.address == "device/new_phone")
    assert (await apply(root, emulator_app, tmp_path)).ok
    assert (await admin.device("new_phone"))["alias"] == "anna"
    assert (await admin.device("old_phone"))["alias"] == ""
    assert not (await plan(root, emulator_app)).has_mutations


async def test_unknown_device_is_a_warning_not_a_crash(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    root = write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "d.yaml": device_doc("ghost", "never_seen", tags=["x"]),
        },
    )
    result = await plan(root, emulator_app)
    assert result.errors == []
    assert [(w.address, w.code) for w in result.warnings] == [
        ("device/never_seen", "unknown_device")
    ]
