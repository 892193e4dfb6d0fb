"""The one builder of manifest documents for tests: as data, as YAML text, and as a tree on disk.

Two forms, because tests need both. Most tests only want "a valid Project with prune on": they
build documents as data (:func:`document` and the per-kind helpers) and write them with
:func:`to_yaml` / :func:`write_tree`. Tests that assert a ``file:line:col`` write the YAML text
themselves and start each document with :func:`head`, so the lines they count are the lines on the
page. ``apiVersion`` is spelled here and nowhere else in the tests.

:func:`to_yaml` is deliberately not the package's own YAML writer: the input of a test must not
depend on the code under test. It writes block mappings with JSON scalars and flow lists (JSON is
YAML), which every YAML 1.2 reader parses the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

API_VERSION = "webpush-iac/v1"
# "Now" of the manifest tests: a single time may lie up to one year ahead, to 2027-11-22 12:00 UTC.
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

Kind = Literal["Project", "Template", "Schedule", "Device", "Tag"]
Document = dict[str, Any]
TreeFile = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Fixed once per test session, so two manifests built with the same offset a few seconds apart
# in one test hold the same time (a rewrite then changes only what the test meant to change).
_SESSION_START = datetime.now(UTC).replace(microsecond=0)


# --- documents as data -------------------------------------------------------------------------


def document(
    kind: Kind, name: str | None = None, spec: Mapping[str, Any] | None = None
) -> Document:
    """One manifest document as YAML parsing yields it; no ``metadata`` without a name, no
    ``spec`` unless given."""
    doc: Document = {"apiVersion": API_VERSION, "kind": kind}
    if name is not None:
        doc["metadata"] = {"name": name}
    if spec is not None:
        doc["spec"] = dict(spec)
    return doc


def project(name: str = "p", **spec: Any) -> Document:
    return document("Project", name, spec or None)


def template(name: str, **spec: Any) -> Document:
    return document("Template", name, spec or None)


def schedule(name: str, **spec: Any) -> Document:
    return document("Schedule", name, spec or None)


def device(name: str, registration_id: str, **spec: Any) -> Document:
    return document("Device", name, {"registration_id": registration_id, **spec})


def tag(name: str, **spec: Any) -> Document:
    return document("Tag", name, spec or None)


# --- documents as text ---------------------------------------------------------------------------


def head(kind: str, name: str | None = None, *, metadata: str | None = None) -> str:
    """The first lines of a document as YAML text, for tests that count lines.

    ``apiVersion`` and ``kind``, then ``metadata: {name: NAME}`` when a name is given (three lines)
    or ``metadata: METADATA`` verbatim (any flow text, valid or not); without either, two lines.
    ``kind`` is any text, so broken kinds can be written too.
    """
    lines = [f"apiVersion: {API_VERSION}", f"kind: {kind}"]
    if metadata is not None:
        lines.append(f"metadata: {metadata}")
    elif name is not None:
        lines.append(f"metadata: {{name: {name}}}")
    return "\n".join(lines) + "\n"


def to_yaml(*docs: Mapping[str, Any]) -> str:
    """Documents as one multi-document YAML text."""
    return "---\n".join("".join(_block(doc, 0)) for doc in docs)


def _block(data: Mapping[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for key, value in data.items():
        name = key if _PLAIN_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
        if isinstance(value, Mapping) and value:
            out.append(f"{pad}{name}:\n")
            out += _block(value, indent + 2)
        else:
            out.append(f"{pad}{name}: {json.dumps(value, ensure_ascii=False)}\n")
    return out


def write(folder: Path, name: str, text: str) -> Path:
    """Write one file under ``folder`` (creating its folders) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_tree(root: Path, files: Mapping[str, TreeFile]) -> Path:
    """Write ``{relative path: YAML text, a document or a list of documents}`` under ``root``,
    replacing the YAML already there, and return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for old in [*root.rglob("*.yaml")]:
        old.unlink()
    for name, content in files.items():
        if isinstance(content, str):
            text = content
        elif isinstance(content, Mapping):
            text = to_yaml(content)
        else:
            text = to_yaml(*content)
        write(root, name, text)
    return root


# --- the small project the end-to-end tests reconcile ----------------------------------------------


def in_days(days: float) -> str:
    """A wall-clock API time ``days`` after the test session started (UTC); manifests check it
    against the real clock, so it must lie ahead of it for as long as the session runs."""
    moment = _SESSION_START + timedelta(days=days)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def project_yaml(
    *,
    prefix: str = "iac_",
    prune: bool = False,
    timezone: str = "UTC",
    managed: tuple[str, ...] = (),
    max_delete_percent: int = 30,
    max_device_changes: int = 10000,
    concurrency: int = 8,
) -> str:
    """The Project of the end-to-end tests: fast pacing, the safety thresholds as given."""
    return to_yaml(
        project(
            "e2e",
            timezone=timezone,
            ownership={"prefix": prefix},
            prune={"schedules": prune},
            tags={"managed": list(managed)},
            rate_limit={"qps": 1000, "concurrency": concurrency},
            safety={
                "max_delete_percent": max_delete_percent,
                "max_device_changes": max_device_changes,
            },
        )
    )


def single_schedule(
    name: str,
    *,
    time: str | None = None,
    enabled: bool = True,
    alert: str = "Hello",
    to: Any = "all",
) -> str:
    """A one-shot schedule, by default 90 days ahead, with an inline notification."""
    return to_yaml(
        schedule(
            name,
            enabled=enabled,
            trigger={"single": {"time": time or in_days(90)}},
            push={
                "to": to,
                "notification": {
                    "title": f"T {name}",
                    "alert": alert,
                    "url": f"https://example.com/{name}",
                },
            },
        )
    )


def periodical_schedule(name: str, *, end: str | None = None) -> str:
    """A weekly schedule from tomorrow to ``end`` (300 days ahead), points in mixed case."""
    return to_yaml(
        schedule(
            name,
            trigger={
                "periodical": {
                    "start": in_days(1),
                    "end": end or in_days(300),
                    "time": "09:00:00",
                    "time_unit": "Week",
                    "point": ["fri", "MON"],
                }
            },
            push={
                "to": {"tag": ["digest"]},
                "notification": {"alert": f"Weekly {name}", "url": "https://example.com/w"},
            },
        )
    )
