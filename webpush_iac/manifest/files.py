"""Which files make a manifest set, reading them, and the load entry points.

Finding and reading files is kept apart from parsing (``yaml``) and validation (``documents``):
what counts as a manifest file, and what a set of paths means, is decided here only.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from webpush_iac.errors import ManifestError, Problem
from webpush_iac.manifest import baseline as _baseline
from webpush_iac.manifest.baseline import Baseline
from webpush_iac.manifest.documents import LoadResult, build_state, project_settings
from webpush_iac.manifest.membership import named_identifiers
from webpush_iac.manifest.named_files import MAX_NAMED_FILE_BYTES, PROJECT_FILES
from webpush_iac.manifest.sourcemap import SourceDoc, display_path
from webpush_iac.manifest.yaml import UNPARSED, parse_documents, parse_quietly
from webpush_iac.state import DesiredState, ProjectSettings

__all__ = [
    "PROJECT_FILES",
    "Baseline",
    "LoadResult",
    "baseline_registration_ids",
    "group_paths",
    "identifiers",
    "load",
    "load_project",
    "load_report",
    "read_baseline",
    "read_documents",
]

log = logging.getLogger(__name__)

SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv"})
# A top-level apiVersion or kind key, in YAML's block style or JSON's quoted one (JSON is YAML).
_MANIFEST_HINT = re.compile(
    r"""^(?:apiVersion|kind)\s*:|^[\s{,]*["'](?:apiVersion|kind)["']\s*:""", re.MULTILINE
)


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


def load_project(path: str | Path) -> ProjectSettings:
    """The Project of a manifest tree: ``path`` is its folder (holding ``webpush-iac.yaml``) or
    the Project file itself. Only that file is read; raises ManifestError when it holds no
    valid Project."""
    file = Path(path)
    if file.is_dir():
        found = [file / name for name in PROJECT_FILES if (file / name).is_file()]
        if not found:
            names = " or ".join(PROJECT_FILES)
            problem = Problem(display_path(file), 0, 0, "", f"no Project file ({names}) here")
            raise ManifestError([problem])
        file = found[0]
    docs, problems, _complete = read_documents([file])
    if problems:
        raise ManifestError(problems)
    return project_settings(docs, display_path(file))


def baseline_registration_ids(paths: Sequence[str | Path], git_ref: str) -> set[str]:
    """Registration ids named by Device/Tag documents of the manifests at ``git_ref``."""
    return _baseline.registration_ids(paths, git_ref, parse=parse_quietly)


def identifiers(paths: Sequence[str | Path]) -> tuple[set[str], set[str]]:
    """Registration ids and aliases the manifests under ``paths`` name, read best-effort: error
    text for a pull request is masked with them even when the manifests do not validate."""
    docs, _, _ = read_documents(paths)
    return named_identifiers(docs)


def read_baseline(paths: Sequence[str | Path], git_ref: str) -> Baseline:
    """Devices and schedule names the manifests declared at ``git_ref``."""
    return _baseline.declared(paths, git_ref, parse=parse_quietly)


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
        complete = complete and not any(p.message.startswith(UNPARSED) for p in file_problems)
    return docs, problems, complete


def _manifest_files(root: Path) -> tuple[list[Path], list[str]]:
    """YAML files under ``root`` that look like manifests, skipping hidden and vendored dirs.

    A file without any top-level ``apiVersion:``/``kind:`` line (a CI workflow, a compose file)
    is not a manifest; a manifest that merely lacks apiVersion still has ``kind`` and is kept,
    and one written in JSON syntax (``{"apiVersion": ...}``) is kept too.
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
    """A manifest file's text; a FIFO or device found in a folder would block or never end, and
    a manifest past the named-file cap is not one, so neither is read."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, "is not a regular file"
        if info.st_size > MAX_NAMED_FILE_BYTES:
            return None, f"is larger than {MAX_NAMED_FILE_BYTES // (1024 * 1024)} MiB"
        return path.read_bytes().decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
