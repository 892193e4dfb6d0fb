"""Files a manifest names (a Tag's ``members_file``; App Push Voice zips): may this one be read?

Why one gate: a manifest arrives in a pull request, and what it names is read on the CI runner. A
name like ``../../../etc/machine-id``, an absolute path or a symlink to the master secret's file
would otherwise be read and its content sent to the API as a registration id and printed in the
plan; ``/dev/zero`` or a FIFO would hang the run. So every file a manifest names goes through
:func:`open_named_file`: only a regular file inside the manifest tree (the folder holding the
Project's ``webpush-iac.yaml``, symlinks resolved on both sides) of at most
:data:`MAX_NAMED_FILE_BYTES` is opened. :func:`contained` applies the same rule to a path inside
a git tree (``--baseline``), where there is no disk to resolve against.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Final

MAX_NAMED_FILE_BYTES: Final = 64 * 1024 * 1024
PROJECT_FILES: Final = ("webpush-iac.yaml", "webpush-iac.yml")  # the file marking a tree's root
TREE = "the manifest tree (the folder holding webpush-iac.yaml)"
OUTSIDE = f"is outside {TREE}; only files inside it may be named"


@dataclass(frozen=True)
class Refused:
    """Why a named file may not be read, worded to follow its name in a message."""

    reason: str


def _human(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


def resolve_named_file(root: Path, base: Path, name: str) -> Path | Refused:
    """The real path ``name`` (relative to the folder ``base`` of the naming manifest) points at,
    when it is a regular file inside ``root``; else why not. Nothing is opened."""
    if not name or "\0" in name:
        return Refused("is not a usable file name")
    if Path(name).is_absolute() or PurePosixPath(name).is_absolute():
        return Refused(f"is an absolute path; name a file relative to this manifest, inside {TREE}")
    try:
        real = (base / name).resolve(strict=True)
        tree = root.resolve(strict=True)
    except FileNotFoundError:
        return Refused("does not exist")
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        return Refused(f"cannot be resolved: {getattr(exc, 'strerror', None) or exc}")
    if not real.is_relative_to(tree):
        return Refused(OUTSIDE)
    try:
        info = real.stat()
    except OSError as exc:
        return Refused(f"cannot be read: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        return Refused("is not a regular file")
    if info.st_size > MAX_NAMED_FILE_BYTES:
        return Refused(f"is larger than {_human(MAX_NAMED_FILE_BYTES)}")
    return real


@contextmanager
def open_named_file(root: Path, base: Path, name: str) -> Iterator[BinaryIO | Refused]:
    """``with open_named_file(root, base, name) as found:`` a binary file, or :class:`Refused`.

    The file is opened without blocking and checked again on the open descriptor, so a file
    swapped for a FIFO or a device after the check is refused rather than read; reads through
    :class:`CappedLines` (or a reader that honours :data:`MAX_NAMED_FILE_BYTES`) stay under the cap
    even if the file grows.
    """
    found = resolve_named_file(root, base, name)
    if isinstance(found, Refused):
        yield found
        return
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(found, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        yield Refused(f"cannot be read: {exc.strerror or exc}")
        return
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        yield Refused("is not a regular file")
        return
    with os.fdopen(fd, "rb") as handle:
        yield handle


class CappedLines:
    """Lines of an open file one at a time (never the whole text), at most
    :data:`MAX_NAMED_FILE_BYTES` in all.

    A line longer than ``max_line`` bytes comes out as ``None`` and is skipped to its end without
    being kept. ``too_large`` tells, after the loop, that the file grew past the cap while it was
    read (the size was checked when it was opened), so the lines seen are not all of it.
    """

    def __init__(self, handle: BinaryIO, max_line: int) -> None:
        self.handle = handle
        self.max_line = max_line
        self.count = 0
        self.too_large = False

    def __iter__(self) -> Iterator[bytes | None]:
        left = MAX_NAMED_FILE_BYTES
        read = self.handle.readline
        while True:
            line = read(min(self.max_line + 1, left)) if left > 0 else b""
            if not line:
                self.too_large = left <= 0 and bool(self.handle.read(1))
                return
            left -= len(line)
            self.count += 1
            if len(line) <= self.max_line or line.endswith(b"\n"):
                yield line
                continue
            while left > 0 and line and not line.endswith(b"\n"):  # the rest of a long line
                line = read(min(64 * 1024, left))
                left -= len(line)
            yield None


def contained(folder: PurePosixPath, name: str, tree: PurePosixPath) -> str | Refused:
    """``folder/name`` as a normalised path inside ``tree`` (paths of one git commit, relative
    to the repository root), or why it is not. Git trees may hold symlinks too; a blob read
    from one is its target's *name*, never the target's content, so no resolving is needed."""
    if not name or "\0" in name or PurePosixPath(name).is_absolute():
        return Refused(OUTSIDE)
    parts: list[str] = []
    for part in (folder / name).parts:
        if part == "..":
            if not parts:
                return Refused(OUTSIDE)
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    joined = PurePosixPath(*parts) if parts else PurePosixPath(".")
    if tree != PurePosixPath(".") and not joined.is_relative_to(tree):
        return Refused(OUTSIDE)
    return joined.as_posix()


__all__ = [
    "MAX_NAMED_FILE_BYTES",
    "PROJECT_FILES",
    "CappedLines",
    "Refused",
    "contained",
    "open_named_file",
    "resolve_named_file",
]
