"""JSON Schemas of the manifest kinds, generated from the models so they cannot drift apart.

Editors (yaml-language-server) use them to complete keys and flag mistakes while typing; the
examples point at ``schemas/manifest.schema.json``. The committed copies under ``schemas/`` are
checked against a fresh generation by a test, so a model change without ``webpush-iac schema``
fails CI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from webpush_iac.manifest.models.kinds import MODELS, Document

DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMBINED = "manifest.schema.json"


def kind_schemas() -> dict[str, dict[str, Any]]:
    """File name → schema, one file per kind plus the combined one (oneOf by ``kind``)."""
    out: dict[str, dict[str, Any]] = {}
    for kind, model in MODELS.items():
        schema = model.model_json_schema(by_alias=True)
        out[f"{kind.lower()}.schema.json"] = {"$schema": DIALECT, **schema}
    combined = TypeAdapter(Document).json_schema(by_alias=True)
    out[COMBINED] = {
        "$schema": DIALECT,
        "title": "webpush-iac manifest",
        "description": "One document of a webpush-iac manifest (apiVersion webpush-iac/v1).",
        **combined,
    }
    return out


def render_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(out_dir: str | Path) -> list[Path]:
    """Write every schema under ``out_dir`` (created if needed); returns the paths written."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in kind_schemas().items():
        path = folder / name
        path.write_text(render_schema(schema), encoding="utf-8")
        written.append(path)
    return written
