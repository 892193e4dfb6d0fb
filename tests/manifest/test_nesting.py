"""The nesting pre-scan: YAML too deep for a recursive composer is refused, located, unparsed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from support.cli import run_cli
from support.manifests import head

from webpush_iac.manifest.nesting import MAX_NESTING, nesting_problem
from webpush_iac.manifest.yaml import parse_documents


def located(text: str) -> str:
    problem = nesting_problem(text, "m.yaml")
    return f"{problem.line}:{problem.col}" if problem is not None else ""


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("spec: " + "[" * 200 + "]" * 200, "1:106"),
        ("spec: " + "{a: " * 200 + "1" + "}" * 200, "1:403"),
        ("spec:\n" + "- " * 200 + "x", "2:199"),
        ("spec:\n  a: [\n" + "[\n" * 200 + "]\n" * 200 + "  ]", "100:1"),
        ("spec:\n" + "".join(" " * i + "a:\n" for i in range(1, 200)), "101:101"),
        ("kind: Tag\n---\n" + "- [" * 150, "3:297"),
    ],
)
def test_deep_flow_and_block_nesting_is_located(text: str, where: str) -> None:
    assert located(text) == where


@pytest.mark.parametrize(
    "text",
    [
        "alert: '" + "[" * 500 + "'",
        'alert: "' + "{" * 500 + '\\"' + "[" * 500 + '"',
        "alert: 'it''s " + "[" * 500 + "'",
        "title: Sale " + "[" * 500,
        "url: https://e.com/" + "{" * 500,
        "note: |\n  " + "[" * 500 + "\n  - - - - -\n" + "    " * 100 + "x\nnext: 1",
        "note: >-\n" + "".join(" " * (i + 1) + "text\n" for i in range(300)) + "next: 1",
        "# " + "[" * 500 + "\nkey: 1 # " + "{" * 500,
        "key: [a, 'b]]]', \"c[[[\"] # [[[[\n" * 300,
        "alert: 'multi\n  line " + "[" * 500 + "\n  quoted'\nnext: [1]",
        "key: &anchor [1, 2]\nother: !!str {a: b}\n" * 200,
    ],
)
def test_brackets_in_scalars_and_comments_do_not_count(text: str) -> None:
    assert located(text) == ""


def test_the_limit_is_above_what_the_document_builder_reports_with_its_own_message() -> None:
    text = "spec: " + "[" * 70 + "]" * 70 + "\n"
    assert located(text) == ""
    _, problems = parse_documents(text, "m.yaml")
    assert [p.message for p in problems] == ["document is too large or too deeply nested"]
    assert MAX_NESTING > 70


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


nested = st.recursive(
    st.one_of(st.text(max_size=8), st.integers(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(st.text(min_size=1, max_size=6), inner, min_size=1, max_size=3),
    ),
    max_leaves=40,
)


@settings(max_examples=150, deadline=None)
@given(data=nested, flow=st.booleans())
def test_what_ruamel_writes_is_never_refused_below_the_limit(data: Any, flow: bool) -> None:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    out = io.StringIO()
    yaml.dump({"spec": data}, out)
    assert _depth(data) < MAX_NESTING - 2
    assert located(out.getvalue()) == ""


@pytest.mark.slow  # crash tests: a process each
@pytest.mark.parametrize("depth", [30_000, 100_000])
@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda n: "[" * n + "]" * n, id="flow-sequence"),
        pytest.param(lambda n: "{a: " * n + "1" + "}" * n, id="flow-mapping"),
        pytest.param(lambda n: "\n" + "- " * n + "x", id="block-sequence"),
        pytest.param(lambda n: "\n" + "- [" * n, id="block-and-flow"),
    ],
)
def test_validate_refuses_deep_manifests_with_a_location_and_no_crash(
    tmp_path: Path, depth: int, shape: Any
) -> None:
    """In a subprocess: the crash this guards against is a segfault (exit 139)."""
    before = head("Project", "p") + "---\n" + head("Tag", "t") + "spec: "
    deep = shape(depth)
    (tmp_path / "webpush-iac.yaml").write_text(before + deep + "\n", encoding="utf-8")
    done = run_cli(tmp_path, "validate", ".")
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    line = before.count("\n") + 1 + deep.startswith("\n")
    assert f"webpush-iac.yaml:{line}:" in done.stderr
    assert f"YAML nesting deeper than {MAX_NESTING} levels" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_plan_and_apply_refuse_a_deep_manifest_before_any_request(
    tmp_path: Path, command: str
) -> None:
    (tmp_path / "webpush-iac.yaml").write_text(head("Project", "p"), encoding="utf-8")
    (tmp_path / "deep.yaml").write_text(
        head("Tag", "t") + "spec: " + "[" * 30_000 + "]" * 30_000 + "\n", encoding="utf-8"
    )
    extra = ["--auto-approve"] if command == "apply" else []
    done = run_cli(tmp_path, command, "--emulator", *extra, ".")
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert "deep.yaml:4:" in done.stderr
    assert "YAML nesting deeper than" in done.stderr
