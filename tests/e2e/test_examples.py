"""Every example converges and then plans empty; ``--baseline`` makes dropped members known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from starlette.applications import Starlette
from support import constants
from support.constants import ENV, EXAMPLE_ENV
from support.e2e import target_for
from support.emulator import Admin, mutating
from support.manifests import project_yaml, tag, to_yaml, write_tree

from webpush_iac.commands.connection import Target
from webpush_iac.commands.operations import apply_command, plan_command

EXAMPLES = sorted(p for p in constants.EXAMPLES.iterdir() if (p / "webpush-iac.yaml").is_file())


def test_there_are_examples_to_check() -> None:
    assert {p.name for p in EXAMPLES} >= {"quickstart"}
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
async def test_example_converges_then_plans_empty(
    example: Path, tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    target = Target(
        emulator=target_for(emulator_app).emulator,
        client_options=target_for(emulator_app).client_options,
        register_devices=True,  # as --emulator does: the example's devices have subscribed
    )
    first = await plan_command([example], target=target, environ=EXAMPLE_ENV)
    assert first.plan.has_mutations
    assert first.plan.errors == []

    run = await apply_command([example], target=target, environ=EXAMPLE_ENV, journal_dir=tmp_path)
    assert run.result.ok, run.result.to_data()

    mark = await admin.mark()
    second = await plan_command([example], target=target, environ=EXAMPLE_ENV)
    assert not second.plan.has_mutations, [c.to_data() for c in second.plan.changes if c.mutating]
    assert mutating(await admin.requests(mark)) == []


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def beta_tag(*members: str) -> str:
    return to_yaml(tag("beta", mode="exact", members=list(members)))


async def test_baseline_makes_a_dropped_member_lose_an_exact_tag(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    await admin.devices({"registration_id": "d1"}, {"registration_id": "d2"})
    repo = tmp_path / "repo"
    root = write_tree(
        repo / "m", {"webpush-iac.yaml": project_yaml(), "tags.yaml": beta_tag("d1", "d2")}
    )
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "beta for d1 and d2")
    target = target_for(emulator_app)
    assert (await apply_command([root], target=target, environ=ENV, journal_dir=tmp_path)).result.ok

    write_tree(root, {"webpush-iac.yaml": project_yaml(), "tags.yaml": beta_tag("d1")})
    without = await plan_command([root], target=target, environ=ENV)
    assert not without.plan.has_mutations  # d2 is simply no longer known

    with_baseline = await plan_command([root], target=target, environ=ENV, baseline="HEAD")
    assert {c.address for c in with_baseline.plan.changes if c.mutating} == {
        "device/d2",
        "tag/beta",
    }
    run = await apply_command(
        [root], target=target, environ=ENV, journal_dir=tmp_path, baseline="HEAD"
    )
    assert run.result.ok
    assert (await admin.device("d2"))["tags"] == []
