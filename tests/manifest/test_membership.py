"""Device and Tag documents → known devices, desired tags and aliases (design §3.4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.manifests import NOW, head

from webpush_iac import manifest
from webpush_iac.errors import ManifestError
from webpush_iac.state import DesiredState, TagPolicy

PROJECT = head("Project", "p") + "spec: {tags: {managed: ['topic_*']}}\n"
A, B, C, D = "1a0018970a5c6c1", "160a3797c8f4e2b", "171976fa8a8d5e7", "0d4a2e6b8c1f5a9"


def device(label: str, rid: str, extra: str = "") -> str:
    return head("Device", label) + f"spec: {{registration_id: '{rid}'{extra}}}\n"


def tag(name: str, spec: str) -> str:
    return head("Tag", name) + f"spec: {spec}\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # locations are shown relative to the working directory


def load(tmp_path: Path, *docs: str) -> DesiredState:
    (tmp_path / "webpush-iac.yaml").write_text("---\n".join([PROJECT, *docs]), encoding="utf-8")
    return manifest.load([tmp_path], now=NOW)


def problems(tmp_path: Path, *docs: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load(tmp_path, *docs)
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


def test_known_devices_are_every_id_any_document_names(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        device("laptop", A, ", tags: [qa]"),
        tag("beta", f"{{members: ['{B}'], remove: ['{C}']}}"),
    )
    assert sorted(state.devices) == sorted([A, B, C])
    assert state.devices[A].tags == {"qa"}
    assert state.devices[A].labels == ("laptop",)
    assert state.devices[B].tags == {"beta"}
    assert state.devices[B].labels == ()
    assert state.devices[C].tags == frozenset()
    assert state.devices[C].forbidden_tags == {"beta"}


def test_desired_tags_are_device_tags_plus_tags_listing_the_device(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        device("laptop", A, ", tags: [qa, beta]"),
        tag("beta", f"{{members: ['{A}']}}"),
        tag("news", f"{{mode: additive, members: ['{A}']}}"),
    )
    assert state.devices[A].tags == {"qa", "beta", "news"}


def test_managed_tags_and_their_modes(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        device("laptop", A, ", tags: [qa, news]"),
        tag("news", f"{{mode: additive, members: ['{B}']}}"),
    )
    assert {name: policy.mode for name, policy in state.tags.items()} == {
        "news": "additive",  # the Tag document decides, even though a Device lists it
        "qa": "exact",  # only in Devices' tags: exact
    }
    assert isinstance(state.tags["qa"], TagPolicy)
    assert state.is_managed_tag("topic_sport")  # Project.spec.tags.managed glob
    assert state.is_exact_tag("topic_sport")
    assert not state.is_managed_tag("sdk_set_tag")
    assert not state.is_exact_tag("news")


def test_alias_bind_remove_and_leave_alone(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        device("a", A, ", alias: anna"),
        device("b", B, ", alias: ''"),
        device("c", C),
    )
    assert [state.devices[rid].alias for rid in (A, B, C)] == ["anna", "", None]


def test_empty_alias_may_appear_on_many_devices(tmp_path: Path) -> None:
    load(tmp_path, device("a", A, ", alias: ''"), device("b", B, ", alias: ''"))


def test_a_device_is_declared_once(tmp_path: Path) -> None:
    found = problems(tmp_path, device("laptop", A), device("laptop_again", A))
    assert found == [
        "14:8: spec.registration_id: is already declared by Device 'laptop' "
        "(webpush-iac.yaml:6:1); declare each device once"
    ]


def test_a_device_cannot_be_both_member_and_removed_from_one_tag(tmp_path: Path) -> None:
    found = problems(tmp_path, tag("beta", f"{{members: ['{A}'], remove: ['{A}']}}"))
    assert found == ["9:47: spec.remove[0]: is also a member of this tag"]


def test_a_tag_a_device_is_given_cannot_also_be_removed_from_it(tmp_path: Path) -> None:
    found = problems(
        tmp_path, device("laptop", A, ", tags: [beta]"), tag("beta", f"{{remove: ['{A}']}}")
    )
    assert found == [
        f"14:17: spec.remove[0]: device {A} is also given tag 'beta' (by a Device or a members "
        "list); it cannot both carry the tag and be removed from it"
    ]


def test_per_device_tag_limit_counts_every_declaration(tmp_path: Path) -> None:
    tags = [tag(f"t{i}", f"{{members: ['{A}']}}") for i in range(100)]
    found = problems(tmp_path, device("laptop", A, ", tags: [extra]"), *tags)
    assert found == [
        f"9:44: spec.tags: device {A} is given 101 tags over all declarations; a device may carry at most 100"
    ]


def test_members_file_is_read_relative_to_its_manifest(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "beta.txt").write_text(
        f"# testers\n{A}\n\n  {B}  # Ben\n", encoding="utf-8"
    )
    state = load(tmp_path, tag("beta", "{members_file: lists/beta.txt}"))
    assert state.devices[B].tags == {"beta"}
    assert str(state.devices[B].source) == "lists/beta.txt:4:3"


def test_large_member_lists_load(tmp_path: Path) -> None:
    ids = [f"1b{i:013x}" for i in range(10_000)]
    (tmp_path / "all.txt").write_text("\n".join(ids), encoding="utf-8")
    members = "[" + ", ".join(f"'1c{i:013x}'" for i in range(10_000)) + "]"
    state = load(
        tmp_path,
        tag("file_tag", "{members_file: all.txt}"),
        tag("list_tag", f"{{members: {members}}}"),
    )
    assert len(state.devices) == 20_000
    assert state.devices[ids[-1]].tags == {"file_tag"}
