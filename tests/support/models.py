"""Manifest models tested one document at a time: validation context, problems as users see them.

Documents come from :mod:`support.manifests`; :func:`errors` runs a model on one and returns
each problem as ``(key path, message)``, worded and located by the same code ``validate`` uses.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from support.manifests import NOW, Document, document
from webpush_iac.manifest.models.kinds import CONTEXT_KEY, ValidationContext
from webpush_iac.manifest.sourcemap import SourceDoc, validation_problems


def context(tz: str = "UTC", prefix: str = "iac_", now: datetime = NOW) -> dict[str, Any]:
    return {CONTEXT_KEY: ValidationContext(now=now, timezone=ZoneInfo(tz), prefix=prefix)}


def errors(model: Any, data: Any, ctx: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(key path, message) of each problem, worded and located as users see them."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data, context=ctx)
    doc = SourceDoc("t.yaml", Path("t.yaml"), 0, data)
    return [(p.path, p.message) for p in validation_problems(doc, caught.value)]


def schedule(trigger: dict[str, Any], name: str = "s", **push: Any) -> Document:
    """A Schedule with ``trigger``; the push is ``push`` or a minimal inline one to everyone."""
    push = push or {"to": "all", "notification": {"alert": "a", "url": "https://e.com"}}
    return document("Schedule", name, {"trigger": trigger, "push": push})
