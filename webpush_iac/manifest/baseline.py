"""Registration ids named by the manifests at another git commit (``--baseline REF``).

Without a baseline a device dropped from an ``exact`` tag's list is simply no longer known, so it
would keep the tag forever. Reading the manifests as they were at the merge base (or the previous
commit) makes those devices known again, with no desired tags. Old manifests may be invalid by
today's rules, so they are read best-effort: whatever parses and looks like an id counts.

Git is read through ``git ls-tree`` and one ``git cat-file --batch`` per round, so a large tree
costs two processes, not one per file. The YAML parser is passed in (only ``manifest.yaml``
imports ruamel.yaml).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from webpush_iac.errors import ConfigError
from webpush_iac.manifest.membership import id_lines
from webpush_iac.manifest.models.fields import REGISTRATION_ID_PATTERN

Parse = Callable[[str, str], list[Any]]
_RID = re.compile(REGISTRATION_ID_PATTERN)
_SUFFIXES = (".yaml", ".yml")


def registration_ids(paths: Sequence[str | Path], git_ref: str, *, parse: Parse) -> set[str]:
    """Ids from Device ``registration_id`` and Tag ``members``/``members_file``/``remove``."""
    found: set[str] = set()
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
        member_files: list[str] = []
        for name, text in _cat(root, git_ref, files).items():
            for data in parse(text, name):
                found.update(_ids(data, name, member_files))
        for text in _cat(root, git_ref, member_files).values():
            found.update(rid for _, _, rid in id_lines(text) if _RID.match(rid))
    return found


def _ids(data: Any, name: str, member_files: list[str]) -> set[str]:
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
            joined = PurePosixPath(name).parent / members_file
            member_files.append(_normalise(joined))
    return {v for v in values if isinstance(v, str) and _RID.match(v)}


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _verify(root: Path, ref: str) -> None:
    if ref.startswith("-"):
        raise ConfigError(f"baseline: {ref!r} is not a git revision")
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ConfigError:
        raise ConfigError(f"baseline: unknown git revision {ref!r}") from None


def _cat(root: Path, ref: str, names: list[str]) -> dict[str, str]:
    """Contents of ``names`` at ``ref`` in one ``git cat-file --batch`` call; missing ones omitted."""
    if not names:
        return {}
    request = "".join(f"{ref}:{name}\n" for name in names).encode()
    raw = _git(root, "cat-file", "--batch", stdin=request)
    out: dict[str, str] = {}
    pos = 0
    for name in names:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            out[name] = raw[pos : pos + size].decode("utf-8-sig", "replace")
            pos += size + 1
        elif len(header) == 3:
            pos += int(header[2]) + 1  # a tree or other object at that path: skip its body
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
