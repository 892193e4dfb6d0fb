"""Where every value of a manifest came from, and pydantic errors turned into located Problems.

The YAML loader records the file:line:col of every mapping key and list item of a document
(``SourceDoc.marks``, keyed by the path to it). pydantic reports a ``loc`` path; mapping one onto
the other gives the exact line users need. pydantic's ``loc`` also holds union tags and the name of
a missing key, which are not in the data; :func:`data_path` keeps only what is.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from webpush_iac.errors import Problem
from webpush_iac.manifest.models.fields import ERROR_TYPE, PATTERN_MESSAGES
from webpush_iac.state import SourceRef

KeyPath = tuple[str | int, ...]
Mark = tuple[int, int]  # 1-based line, column


@dataclass
class SourceDoc:
    """One YAML document: plain data plus the position of each key and item in it."""

    file: str  # as shown in messages (relative to the cwd when under it)
    path: Path  # on disk, to resolve members_file relative to it
    index: int  # 0-based position in its file
    data: Any
    marks: dict[KeyPath, Mark] = field(default_factory=dict)

    def mark(self, path: Sequence[str | int]) -> Mark:
        """Position of ``path``, or of its nearest ancestor that exists (a missing key's parent)."""
        key = tuple(path)
        while key:
            found = self.marks.get(key)
            if found is not None:
                return found
            key = key[:-1]
        return self.marks.get((), (1, 1))

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        line, col = self.mark(path)
        return Problem(self.file, line, col, dotted(path), message)

    def ref(self, path: Sequence[str | int] = ()) -> SourceRef:
        line, col = self.mark(path)
        return SourceRef(self.file, line, col)

    def get(self, *path: str | int) -> Any:
        """The raw value at ``path``, or None; for checks that must work on invalid documents."""
        node = self.data
        for key in path:
            if isinstance(node, dict) and isinstance(key, str):
                node = node.get(key)
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return None
        return node


def display_path(path: str | Path) -> str:
    """Relative to the working directory when under it, absolute otherwise."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def dotted(path: Iterable[str | int]) -> str:
    """``spec.push.to.tag[3]``: the key path as users read it."""
    out = ""
    for key in path:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else key
    return out


def data_path(data: Any, loc: Sequence[str | int], *, missing: bool = False) -> KeyPath:
    """The part of a pydantic ``loc`` that names real keys and items of ``data``.

    For a ``missing`` error the last element, absent from the data, is the missing key and is
    kept; anything else not in the data is a union tag or validator name and is dropped.
    """
    path: list[str | int] = []
    node = data
    for i, key in enumerate(loc):
        if key == "[key]":  # an invalid mapping key: point at the key itself
            break
        in_dict = isinstance(node, dict) and key in node
        if in_dict or (isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)):
            path.append(key)
            node = node[key]
        elif missing and i == len(loc) - 1:
            path.append(key)
    return tuple(path)


def validation_problems(
    doc: SourceDoc, error: ValidationError, model: type[BaseModel] | None = None
) -> list[Problem]:
    """One Problem per pydantic error, located in ``doc`` and worded for people."""
    problems = []
    for err in error.errors(include_url=False, include_input=False):
        loc: list[str | int] = list(err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == ERROR_TYPE and isinstance(ctx.get("at"), list):
            loc.extend(ctx["at"])
        path = data_path(doc.data, loc, missing=err["type"] == "missing")
        message = _message(err["type"], err["msg"], ctx)
        if err["type"] == "extra_forbidden" and model is not None and path:
            message += _suggestion(model, path)
        problems.append(doc.problem(path, message))
    return problems


_SIMPLE = {
    "missing": "is required",
    "extra_forbidden": "unknown key",
    "string_type": "must be a string (quote it)",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "list_type": "must be a list",
}


def _message(kind: str, default: str, ctx: dict[str, Any]) -> str:
    if kind == ERROR_TYPE:
        return default
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(str(ctx.get("pattern")), "has an invalid format")
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("greater than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        word, key = bounds[kind]
        return f"must be {word} {ctx.get(key)}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "too_long":
        if ctx.get("field_type") == "List":
            return (
                f"has {ctx.get('actual_length')} items; the API accepts at most "
                f"{ctx.get('max_length')}"
            )
        return f"is longer than {ctx.get('max_length')} characters"
    return default[:1].lower() + default[1:]


def _suggestion(model: type[BaseModel], path: KeyPath) -> str:
    allowed = _keys_at(model, path[:-1])
    close = difflib.get_close_matches(str(path[-1]), sorted(allowed), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _keys_at(model: type[BaseModel], path: KeyPath) -> set[str]:
    """Keys allowed in the mapping at ``path``, following the model's field annotations."""
    candidates = [model]
    for key in path:
        if isinstance(key, int):
            continue
        step: list[type[BaseModel]] = []
        for cls in candidates:
            for name, info in cls.model_fields.items():
                if (info.alias or name) == key:
                    step.extend(_models_in(info.annotation))
        if step:
            candidates = step
        # else: a dict key (variables, vars, languages...): stay at the value model
    keys: set[str] = set()
    for cls in candidates:
        keys.update(info.alias or name for name, info in cls.model_fields.items())
    return keys


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return []
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out
