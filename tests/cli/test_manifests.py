"""The validate, render and schema commands as users and CI scripts see them (exit codes, output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.broken_manifests import FIXTURES, broken_fixtures, expected_problems
from support.constants import EXAMPLES, REPO
from support.manifests import head

from webpush_iac import manifest
from webpush_iac.cli import cli

SECRET = "hunter2-very-secret"  # the literal in tests/manifest/fixtures/literal_secret.yaml


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_validate_every_example_directory_exits_zero() -> None:
    # the shell's examples/*: every example project is checked on its own
    paths = sorted(str(p.relative_to(REPO)) for p in EXAMPLES.iterdir() if p.is_dir())
    result = run("validate", *paths)
    assert result.exit_code == 0, result.stderr
    assert "ok: 9 documents (1 Project, 2 Templates, 3 Schedules, 2 Devices, 1 Tag)" in (
        result.stdout
    )
    assert "in examples/news_site" in result.stdout


def test_validate_defaults_to_the_current_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "quickstart")
    result = run("validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 9 documents")


@pytest.mark.parametrize("fixture", broken_fixtures(), ids=lambda p: p.stem)
def test_broken_fixture_exits_one_with_its_exact_locations(fixture: Path) -> None:
    expected = expected_problems(fixture)
    result = run("validate", str(fixture.relative_to(REPO)))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected
    assert lines[-1] == f"error: {len(expected)} problem{'s' if len(expected) > 1 else ''} found"
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_validate_reports_problems_of_every_file_at_once(tmp_path: Path) -> None:
    for name in ("bad_time_format", "hyphen_schedule_name"):
        text = (FIXTURES / f"{name}.yaml").read_text(encoding="utf-8")
        (tmp_path / f"{name}.yaml").write_text(text.split("---", 1)[1], encoding="utf-8")
    (tmp_path / "webpush-iac.yaml").write_text(head("Project", "p"), encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "error: 2 problems found" in result.stderr
    assert "bad_time_format.yaml:8:7: spec.trigger.single.time" in result.stderr
    assert "hyphen_schedule_name.yaml:5:3: metadata.name" in result.stderr


def test_validate_json_lists_problems_as_objects() -> None:
    result = run("validate", "--format", "json", "tests/manifest/fixtures/variable_problems.yaml")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["problems"][1] == {
        "file": "tests/manifest/fixtures/variable_problems.yaml",
        "line": 23,
        "col": 12,
        "path": "spec.push.vars.editon",
        "message": "is not a variable of template 'digest' nor of the Project's vars",
    }


def test_validate_json_on_success_counts_documents() -> None:
    result = run("validate", "--format", "json", "examples/quickstart")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["documents"] == 9
    assert report["counts"]["Schedule"] == 3
    assert report["problems"] == []


def test_validate_prints_size_warnings_but_passes(tmp_path: Path) -> None:
    (tmp_path / "webpush-iac.yaml").write_text(
        head("Project", "p") + "---\n" + head("Schedule", "long_read") + "spec:\n"
        "  trigger: {single: {time: '2027-01-15 09:00:00'}}\n"
        "  push:\n    to: all\n"
        "    notification: {alert: \"{{ 'word ' * 500 }}\", url: 'https://example.com'}\n",
        encoding="utf-8",
    )
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0
    assert "warning: " in result.stderr
    assert "browsers may cut it off" in result.stderr


def test_secret_never_appears_even_with_debug() -> None:
    for fmt in ("text", "json"):
        result = run(
            "validate", "--debug", "--format", fmt, "tests/manifest/fixtures/literal_secret.yaml"
        )
        assert result.exit_code == 1
        assert SECRET not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_missing_path_is_a_problem_not_a_crash() -> None:
    result = run("validate", "no/such/dir")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "no/such/dir: no such file or directory"


def test_render_json_is_the_api_body_of_each_schedule() -> None:
    result = run("render", "--format", "json", "examples/quickstart")
    assert result.exit_code == 0, result.stderr
    rendered = json.loads(result.stdout)
    state = manifest.load(["examples/quickstart"])
    assert rendered == {name: s.api_body() for name, s in state.schedules.items()}
    assert rendered["weekly_digest"]["name"] == "iac_weekly_digest"
    assert rendered["weekly_digest"]["push"]["body"]["platform"] == "web"


def test_render_yaml_reads_back_to_the_same_payload() -> None:
    from ruamel.yaml import YAML

    as_yaml = run("render", "examples/news_site")
    as_json = run("render", "--format", "json", "examples/news_site")
    assert as_yaml.exit_code == 0, as_yaml.stderr
    assert YAML(typ="safe", pure=True).load(as_yaml.stdout) == json.loads(as_json.stdout)


def test_render_of_invalid_manifests_exits_one() -> None:
    result = run("render", "tests/manifest/fixtures/undefined_variable.yaml")
    assert result.exit_code == 1
    assert "uses undeclared variable 'editon'" in result.stderr


def test_schema_command_writes_one_schema_per_kind_and_a_combined_one(tmp_path: Path) -> None:
    result = run("schema", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "device.schema.json",
        "manifest.schema.json",
        "project.schema.json",
        "schedule.schema.json",
        "tag.schema.json",
        "template.schema.json",
    ]
    combined = json.loads((tmp_path / "out" / "manifest.schema.json").read_text(encoding="utf-8"))
    assert len(combined["oneOf"]) == 5


def test_schema_command_reports_an_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = run("schema", "--out", str(blocker / "sub"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write schemas to")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ edition | nosuchfilter }}", "template uses unknown filter 'nosuchfilter'"),
        ("{% if x is nosuchtest %}y{% endif %}", "template uses unknown test 'nosuchtest'"),
    ],
)
@pytest.mark.parametrize("command", [["validate"], ["render"], ["plan", "--emulator"]])
def test_unknown_filter_or_test_is_a_located_error_in_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], text: str, message: str
) -> None:
    (tmp_path / "webpush-iac.yaml").write_text(
        head("Project", "p")
        + "spec: {vars: {edition: May, x: 1}}\n---\n"
        + head("Schedule", "s")
        + "spec:\n  trigger: {single: {time: '2027-01-15 09:00:00'}}\n  push:\n    to: all\n"
        + f"    notification: {{alert: '{text}', url: 'https://example.com'}}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = run(*command, ".")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"webpush-iac.yaml:13:20: spec.push.notification.alert: {message}" in result.stderr
