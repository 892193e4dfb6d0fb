"""Pydantic models of the manifest kinds, their triggers and push content, and field formats."""

from webpush_iac.manifest.models.kinds import (
    KINDS,
    MODELS,
    DeviceModel,
    Document,
    ProjectModel,
    ScheduleModel,
    TagModel,
    TemplateModel,
)
from webpush_iac.manifest.models.trigger import CONTEXT_KEY, ValidationContext

__all__ = [
    "CONTEXT_KEY",
    "KINDS",
    "MODELS",
    "DeviceModel",
    "Document",
    "ProjectModel",
    "ScheduleModel",
    "TagModel",
    "TemplateModel",
    "ValidationContext",
]
