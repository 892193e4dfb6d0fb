"""One size rule for validator and emulator: the compact UTF-8 JSON of the push ``body``.

The validator errors past 4000 bytes and warns past 2048 (naming both vendor sources), and the
emulator, configured with its default ``max_message_bytes``, agrees on every byte: what validates
applies, what the validator refuses the emulator refuses too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from support.constants import ENV
from support.e2e import target_for
from support.manifests import project_yaml, single_schedule, write_tree

from webpush_iac.apispec import MAX_MESSAGE_BYTES, WARN_NOTIFICATION_BYTES
from webpush_iac.commands.operations import apply_command, plan_command
from webpush_iac.emulator import EmulatorConfig
from webpush_iac.emulator.payload import json_size as emulator_size
from webpush_iac.errors import ManifestError
from webpush_iac.manifest import load_report
from webpush_iac.manifest.bodychecks import json_size as validator_size

BODIES: list[dict[str, Any]] = [
    {"platform": "web", "notification": {"web": {"alert": "Hi", "url": "https://e.com"}}},
    {
        "platform": "web",
        "notification": {"web": {"alert": "七天，五篇值得一读的报道。🙂", "url": "https://e.com"}},
        "options": {"time_to_live": 60, "multi_language": {"fr": {"title": "Résumé"}}},
    },
    {"platform": "web", "message": {"msg_content": {"k": ["v", 1, None, True]}}},
]


@pytest.mark.parametrize("body", BODIES)
def test_validator_and_emulator_measure_a_body_to_the_same_byte(body: dict[str, Any]) -> None:
    assert validator_size(body) == emulator_size(body)


def test_emulator_limit_defaults_to_the_validators_error_limit() -> None:
    assert EmulatorConfig(app_key="k", master_secret="s").max_message_bytes == MAX_MESSAGE_BYTES


def tree(root: Path, alert: str) -> Path:
    return write_tree(
        root, {"webpush-iac.yaml": project_yaml(), "big.yaml": single_schedule("big", alert=alert)}
    )


def body_size(root: Path) -> int:
    rendered = load_report([root]).state.schedules["big"].push
    return validator_size(rendered["body"])


async def test_a_notification_between_the_two_figures_warns_then_applies(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    root = tree(tmp_path / "m", "x" * 2500)
    report = load_report([root])
    size = body_size(root)
    assert WARN_NOTIFICATION_BYTES < size <= MAX_MESSAGE_BYTES
    (warning,) = report.warnings
    assert f"is {size} bytes" in warning.message
    assert "Web Push skill" in warning.message
    assert str(WARN_NOTIFICATION_BYTES) in warning.message
    assert "Create Push doc" in warning.message
    assert str(MAX_MESSAGE_BYTES) in warning.message
    run = await apply_command(
        [root], target=target_for(emulator_app), environ=ENV, journal_dir=tmp_path / "j"
    )
    assert run.result.ok
    assert len(run.result.done) == 1
    again = await plan_command([root], target=target_for(emulator_app), environ=ENV)
    assert not again.plan.has_mutations


async def test_the_byte_past_the_limit_is_refused_by_both(
    tmp_path: Path, emulator_client: httpx.AsyncClient
) -> None:
    root = tree(tmp_path / "m", "x")
    room = MAX_MESSAGE_BYTES - body_size(root)
    tree(root, "x" * (1 + room))
    push = load_report([root]).state.schedules["big"].push
    assert validator_size(push["body"]) == MAX_MESSAGE_BYTES  # exactly at the limit: fine
    accepted = await emulator_client.post("/v4/push/validate", json=push)
    assert accepted.status_code == 200, accepted.text
    push["body"]["notification"]["web"]["alert"] += "x"
    refused = await emulator_client.post("/v4/push/validate", json=push)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, 21005)
    tree(root, "x" * (2 + room))
    with pytest.raises(ManifestError) as caught:
        load_report([root])
    (problem,) = caught.value.problems
    assert f"is {MAX_MESSAGE_BYTES + 1} bytes" in problem.message
