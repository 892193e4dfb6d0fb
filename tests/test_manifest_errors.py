"""Every broken fixture under tests/manifests fails with exactly the problems it declares.

Each fixture ends with ``# expect:`` lines: the exact ``file:line:col: key.path: message`` text
users will see, ``{file}`` standing for the fixture and ``{dir}`` for its folder. Keeping the
expectation inside the fixture puts the broken line and the promised location side by side.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from webpush_iac import manifest
from webpush_iac.errors import ManifestError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "manifests"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
_EXPECT = re.compile(r"^# expect: (.*)$", re.MULTILINE)


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def expected_problems(fixture: Path) -> list[str]:
    rel = fixture.relative_to(ROOT).as_posix()
    lines = _EXPECT.findall(fixture.read_text(encoding="utf-8"))
    return [
        line.replace("{file}", rel).replace("{dir}", FIXTURES.relative_to(ROOT).as_posix())
        for line in lines
    ]


def test_every_bad_case_of_the_issue_has_a_fixture() -> None:
    names = {p.stem for p in _fixtures()}
    assert {
        "unknown_key",
        "bad_time_format",
        "time_past_year_limit",
        "bad_point_for_unit",
        "undefined_variable",
        "sandbox_escape",
        "duplicate_alias",
        "tag_41_bytes",
        "hyphen_schedule_name",
        "literal_secret",
        "missing_template",
        "duplicate_kind_name",
        "oversize_notification",
        "too_many_registration_ids",
    } <= names


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda p: p.stem)
def test_fixture_fails_with_exactly_its_declared_problems(
    fixture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    expected = expected_problems(fixture)
    assert expected, f"{fixture.name} declares no '# expect:' lines"
    with pytest.raises(ManifestError) as caught:
        manifest.load([fixture.relative_to(ROOT)], now=NOW)
    assert [str(p) for p in caught.value.problems] == expected


def test_literal_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with pytest.raises(ManifestError) as caught:
        manifest.load([FIXTURES / "literal_secret.yaml"], now=NOW)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value.problems)
