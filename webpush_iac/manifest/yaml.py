"""YAML with positions: manifests parsed into plain data that remembers file:line:col.

The only module that imports ruamel.yaml. YAML is composed into nodes (libyaml's C parser when
``ruamel.yaml.clibz`` is installed: ten thousand Device documents must load in about a second) and
built into plain dicts and lists by :class:`_Builder`, which records the position of every key and
list item, reports *every* duplicate key instead of stopping at the first, and keeps date-like
scalars as the strings the user wrote (the API wants ``2027-01-15 09:00:00`` verbatim).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from webpush_iac.errors import Problem
from webpush_iac.manifest.nesting import TOO_DEEP, nesting_problem
from webpush_iac.manifest.sourcemap import KeyPath, SourceDoc

try:  # libyaml through ruamel.yaml.clibz (or the older ruamel.yaml.clib)
    from ruamel.yaml.cyaml import CSafeLoader as _CLoader

    C_LOADER: Any = _CLoader
except ImportError:  # pragma: no cover - depends on the installed wheels
    C_LOADER = None

MAX_DEPTH = 64  # nesting; deeper is an attack or a mistake, and would exhaust the stack
MAX_NODES = 1_000_000  # values per document (a Tag may list 100,000 members)
MAX_ALIASED = 20_000  # values reached through aliases: stops "billion laughs" expansion
_Y = "tag:yaml.org,2002:"
_STR, _TIMESTAMP, _NULL, _BOOL, _INT, _FLOAT, _MERGE = (
    _Y + name for name in ("str", "timestamp", "null", "bool", "int", "float", "merge")
)
SYNTAX = "YAML syntax error"
UNPARSED = (SYNTAX, TOO_DEEP)  # problems that leave a file's documents unread


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


# --- YAML ----------------------------------------------------------------------------------------


def parse_documents(
    text: str, file: str, path: Path | None = None, *, pure: bool = False
) -> tuple[list[SourceDoc], list[Problem]]:
    """Parse a multi-document YAML text into located documents; never raises for bad input."""
    docs: list[SourceDoc] = []
    too_deep = nesting_problem(text, file)  # before a recursive composer can overflow the stack
    if too_deep is not None:
        return docs, [too_deep]
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


def parse_quietly(text: str, file: str) -> list[Any]:
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


__all__ = ["C_LOADER", "SYNTAX", "UNPARSED", "dump_yaml", "parse_documents", "parse_quietly"]
