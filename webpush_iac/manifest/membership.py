"""Device and Tag documents → the desired tags and alias of every known device.

There is no list-devices API (docs/api-notes.md "Devices, tags and aliases"), so the project can
only reconcile devices it names: every registration id of a Device, of a Tag's
members/members_file, or of a Tag's ``remove``. Work is linear in the number of memberships (a Tag
may list 100,000 devices), and the static limits that do not depend on live state (one device per
alias, ≤ 100 declared tags per device) are checked here, where each declaration's location is
still known.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from webpush_iac.apispec import MAX_TAGS_PER_DEVICE
from webpush_iac.errors import Problem
from webpush_iac.manifest.models.fields import PATTERN_MESSAGES, REGISTRATION_ID_PATTERN
from webpush_iac.manifest.models.kinds import DeviceModel, TagModel
from webpush_iac.manifest.named_files import (
    MAX_NAMED_FILE_BYTES,
    CappedLines,
    Refused,
    open_named_file,
)
from webpush_iac.manifest.sourcemap import SourceDoc, display_path
from webpush_iac.state import DesiredDevice, SourceRef, TagPolicy

_RID = re.compile(REGISTRATION_ID_PATTERN)
MAX_ID_LINE_BYTES = 4096  # an id is at most 128 characters; the rest of a line is a comment
MAX_REPORTED_LINES = 10  # invalid lines reported one by one per file; the rest are counted
MAX_NAMED_FILE_MIB = MAX_NAMED_FILE_BYTES // (1024 * 1024)


class _Where(NamedTuple):
    """A declaration's location, resolved only for the few that end up in a message.

    Either a path inside a document or a line of a members file; a NamedTuple because one is
    kept per membership and must be cheap to create.
    """

    doc: SourceDoc | None
    path: tuple[str | int, ...] = ()
    file: str = ""
    line: int = 0
    col: int = 0

    def problem(self, message: str) -> Problem:
        if self.doc is not None:
            return self.doc.problem(self.path, message)
        return Problem(self.file, self.line, self.col, "", message)

    def ref(self) -> SourceRef:
        if self.doc is not None:
            return self.doc.ref(self.path)
        return SourceRef(self.file, self.line, self.col)


def _where(doc: SourceDoc, *path: str | int) -> _Where:
    return _Where(doc, path)


@dataclass
class _Devices:
    policies: dict[str, TagPolicy] = field(default_factory=dict)
    wanted: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    forbidden: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    first_seen: dict[str, _Where] = field(default_factory=dict)
    removals: dict[tuple[str, str], _Where] = field(default_factory=dict)
    owners: dict[str, tuple[str, SourceDoc]] = field(default_factory=dict)  # rid -> Device doc
    aliases: dict[str, str | None] = field(default_factory=dict)  # rid -> alias
    alias_owner: dict[str, tuple[str, _Where, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def build_devices(
    device_docs: list[tuple[SourceDoc, DeviceModel]],
    tag_docs: list[tuple[SourceDoc, TagModel]],
    extra_known: Iterable[str] = (),
    root: Path | None = None,
) -> tuple[dict[str, DesiredDevice], dict[str, TagPolicy], list[Problem]]:
    """Known devices with their desired tags/alias, the managed tags, and every problem found.

    ``root`` is the manifest tree members files must lie in (the Project file's folder); without
    one, each Tag's own folder.
    """
    with _collector_paused():
        acc = _Devices()
        for doc, tag in tag_docs:
            _add_tag(acc, doc, tag, root)
        for doc, device in device_docs:
            _add_device(acc, doc, device)
        _check_conflicts(acc)
        known = set(acc.owners) | set(acc.wanted) | set(acc.forbidden) | set(extra_known)
        devices = {}
        shared: dict[frozenset[str], frozenset[str]] = {}  # most devices share a few tag sets
        for rid in sorted(known):
            owner = acc.owners.get(rid)
            seen = acc.first_seen.get(rid)
            tags = frozenset(acc.wanted.get(rid, ()))
            forbidden = frozenset(acc.forbidden.get(rid, ()))
            devices[rid] = DesiredDevice(
                registration_id=rid,
                tags=shared.setdefault(tags, tags),
                forbidden_tags=shared.setdefault(forbidden, forbidden),
                alias=acc.aliases.get(rid),
                labels=(owner[0],) if owner else (),
                source=owner[1].ref() if owner else seen.ref() if seen else None,
            )
    return devices, dict(sorted(acc.policies.items())), acc.problems


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a million devices' objects are built.

    Nothing built here forms a cycle, yet every collection would walk all of them again: for a
    1,000,000-line members file that was 40% of the load time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _add_tag(acc: _Devices, doc: SourceDoc, tag: TagModel, root: Path | None) -> None:
    name = tag.metadata.name
    acc.policies[name] = TagPolicy(name, tag.spec.mode, doc.ref(("metadata", "name")))
    members: set[str] = set()
    for i, rid in enumerate(tag.spec.members):
        members.add(rid)
        acc.wanted[rid].add(name)
        if rid not in acc.first_seen:
            acc.first_seen[rid] = _where(doc, "spec", "members", i)
    if tag.spec.members_file is not None:
        for rid, where in _read_members(acc, doc, tag.spec.members_file, root):
            members.add(rid)
            acc.wanted[rid].add(name)
            acc.first_seen.setdefault(rid, where)
    for i, rid in enumerate(tag.spec.remove):
        where = _where(doc, "spec", "remove", i)
        if rid in members:
            acc.problems.append(where.problem("is also a member of this tag"))
            continue
        acc.forbidden[rid].add(name)
        acc.removals[(name, rid)] = where
        acc.first_seen.setdefault(rid, where)


def _read_members(
    acc: _Devices, doc: SourceDoc, relative: str, root: Path | None
) -> Iterator[tuple[str, _Where]]:
    """Ids of a members file (one per line, ``#`` comments), read line by line through the
    manifest's file gate; bad lines are located in that file, never echoed, and reported at most
    :data:`MAX_REPORTED_LINES` times per file."""
    base = doc.path.parent
    shown = display_path(base / relative)
    with open_named_file(root or base, base, relative) as found:
        if isinstance(found, Refused):
            acc.problems.append(doc.problem(("spec", "members_file"), f"{shown} {found.reason}"))
            return
        bad = _BadLines(acc, shown)
        lines = CappedLines(found, MAX_ID_LINE_BYTES)
        for number, raw in enumerate(lines, start=1):
            if raw is None:
                bad.add(number, 1, f"line is longer than {MAX_ID_LINE_BYTES:,} bytes")
                continue
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                bad.add(number, 1, "is not UTF-8 text")
                continue
            parsed = id_line(text)
            if parsed is None:
                continue
            col, rid = parsed
            if _RID.match(rid) is None:
                bad.add(number, col, PATTERN_MESSAGES[REGISTRATION_ID_PATTERN])
                continue
            yield rid, _Where(None, (), shown, number, col)
        if lines.too_large:
            where = _Where(None, (), shown, lines.count, 1)
            acc.problems.append(
                where.problem(f"grew past {MAX_NAMED_FILE_MIB} MiB while it was read")
            )
        bad.close()


class _BadLines:
    """The invalid lines of one file: the first few as problems, the rest as one count."""

    def __init__(self, acc: _Devices, shown: str) -> None:
        self.acc, self.shown = acc, shown
        self.more = 0
        self.first_more: tuple[int, int] = (0, 0)
        self.reported = 0

    def add(self, line: int, col: int, message: str) -> None:
        if self.reported < MAX_REPORTED_LINES:
            self.reported += 1
            self.acc.problems.append(Problem(self.shown, line, col, "", message))
        else:
            self.more += 1
            self.first_more = self.first_more if self.more > 1 else (line, col)

    def close(self) -> None:
        if self.more:
            line, col = self.first_more
            message = (
                f"... and {self.more:,} more invalid lines in {self.shown} (from this line on)"
            )
            self.acc.problems.append(Problem(self.shown, line, col, "", message))


def named_identifiers(docs: Iterable[SourceDoc]) -> tuple[set[str], set[str]]:
    """Registration ids and aliases any Device or Tag document names, read from the raw data
    (the documents need not validate) and through the members-file gate: what error text
    written for a pull request must mask."""
    docs = list(docs)
    project = next(
        (d for d in docs if isinstance(d.data, dict) and d.get("kind") == "Project"), None
    )
    root = project.path.parent if project else None
    rids: set[str] = set()
    aliases: set[str] = set()
    for doc in docs:
        kind, spec = doc.get("kind"), doc.get("spec")
        if not isinstance(spec, dict):
            continue
        if kind == "Device":
            rids.update(v for v in (spec.get("registration_id"),) if isinstance(v, str))
            aliases.update(v for v in (spec.get("alias"),) if isinstance(v, str) and v)
        elif kind == "Tag":
            for key in ("members", "remove"):
                values = spec.get(key)
                if isinstance(values, list):
                    rids.update(v for v in values if isinstance(v, str))
            if isinstance(spec.get("members_file"), str):
                scratch = _Devices()
                rids.update(
                    rid for rid, _ in _read_members(scratch, doc, spec["members_file"], root)
                )
    return rids, aliases


def id_line(raw: str) -> tuple[int, str] | None:
    """``(column, id)`` of one line of a one-id-per-line text, or None for a blank line or a
    ``#`` comment."""
    content = raw.split("#", 1)[0]
    value = content.strip()
    if not value:
        return None
    return len(content) - len(content.lstrip()) + 1, value


def id_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """``(line, column, id)`` of every id in a one-id-per-line text (baseline members files,
    export's id list): blank lines and ``#`` comments are skipped."""
    for number, raw in enumerate(text.splitlines(), start=1):
        parsed = id_line(raw)
        if parsed is not None:
            yield number, *parsed


def _add_device(acc: _Devices, doc: SourceDoc, device: DeviceModel) -> None:
    rid, label = device.spec.registration_id, device.metadata.name
    if rid in acc.owners:
        other, other_doc = acc.owners[rid]
        acc.problems.append(
            doc.problem(
                ("spec", "registration_id"),
                f"is already declared by Device '{other}' ({other_doc.ref()}); "
                "declare each device once",
            )
        )
        return
    acc.owners[rid] = (label, doc)
    acc.first_seen[rid] = _where(doc, "metadata", "name")
    alias = device.spec.alias
    acc.aliases[rid] = alias
    if alias:
        where = _where(doc, "spec", "alias")
        if alias in acc.alias_owner:
            other_rid, other_where, other_label = acc.alias_owner[alias]
            acc.problems.append(
                where.problem(
                    f"alias '{alias}' is already bound to device {other_rid} by Device "
                    f"'{other_label}' ({other_where.ref()}); an alias names one device only"
                )
            )
        else:
            acc.alias_owner[alias] = (rid, where, label)
    for i, tag in enumerate(device.spec.tags):
        acc.wanted[rid].add(tag)
        if tag not in acc.policies:  # named only in Devices' tags: managed, mode exact
            acc.policies[tag] = TagPolicy(tag, "exact", doc.ref(("spec", "tags", i)))


def _check_conflicts(acc: _Devices) -> None:
    forbidden = acc.forbidden
    for rid, wanted in acc.wanted.items():
        for tag in sorted(wanted & forbidden[rid]) if rid in forbidden else ():
            acc.problems.append(
                acc.removals[(tag, rid)].problem(
                    f"device {rid} is also given tag '{tag}' (by a Device or a members list); "
                    "it cannot both carry the tag and be removed from it"
                )
            )
        if len(wanted) > MAX_TAGS_PER_DEVICE:
            owner = acc.owners.get(rid)
            where = _where(owner[1], "spec", "tags") if owner else acc.first_seen[rid]
            acc.problems.append(
                where.problem(
                    f"device {rid} is given {len(wanted)} tags over all declarations; "
                    f"a device may carry at most {MAX_TAGS_PER_DEVICE}"
                )
            )
