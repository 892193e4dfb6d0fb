"""Apply under faults: partial failure is reported and re-running converges, never duplicating."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from starlette.applications import Starlette
from support.constants import ENV
from support.e2e import target_for
from support.emulator import Admin, FailMatching
from support.manifests import project_yaml, single_schedule, write_tree

from webpush_iac.apply.journal import read_journal
from webpush_iac.commands.operations import apply_command, plan_command
from webpush_iac.errors import WebpushIacError


def manifests(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "broken.yaml": single_schedule("broken", enabled=False),
            "fine.yaml": single_schedule("fine"),
            "other.yaml": single_schedule("other"),
        },
    )


async def names(admin: Admin) -> Counter[str]:
    return Counter(s["name"] for s in await admin.schedules())


async def test_partial_failure_reports_each_request_and_a_rerun_converges(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    root = manifests(tmp_path)
    faulty = FailMatching(emulator_app, "POST", "/v4/schedules", body_contains="iac_broken")

    run = await apply_command([root], target=target_for(faulty), environ=ENV, journal_dir=tmp_path)
    result = run.result
    assert not result.ok
    assert [(o.address, o.request.method) for o in result.failed] == [("schedule/broken", "POST")]
    assert [(o.address, o.request.method) for o in result.not_attempted] == [
        ("schedule/broken", "PUT")
    ]
    assert sorted(o.address for o in result.done) == ["schedule/fine", "schedule/other"]
    # a 5xx on a create is ambiguous: re-listed, absent, created once more, failed again
    assert faulty.hits == 2
    assert await names(admin) == Counter({"iac_fine": 1, "iac_other": 1})
    assert run.journal is not None
    outcomes = [r["status"] for r in read_journal(run.journal) if r["event"] == "outcome"]
    assert outcomes.count("ambiguous") == 2

    faulty.enabled = False
    rerun = await apply_command(
        [root], target=target_for(faulty), environ=ENV, journal_dir=tmp_path
    )
    assert rerun.result.ok
    assert [o.address for o in rerun.result.done] == ["schedule/broken", "schedule/broken"]
    assert await names(admin) == Counter({"iac_broken": 1, "iac_fine": 1, "iac_other": 1})
    final = await plan_command([root], target=target_for(emulator_app), environ=ENV)
    assert not final.plan.has_mutations


async def test_create_committed_then_dropped_yields_exactly_one_schedule(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    await admin.faults(commit_then_drop=2)
    run = await apply_command(
        [manifests(tmp_path)], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path
    )
    assert run.result.ok, run.result.to_data()
    assert await names(admin) == Counter({"iac_broken": 1, "iac_fine": 1, "iac_other": 1})
    assert run.journal is not None
    checks = [r for r in read_journal(run.journal) if r["event"] == "ambiguous_create_check"]
    assert len(checks) == 2
    assert all(len(c["found"]) == 1 for c in checks)


async def test_random_faults_never_duplicate_and_reruns_converge(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    admin = Admin(emulator_app)
    files = {"webpush-iac.yaml": project_yaml(concurrency=4)}
    files.update({f"s{i}.yaml": single_schedule(f"s{i}") for i in range(8)})
    root = write_tree(tmp_path / "m", files)
    chaos = {"fail_rate": 0.3, "drop_rate": 0.1}

    converged = False
    for attempt in range(8):
        await admin.faults(**chaos, seed=20261122 + attempt)
        try:
            run = await apply_command(
                [root], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path
            )
        except WebpushIacError:
            continue  # even the reads can fail past their retries: a pipeline just re-runs
        finally:
            await admin.faults(fail_rate=0, drop_rate=0)  # look without the dice
            counts = await names(admin)
            assert all(n == 1 for n in counts.values()), counts  # never a duplicate
        if run.result.ok:
            converged = True
            break
    assert converged
    assert await names(admin) == Counter({f"iac_s{i}": 1 for i in range(8)})
    final = await plan_command([root], target=target_for(emulator_app), environ=ENV)
    assert not final.plan.has_mutations
