"""Dotted paths of what differs between two comparable schedules (the only deepdiff importer).

deepdiff is far too slow to run on thousands of equal pairs (about a millisecond per schedule),
so the top levels are walked with cheap ``==`` and deepdiff sees only the small sub-trees that
differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deepdiff import DeepDiff

from webpush_iac.plan.model import FieldChange


def field_changes(before: Any, after: Any) -> tuple[FieldChange, ...]:
    """Dotted paths of what differs (``trigger.periodical.time``); a list is reported whole."""
    paths: set[tuple[str, ...]] = set()
    _collect(before, after, (), paths)
    kept = sorted(p for p in paths if not any(p[: len(q)] == q and p != q for q in paths))
    return tuple(FieldChange(".".join(p), _lookup(before, p), _lookup(after, p)) for p in kept)


def _collect(before: Any, after: Any, prefix: tuple[str, ...], paths: set[tuple[str, ...]]) -> None:
    """Walk the top levels ourselves (cheap ``==`` per key) and hand deepdiff only the small
    sub-dicts that differ: one DeepDiff over a whole schedule costs about a millisecond."""
    if before == after:
        return
    if not (isinstance(before, dict) and isinstance(after, dict)):
        paths.add(prefix)
        return
    if len(prefix) >= _NARROW_DEPTH:
        tree = DeepDiff(before, after, view="tree", ignore_numeric_type_changes=True)
        for levels in tree.values():
            for level in levels:
                paths.add(prefix + _collapse(level.path(output_format="list")))
        return
    for key in sorted(before.keys() | after.keys(), key=str):
        _collect(before.get(key), after.get(key), (*prefix, str(key)), paths)


_NARROW_DEPTH = 3  # e.g. push.body.notification: below this deepdiff takes over


def _collapse(path: Iterable[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for part in path:
        if not isinstance(part, str):
            break  # a list index: report the list as a whole
        out.append(part)
    return tuple(out)


def _lookup(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


__all__ = ["field_changes"]
