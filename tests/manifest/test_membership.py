"""Device and Tag documents → known devices, desired tags and aliases (design §3.4)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import run_cli
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


# --- members files: only regular files inside the manifest tree, read line by line -------------

CANARY = "Zq9canaryTOKEN77"  # a one-token file: would pass as a registration id


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../secret.txt", "is outside the manifest tree"),
        ("lists/../../secret.txt", "is outside the manifest tree"),
        ("link.txt", "is outside the manifest tree"),
        ("{secret}", "is an absolute path"),
        ("lists", "is not a regular file"),
    ],
)
def test_a_members_file_outside_the_tree_is_refused_without_reading_it(
    tmp_path: Path, name: str, reason: str
) -> None:
    tree = tmp_path / "tree"
    (tree / "lists").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY + "\n", encoding="utf-8")
    (tree / "link.txt").symlink_to(secret)
    members_file = name.format(secret=secret)
    found = problems(tree, tag("beta", f"{{members_file: '{members_file}'}}"))
    assert len(found) == 1
    assert found[0].startswith("9:8: spec.members_file: ")
    assert reason in found[0]
    assert CANARY not in found[0]


def test_a_members_file_may_be_anywhere_inside_the_tree(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "beta.txt").write_text(f"{A}\n", encoding="utf-8")
    (tmp_path / "beta-link.txt").symlink_to(tmp_path / "lists" / "beta.txt")
    (tmp_path / "tags").mkdir()
    (tmp_path / "tags" / "beta.yaml").write_text(
        tag("beta", "{members_file: ../lists/beta.txt}")
        + "---\n"
        + tag("gamma", "{members_file: ../beta-link.txt}"),
        encoding="utf-8",
    )
    state = load(tmp_path)
    assert state.devices[A].tags == {"beta", "gamma"}


def test_invalid_member_lines_are_located_without_echoing_them(tmp_path: Path) -> None:
    lines = [A.encode(), f"{CANARY} with spaces".encode(), b"\xff\xfe", b"x" * 5000]
    (tmp_path / "m.txt").write_bytes(b"\n".join(lines))
    found = problems(tmp_path, tag("beta", "{members_file: m.txt}"))
    assert found == [
        "2:1: : is not a valid registration id (letters, digits, '_', '.', ':', '-'; at most 128)",
        "3:1: : is not UTF-8 text",
        "4:1: : line is longer than 4,096 bytes",
    ]
    assert not [p for p in found if CANARY in p]


def test_repeated_invalid_lines_are_reported_ten_times_then_counted(tmp_path: Path) -> None:
    bad = "\n".join(f"bad id {i}" for i in range(25))
    (tmp_path / "m.txt").write_text(f"{A}\n{bad}\n", encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load(tmp_path, tag("beta", "{members_file: m.txt}"))
    shown = [str(p) for p in caught.value.problems]
    assert len(shown) == 11
    assert shown[0].startswith("m.txt:2:1: is not a valid registration id")
    assert shown[9].startswith("m.txt:11:1: ")
    assert shown[10] == "m.txt:12:1: ... and 15 more invalid lines in m.txt (from this line on)"


def _bounded_validate(cwd: Path) -> subprocess.CompletedProcess[str]:
    """``validate`` in a child with 2 GiB of address space and a minute: without the file gate,
    reading /dev/zero eats memory and a FIFO blocks, and neither may take the test run down."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "webpush_iac", "validate", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=limit,
    )


def test_a_fifo_or_device_as_members_file_neither_hangs_nor_leaks(tmp_path: Path) -> None:
    (tmp_path / "webpush-iac.yaml").write_text(
        "---\n".join(
            [
                PROJECT,
                tag("pipe", "{members_file: pipe.txt}"),
                tag("zero", "{members_file: zero.txt}"),
                tag("device", "{members_file: /dev/zero}"),
                tag("stdin", "{members_file: /dev/stdin}"),
            ]
        ),
        encoding="utf-8",
    )
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    done = _bounded_validate(tmp_path)
    assert done.returncode == 1, done.stderr
    assert "pipe.txt is not a regular file" in done.stderr
    assert "zero.txt is outside the manifest tree" in done.stderr
    assert "/dev/zero is an absolute path" in done.stderr
    assert "/dev/stdin is an absolute path" in done.stderr


def test_plan_never_sends_or_prints_the_content_of_a_file_outside_the_tree(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "machine-id").write_text(CANARY + "\n", encoding="utf-8")
    (tree / "webpush-iac.yaml").write_text(
        "---\n".join([PROJECT, tag("beta", "{members_file: ../machine-id}")]), encoding="utf-8"
    )
    done = run_cli(tree, "plan", "--emulator", "--format", "markdown", ".")
    assert done.returncode == 1
    assert "machine-id is outside the manifest tree" in done.stderr
    assert CANARY not in done.stdout + done.stderr
