"""Manifest fuzzing through ``webpush-iac validate`` (issue 5): hostile input never produces a
traceback, the exit code is 0 or 1, and every problem names its file and, when it is about YAML
or a field, its line.

``tests/manifest/test_fuzz`` covers arbitrary text, random documents and edits of the examples at the
loader level; this module aims at what an attacker or a broken export tool would feed it: odd
unicode (lone surrogates, NULs, bidi controls, BOMs) both escaped and raw, lists of thousands of
items, nesting hundreds of levels deep, alias bombs ("billion laughs"), binary and non-UTF-8 files.
``RELIABILITY_FUZZ_EXAMPLES=2000`` hunts longer than the CI default.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.manifests import head

from webpush_iac import manifest
from webpush_iac.cli import cli
from webpush_iac.errors import ManifestError, Problem

pytestmark = pytest.mark.slow  # hypothesis: hostile manifests through validate

FUZZ = settings(
    max_examples=int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROJECT = head("Project", "fuzz")
# Problems about a whole file (or the tree) rather than a place in it: no line to give.
FILE_LEVEL = (
    "is not UTF-8 text",
    "no manifest files found",
    "no such file or directory",
    "cannot be read",
    "no Project document found",
)
MAX_OUTPUT = 200_000  # an alias bomb must not expand into the report either

odd_chars = st.one_of(
    st.characters(),  # any code point, surrogates included
    st.sampled_from(["\x00", "\u202e", "\u200f", "\u2066", "\ufeff", "\ud800", "\udfff", "\x85"]),
)
odd_text = st.text(alphabet=odd_chars, max_size=40)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reliability-fuzz")
    (root / "webpush-iac.yaml").write_text(PROJECT, encoding="utf-8")
    return root


def check_validate(tree: Path, content: bytes) -> None:
    """Write ``content`` as one manifest next to a valid Project and hold validate to its word."""
    (tree / "fuzz.yaml").write_bytes(content)
    result = CliRunner().invoke(cli, ["validate", str(tree)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert len(result.output) < MAX_OUTPUT

    try:
        manifest.load_report([tree])
    except ManifestError as exc:
        problems: list[Problem] = exc.problems
    else:
        assert result.exit_code == 0
        return
    assert result.exit_code == 1
    assert problems
    for problem in problems:
        assert problem.file, problem
        assert problem.message, problem
        if not problem.message.startswith(FILE_LEVEL):
            assert problem.line >= 1, f"no line for a YAML/field problem: {problem}"


def document(kind: str, name: str, spec: str) -> str:
    return head(kind, name) + f"spec:\n{spec}"


@FUZZ
@given(value=odd_text, raw=st.booleans(), slot=st.integers(min_value=0, max_value=4))
def test_odd_unicode_in_any_field(tree: Path, value: str, raw: bool, slot: int) -> None:
    """Raw: the characters as written (the parser sees them). Escaped: a JSON-style quoted
    scalar, so lone surrogates and NULs get past YAML into the validators and renderers."""
    text = value if raw else json.dumps(value)
    fields = ['"ok"', "r1", "[beta]", '"Hello"', "qa"]
    fields[slot] = text
    name, rid, tags, alert, alias = fields
    doc = document("Device", name, f"  registration_id: {rid}\n  tags: {tags}\n  alias: {alias}\n")
    doc += "---\n" + document(
        "Schedule",
        "s1",
        '  trigger: {single: {time: "2030-01-01 00:00:00"}}\n'
        f"  push: {{to: all, notification: {{alert: {alert}, url: 'https://e.com'}}}}\n",
    )
    check_validate(tree, doc.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(
    size=st.integers(min_value=900, max_value=6000),
    where=st.sampled_from(["device_tags", "tag_members", "to_rids", "to_tags", "remove"]),
)
def test_huge_lists_are_reported_not_choked_on(tree: Path, size: int, where: str) -> None:
    items = ", ".join(f"id{i:05d}" for i in range(size))
    if where == "device_tags":
        doc = document("Device", "d", f"  registration_id: r1\n  tags: [{items}]\n")
    elif where in ("tag_members", "remove"):
        key = "members" if where == "tag_members" else "remove"
        doc = document("Tag", "beta", f"  {key}: [{items}]\n")
    else:
        key = "registration_id" if where == "to_rids" else "tag"
        doc = document(
            "Schedule",
            "s",
            '  trigger: {single: {time: "2030-01-01 00:00:00"}}\n'
            f"  push: {{to: {{{key}: [{items}]}}, notification: {{alert: a, url: 'https://e.com'}}}}\n",
        )
    check_validate(tree, doc.encode())


@FUZZ
@given(
    depth=st.integers(min_value=20, max_value=600),
    style=st.sampled_from(["flow_list", "flow_map", "block_map", "block_list"]),
    where=st.sampled_from(["spec", "members", "vars", "metadata"]),
)
def test_deep_nesting_is_an_error_with_a_location(
    tree: Path, depth: int, style: str, where: str
) -> None:
    if style == "flow_list":
        nested = "[" * depth + "x" + "]" * depth
    elif style == "flow_map":
        nested = "{a: " * depth + "x" + "}" * depth
    elif style == "block_map":
        nested = "\n" + "".join("  " * (i + 2) + "a:\n" for i in range(depth)) + "  " * (depth + 2)
        nested += "x"
    else:
        nested = "\n" + "".join("  " * (i + 2) + "-\n" for i in range(depth)) + "  " * (depth + 2)
        nested += "x"
    if where == "metadata":
        doc = head("Tag", metadata=nested) + "spec: {}\n"
    elif where == "spec":
        doc = head("Tag", "t") + f"spec: {nested}\n"
    elif where == "members":
        doc = document("Tag", "t", f"  members: {nested}\n")
    else:
        doc = document(
            "Schedule",
            "s",
            '  trigger: {single: {time: "2030-01-01 00:00:00"}}\n'
            f"  push:\n    to: all\n    notification: {{alert: a, url: 'https://e.com'}}\n"
            f"    vars: {{v: {nested.strip()}}}\n",
        )
    check_validate(tree, doc.encode())


def alias_bomb(width: int, depth: int, use: str) -> str:
    """``depth`` anchors each listing the previous one ``width`` times: width**depth leaves."""
    lines = ["x_bomb:", '  - &l0 ["lol", "lol"]']
    for level in range(1, depth + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"  - &l{level} [{refs}]")
    bomb = "\n".join(lines)
    return head("Tag", "t") + f"{bomb}\nspec:\n  {use}: *l{depth}\n"


@FUZZ
@given(
    width=st.integers(min_value=2, max_value=12),
    depth=st.integers(min_value=2, max_value=14),
    use=st.sampled_from(["members", "remove", "mode"]),
)
def test_alias_bombs_are_refused_or_bounded(tree: Path, width: int, depth: int, use: str) -> None:
    check_validate(tree, alias_bomb(width, depth, use).encode())


def test_billion_laughs_is_refused_with_a_location(tree: Path) -> None:
    """The classic: 10 levels of 10 references, 10**10 leaves if expanded."""
    check_validate(tree, alias_bomb(10, 10, "members").encode())
    with pytest.raises(ManifestError) as info:
        manifest.load_report([tree])
    assert any(p.file.endswith("fuzz.yaml") and p.line for p in info.value.problems)


@FUZZ
@given(content=st.binary(max_size=3000))
def test_binary_files(tree: Path, content: bytes) -> None:
    check_validate(tree, content)


@FUZZ
@given(
    text=st.text(max_size=300),
    encoding=st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-32", "shift_jis", "koi8-r"]),
)
def test_non_utf8_files(tree: Path, text: str, encoding: str) -> None:
    doc = document("Tag", "t", f"  members: [{json.dumps(text)}]\n")
    check_validate(tree, doc.encode(encoding, errors="replace"))


def test_a_control_character_is_reported_at_its_line_and_column(tree: Path) -> None:
    """Found by the fuzzer: the YAML reader's error has no mark, only a character offset."""
    (tree / "fuzz.yaml").write_bytes(head("Tag", metadata='{name: "a\x08"}').encode())
    with pytest.raises(ManifestError) as info:
        manifest.load_report([tree])
    (problem,) = info.value.problems
    assert (problem.line, problem.col) == (3, 20)
    assert "control characters" in problem.message
