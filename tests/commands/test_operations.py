"""apply_command's guards: the lock around both apply paths, and the timeout reaching the client.

In process against the emulator app; the lock is held by a second :class:`ApplyLock` on the same
directory, which is what another apply on the machine would hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from support.constants import APP_KEY, ENV
from support.e2e import target_for
from support.emulator import Admin
from support.manifests import project_yaml, single_schedule, write_tree
from support.plan import PLAN_KEY, saved

from webpush_iac.apply.lock import ApplyLock
from webpush_iac.commands.connection import (
    EMULATOR_TARGET,
    CredentialEnv,
    Target,
    connect,
    settings_from_plan,
)
from webpush_iac.commands.operations import apply_command, plan_command, write_plan_file
from webpush_iac.errors import ApplyLockedError, StalePlanError
from webpush_iac.plan import diff, plan_from_data
from webpush_iac.plan.planfile import sign_data
from webpush_iac.state import DesiredState, LiveState, ProjectSettings
from webpush_iac.times import parse_time


def manifests(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )


async def test_apply_holds_the_lock_from_before_it_reads(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    before = await admin.mark()
    with ApplyLock(tmp_path / "locks", EMULATOR_TARGET, APP_KEY), pytest.raises(ApplyLockedError):
        await apply_command(
            [manifests(tmp_path)],
            target=target_for(emulator_app),
            environ=ENV,
            journal_dir=tmp_path / "journal",
            lock_dir=tmp_path / "locks",
        )
    assert await admin.requests(since=before) == []  # not even the read
    assert not (tmp_path / "journal").exists()


async def test_apply_of_a_saved_plan_holds_the_lock_too(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    planned = await plan_command(
        [manifests(tmp_path)], target=target_for(emulator_app), environ=ENV
    )
    plan_file = write_plan_file(planned.plan, tmp_path / "plan.json", key=planned.signing_key)
    before = await admin.mark()
    with ApplyLock(tmp_path / "locks", EMULATOR_TARGET, APP_KEY), pytest.raises(ApplyLockedError):
        await apply_command(
            [],
            plan_file=plan_file,
            target=target_for(emulator_app),
            environ=ENV,
            lock_dir=tmp_path / "locks",
        )
    assert await admin.requests(since=before) == []
    run = await apply_command(
        [],
        plan_file=plan_file,
        target=target_for(emulator_app),
        environ=ENV,
        journal_dir=tmp_path / "journal",
        lock_dir=tmp_path / "locks",
    )
    assert run.result.ok
    assert not list((tmp_path / "locks").glob("*.lock"))  # released


def test_the_timeout_flag_wins_over_the_project_setting() -> None:
    settings = ProjectSettings(name="p", timeout=3.0)
    with_flag = connect(settings, Target(base_url="http://127.0.0.1:9", timeout=0.5), ENV)
    without = connect(settings, Target(base_url="http://127.0.0.1:9"), ENV)
    assert (with_flag.timeout, without.timeout) == (0.5, 3.0)
    assert with_flag.client(read_only=True).timeout == 0.5


def test_a_saved_plan_carries_the_timeout_and_refuses_one_out_of_range() -> None:
    project = ProjectSettings(name="p", timeout=4.0)
    plan = diff(DesiredState(project), LiveState(), now=parse_time("2026-11-22T12:00:00Z"))
    plan.target = "https://webpushapi-sgp.engagelab.com"
    data = saved(plan)
    assert settings_from_plan(plan_from_data(data, PLAN_KEY), CredentialEnv()).timeout == 4.0
    for bad in (0, -2, 601, "soon", None):
        data["settings"]["timeout"] = bad
        with pytest.raises(StalePlanError, match=r"settings\.timeout"):
            plan_from_data(sign_data(data, PLAN_KEY), PLAN_KEY)
