"""``--baseline``: the devices and schedules the manifests declared at another git commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.git import commit, git
from support.manifests import head

from webpush_iac import manifest
from webpush_iac.errors import ConfigError
from webpush_iac.manifest import baseline


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    return tmp_path


def test_ids_named_at_the_ref_are_returned_even_after_removal(repo: Path) -> None:
    old = commit(
        repo,
        {
            "infra/push/webpush-iac.yaml": head("Project", "p"),
            "infra/push/devices.yaml": head("Device", "d")
            + "spec: {registration_id: 'aaa111'}\n---\n"
            + head("Tag", "beta")
            + "spec: {members: [bbb222], remove: [ccc333], members_file: lists/../lists/beta.txt}\n",
            "infra/push/lists/beta.txt": "# testers\nddd444\nnot an id!\n",
            "infra/push/.hidden/x.yaml": head("Device") + "spec: {registration_id: eee555}\n",
            "other/devices.yaml": head("Device") + "spec: {registration_id: fff666}\n",
        },
        "old",
    )
    commit(repo, {"infra/push/devices.yaml": None}, "drop the devices")
    ids = manifest.baseline_registration_ids([repo / "infra" / "push"], old)
    assert ids == {"aaa111", "bbb222", "ccc333", "ddd444"}
    assert manifest.baseline_registration_ids([repo / "infra" / "push"], "HEAD") == set()


@pytest.mark.parametrize(
    "members_file",
    ["../outside.txt", "../../infra/outside.txt", "/etc/outside.txt", "a/../../outside.txt"],
)
def test_a_members_file_outside_the_manifest_tree_at_the_ref_names_no_devices(
    repo: Path, members_file: str
) -> None:
    old = commit(
        repo,
        {
            "infra/push/webpush-iac.yaml": head("Project", "p"),
            "infra/push/tags.yaml": head("Tag", "beta")
            + f"spec: {{members_file: '{members_file}'}}\n",
            "infra/outside.txt": "aaa111\n",
            "outside.txt": "bbb222\n",
        },
        "old",
    )
    assert manifest.baseline_registration_ids([repo / "infra" / "push"], old) == set()


def test_a_members_file_over_the_size_cap_at_the_ref_names_no_devices(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(baseline, "MAX_NAMED_FILE_BYTES", 1000)
    old = commit(
        repo,
        {
            "webpush-iac.yaml": head("Project", "p"),
            "tags.yaml": head("Tag", "beta")
            + "spec: {members_file: big.txt}\n---\n"
            + head("Tag", "gamma")
            + "spec: {members_file: small.txt}\n",
            "big.txt": "aaa111\n" + "# padding\n" * 200,
            "small.txt": "bbb222\n",
        },
        "old",
    )
    assert manifest.baseline_registration_ids([repo], old) == {"bbb222"}


def test_invalid_old_manifests_are_read_best_effort(repo: Path) -> None:
    ref = commit(
        repo,
        {
            "m.yaml": head("Device", metadata="{name: d, bogus: 1}")
            + "spec: {registration_id: 'aaa111', tags: 5}\n"
            "---\n: : broken yaml [\n",
        },
        "broken",
    )
    assert manifest.baseline_registration_ids([repo], ref) == {"aaa111"}


def test_unknown_ref_is_a_config_error(repo: Path) -> None:
    commit(repo, {"m.yaml": "kind: Tag\n"}, "one")
    with pytest.raises(ConfigError, match="unknown git revision 'no-such-branch'"):
        manifest.baseline_registration_ids([repo], "no-such-branch")
    with pytest.raises(ConfigError, match="is not a git revision"):
        manifest.baseline_registration_ids([repo], "--output=/tmp/x")


def test_a_path_outside_any_repository_is_a_config_error(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(ConfigError, match="baseline: git rev-parse failed"):
        manifest.baseline_registration_ids([outside], "HEAD")


def test_baseline_also_names_the_schedules_declared_at_the_ref_and_their_old_names(
    repo: Path,
) -> None:
    old = commit(
        repo,
        {
            "webpush-iac.yaml": head("Project", "p"),
            "schedules.yaml": head("Schedule", "launch")
            + "spec: {broken: true}\n---\n"
            + head("Schedule", metadata="{name: weekly, renamed_from: digest}")
            + "spec: {}\n---\n"
            + head("Template", "launch_tpl")
            + "spec: {}\n",
        },
        "old",
    )
    commit(repo, {"schedules.yaml": None}, "drop them")
    before = manifest.read_baseline([repo], old)
    assert before.schedules == {"launch", "weekly", "digest"}
    assert manifest.read_baseline([repo], "HEAD").schedules == frozenset()
