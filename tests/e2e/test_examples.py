"""Every example converges and then plans empty; ``--baseline`` makes dropped members known."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from starlette.applications import Starlette
from support import constants
from support.cli import run_cli
from support.constants import ENV, EXAMPLE_ENV
from support.e2e import target_for
from support.emulator import Admin, mutating
from support.git import clean_env
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
        env=clean_env(),
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


def _readme() -> str:
    return (constants.REPO / "README.md").read_text(encoding="utf-8")


def test_readme_states_the_python_requirement_of_pyproject() -> None:
    pyproject = (constants.REPO / "pyproject.toml").read_text(encoding="utf-8")
    (required,) = re.findall(r'^requires-python = "(>=[0-9.]+)"', pyproject, flags=re.MULTILINE)
    assert f"Python {required[2:]} or newer" in _readme()
    assert f'`requires-python = "{required}"`' in _readme()


def test_readme_asks_for_the_state_folder_in_gitignore() -> None:
    readme = _readme()
    assert "add `.webpush-iac/` to `.gitignore`" in readme
    assert "```gitignore\n.webpush-iac/\n```" in readme


def test_readme_reset_of_the_embedded_emulator_clears_the_drift_between_examples(
    tmp_path: Path,
) -> None:
    """What the README describes: apply both examples, audit one (drift: the shared devices
    carry the other's aliases), run the README's reset, apply it again: no drift."""
    quickstart, news_site = constants.QUICKSTART, constants.NEWS_SITE
    env = {"LEDGER_WEBPUSH_APP_KEY": "", "LEDGER_WEBPUSH_MASTER_SECRET": ""}

    def cli(*args: str) -> int:
        return run_cli(
            tmp_path, *args, WEBPUSH_APP_KEY="", WEBPUSH_MASTER_SECRET="", **env
        ).returncode

    assert cli("apply", str(quickstart), "--emulator", "--auto-approve") == 0
    assert cli("apply", str(news_site), "--emulator", "--auto-approve") == 0
    assert cli("audit", str(quickstart), "--emulator") == 2  # drift, as the README says
    block = re.search(
        r"To start over, reset the embedded emulator.*?```sh\n(.*?)\n```", _readme(), re.S
    )
    assert block is not None
    subprocess.run(block.group(1), shell=True, cwd=tmp_path, check=True)
    assert cli("apply", str(quickstart), "--emulator", "--auto-approve") == 0
    assert cli("audit", str(quickstart), "--emulator") == 0
