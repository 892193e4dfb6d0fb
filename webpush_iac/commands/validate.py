"""The offline commands: ``validate``, ``render`` and ``schema`` never call the API.

Each is one function returning data; the CLI decides how to print it and which exit code it means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from webpush_iac.errors import ConfigError, ManifestError, Problem
from webpush_iac.manifest import LoadResult, group_paths, load, load_report
from webpush_iac.manifest.schema import write_schemas
from webpush_iac.state import JSON


@dataclass
class ValidateReport:
    """Every manifest set checked: the sets that loaded, every problem, every warning."""

    checked: list[tuple[list[str], LoadResult]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    several: bool = False  # PATHs named several projects: say which set each line is about

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def warnings(self) -> list[Problem]:
        return [w for _, result in self.checked for w in result.warnings]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, result in self.checked:
            for kind, n in result.counts.items():
                counts[kind] = counts.get(kind, 0) + n
        return counts

    def to_data(self) -> JSON:
        counts = self.counts()
        return {
            "valid": self.valid,
            "documents": sum(counts.values()),
            "counts": counts,
            "problems": [p.to_data() for p in sorted(self.problems)],
            "warnings": [w.to_data() for w in self.warnings],
        }


def validate_command(paths: Sequence[str]) -> ValidateReport:
    """Check manifests offline; when several PATHs hold their own Project file each is its own
    project, so ``validate examples/*`` checks every example."""
    groups = group_paths(list(paths) or ["."])
    report = ValidateReport(several=len(groups) > 1)
    for group in groups:
        try:
            report.checked.append((group, load_report(group)))
        except ManifestError as exc:
            report.problems.extend(exc.problems)
    return report


def render_command(paths: Sequence[str]) -> dict[str, JSON]:
    """The exact API body (name, enabled, trigger, push) of every schedule, by metadata.name."""
    state = load(list(paths) or ["."])
    return {name: schedule.api_body() for name, schedule in state.schedules.items()}


def schema_command(out_dir: str | Path) -> list[Path]:
    """Write the JSON Schema of every manifest kind; returns the files written."""
    try:
        return write_schemas(out_dir)
    except OSError as exc:
        raise ConfigError(f"cannot write schemas to {out_dir}: {exc.strerror or exc}") from None


__all__ = ["ValidateReport", "render_command", "schema_command", "validate_command"]
