"""Which files make a manifest set: directory search, named files, project roots, shown paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.cli import run_cli
from support.manifests import NOW, head, write

from webpush_iac import manifest
from webpush_iac.errors import ManifestError

PROJECT = head("Project", "p")


def problems_of(paths: list[Path]) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        manifest.load(paths, now=NOW)
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


def test_directory_search_skips_hidden_dirs_and_non_manifest_yaml(tmp_path: Path) -> None:
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    write(tmp_path, ".github/workflows/plan.yml", "kind: broken\n")
    write(tmp_path, "docker-compose.yml", "services: {web: {image: nginx}}\n")
    write(
        tmp_path,
        "nested/more/tag.yml",
        head("Tag", "beta"),
    )
    result = manifest.load_report([tmp_path], now=NOW)
    assert result.counts["Tag"] == 1
    assert result.documents == 2


def test_a_named_file_is_read_even_if_it_does_not_look_like_a_manifest(tmp_path: Path) -> None:
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    other = write(tmp_path, "compose.yml", "services: {}\n")
    assert problems_of([tmp_path / "webpush-iac.yaml", other]) == [
        "1:1: kind: is required (one of Project, Template, Schedule, Device, Tag)"
    ]


def test_a_directory_without_manifests_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError) as caught:
        manifest.load([tmp_path / "empty"], now=NOW)
    assert [p.message for p in caught.value.problems] == ["no manifest files found"]


def test_group_paths_keeps_each_project_root_separate(tmp_path: Path) -> None:
    write(tmp_path, "a/webpush-iac.yaml", PROJECT)
    write(tmp_path, "b/webpush-iac.yml", PROJECT)
    write(tmp_path, "ci/plan.yml", "jobs: {}\n")
    groups = manifest.group_paths([tmp_path / "a", tmp_path / "b", tmp_path / "ci"])
    assert groups == [[str(tmp_path / "a")], [str(tmp_path / "b")]]
    loose = write(tmp_path, "loose/s.yaml", "kind: Tag\n")
    groups = manifest.group_paths([tmp_path / "a", tmp_path / "b", loose.parent])
    assert groups[-1] == [str(loose.parent)]


def test_one_project_spread_over_several_paths_is_one_set(tmp_path: Path) -> None:
    write(tmp_path, "a/webpush-iac.yaml", PROJECT)
    extra = write(tmp_path, "more/tag.yaml", "kind: Tag\n")
    assert manifest.group_paths([tmp_path / "a", extra]) == [[str(tmp_path / "a"), str(extra)]]


def test_paths_are_shown_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "sub/webpush-iac.yaml", PROJECT + "spec: {regoin: hk}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as caught:
        manifest.load([tmp_path / "sub"], now=NOW)
    assert str(caught.value.problems[0]) == (
        "sub/webpush-iac.yaml:4:8: spec.regoin: unknown key (did you mean 'region'?)"
    )


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "webpush-iac.yaml").write_bytes(b"kind: Project\nname: \xff\xfe\n")
    with pytest.raises(ManifestError) as caught:
        manifest.load([tmp_path / "webpush-iac.yaml"], now=NOW)
    assert caught.value.problems[0].message == "is not UTF-8 text"


def test_a_fifo_among_the_manifests_is_reported_not_read(tmp_path: Path) -> None:
    """In a subprocess: reading a FIFO blocks until a writer comes, which would hang the run."""
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    os.mkfifo(tmp_path / "stuck.yaml")
    done = run_cli(tmp_path, "validate", ".")
    assert done.returncode == 1
    assert "stuck.yaml: is not a regular file" in done.stderr


DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"


def test_documents_of_another_apiversion_are_skipped_with_a_debug_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    write(tmp_path, "k8s/deployment.yaml", DEPLOYMENT)
    write(tmp_path, "mixed.yaml", DEPLOYMENT + "---\n" + head("Tag", "beta"))
    with caplog.at_level("DEBUG", logger="webpush_iac.manifest"):
        result = manifest.load_report([tmp_path], now=NOW)
    assert result.counts["Tag"] == 1
    assert result.documents == 2  # the Project and the Tag; the Deployments are not counted
    notes = [r.getMessage() for r in caplog.records if "skipped a document" in r.getMessage()]
    assert notes == [
        "mixed.yaml:1:1: skipped a document of apiVersion 'apps/v1' (not webpush-iac/v1)",
        "k8s/deployment.yaml:1:1: skipped a document of apiVersion 'apps/v1' (not webpush-iac/v1)",
    ]


def test_another_webpush_iac_version_is_still_an_error(tmp_path: Path) -> None:
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    write(tmp_path, "t.yaml", "apiVersion: webpush-iac/v2\nkind: Tag\nmetadata: {name: beta}\n")
    assert problems_of([tmp_path]) == ["1:1: apiVersion: must be 'webpush-iac/v1'"]


def test_a_manifest_in_json_syntax_is_read_and_located(tmp_path: Path) -> None:
    write(
        tmp_path,
        "webpush-iac.yaml",
        '{\n  "apiVersion": "webpush-iac/v1",\n  "kind": "Project",\n'
        '  "metadata": {"name": "j"},\n  "spec": {"region": "moon"}\n}\n',
    )
    write(
        tmp_path,
        "tag.yaml",
        '{"apiVersion": "webpush-iac/v1", "kind": "Tag", "metadata": {"name": "b"}}\n',
    )
    assert problems_of([tmp_path]) == ["5:12: spec.region: must be 'sgp' or 'hk'"]
    write(
        tmp_path,
        "webpush-iac.yaml",
        '{"apiVersion": "webpush-iac/v1", "kind": "Project", "metadata": {"name": "j"}}\n',
    )
    result = manifest.load_report([tmp_path], now=NOW)
    assert (result.counts["Project"], result.counts["Tag"]) == (1, 1)
