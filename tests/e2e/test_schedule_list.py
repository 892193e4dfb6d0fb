"""A malformed schedule list fails the plan, and apply sends nothing, instead of creating again."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from starlette.applications import Starlette
from support.constants import ENV
from support.e2e import target_for
from support.emulator import Admin, AnswerMatching, mutating
from support.manifests import project_yaml, single_schedule, write_tree

from webpush_iac.commands.operations import apply_command, plan_command
from webpush_iac.errors import ClientError

NAMES = ("a", "b", "c", "d", "e")
LIVE = {"schedule_id": "x", "name": "iac_a"}
# The shapes an attack run found read as "no schedules": every apply then created all five again.
SHAPES = {
    "empty object": b"{}",
    "bare success": b"success",
    "renamed key": json.dumps({"total_count": 5, "total_pages": 1, "items": [LIVE]}).encode(),
    "count without items": json.dumps(
        {"total_count": 5, "total_pages": 1, "schedules": []}
    ).encode(),
    "count only": b'{"total_count": 5}',
    "null": b"null",
}


def manifests(tmp_path: Path) -> Path:
    files = {"webpush-iac.yaml": project_yaml()}
    files.update({f"{n}.yaml": single_schedule(n) for n in NAMES})
    return write_tree(tmp_path / "m", files)


@pytest.mark.parametrize("body", SHAPES.values(), ids=SHAPES.keys())
async def test_a_malformed_schedule_list_fails_plan_and_apply_sends_nothing(
    tmp_path: Path, emulator_app: Starlette, body: bytes
) -> None:
    admin = Admin(emulator_app)
    root = manifests(tmp_path)
    first = await apply_command(
        [root], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path
    )
    assert first.result.ok
    since = await admin.mark()
    broken = AnswerMatching(emulator_app, "GET", "/v4/schedules", body)

    with pytest.raises(ClientError, match="schedule list"):
        await plan_command([root], target=target_for(broken), environ=ENV)
    with pytest.raises(ClientError, match="schedule list"):
        await apply_command([root], target=target_for(broken), environ=ENV, journal_dir=tmp_path)

    assert broken.hits >= 2
    assert mutating(await admin.requests(since)) == []
    assert Counter(s["name"] for s in await admin.schedules()) == {f"iac_{n}": 1 for n in NAMES}
