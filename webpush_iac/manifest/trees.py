"""Plain-data helpers for the payload trees ``templating`` renders: variables, dump, walk, merge.

Kept apart from ``templating`` (the one module that imports jinja2) because none of this needs
Jinja, and the sandbox's limits leave ``templating`` little room of its own.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from webpush_iac.errors import Problem
from webpush_iac.manifest.models.kinds import ScheduleModel, SchedulePush, TemplateModel
from webpush_iac.manifest.sourcemap import KeyPath, SourceDoc
from webpush_iac.state import JSON, ProjectSettings


@dataclass
class Rendered:
    """The outcome of rendering one schedule: the push (None when it failed) and what was found."""

    push: JSON | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# What a rendered string must be, by its key in the block being rendered: required text, a
# required http(s) URL, or an optional one, where "" means none (the Create Push doc's example).
Roles = Mapping[str, str]
WEB_ROLES: Final[Roles] = {
    "alert": "text",
    "url": "url",
    "icon": "optional_url",
    "image": "optional_url",
}
MESSAGE_ROLES: Final[Roles] = {"msg_content": "text"}
BUTTON_ROLES: Final[Roles] = {"url": "optional_url", "icon": "optional_url"}


def check_rendered(
    doc: SourceDoc,
    path: KeyPath,
    written: str,
    text: str,
    roles: Roles,
    root: int,
    schedule: str,
) -> list[Problem]:
    """The problem of a rendered string that its place forbids: the strings directly under the
    block rendered at depth ``root`` by ``roles``, a web button's URLs wherever they are."""
    role = roles.get(str(path[-1])) if len(path) == root + 1 else None
    if len(path) >= 3 and path[-3] == "web_buttons" and isinstance(path[-2], int):
        role = BUTTON_ROLES.get(str(path[-1]))
    if role is None:
        return []
    shown = f" (renders to '{text[:80]}' for schedule '{schedule}')" if text != written else ""
    if role == "text" and not text.strip():
        return [doc.problem(path, f"must not be empty{shown}")]
    if role.endswith("url") and (role == "url" or text) and not is_http_url(text):
        return [doc.problem(path, f"must be an http(s) URL{shown}")]
    return []


def body(platform: Any, nest_under: str | None, key: str, block: JSON) -> JSON:
    """The push ``body`` without options: ``platform`` as written (the product by default) and
    the content; a notification written flat is nested under ``nest_under`` (``web``), one
    written in the API's own ``{alert, web}`` shape is sent as it is."""
    out: JSON = {"platform": platform}
    out[key] = {nest_under: block} if key == "notification" and nest_under else block
    return out


def push_object(push: SchedulePush, body: JSON, languages: dict[str, JSON], options: JSON) -> JSON:
    """The API push object (docs/api-notes.md "Push payload"): the envelope around ``body``, with
    per-language texts turned into ``options.multi_language`` and the merged options."""
    if languages:
        options["multi_language"] = {
            code: {k: v for k, v in (("title", t.get("title")), ("content", t.get("alert"))) if v}
            for code, t in languages.items()
        }
    if options:
        body["options"] = options
    result: JSON = {"from": push.from_, "to": dump(push.to) if push.to != "all" else "all"}
    result["body"] = body
    if push.request_id is not None:
        result["request_id"] = push.request_id
    if push.custom_args is not None:
        result["custom_args"] = push.custom_args
    return result


def dump(model: Any) -> Any:
    if model is None:
        return {}
    dump: Callable[..., Any] = model.model_dump
    return dump(exclude_none=True)


def content(spec: Any) -> dict[str, Any]:
    return {
        "notification": dump(spec.notification) if spec.notification else None,
        "message": dump(spec.message) if spec.message else None,
        "languages": {code: dump(lang) for code, lang in spec.languages.items()},
        "options": dump(spec.options),
    }


def strings(value: Any, path: KeyPath) -> list[tuple[KeyPath, str]]:
    if isinstance(value, str):
        return [(path, value)]
    out: list[tuple[KeyPath, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(strings(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(strings(v, (*path, i)))
    return out


def is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and not any(c.isspace() for c in text)
    )


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Schedule options over template options; nested mappings merge, lists are replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def unknown(used: dict[str, set[str]], known: dict[str, Iterable[str]]) -> list[str]:
    """``template uses unknown filter 'x'; did you mean 'y'?`` for each name in ``used[kind]``
    that ``known[kind]`` lacks. Jinja reports an unknown filter only when it compiles a string and
    an unknown test inside ``{% if %}`` only when that branch runs; checked on the syntax tree,
    both are found at validate time wherever they are."""
    out: list[str] = []
    for kind, names in used.items():
        have = sorted(known[kind])
        for name in sorted(names - set(have)):
            near = difflib.get_close_matches(name, have, 1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            out.append(f"template uses unknown {kind} '{name}'{hint}")
    return out


def syntax_message(exc: Exception, text: str) -> str:
    """``template syntax error: ...`` of a Jinja compile error, with the line inside the string
    when it has several."""
    message = getattr(exc, "message", None) or type(exc).__name__
    lineno = getattr(exc, "lineno", None)
    where = f" (line {lineno} of the template)" if lineno and "\n" in text.strip() else ""
    return f"template syntax error: {message}{where}"


def exception_text(exc: BaseException) -> str:
    """``: <message>`` of a render-time error on one short line ("" when it has none)."""
    text = " ".join(str(exc).split())
    if not text:
        return ""
    return f": {text[:200]}{'…' if len(text) > 200 else ''}"


def variables(
    settings: ProjectSettings,
    sdoc: SourceDoc,
    schedule: ScheduleModel,
    template: tuple[SourceDoc, TemplateModel] | None,
    problems: list[Problem],
) -> dict[str, Any]:
    """Project vars < template defaults < schedule vars; typos and gaps are errors."""
    push = schedule.spec.push
    declared = template[1].spec.variables if template else {}
    for var in push.vars:
        if var not in declared and var not in settings.vars:
            where = f"template '{push.template}'" if template else "inline content"
            problems.append(
                sdoc.problem(
                    ("spec", "push", "vars", var),
                    f"is not a variable of {where} nor of the Project's vars",
                )
            )
    for var, spec in declared.items():
        if spec.is_required and var not in push.vars and var not in settings.vars:
            at = ("spec", "push", "vars") if push.vars else ("spec", "push", "template")
            problems.append(
                sdoc.problem(at, f"template '{push.template}' requires variable '{var}'")
            )
    defaults = {k: v.default for k, v in declared.items() if not v.is_required}
    return {**settings.vars, **defaults, **push.vars}


__all__ = [
    "BUTTON_ROLES",
    "MESSAGE_ROLES",
    "WEB_ROLES",
    "Rendered",
    "Roles",
    "body",
    "check_rendered",
    "content",
    "dump",
    "exception_text",
    "is_http_url",
    "merge",
    "push_object",
    "strings",
    "syntax_message",
    "unknown",
    "variables",
]
