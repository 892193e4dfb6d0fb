"""JSON Schemas: generated from the models, committed under schemas/, used by the examples."""

from __future__ import annotations

import json

from support.constants import REPO

from webpush_iac.manifest.schema import kind_schemas, render_schema


def test_committed_schemas_match_the_models() -> None:
    """Fails when a model changed without `webpush-iac schema` being re-run and committed."""
    for name, schema in kind_schemas().items():
        committed = REPO / "schemas" / name
        assert committed.is_file(), f"schemas/{name} is missing: run `webpush-iac schema`"
        assert committed.read_text(encoding="utf-8") == render_schema(schema), (
            f"schemas/{name} is stale: run `webpush-iac schema` and commit the result"
        )


def test_schemas_carry_descriptions_and_refuse_unknown_keys() -> None:
    schedule_schema = kind_schemas()["schedule.schema.json"]
    assert schedule_schema["additionalProperties"] is False
    assert "description" in schedule_schema
    single = schedule_schema["$defs"]["SingleTrigger"]
    assert single["properties"]["time"]["pattern"].startswith("^[0-9]{4}-")
    combined = kind_schemas()["manifest.schema.json"]
    assert combined["discriminator"]["propertyName"] == "kind"


def test_examples_point_editors_at_the_combined_schema() -> None:
    for path in sorted((REPO / "examples").rglob("*.yaml")):
        if "ci" in path.relative_to(REPO / "examples").parts:
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == REPO / "schemas" / "manifest.schema.json", path
        assert json.loads(target.read_text(encoding="utf-8"))["oneOf"]
