"""Parsed documents → a validated, rendered DesiredState, every problem collected.

The Project is validated first because the others depend on it (time zone and prefix for time
and name checks, vars for templates); an invalid Project falls back to the defaults so the other
documents are still checked. Problems are collected from every stage and raised once. When some
file could not be parsed at all, checks that need the whole set (one Project, template exists)
are skipped: they would only repeat the syntax error in other words.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from webpush_iac.errors import ManifestError, Problem
from webpush_iac.manifest.membership import build_devices
from webpush_iac.manifest.models.fields import API_VERSION
from webpush_iac.manifest.models.kinds import (
    CONTEXT_KEY,
    KINDS,
    MODELS,
    DeviceModel,
    ProjectModel,
    ProjectSpec,
    ScheduleMetadata,
    ScheduleModel,
    SchedulePush,
    ScheduleSpec,
    TagModel,
    TemplateModel,
    Trigger,
    ValidationContext,
)
from webpush_iac.manifest.sourcemap import SourceDoc, validation_problems
from webpush_iac.manifest.templating import Renderer
from webpush_iac.state import DesiredSchedule, DesiredState, ProjectSettings

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    """A loaded manifest set: the state, how many documents of each kind, and warnings."""

    state: DesiredState
    counts: dict[str, int] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    @property
    def documents(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """``12 documents (1 Project, 2 Templates, ...)`` for ``validate``'s success line."""
        parts = [f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in self.counts.items() if n]
        total = self.documents
        return f"{total} document{'s' if total != 1 else ''} ({', '.join(parts)})"


def build_state(
    docs: list[SourceDoc],
    problems: list[Problem],
    *,
    complete: bool,
    extra_known_devices: Iterable[str] = (),
    now: datetime | None = None,
    origin: str = ".",
) -> LoadResult:
    """Validate ``docs`` and assemble the DesiredState; raise ManifestError with every problem."""
    problems = list(problems)
    docs = [doc for doc in docs if not _foreign(doc)]
    by_kind: dict[str, list[SourceDoc]] = {kind: [] for kind in KINDS}
    for doc in docs:
        kind = _kind(doc, problems)
        if kind is not None:
            by_kind[kind].append(doc)
    _check_unique(docs, problems)
    settings, unknown = _project(by_kind["Project"], problems, complete, origin)
    context: dict[str, Any] | None = {
        CONTEXT_KEY: ValidationContext(
            now=_aware(now), timezone=ZoneInfo(settings.timezone), prefix=settings.prefix
        )
    }
    if unknown & {"timezone", "ownership"}:
        context = None  # checks against a broken time zone or prefix would only echo its error
    templates = _validate(by_kind["Template"], TemplateModel, context, problems)
    schedules = _validate(by_kind["Schedule"], ScheduleModel, context, problems)
    _check_renames(schedules, problems)
    devices = _validate(by_kind["Device"], DeviceModel, context, problems)
    tags = _validate(by_kind["Tag"], TagModel, context, problems)

    renderer = Renderer(settings, project_vars_known="vars" not in unknown)
    by_name = _checked_templates(renderer, templates, problems)
    declared = [d.get("metadata", "name") for d in by_kind["Template"]]
    broken = {n for n in declared if isinstance(n, str)} - set(by_name)
    warnings: list[Problem] = []
    desired: dict[str, DesiredSchedule] = {}
    valid = {id(doc) for doc, _ in schedules}
    failed = [d for d in by_kind["Schedule"] if id(d) not in valid]
    for doc, schedule in [*schedules, *_pushes_of(failed, context)]:
        push = schedule.spec.push
        template = by_name.get(push.template) if push.template else None
        if push.template and template is None:
            if complete and push.template not in broken:  # a broken one is reported already
                names = ", ".join(sorted(by_name)) or "none"
                problems.append(
                    doc.problem(
                        ("spec", "push", "template"),
                        f"no Template named '{push.template}' (known: {names})",
                    )
                )
            continue
        found = _render_schedule(renderer, doc, schedule, template, problems, warnings)
        if found is not None and id(doc) in valid:
            desired[schedule.metadata.name] = found
    # Files a manifest names must lie in the tree of the Project's file (webpush-iac.yaml).
    root = by_kind["Project"][0].path.parent if by_kind["Project"] else None
    known, policies, device_problems = build_devices(devices, tags, extra_known_devices, root)
    problems.extend(device_problems)
    if problems:
        raise ManifestError(sorted(set(problems)))
    state = DesiredState(
        project=settings,
        schedules=dict(sorted(desired.items())),
        devices=known,
        tags=policies,
    )
    counts = {kind: len(by_kind[kind]) for kind in KINDS}
    return LoadResult(state, counts, tuple(sorted(set(warnings))))


def _checked_templates(
    renderer: Renderer, templates: list[tuple[SourceDoc, TemplateModel]], problems: list[Problem]
) -> dict[str, tuple[SourceDoc, TemplateModel]]:
    """Every valid Template by name, its strings checked once (syntax, internals, variables):
    checking it again for each schedule would repeat the same errors once per schedule."""
    by_name = {}
    for doc, template in templates:
        problems.extend(renderer.check_template(doc, template))
        by_name[template.metadata.name] = (doc, template)
    return by_name


def _render_schedule(
    renderer: Renderer,
    doc: SourceDoc,
    schedule: ScheduleModel,
    template: tuple[SourceDoc, TemplateModel] | None,
    problems: list[Problem],
    warnings: list[Problem],
) -> DesiredSchedule | None:
    """Render one schedule; a problem at a string already reported (a syntax error, an
    undeclared variable) is not reported again in the words of the renderer, while the other
    strings of the same template and schedule are still rendered and checked."""
    problems.extend(renderer.check_inline(doc, schedule, template[1] if template else None))
    reported = {(p.file, p.path) for p in problems}
    rendered = renderer.render_push(doc, schedule, template)
    problems.extend(p for p in rendered.problems if (p.file, p.path) not in reported)
    warnings.extend(rendered.warnings)
    if rendered.push is None or problems:
        return None
    prefix = renderer.settings.prefix
    return DesiredSchedule(
        name=schedule.metadata.name,
        live_name=prefix + schedule.metadata.name,
        enabled=schedule.spec.enabled,
        trigger=schedule.spec.trigger.to_api(),
        push=rendered.push,
        template=schedule.spec.push.template,
        source=doc.ref(),
        renamed_from=schedule.metadata.renamed_from,
    )


def _check_renames(
    schedules: list[tuple[SourceDoc, ScheduleModel]], problems: list[Problem]
) -> None:
    """A rename names one old schedule that is no longer declared, and no other rename claims it:
    otherwise the plan could pair one live task with two documents."""
    declared = {s.metadata.name: doc for doc, s in schedules}
    claimed: dict[str, SourceDoc] = {}
    where = ("metadata", "renamed_from")
    for doc, schedule in schedules:
        old = schedule.metadata.renamed_from
        if old is None:
            continue
        if old == schedule.metadata.name:
            problems.append(doc.problem(where, "is the schedule's own name; drop it"))
        elif old in declared:
            problems.append(
                doc.problem(
                    where,
                    f"Schedule '{old}' is still declared (at {declared[old].ref()}); a renamed "
                    "schedule's old name must not be declared too",
                )
            )
        first = claimed.setdefault(old, doc)
        if first is not doc:
            problems.append(
                doc.problem(where, f"'{old}' is already renamed by the Schedule at {first.ref()}")
            )


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _foreign(doc: SourceDoc) -> bool:
    """A document of another tool (``apiVersion: apps/v1``, a Kubernetes manifest in the same
    repository): skipped with a note at ``--debug``, never an "unknown kind" error. Another
    ``webpush-iac/`` version is ours, and its model says which one is supported."""
    version = doc.data.get("apiVersion") if isinstance(doc.data, dict) else None
    if not isinstance(version, str) or version == API_VERSION:
        return False
    if version.startswith(API_VERSION.partition("/")[0] + "/"):
        return False
    log.debug("%s: skipped a document of apiVersion %r (not %s)", doc.ref(), version, API_VERSION)
    return True


def _kind(doc: SourceDoc, problems: list[Problem]) -> str | None:
    """Which model a document is for; documents we cannot even classify are reported here."""
    if not isinstance(doc.data, dict):
        problems.append(
            doc.problem((), "a document must be a mapping with apiVersion, kind, metadata, spec")
        )
        return None
    kind = doc.data.get("kind")
    if "kind" not in doc.data:
        problems.append(doc.problem(("kind",), f"is required (one of {', '.join(KINDS)})"))
        return None
    if not isinstance(kind, str) or kind not in MODELS:
        problems.append(
            doc.problem(("kind",), f"unknown kind (expected one of {', '.join(KINDS)})")
        )
        return None
    return kind


def _check_unique(docs: list[SourceDoc], problems: list[Problem]) -> None:
    """No two documents of one kind may share a name, even if both are otherwise invalid."""
    first: dict[tuple[str, str], SourceDoc] = {}
    for doc in docs:
        kind, name = doc.get("kind"), doc.get("metadata", "name")
        if not isinstance(kind, str) or kind not in MODELS or not isinstance(name, str):
            continue
        if kind == "Project":
            continue  # "exactly one Project" says it better
        other = first.setdefault((kind, name), doc)
        if other is not doc:
            problems.append(
                doc.problem(
                    ("metadata", "name"),
                    f"duplicate {kind} '{name}' (first declared at {other.ref()})",
                )
            )


def project_settings(docs: list[SourceDoc], origin: str) -> ProjectSettings:
    """The settings of the one Project among ``docs`` (for ``export PATH``, which needs them
    without the rest of a manifest tree); raises ManifestError when it is missing or invalid."""
    problems: list[Problem] = []
    projects = [d for d in docs if isinstance(d.data, dict) and d.data.get("kind") == "Project"]
    settings, _unknown = _project(projects, problems, True, origin)
    if problems:
        raise ManifestError(sorted(set(problems)))
    return settings


def _project(
    docs: list[SourceDoc], problems: list[Problem], complete: bool, origin: str
) -> tuple[ProjectSettings, set[str]]:
    """The Project's settings and the spec keys whose value is unknown (invalid).

    An invalid Project keeps its valid fields: a literal secret must not turn every template's
    use of the Project's ``vars`` into "undeclared variable" errors. What depends on an invalid
    field is not checked at all (``build_state``), so no error only echoes the Project's own.
    """
    if not docs:
        if complete:
            problems.append(
                Problem(
                    origin,
                    0,
                    0,
                    "",
                    "no Project document found (put one in webpush-iac.yaml at the manifest root)",
                )
            )
        return ProjectSettings(name=""), set()
    for extra in docs[1:]:
        problems.append(
            extra.problem(
                ("kind",),
                f"a second Project document (the first is at {docs[0].ref()}); "
                "exactly one is allowed",
            )
        )
    doc = docs[0]
    valid = _validate([doc], ProjectModel, None, problems)
    unknown: set[str] = set()
    if valid:
        project = valid[0][1]
        name, spec = project.metadata.name, project.spec
    else:
        name = doc.get("metadata", "name")
        name = name if isinstance(name, str) else ""
        spec, unknown = _valid_part(doc.get("spec"))
    return _settings(name, spec, doc), unknown


def _valid_part(raw: Any) -> tuple[ProjectSpec, set[str]]:
    """A Project spec of the keys that are valid on their own, and the names of the others."""
    if raw is None:
        return ProjectSpec(), set()
    if not isinstance(raw, dict):
        return ProjectSpec(), set(ProjectSpec.model_fields)
    kept: dict[str, Any] = {}
    unknown: set[str] = set()
    for key, value in raw.items():
        try:
            ProjectSpec.model_validate({key: value})
        except ValidationError:
            unknown.add(str(key))
        else:
            kept[key] = value
    return ProjectSpec.model_validate(kept), unknown


def _settings(name: str, spec: ProjectSpec, doc: SourceDoc) -> ProjectSettings:
    return ProjectSettings(
        name=name,
        region=spec.region,
        app_key_env=spec.credentials.app_key.env,
        master_secret_env=spec.credentials.master_secret.env,
        timezone=spec.timezone,
        prefix=spec.ownership.prefix,
        prune_schedules=spec.prune.schedules,
        managed_tag_globs=tuple(spec.tags.managed),
        qps=spec.rate_limit.qps,
        concurrency=spec.rate_limit.concurrency,
        timeout=spec.timeout,
        max_delete_percent=spec.safety.max_delete_percent,
        max_device_changes=spec.safety.max_device_changes,
        unknown_devices=spec.safety.unknown_devices,
        vars=dict(spec.vars),
        source=doc.ref(),
    )


def _pushes_of(
    failed: list[SourceDoc], context: dict[str, Any] | None
) -> list[tuple[SourceDoc, ScheduleModel]]:
    """Schedules that failed validation but whose push is valid on its own, as models that hold
    only that push: rendering them still finds the problems of their template (a URL that
    renders badly), instead of hiding those until the schedule's own error is fixed."""
    out = []
    for doc in failed:
        try:
            push = SchedulePush.model_validate(doc.get("spec", "push"), context=context)
        except ValidationError:
            continue  # its own errors are reported; a broken push cannot be rendered
        name = doc.get("metadata", "name")
        metadata = ScheduleMetadata.model_construct(name=name if isinstance(name, str) else "?")
        spec = ScheduleSpec.model_construct(
            enabled=True, trigger=Trigger.model_construct(), push=push
        )
        model = ScheduleModel.model_construct(
            api_version="webpush-iac/v1", kind="Schedule", metadata=metadata, spec=spec
        )
        out.append((doc, model))
    return out


def _validate(
    docs: list[SourceDoc],
    model: type[M],
    context: dict[str, Any] | None,
    problems: list[Problem],
) -> list[tuple[SourceDoc, M]]:
    out = []
    for doc in docs:
        try:
            out.append((doc, model.model_validate(doc.data, context=context)))
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc, model))
    return out
