"""Issue 10's "tried as a new user would" cases, end to end against the emulator, in process and
over a socket, under each of the emulator's readings of the guessed lifecycle rules.

The manifests are checked against the real clock (a time at most a year ahead), the planner judges
by the server's clock: each test writes times relative to now, applies, then moves the emulator
clock into the moment that matters. The invariant under every reading: a listed task gets its
correction, an absent one is never re-created, and nothing is dropped without a word.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.e2e import MODES, READINGS, ClockJump, Rig, rig
from support.git import commit, init
from support.manifests import project_yaml, schedule, to_yaml, write_tree

from webpush_iac.plan import Change, Plan

START = datetime.now(UTC).replace(second=0, microsecond=0)
W = START + timedelta(days=2)  # the wall-clock time the schedules name
# zone_type 2: W has passed in UTC+14 (at W - 14 h UTC) but not in UTC-12 (W + 12 h UTC).
IN_ZONE2_WINDOW = W - timedelta(hours=13)


def wall(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def schedule_doc(name: str, trigger: dict[str, Any], alert: str = "Hello", **meta: str) -> str:
    doc = schedule(
        name,
        trigger=trigger,
        push={"to": "all", "notification": {"alert": alert, "url": "https://e.x/page"}},
    )
    doc["metadata"].update(meta)
    return to_yaml(doc)


def tree(root: Path, *schedules: str, prune: bool = False) -> Path:
    files: dict[str, str] = {"webpush-iac.yaml": project_yaml(prune=prune)}
    files.update({f"s{i}.yaml": text for i, text in enumerate(schedules)})
    return write_tree(root, files)


def only(plan: Plan, address: str) -> Change:
    found = [c for c in plan.changes if c.address == address]
    assert len(found) == 1, [(c.address, c.action) for c in plan.changes]
    return found[0]


async def live_names(r: Rig) -> list[str]:
    return sorted(s["name"] for s in await r.admin.schedules())


async def listed(r: Rig, name: str) -> dict[str, Any] | None:
    found = [s for s in await r.admin.schedules() if s["name"] == name]
    assert len(found) <= 1, found  # never a second copy
    return found[0] if found else None


async def converge(r: Rig, root: Path, tmp: Path) -> Plan:
    """Apply, then the plan that follows: it must have nothing left to send."""
    run = await r.apply(root, tmp / "journal")
    assert run.result.ok, run.result.to_data()
    again = await r.plan(root)
    assert not again.has_mutations, [(c.address, c.action) for c in again.changes if c.mutating]
    return again


def alert_of(task: dict[str, Any]) -> str:
    return str(task["push"]["body"]["notification"]["web"]["alert"])


pytestmark = pytest.mark.parametrize("mode", MODES)
readings = pytest.mark.parametrize("reading", sorted(READINGS))


@readings
async def test_a_listed_zone_type_2_single_past_utc_plus_14_gets_its_correction(
    mode: str, reading: str, tmp_path: Path
) -> None:
    trigger = {"single": {"time": wall(W), "zone_type": 2}}
    with rig(mode, **READINGS[reading]) as r:
        root = tree(tmp_path / "m", schedule_doc("local", trigger, alert="Helo"))
        await converge(r, root, tmp_path)
        await r.admin.set_now(wall(IN_ZONE2_WINDOW))
        tree(root, schedule_doc("local", trigger, alert="Hello"))
        plan = await r.plan(root)
        change = only(plan, "schedule/local")
        if await listed(r, "iac_local") is not None:
            assert change.action == "update"
            assert plan.errors == []
            await converge(r, root, tmp_path)
            task = await listed(r, "iac_local")
            assert task is not None
            assert alert_of(task) == "Hello"
        else:  # this reading took it off the list when it fired: never re-created
            assert change.action == "fired"
            assert [w.code for w in plan.warnings] == ["past_absent_unknown"]
            assert not plan.has_mutations
        assert await live_names(r) in ([], ["iac_local"])


@readings
async def test_a_listed_zone_type_2_periodical_past_its_end_in_utc_plus_14_gets_its_correction(
    mode: str, reading: str, tmp_path: Path
) -> None:
    block = {
        "start": wall(START + timedelta(hours=1)),
        "end": wall(W),
        "time": "00:30:00",
        "time_unit": "day",
        "zone_type": 2,
    }
    with rig(mode, **READINGS[reading]) as r:
        root = tree(tmp_path / "m", schedule_doc("daily", {"periodical": block}, alert="Helo"))
        await converge(r, root, tmp_path)
        await r.admin.set_now(wall(IN_ZONE2_WINDOW))
        tree(root, schedule_doc("daily", {"periodical": block}, alert="Hello"))
        plan = await r.plan(root)
        change = only(plan, "schedule/daily")
        if await listed(r, "iac_daily") is not None:
            assert change.action == "update"
            await converge(r, root, tmp_path)
            task = await listed(r, "iac_daily")
            assert task is not None
            assert alert_of(task) == "Hello"
        else:
            assert change.action == "expired"
            assert not plan.has_mutations


@readings
async def test_a_new_zone_type_2_single_declared_in_the_window_is_never_dropped_silently(
    mode: str, reading: str, tmp_path: Path
) -> None:
    repo = init(tmp_path / "repo")
    base = commit(repo, {"webpush-iac.yaml": project_yaml()}, "empty project")
    trigger = {"single": {"time": wall(W), "zone_type": 2}}
    with rig(mode, **READINGS[reading]) as r:
        await r.admin.set_now(wall(IN_ZONE2_WINDOW))
        tree(repo, schedule_doc("local", trigger))
        with_baseline = await r.plan(repo, baseline=base)
        assert only(with_baseline, "schedule/local").action == "missed"
        assert [p.address for p in with_baseline.errors] == ["schedule/local"]
        assert "would never be sent" in with_baseline.errors[0].message
        without = await r.plan(repo)
        assert [(w.address, w.code) for w in without.warnings] == [
            ("schedule/local", "past_absent_unknown")
        ]
        assert not without.has_mutations


@readings
async def test_an_intelligent_task_past_its_backup_time_is_drift_while_the_api_lists_it(
    mode: str, reading: str, tmp_path: Path
) -> None:
    trigger = {"intelligent": {"backup_time": wall(W)}}
    with rig(mode, **READINGS[reading]) as r:
        root = tree(tmp_path / "m", schedule_doc("smart", trigger, alert="Helo"))
        await converge(r, root, tmp_path)
        await r.admin.set_now(wall(W + timedelta(hours=1)))
        tree(root, schedule_doc("smart", trigger, alert="Hello"))
        report = await r.audit(root)
        if await listed(r, "iac_smart") is not None:
            assert [c.address for c in report.drift] == ["schedule/smart"]
            await converge(r, root, tmp_path)
            task = await listed(r, "iac_smart")
            assert task is not None
            assert alert_of(task) == "Hello"
        else:
            assert not report.has_drift
            assert [c.address for c in report.fired] == ["schedule/smart"]
            assert not (await r.plan(root)).has_mutations


async def test_a_new_single_already_past_is_a_plan_error_with_a_baseline_and_warned_without(
    mode: str, tmp_path: Path
) -> None:
    repo = init(tmp_path / "repo")
    base = commit(repo, {"webpush-iac.yaml": project_yaml()}, "empty project")
    past = {"single": {"time": wall(START - timedelta(days=1))}}
    with rig(mode) as r:
        tree(repo, schedule_doc("launch", past))
        plan = await r.plan(repo, baseline=base)
        (problem,) = plan.errors
        assert problem.address == "schedule/launch"
        assert "move the time forward or remove the document" in problem.message
        unknown = await r.plan(repo)
        assert unknown.errors == []
        assert [w.code for w in unknown.warnings] == ["past_absent_unknown"]
        assert await live_names(r) == []


async def test_renamed_from_renames_the_live_task_with_one_put_and_no_second_copy(
    mode: str, tmp_path: Path
) -> None:
    trigger = {"single": {"time": wall(W)}}
    with rig(mode) as r:
        root = tree(tmp_path / "m", schedule_doc("digest", trigger))
        await converge(r, root, tmp_path)
        (before,) = await r.admin.schedules()
        tree(root, schedule_doc("weekly", trigger, renamed_from="digest"))
        plan = await r.plan(root)
        change = only(plan, "schedule/weekly")
        assert (change.action, change.renamed_from) == ("update", "digest")
        mark = await r.admin.mark()
        await converge(r, root, tmp_path)
        writes = [(e["method"], e["path"]) for e in await r.admin.requests(mark)]
        writes = [w for w in writes if w[0] != "GET"]
        assert writes == [("PUT", f"/v4/schedules/{before['schedule_id']}")]
        (after,) = await r.admin.schedules()
        assert (after["schedule_id"], after["name"]) == (before["schedule_id"], "iac_weekly")


async def test_a_rename_without_renamed_from_warns_that_both_copies_will_send(
    mode: str, tmp_path: Path
) -> None:
    trigger = {"single": {"time": wall(W)}}
    with rig(mode) as r:
        root = tree(tmp_path / "m", schedule_doc("digest", trigger))
        await converge(r, root, tmp_path)
        tree(root, schedule_doc("weekly", trigger))
        plan = await r.plan(root)
        assert only(plan, "schedule/digest").action == "orphan"
        (warning,) = plan.warnings
        assert (warning.address, warning.code) == ("schedule/weekly", "likely_rename")
        assert "both copies will send" in warning.message


async def test_a_device_the_api_does_not_know_holds_back_nothing_else(
    mode: str, tmp_path: Path
) -> None:
    with rig(mode) as r:
        await r.admin.devices({"registration_id": "rid_known"})
        root = write_tree(
            tmp_path / "m",
            {
                "webpush-iac.yaml": project_yaml(),
                "s.yaml": schedule_doc("launch", {"single": {"time": wall(W)}}),
                "tags.yaml": to_yaml(
                    {
                        "apiVersion": "webpush-iac/v1",
                        "kind": "Tag",
                        "metadata": {"name": "beta"},
                        "spec": {"members": ["rid_known", "rid_churned"]},
                    }
                ),
            },
        )
        plan = await r.plan(root)
        assert plan.errors == []
        assert [(w.address, w.code) for w in plan.warnings] == [
            ("device/rid_churned", "unknown_device")
        ]
        await converge(r, root, tmp_path)
        assert await live_names(r) == ["iac_launch"]
        assert (await r.admin.device("rid_known"))["tags"] == ["beta"]


async def test_an_update_that_arrives_after_the_task_fired_says_so_and_a_replan_converges(
    mode: str, tmp_path: Path
) -> None:
    soon = {"single": {"time": wall(W)}}
    with rig(mode) as r:
        root = tree(tmp_path / "m", schedule_doc("launch", soon, alert="Helo"))
        await converge(r, root, tmp_path)
        later = {"single": {"time": wall(W + timedelta(days=1))}}
        tree(root, schedule_doc("launch", soon, alert="Hello"), schedule_doc("other", later))
        base = r.base_url

        def jump(inner: Any) -> ClockJump:
            return ClockJump(inner, base, "PUT", wall(W + timedelta(minutes=1)))

        run = await r.apply(root, tmp_path / "journal", wrap=jump)
        (failed,) = run.result.failed
        assert failed.address == "schedule/launch"
        assert "fired before the update reached it" in failed.error
        assert [o.address for o in run.result.done] == ["schedule/other"]
        again = await r.plan(root)
        assert only(again, "schedule/launch").action == "fired"
        assert not again.has_mutations
        assert await live_names(r) == ["iac_other"]


async def test_a_create_that_arrives_after_its_time_says_it_will_never_be_sent(
    mode: str, tmp_path: Path
) -> None:
    with rig(mode) as r:
        root = tree(tmp_path / "m", schedule_doc("launch", {"single": {"time": wall(W)}}))
        base = r.base_url

        def jump(inner: Any) -> ClockJump:
            return ClockJump(inner, base, "POST", wall(W + timedelta(minutes=1)))

        run = await r.apply(root, tmp_path / "journal", wrap=jump)
        (failed,) = run.result.failed
        assert "its time passed before the create reached the API" in failed.error
        assert await live_names(r) == []
        again = await r.plan(root)
        assert [w.code for w in again.warnings] == ["past_absent_unknown"]
        assert not again.has_mutations


async def test_a_prune_delete_of_a_task_that_fired_meanwhile_counts_as_done(
    mode: str, tmp_path: Path
) -> None:
    with rig(mode) as r:
        root = tree(tmp_path / "m", schedule_doc("old", {"single": {"time": wall(W)}}))
        await converge(r, root, tmp_path)
        tree(root, prune=True)
        base = r.base_url

        def jump(inner: Any) -> ClockJump:
            return ClockJump(inner, base, "DELETE", wall(W + timedelta(minutes=1)))

        run = await r.apply(root, tmp_path / "journal", wrap=jump)
        assert run.result.ok, run.result.to_data()
        (done,) = run.result.done
        assert "already left the list" in done.note
        assert not (await r.plan(root)).has_mutations
