"""Whatever is fed to ``validate``, the only error that escapes is ManifestError (never a traceback).

Three generators: arbitrary text, random document-shaped data, and random mutations of the
examples (text edits and value swaps deep inside valid documents), which reach the validators and
renderers that random text never gets past YAML to see.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from support.constants import EXAMPLES
from support.manifests import API_VERSION, NOW

from webpush_iac import manifest
from webpush_iac.cli import cli
from webpush_iac.errors import ManifestError
from webpush_iac.manifest import render_limits

pytestmark = pytest.mark.slow  # hypothesis: hundreds of generated manifests

FUZZ = settings(  # FUZZ_EXAMPLES=5000 for a longer hunt
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
KINDS = ["Project", "Template", "Schedule", "Device", "Tag", "Other", None]


def validate_only_raises_manifest_error(paths: list[Path]) -> None:
    try:
        manifest.load_report(paths, now=NOW)
    except ManifestError as exc:
        problems = exc.problems
    else:
        return
    assert problems
    assert all(isinstance(p.message, str) and p.message for p in problems)


def dump(documents: list[Any]) -> str:
    yaml = YAML(typ="safe", pure=True)
    out = io.StringIO()
    yaml.dump_all(documents, out)
    return out.getvalue()


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "now",
            "all",
            "week",
            "MON",
            "01",
            "2027-01-01 00:00:00",
            "09:00:00",
            "{{ x }}",
            "{% for %}",
            "{{ edition | nosuchfilter }}",
            "{% if x is nosuchtest %}y{% endif %}",
            "{{ 1 / 0 }}",
            "{{ x | int(base=99) }}",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=12), inner, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": draw(st.sampled_from([API_VERSION, "v2", None]))}
    kind = draw(st.sampled_from(KINDS))
    if kind is not None:
        doc["kind"] = kind
    doc["metadata"] = draw(st.one_of(st.fixed_dictionaries({"name": scalars}), values))
    doc["spec"] = draw(values)
    return doc


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_text(workdir: Path, text: str) -> None:
    path = workdir / "text.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    validate_only_raises_manifest_error([path])


@FUZZ
@given(docs=st.lists(documents(), min_size=1, max_size=4))
def test_random_documents(workdir: Path, docs: list[dict[str, Any]]) -> None:
    path = workdir / "docs.yaml"
    path.write_text(dump(docs), encoding="utf-8")
    validate_only_raises_manifest_error([path])


def _example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*.yaml") if "ci" not in p.relative_to(EXAMPLES).parts)


@st.composite
def text_mutations(draw: st.DrawFn) -> tuple[Path, str]:
    source = draw(st.sampled_from(_example_files()))
    lines = source.read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(
            st.sampled_from(["delete", "duplicate", "indent", "dedent", "replace", "insert"])
        )
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "indent":
            lines[i] = "  " + lines[i]
        elif action == "dedent":
            lines[i] = lines[i][2:]
        elif action == "replace" and lines[i]:
            j = draw(st.integers(min_value=0, max_value=len(lines[i]) - 1))
            lines[i] = lines[i][:j] + draw(st.text(max_size=3)) + lines[i][j + 1 :]
        else:
            lines.insert(
                i, draw(st.sampled_from(["---", "- x", "key: [", "a: *b", "<<: {}", "\t"]))
            )
    return source, "\n".join(lines) + "\n"


@FUZZ
@given(mutation=text_mutations())
def test_text_mutations_of_the_examples(workdir: Path, mutation: tuple[Path, str]) -> None:
    source, text = mutation
    example = source.relative_to(EXAMPLES).parts[0]
    target = workdir / "mutated"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(EXAMPLES / example, target)
    (target / source.relative_to(EXAMPLES / example)).write_text(text, encoding="utf-8")
    # through the command itself: exit 0 or 1, never an exception escaping to the user
    result = CliRunner().invoke(cli, ["validate", str(target)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_paths(value, (*prefix, i)))
    return out


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


@FUZZ
@given(data=st.data())
def test_value_mutations_inside_the_examples(workdir: Path, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(_example_files()))
    yaml = YAML(typ="safe", pure=True)
    docs = list(yaml.load_all(source.read_text(encoding="utf-8")))
    index = data.draw(st.integers(min_value=0, max_value=len(docs) - 1))
    path = data.draw(st.sampled_from(_paths(docs[index])))
    docs[index] = _replace(docs[index], path, data.draw(values))
    example = source.relative_to(EXAMPLES).parts[0]
    target = workdir / "value"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(EXAMPLES / example, target)
    (target / source.relative_to(EXAMPLES / example)).write_text(dump(docs), encoding="utf-8")
    validate_only_raises_manifest_error([target])


# Costly templates: the attack run's probes, recombined. Rendering must end in a located problem
# (or a payload), never in MemoryError, a hang or a traceback; the time budget is shortened so a
# probe that only the clock stops costs a fraction of a second.
numbers = st.sampled_from(["0", "1", "7", "100", "10000", "100000", "999999999", "-1"])
texts = st.sampled_from(["'x'", "'ab\\t'", "''", "'x' * 1000"])
costly = st.one_of(
    st.builds("{} * {}".format, texts, numbers),
    st.builds("'%{}d' % 1".format, numbers),
    st.builds("'%.{}f' % 1.5".format, numbers),
    st.builds("{}.center({})".format, texts, numbers),
    st.builds("{}.zfill({})".format, texts, numbers),
    st.builds("{}.expandtabs({})".format, texts, numbers),
    st.builds("'{{:>{}}}'.format(1)".format, numbers),
    st.builds("{}|center({})".format, texts, numbers),
    st.builds("{}|indent({})".format, texts, numbers),
    st.builds("'%{}s'|format('a')".format, numbers),
    st.builds("({}).replace('x', {})".format, texts, texts),
    st.builds("(range({})|list)|join({})".format, numbers, texts),
    st.builds("lipsum({})".format, numbers),
    st.builds("[1]|batch({}, 0)|list|length".format, numbers),
    st.builds("{} ** {}".format, numbers, st.sampled_from(["2", "64", "65"])),
)


@st.composite
def costly_templates(draw: st.DrawFn) -> str:
    expression: str = draw(costly)
    text = "{{ " + expression + " }}"
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        text = "{% for i in range(" + draw(numbers) + ") %}" + text + "{% endfor %}"
    return text.replace('"', '\\"')


@FUZZ
@given(alert=costly_templates())
def test_costly_templates_end_in_a_located_problem(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, alert: str
) -> None:
    monkeypatch.setattr(render_limits, "RENDER_SECONDS", 0.2)
    path = workdir / "costly.yaml"
    path.write_text(
        "\n---\n".join(
            [
                f"apiVersion: {API_VERSION}\nkind: Project\nmetadata: {{name: p}}\nspec: {{}}",
                f"apiVersion: {API_VERSION}\nkind: Schedule\nmetadata: {{name: s}}\nspec:\n"
                "  trigger: {single: {time: '2027-01-15 09:00:00'}}\n"
                f'  push: {{to: all, notification: {{alert: "{alert}", url: "https://e.com"}}}}',
            ]
        ),
        encoding="utf-8",
    )
    problems = []
    try:
        manifest.load_report([path], now=NOW)
    except ManifestError as exc:
        problems = exc.problems
    assert all(p.line and p.path for p in problems), problems


# Pieces of Jinja: real and unknown filters and tests, operators that fail at render time.
_OPERANDS = ["edition", "site", "missing", "1", "0", "'text'", "[1, 2]", "{'a': 1}", "none"]
_FILTERS = ["upper", "int", "join(', ')", "urlencode", "nosuchfilter", "default(1)", "e", "x(1)"]
_TESTS = ["defined", "number", "nosuchtest", "divisibleby(0)", "sameas 1", "eq"]


@st.composite
def template_strings(draw: st.DrawFn) -> str:
    operand = draw(st.sampled_from(_OPERANDS))
    filters = draw(st.lists(st.sampled_from(_FILTERS), max_size=3))
    expression = " | ".join([operand, *filters])
    if draw(st.booleans()):
        expression = f"{expression} {draw(st.sampled_from(['/', '//', '%', '+', '~']))} 0"
    shape = draw(st.sampled_from(["output", "if", "for", "broken"]))
    if shape == "if":
        test = draw(st.sampled_from(_TESTS))
        return f"{{% if {operand} is {test} %}}{{{{ {expression} }}}}{{% endif %}}"
    if shape == "for":
        return f"{{% for i in {operand} %}}{{{{ i | {draw(st.sampled_from(_FILTERS))} }}}}{{% endfor %}}"
    if shape == "broken":
        return draw(
            st.sampled_from(["{{ ", "{% if x %}", "{{ x | }}", "{{ x is }}", "{% endfor %}"])
        )
    return f"{{{{ {expression} }}}}"


@FUZZ
@given(data=st.data())
def test_template_strings_inside_the_examples(workdir: Path, data: st.DataObject) -> None:
    """Templates of the examples with a string replaced by generated Jinja: every outcome is a
    located ManifestError (file:line:col and key path) or a valid manifest, never a traceback."""
    source = EXAMPLES / "quickstart" / "templates.yaml"
    yaml = YAML(typ="safe", pure=True)
    docs = list(yaml.load_all(source.read_text(encoding="utf-8")))
    index = data.draw(st.integers(min_value=0, max_value=len(docs) - 1))
    strings = [p for p in _paths(docs[index]) if isinstance(_get(docs[index], p), str)]
    spec_strings = [p for p in strings if p[:1] == ("spec",)]
    path = data.draw(st.sampled_from(spec_strings))
    docs[index] = _replace(docs[index], path, data.draw(template_strings()))
    target = workdir / "templated"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(EXAMPLES / "quickstart", target)
    (target / "templates.yaml").write_text(dump(docs), encoding="utf-8")
    problems: list[Any] = []
    try:
        manifest.load_report([target], now=NOW)
    except ManifestError as exc:
        problems = list(exc.problems)
    for problem in problems:
        assert problem.line > 0, problem
        assert problem.col > 0, problem
        assert problem.path, problem


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data
