"""The gate for files a manifest names: regular files inside the manifest tree, under a size cap."""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePosixPath

import pytest

from webpush_iac.manifest import named_files
from webpush_iac.manifest.named_files import (
    CappedLines,
    Refused,
    contained,
    open_named_file,
    resolve_named_file,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``tmp/outside.txt`` beside ``tmp/tree/`` (the manifest tree) holding ``lists/a.txt``."""
    (tmp_path / "outside.txt").write_text("secret-token\n", encoding="utf-8")
    root = tmp_path / "tree"
    (root / "lists").mkdir(parents=True)
    (root / "lists" / "a.txt").write_text("aaa111\n", encoding="utf-8")
    return root


def reason(found: Path | Refused) -> str:
    assert isinstance(found, Refused), found
    return found.reason


def test_a_file_inside_the_tree_resolves_to_its_real_path(tree: Path) -> None:
    assert resolve_named_file(tree, tree, "lists/a.txt") == (tree / "lists" / "a.txt").resolve()
    assert (
        resolve_named_file(tree, tree / "lists", "../lists/./a.txt")
        == (tree / "lists" / "a.txt").resolve()
    )


@pytest.mark.parametrize("name", ["../outside.txt", "lists/../../outside.txt"])
def test_dot_dot_out_of_the_tree_is_refused(tree: Path, name: str) -> None:
    assert "is outside the manifest tree" in reason(resolve_named_file(tree, tree, name))


def test_an_absolute_path_is_refused_even_inside_the_tree(tree: Path) -> None:
    inside = str((tree / "lists" / "a.txt").resolve())
    assert "is an absolute path" in reason(resolve_named_file(tree, tree, inside))
    assert "is an absolute path" in reason(resolve_named_file(tree, tree, "/etc/machine-id"))


def test_a_symlink_is_judged_by_where_it_points(tree: Path) -> None:
    (tree / "out.txt").symlink_to(tree.parent / "outside.txt")
    (tree / "in.txt").symlink_to(tree / "lists" / "a.txt")
    (tree / "zero.txt").symlink_to("/dev/zero")
    assert "is outside the manifest tree" in reason(resolve_named_file(tree, tree, "out.txt"))
    assert "is outside the manifest tree" in reason(resolve_named_file(tree, tree, "zero.txt"))
    assert resolve_named_file(tree, tree, "in.txt") == (tree / "lists" / "a.txt").resolve()


def test_the_tree_itself_may_be_reached_through_a_symlink(tree: Path) -> None:
    link = tree.parent / "link"
    link.symlink_to(tree)
    assert resolve_named_file(link, link, "lists/a.txt") == (tree / "lists" / "a.txt").resolve()


def test_only_regular_files_may_be_read(tree: Path) -> None:
    os.mkfifo(tree / "pipe.txt")
    assert reason(resolve_named_file(tree, tree, "pipe.txt")) == "is not a regular file"
    assert reason(resolve_named_file(tree, tree, "lists")) == "is not a regular file"
    assert reason(resolve_named_file(tree, tree, "missing.txt")) == "does not exist"
    (tree / "loop").symlink_to(tree / "loop")
    assert "cannot be resolved" in reason(resolve_named_file(tree, tree, "loop"))


def test_a_file_over_the_size_cap_is_refused(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(named_files, "MAX_NAMED_FILE_BYTES", 4)
    assert reason(resolve_named_file(tree, tree, "lists/a.txt")) == "is larger than 4 bytes"


def test_open_yields_a_binary_file_or_the_refusal(tree: Path) -> None:
    with open_named_file(tree, tree, "lists/a.txt") as found:
        assert not isinstance(found, Refused)
        assert found.read() == b"aaa111\n"
    with open_named_file(tree, tree, "../outside.txt") as refused:
        assert isinstance(refused, Refused)


def test_capped_lines_skips_an_overlong_line_without_keeping_it() -> None:
    handle = io.BytesIO(b"short\n" + b"x" * 10_000 + b"\nnext\nlast")
    assert list(CappedLines(handle, 100)) == [b"short\n", None, b"next\n", b"last"]


def test_capped_lines_stops_at_the_cap_and_says_the_file_grew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(named_files, "MAX_NAMED_FILE_BYTES", 12)
    lines = CappedLines(io.BytesIO(b"aaaa\nbbbb\ncccc\n"), 100)
    assert list(lines) == [b"aaaa\n", b"bbbb\n", b"cc"]
    assert lines.too_large
    exact = CappedLines(io.BytesIO(b"aaaa\nbbbb\ncc"), 100)
    assert list(exact) == [b"aaaa\n", b"bbbb\n", b"cc"]
    assert not exact.too_large


@pytest.mark.parametrize(
    ("folder", "name", "expected"),
    [
        ("infra/push", "lists/a.txt", "infra/push/lists/a.txt"),
        ("infra/push/tags", "../lists/./a.txt", "infra/push/lists/a.txt"),
        ("infra/push", "../lists/a.txt", None),
        ("infra/push", "/etc/machine-id", None),
        ("infra/push", "../../../../etc/machine-id", None),
        ("infra/push", "", None),
    ],
)
def test_contained_applies_the_rule_to_paths_in_a_git_tree(
    folder: str, name: str, expected: str | None
) -> None:
    found = contained(PurePosixPath(folder), name, PurePosixPath("infra/push"))
    assert (None if isinstance(found, Refused) else found) == expected


def test_contained_in_a_tree_at_the_repository_root() -> None:
    assert contained(PurePosixPath("."), "a/b.txt", PurePosixPath(".")) == "a/b.txt"
    assert isinstance(contained(PurePosixPath("a"), "../../b.txt", PurePosixPath(".")), Refused)
