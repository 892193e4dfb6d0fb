"""Manifests: files -> YAML -> models -> templates -> DesiredState.

pydantic, ruamel.yaml (``manifest.yaml``) and jinja2 (``manifest.templating``) live in this package
and nowhere else; every problem they find becomes a located :class:`~webpush_iac.errors.Problem`.
"""

from webpush_iac.manifest.documents import LoadResult
from webpush_iac.manifest.files import (
    PROJECT_FILES,
    Baseline,
    baseline_registration_ids,
    group_paths,
    identifiers,
    load,
    load_project,
    load_report,
    read_baseline,
)
from webpush_iac.manifest.sourcemap import display_path
from webpush_iac.manifest.yaml import dump_yaml, parse_documents

__all__ = [
    "PROJECT_FILES",
    "Baseline",
    "LoadResult",
    "baseline_registration_ids",
    "display_path",
    "dump_yaml",
    "group_paths",
    "identifiers",
    "load",
    "load_project",
    "load_report",
    "parse_documents",
    "read_baseline",
]
