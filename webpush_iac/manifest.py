"""Read manifests: find the files, parse YAML keeping file:line:col, validate into a DesiredState.

The only module that imports ruamel.yaml. YAML is composed into nodes (libyaml's C parser when
``ruamel.yaml.clibz`` is installed: ten thousand Device documents must load in about a second) and
built into plain dicts and lists by :class:`_Builder`, which records the position of every key and
list item, reports *every* duplicate key instead of stopping at the first, and keeps date-like
scalars as the strings the user wrote (the API wants ``2027-01-15 09:00:00`` verbatim).
Everything after parsing lives in ``documents`` (validation, cross-document checks, rendering).
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from webpush_iac import baseline as _baseline
from webpush_iac.documents import LoadResult, build_state
from webpush_iac.errors import Problem
from webpush_iac.sourcemap import KeyPath, SourceDoc, display_path
from webpush_iac.state import DesiredState

try:  # libyaml through ruamel.yaml.clibz (or the older ruamel.yaml.clib)
    from ruamel.yaml.cyaml import CSafeLoader as _CLoader

    C_LOADER: Any = _CLoader
except ImportError:  # pragma: no cover - depends on the installed wheels
    C_LOADER = None

__all__ = [
    "LoadResult",
    "baseline_registration_ids",
    "display_path",
    "dump_yaml",
    "group_paths",
    "load",
    "load_report",
    "parse_documents",
]

log = logging.getLogger(__name__)

PROJECT_FILES = ("webpush-iac.yaml", "webpush-iac.yml")
SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv"})
MAX_DEPTH = 64  # nesting; deeper is an attack or a mistake, and would exhaust the stack
MAX_NODES = 1_000_000  # values per document (a Tag may list 100,000 members)
MAX_ALIASED = 20_000  # values reached through aliases: stops "billion laughs" expansion
_MANIFEST_HINT = re.compile(r"^(?:apiVersion|kind)\s*:", re.MULTILINE)
_Y = "tag:yaml.org,2002:"
_STR, _TIMESTAMP, _NULL, _BOOL, _INT, _FLOAT, _MERGE = (
    _Y + name for name in ("str", "timestamp", "null", "bool", "int", "float", "merge")
)
SYNTAX = "YAML syntax error"


def load(
    paths: Sequence[str | Path],
    *,
    extra_known_devices: Iterable[str] = (),
    now: datetime | None = None,
) -> DesiredState:
    """Validate the manifests under ``paths`` and return what they declare, rendered.

    Raises :class:`ManifestError` with every problem of every file. ``extra_known_devices`` are
    registration ids (from a ``--baseline``) that become known devices with no desired tags.
    """
    return load_report(paths, extra_known_devices=extra_known_devices, now=now).state


def load_report(
    paths: Sequence[str | Path],
    *,
    extra_known_devices: Iterable[str] = (),
    now: datetime | None = None,
) -> LoadResult:
    """:func:`load`, plus document counts and warnings (for ``validate``)."""
    docs, problems, complete = read_documents(paths)
    return build_state(
        docs,
        problems,
        complete=complete,
        extra_known_devices=extra_known_devices,
        now=now,
        origin=display_path(paths[0]) if paths else ".",
    )


def baseline_registration_ids(paths: Sequence[str | Path], git_ref: str) -> set[str]:
    """Registration ids named by Device/Tag documents of the manifests at ``git_ref``."""
    return _baseline.registration_ids(paths, git_ref, parse=_parse_quietly)


def group_paths(paths: Sequence[str | Path]) -> list[list[str]]:
    """Split ``validate`` arguments into manifest sets when they name several projects.

    ``validate examples/*`` must check two example projects without calling them one project
    with two Project documents: when two or more arguments are directories holding their own
    Project file, each is a set, and the other arguments form one more set (dropped when it holds
    no manifest file, like a folder of CI templates). Otherwise all arguments are one set, as
    ``plan`` reads them.
    """
    roots: list[list[str]] = []
    rest: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and any((path / name).is_file() for name in PROJECT_FILES):
            roots.append([str(raw)])
        else:
            rest.append(str(raw))
    if len(roots) < 2:
        return [[str(p) for p in paths]]
    if all(Path(p).is_dir() and not _manifest_files(Path(p))[0] for p in rest):
        rest = []
    return [*roots, rest] if rest else roots


def dump_yaml(data: Any) -> str:
    """Block-style YAML of plain data, keys in insertion order (``render``'s output).

    Strings a YAML 1.1 reader would take for something else (``09:00:00`` is a number of seconds
    there, ``no`` a boolean) are quoted, so any YAML library reads the payload back unchanged.
    """
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    yaml.representer.add_representer(str, _represent_str)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


_AMBIGUOUS = re.compile(
    r"^(?:[-+0-9.:_]+|y|n|yes|no|on|off|true|false|null|~|\.?inf|\.?nan)$", re.IGNORECASE
)


def _represent_str(representer: Any, value: str) -> Any:
    style = '"' if _AMBIGUOUS.match(value) else None
    return representer.represent_scalar(_Y + "str", value, style=style)


# --- files ---------------------------------------------------------------------------------------


def read_documents(paths: Sequence[str | Path]) -> tuple[list[SourceDoc], list[Problem], bool]:
    """Every document of every manifest file; ``complete`` is False when a file could not parse."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths or ["."]:
        path = Path(raw)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            found, skipped = _manifest_files(path)
            for name in skipped:
                log.debug("skipping %s: no apiVersion or kind keys", name)
            if not found:
                problems.append(Problem(display_path(path), 0, 0, "", "no manifest files found"))
            files.extend(found)
        else:
            problems.append(Problem(display_path(path), 0, 0, "", "no such file or directory"))
    docs: list[SourceDoc] = []
    complete = not problems  # a missing path may well have held the Project
    seen: set[Path] = set()
    for path in files:
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        text, error = _read_text(path)
        if text is None:
            problems.append(Problem(display_path(path), 0, 0, "", error))
            complete = False
            continue
        file_docs, file_problems = parse_documents(text, display_path(path), path)
        docs.extend(file_docs)
        problems.extend(file_problems)
        complete = complete and not any(p.message.startswith(SYNTAX) for p in file_problems)
    return docs, problems, complete


def _manifest_files(root: Path) -> tuple[list[Path], list[str]]:
    """YAML files under ``root`` that look like manifests, skipping hidden and vendored dirs.

    A file without any top-level ``apiVersion:``/``kind:`` line (a CI workflow, a compose file)
    is not a manifest; a manifest that merely lacks apiVersion still has ``kind`` and is kept.
    """
    found: list[Path] = []
    skipped: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(names):
            if name.startswith(".") or not name.endswith(SUFFIXES):
                continue
            path = Path(folder) / name
            text, _ = _read_text(path)
            if text is not None and not _MANIFEST_HINT.search(text):
                skipped.append(str(path))
            else:
                found.append(path)
    return found, skipped


def _read_text(path: Path) -> tuple[str | None, str]:
    try:
        return path.read_bytes().decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"


# --- YAML ----------------------------------------------------------------------------------------


def parse_documents(
    text: str, file: str, path: Path | None = None, *, pure: bool = False
) -> tuple[list[SourceDoc], list[Problem]]:
    """Parse a multi-document YAML text into located documents; never raises for bad input."""
    docs: list[SourceDoc] = []
    problems: list[Problem] = []
    index = 0
    try:
        for node in _compose(text, pure=pure):
            if isinstance(node, ScalarNode) and node.tag == _NULL and not node.value:
                index += 1  # an empty document (a trailing ---) declares nothing
                continue
            doc = SourceDoc(file=file, path=path or Path(file), index=index, data=None)
            builder = _Builder(doc, problems)
            doc.data = builder.build(node, (), 0)
            docs.append(doc)
            index += 1
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else _position(exc, text)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and mark is not context_mark:
            what += f" ({context} at line {context_mark.line + 1})"
        problems.append(Problem(file, line, col, "", f"{SYNTAX}: {what}"))
    except Exception as exc:  # the C parser raises plain Python errors on some garbage input
        problems.append(Problem(file, 0, 0, "", f"{SYNTAX}: {type(exc).__name__}"))
    return docs, problems


def _position(exc: YAMLError, text: str) -> tuple[int, int]:
    """Line and column of a reader error (a control character, say): it has no mark, only the
    character offset, and a problem without a line leaves the user searching the whole file."""
    offset = getattr(exc, "position", None)
    if not isinstance(offset, int) or not 0 <= offset <= len(text):
        return 0, 0
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _parse_quietly(text: str, file: str) -> list[Any]:
    """Best effort for old manifests (baseline): the data of whatever documents parse."""
    docs, _ = parse_documents(text, file)
    return [doc.data for doc in docs]


def _compose(text: str, *, pure: bool) -> Iterator[Node]:
    if C_LOADER is not None and not pure:
        loader = C_LOADER(text)
        while loader.check_node():
            yield loader.get_node()
    else:
        yield from YAML(typ="safe", pure=True).compose_all(text)


class _Builder:
    """Nodes → plain data, recording ``doc.marks`` and collecting problems as it goes."""

    def __init__(self, doc: SourceDoc, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems
        self.count = 0
        self.seen: set[int] = set()  # collection nodes built once; again means via an alias
        self.too_big = False

    def _problem(self, node: Node, path: KeyPath, message: str) -> None:
        saved = self.doc.marks.get(path)
        self.doc.marks[path] = _mark(node)
        self.problems.append(self.doc.problem(path, message))
        if saved is not None:
            self.doc.marks[path] = saved

    def build(self, node: Node, path: KeyPath, depth: int, aliased: bool = False) -> Any:
        if isinstance(node, MappingNode | SequenceNode):
            aliased = aliased or id(node) in self.seen
            self.seen.add(id(node))
        self.count += MAX_NODES // MAX_ALIASED if aliased else 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            if not self.too_big:
                self.too_big = True
                self._problem(node, path, "document is too large or too deeply nested")
            return None
        if not path:
            self.doc.marks[()] = _mark(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth, aliased)
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.doc.marks[(*path, i)] = _mark(item)
                items.append(self.build(item, (*path, i), depth + 1, aliased))
            return items
        return self._scalar(node, path)

    def _mapping(
        self, node: MappingNode, path: KeyPath, depth: int, aliased: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: dict[str, Node] = {}
        pairs = [(key, value, key.tag) for key, value in node.value]
        for _, source, tag in pairs:  # explicit keys win over merged ones; earlier merges win
            if tag != _MERGE:
                continue
            for value in source.value if isinstance(source, SequenceNode) else [source]:
                merged = self.build(value, path, depth + 1, aliased)
                if isinstance(merged, dict):
                    out.update({k: v for k, v in merged.items() if k not in out})
                else:
                    self._problem(value, path, "a merge key (<<) needs a mapping")
        marks = self.doc.marks
        for key_node, value_node, tag in pairs:
            if tag == _MERGE:
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "mapping keys must be plain scalars")
                continue
            key = str(key_node.value)
            kpath = (*path, key)
            if key in explicit:
                first = explicit[key].start_mark.line + 1
                self._problem(key_node, kpath, f"duplicate key (first at line {first})")
                continue
            explicit[key] = key_node
            marks[kpath] = _mark(key_node)
            out[key] = self.build(value_node, kpath, depth + 1, aliased)
        return out

    def _scalar(self, node: Node, path: KeyPath) -> Any:
        tag, value = node.tag, str(node.value)
        if tag in (_STR, _TIMESTAMP):  # timestamps stay as the user wrote them
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() in ("true", "yes", "on", "y")
        try:
            if tag == _INT:
                return _to_int(value)
            if tag == _FLOAT:
                return _to_float(value)
        except ValueError:
            self._problem(node, path, "is not a number YAML can read")
            return None
        self._problem(node, path, f"unsupported YAML tag '{tag}'")
        return None


def _mark(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _to_int(text: str) -> int:
    clean = text.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    digits = clean.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if digits.lower().startswith(prefix):
            return sign * int(digits[2:], base)
    if ":" in digits:  # YAML 1.1 sexagesimal (a %YAML 1.1 document)
        total = 0
        for part in digits.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(digits, 10)


def _to_float(text: str) -> float:
    clean = text.replace("_", "").lower()
    if clean.lstrip("+-") in (".inf", "inf"):
        return -math.inf if clean.startswith("-") else math.inf
    if clean in (".nan", "nan"):
        return math.nan
    return float(clean)
