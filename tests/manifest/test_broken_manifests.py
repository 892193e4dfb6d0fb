"""Every broken fixture under tests/manifest/fixtures fails with exactly the problems it declares.

The expectations are the fixtures' own ``# expect:`` lines (:mod:`support.broken_manifests`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.broken_manifests import FIXTURES, broken_fixtures, expected_problems
from support.constants import REPO
from support.manifests import NOW

from webpush_iac import manifest
from webpush_iac.errors import ManifestError


def test_every_bad_case_of_the_issue_has_a_fixture() -> None:
    names = {p.stem for p in broken_fixtures()}
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


@pytest.mark.parametrize("fixture", broken_fixtures(), ids=lambda p: p.stem)
def test_fixture_fails_with_exactly_its_declared_problems(
    fixture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    expected = expected_problems(fixture)
    assert expected, f"{fixture.name} declares no '# expect:' lines"
    with pytest.raises(ManifestError) as caught:
        manifest.load([fixture.relative_to(REPO)], now=NOW)
    assert [str(p) for p in caught.value.problems] == expected


def test_literal_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    with pytest.raises(ManifestError) as caught:
        manifest.load([FIXTURES / "literal_secret.yaml"], now=NOW)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value.problems)
