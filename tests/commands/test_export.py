"""export: live state → manifests that validate and plan as a no-op against the same live state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from support import manifests
from support.constants import APP_KEY, ENV, MASTER_SECRET
from support.e2e import target_for
from support.emulator import Admin
from support.manifests import (
    periodical_schedule,
    project_yaml,
    single_schedule,
    to_yaml,
    write_tree,
)

from webpush_iac.client import Credentials, EngageLabClient
from webpush_iac.commands.export import export_command, read_registration_ids
from webpush_iac.commands.operations import apply_command, plan_command
from webpush_iac.errors import ConfigError, ManifestError
from webpush_iac.manifest import load


async def test_export_validates_and_plans_as_a_noop(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    await admin.devices(
        {"registration_id": "rid_a", "tags": ["sdk_tag"]},
        {"registration_id": "rid_b", "alias": "bob"},
    )
    device = to_yaml(manifests.device("a", "rid_a", alias="anna", tags=["beta"]))
    source = write_tree(
        tmp_path / "src",
        {
            "webpush-iac.yaml": project_yaml(),
            "a.yaml": single_schedule("launch", alert="Price {{ '{{' }}literal{{ '}}' }}"),
            "b.yaml": single_schedule("quiet", enabled=False),
            "c.yaml": periodical_schedule("weekly"),
            "d.yaml": device,
        },
    )
    other = write_tree(
        tmp_path / "other",
        {"webpush-iac.yaml": project_yaml(prefix="sdk_"), "x.yaml": single_schedule("theirs")},
    )
    for root in (source, other):
        applied = await apply_command(
            [root], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path
        )
        assert applied.result.ok
    (launch,) = [s for s in await admin.schedules() if s["name"] == "iac_launch"]
    assert launch["push"]["body"]["notification"]["web"]["alert"] == "Price {{literal}}"

    ids = tmp_path / "ids.txt"
    ids.write_text("# devices to adopt\nrid_a\n\nrid_b  # the bob device\nrid_missing\n")
    out = tmp_path / "exported"
    run = await export_command(
        out, target=target_for(emulator_app), registration_ids_file=ids, environ=ENV
    )

    written = sorted(str(p.relative_to(out)) for p in run.files)
    assert written == [
        "devices.yaml",
        "schedules/launch.yaml",
        "schedules/quiet.yaml",
        "schedules/weekly.yaml",
        "unowned/sdk_theirs.yaml.example",
        "webpush-iac.yaml",
    ]
    assert any("rid_missing" in w for w in run.warnings)
    assert any("sdk_theirs" in w and "not owned" in w for w in run.warnings)

    desired = load([out])  # validate accepts it
    assert sorted(desired.schedules) == ["launch", "quiet", "weekly"]
    assert desired.devices["rid_b"].alias == "bob"
    assert desired.devices["rid_a"].tags == frozenset({"beta", "sdk_tag"})

    replanned = await plan_command([out], target=target_for(emulator_app), environ=ENV)
    assert not replanned.plan.has_mutations, [
        c.to_data() for c in replanned.plan.changes if c.mutating
    ]
    assert {c.action for c in replanned.plan.changes} <= {"noop", "unowned"}


async def test_export_refuses_a_directory_that_already_holds_manifests(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    (tmp_path / "old.yaml").write_text("kind: Project\n")
    with pytest.raises(ConfigError, match="already holds manifests"):
        await export_command(tmp_path, target=target_for(emulator_app), environ=ENV)


def test_registration_id_list_skips_comments_blanks_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("a\n# b\n\n  c  # trailing note\na\n")
    assert read_registration_ids(path) == ["a", "c"]


OTHER_ENV = {"ACME_KEY": ENV["WEBPUSH_APP_KEY"], "ACME_SECRET": ENV["WEBPUSH_MASTER_SECRET"]}


def acme_project() -> str:
    return to_yaml(
        manifests.project(
            "acme",
            region="hk",
            timezone="Asia/Singapore",
            ownership={"prefix": "acme_"},
            credentials={"app_key": {"env": "ACME_KEY"}, "master_secret": {"env": "ACME_SECRET"}},
        )
    )


@pytest.mark.parametrize("given", ["folder", "file"])
async def test_export_path_reads_the_projects_prefix_region_and_credential_names(
    tmp_path: Path, emulator_app: Starlette, given: str
) -> None:
    source = write_tree(
        tmp_path / "src",
        {"webpush-iac.yaml": acme_project(), "a.yaml": single_schedule("launch")},
    )
    applied = await apply_command(
        [source], target=target_for(emulator_app), environ=OTHER_ENV, journal_dir=tmp_path
    )
    assert applied.result.ok
    path = source if given == "folder" else source / "webpush-iac.yaml"
    out = tmp_path / "exported"
    run = await export_command(
        out, target=target_for(emulator_app), project=path, environ=OTHER_ENV
    )
    assert sorted(str(p.relative_to(out)) for p in run.files) == [
        "schedules/launch.yaml",
        "webpush-iac.yaml",
    ]
    project = load([out]).project
    assert (project.name, project.prefix, project.region, project.timezone) == (
        "acme",
        "acme_",
        "hk",
        "Asia/Singapore",
    )
    assert (project.app_key_env, project.master_secret_env) == ("ACME_KEY", "ACME_SECRET")
    replanned = await plan_command([out], target=target_for(emulator_app), environ=OTHER_ENV)
    assert not replanned.plan.has_mutations


async def test_export_without_path_keeps_the_default_prefix_and_credentials(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    source = write_tree(
        tmp_path / "src", {"webpush-iac.yaml": acme_project(), "a.yaml": single_schedule("x")}
    )
    await apply_command(
        [source], target=target_for(emulator_app), environ=OTHER_ENV, journal_dir=tmp_path
    )
    run = await export_command(tmp_path / "out", target=target_for(emulator_app), environ=ENV)
    assert any("acme_x is not owned (no 'iac_' prefix)" in w for w in run.warnings)
    project = load([tmp_path / "out"]).project
    assert (project.prefix, project.app_key_env) == ("iac_", "WEBPUSH_APP_KEY")


async def test_export_path_without_a_valid_project_is_a_manifest_error(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    with pytest.raises(ManifestError, match="no Project file"):
        await export_command(tmp_path / "o", target=target_for(emulator_app), project=tmp_path)
    write_tree(tmp_path / "bad", {"webpush-iac.yaml": to_yaml(manifests.project(region="moon"))})
    with pytest.raises(ManifestError, match=r"spec\.region"):
        await export_command(
            tmp_path / "o", target=target_for(emulator_app), project=tmp_path / "bad"
        )
    assert not (tmp_path / "o").exists()


WEB = {"alert": "Hi", "url": "https://example.com/x", "title": "T"}


def shaped(**changes: Any) -> dict[str, Any]:
    """A schedule as the API takes it, with ``changes`` applied to its push (and trigger)."""
    push: dict[str, Any] = {
        "from": "push",
        "to": "all",
        "body": {"platform": "web", "notification": {"web": dict(WEB)}},
    }
    trigger = changes.pop("trigger", {"single": {"time": manifests.in_days(90), "zone_type": 1}})
    for key, value in changes.items():
        target, _, leaf = key.rpartition(".")
        node = push
        for part in filter(None, target.split(".")):
            node = node[part]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return {"name": "iac_shape", "enabled": True, "trigger": trigger, "push": push}


# Shapes the Create Push doc documents (docs/api-notes.md "Push payload"), one schedule each.
SHAPES: dict[str, dict[str, Any]] = {
    "web.alert as an object": shaped(**{"body.notification.web.alert": {"text": "Hi", "n": 2}}),
    "msg_content as an object": shaped(
        **{"body.notification": None, "body.message": {"msg_content": {"k": "v"}, "title": "T"}}
    ),
    "time_to_live as a string": shaped(**{"body.options": {"time_to_live": "3600"}}),
    "custom_args as a string": shaped(custom_args="business info"),
    'icon: ""': shaped(**{"body.notification.web.icon": ""}),
    'image: ""': shaped(**{"body.notification.web.image": ""}),
    'platform: ["web"]': shaped(**{"body.platform": ["web"]}),
    "a top-level notification.alert": shaped(**{"body.notification.alert": "Hi,MTPush !"}),
    "from other than push": shaped(**{"from": "console"}),
    "intelligent zone_type": shaped(
        trigger={"intelligent": {"backup_time": manifests.in_days(90), "zone_type": 2}}
    ),
}


@pytest.mark.parametrize("schedule", SHAPES.values(), ids=SHAPES.keys())
async def test_a_live_schedule_in_a_documented_shape_exports_validates_and_plans_as_a_noop(
    tmp_path: Path, emulator_app: Starlette, schedule: dict[str, Any]
) -> None:
    async with EngageLabClient(
        "http://emulator.test", Credentials(APP_KEY, MASTER_SECRET), asgi_app=emulator_app
    ) as client:
        await client.request("POST", "/v4/schedules", json=schedule)
        (live,) = await client.list_schedules()
    assert live["push"] == schedule["push"]  # the emulator keeps it as sent
    out = tmp_path / "exported"
    run = await export_command(out, target=target_for(emulator_app), environ=ENV)
    assert run.warnings == []
    desired = load([out])  # validate accepts it
    assert desired.schedules["shape"].push == schedule["push"]  # kept as written
    assert desired.schedules["shape"].trigger == schedule["trigger"]
    replanned = await plan_command([out], target=target_for(emulator_app), environ=ENV)
    assert not replanned.plan.has_mutations, [
        c.to_data() for c in replanned.plan.changes if c.mutating
    ]
