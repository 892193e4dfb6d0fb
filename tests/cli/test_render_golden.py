"""``render`` output of the examples, byte for byte: the payloads reviewers approve are what is sent.

A change to rendering shows up here as a diff of the golden files. After an intended change,
regenerate them with ``UPDATE_GOLDEN=1 python -m pytest tests/cli/test_render_golden.py`` and review
the diff like any other code change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.constants import REPO

from webpush_iac.cli import cli

GOLDEN = Path(__file__).parent / "golden"
CASES = [(example, fmt) for example in ("quickstart", "news_site") for fmt in ("yaml", "json")]


@pytest.mark.parametrize(("example", "fmt"), CASES, ids=[f"{e}.{f}" for e, f in CASES])
def test_render_output_matches_golden_file(
    example: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, ["render", "--format", fmt, f"examples/{example}"])
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"{example}.{fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")
