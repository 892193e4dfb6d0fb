"""What the manifests declared at another git commit (``--baseline REF``): devices and schedules.

Without a baseline a device dropped from an ``exact`` tag's list is simply no longer known, so it
would keep the tag forever. Reading the manifests as they were at the merge base (or the previous
commit) makes those devices known again, with no desired tags.

Schedules: the API forgets a single once it has fired, so a past single absent live is either fired
or never created, and only git can tell which. A schedule the baseline already declared was applied
before (fired); one it did not declare is new, and with its time past it would never be sent.

Old manifests may be invalid by today's rules, so they are read best-effort: whatever parses and
looks like an id or a name counts.

Git is read through ``git ls-tree`` and one ``git cat-file --batch-check``/``--batch`` pair per
round, so a large tree costs a handful of processes, not one per file. The YAML parser is passed
in (only ``manifest.yaml`` imports ruamel.yaml).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from webpush_iac.errors import ConfigError
from webpush_iac.manifest.membership import id_lines
from webpush_iac.manifest.models.fields import REGISTRATION_ID_PATTERN
from webpush_iac.manifest.named_files import (
    MAX_NAMED_FILE_BYTES,
    PROJECT_FILES,
    Refused,
    contained,
)

Parse = Callable[[str, str], list[Any]]
_RID = re.compile(REGISTRATION_ID_PATTERN)
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Baseline:
    """``registration_ids``: from Device ``registration_id`` and Tag ``members``/``members_file``/
    ``remove``. ``schedules``: every Schedule ``metadata.name`` (and ``renamed_from``)."""

    registration_ids: frozenset[str] = frozenset()
    schedules: frozenset[str] = frozenset()


def registration_ids(paths: Sequence[str | Path], git_ref: str, *, parse: Parse) -> set[str]:
    """Ids from Device ``registration_id`` and Tag ``members``/``members_file``/``remove``."""
    return set(declared(paths, git_ref, parse=parse).registration_ids)


def declared(paths: Sequence[str | Path], git_ref: str, *, parse: Parse) -> Baseline:
    """Devices and schedule names the manifests under ``paths`` declared at ``git_ref``.

    A ``members_file`` is read only when it lies inside the manifest tree as it was at the ref
    (the folder of its ``webpush-iac.yaml``), as :mod:`~webpush_iac.manifest.named_files` demands
    of files on disk; one outside it, or over the size cap, names no devices.
    """
    found: set[str] = set()
    schedules: set[str] = set()
    for raw in paths or ["."]:
        path = Path(raw).resolve()
        folder = path if path.is_dir() else path.parent
        root = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
        _verify(root, git_ref)
        relative = path.relative_to(root).as_posix() if path != root else "."
        listing = _git(root, "ls-tree", "-r", "--name-only", "-z", git_ref, "--", relative)
        files = [
            name
            for name in listing.decode("utf-8", "replace").split("\0")
            if name.endswith(_SUFFIXES) and not any(p.startswith(".") for p in name.split("/"))
        ]
        given = PurePosixPath(relative)
        tree = _tree(files, given if path.is_dir() else given.parent)
        member_files: list[str] = []
        for name, text in _cat(root, git_ref, files).items():
            for data in parse(text, name):
                found.update(_ids(data, name, tree, member_files))
                schedules.update(_schedule_names(data))
        for text in _cat(root, git_ref, member_files).values():
            found.update(rid for _, _, rid in id_lines(text) if _RID.match(rid))
    return Baseline(frozenset(found), frozenset(schedules))


def _schedule_names(data: Any) -> set[str]:
    if not isinstance(data, dict) or data.get("kind") != "Schedule":
        return set()
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return set()
    names = (metadata.get("name"), metadata.get("renamed_from"))
    return {n for n in names if isinstance(n, str) and n}


def _tree(files: list[str], given: PurePosixPath) -> PurePosixPath:
    """The manifest tree at the ref: the shallowest folder holding a Project file, else the
    folder the paths name."""
    projects = [PurePosixPath(n).parent for n in files if PurePosixPath(n).name in PROJECT_FILES]
    return min(projects, key=lambda p: len(p.parts)) if projects else given


def _ids(data: Any, name: str, tree: PurePosixPath, member_files: list[str]) -> set[str]:
    if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
        return set()
    spec = data["spec"]
    values: list[Any] = []
    if data.get("kind") == "Device":
        values.append(spec.get("registration_id"))
    elif data.get("kind") == "Tag":
        for key in ("members", "remove"):
            if isinstance(spec.get(key), list):
                values.extend(spec[key])
        members_file = spec.get("members_file")
        if isinstance(members_file, str):
            inside = contained(PurePosixPath(name).parent, members_file, tree)
            if not isinstance(inside, Refused):
                member_files.append(inside)
    return {v for v in values if isinstance(v, str) and _RID.match(v)}


def _verify(root: Path, ref: str) -> None:
    if ref.startswith("-"):
        raise ConfigError(f"baseline: {ref!r} is not a git revision")
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ConfigError:
        raise ConfigError(f"baseline: unknown git revision {ref!r}") from None


def _cat(root: Path, ref: str, names: list[str]) -> dict[str, str]:
    """Contents of ``names`` at ``ref``; missing ones, trees and blobs over the size cap for
    files a manifest names are omitted. One ``git cat-file --batch-check`` for the sizes, then
    one ``--batch`` for the blobs that pass."""
    if not names:
        return {}
    request = "".join(f"{ref}:{name}\n" for name in names).encode()
    checks = _git(root, "cat-file", "--batch-check", stdin=request).decode().splitlines()
    wanted = [
        name
        for name, check in zip(names, checks, strict=False)
        if (parts := check.split())
        and len(parts) == 3
        and parts[1] == "blob"
        and int(parts[2]) <= MAX_NAMED_FILE_BYTES
    ]
    if not wanted:
        return {}
    request = "".join(f"{ref}:{name}\n" for name in wanted).encode()
    raw = _git(root, "cat-file", "--batch", stdin=request)
    out: dict[str, str] = {}
    pos = 0
    for name in wanted:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].split()
        pos = end + 1
        if len(header) == 3:
            size = int(header[2])
            out[name] = raw[pos : pos + size].decode("utf-8-sig", "replace")
            pos += size + 1
    return out


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", *args],  # noqa: S607 - git from PATH, as users run it
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise ConfigError(f"baseline: cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(f"baseline: git {args[0]} failed: {message[-1] if message else ''}")
    return done.stdout
