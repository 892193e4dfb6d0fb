"""Render Template and inline content into the exact push payload each schedule will carry.

Manifests are reviewed code but templates still run in Jinja2's ``SandboxedEnvironment`` with
``StrictUndefined``: a typo in a variable name must fail validation instead of sending "Your
digest" to a million browsers, and template code must not reach Python internals. Strings are
rendered after YAML parsing, leaf by leaf, so every error points at the line of the string that
failed. Each distinct template string is compiled once (a thousand schedules share a handful of
templates); strings without Jinja markers skip Jinja entirely.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jinja2 import StrictUndefined, Template, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from webpush_iac.errors import Problem
from webpush_iac.manifest.bodychecks import check_body
from webpush_iac.manifest.models.kinds import ScheduleModel, TemplateModel
from webpush_iac.manifest.models.push import Message, Notification
from webpush_iac.manifest.sourcemap import KeyPath, SourceDoc
from webpush_iac.state import JSON, ProjectSettings

MARKERS = ("{{", "{%", "{#")
MAX_SEQUENCE = 100_000  # longest string/list a template may build with *
URL_FIELDS = frozenset({"url", "icon", "image"})
REQUIRED_TEXT = frozenset({"alert", "url", "msg_content"})
CONTENT = frozenset({"notification", "message"})
INTERNALS = "template code may not access Python internals"


class _OutputTooLarge(SecurityError):
    """A template tried to build a huge value (``'x' * 10**9``)."""


class _Sandbox(SandboxedEnvironment):
    """The stock sandbox, plus limits on ``*`` and ``**`` so a template cannot eat the memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise _OutputTooLarge("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_SEQUENCE
                ):
                    raise _OutputTooLarge(f"a value longer than {MAX_SEQUENCE} items")
        return super().call_binop(context, operator, left, right)


def is_template(text: str) -> bool:
    return any(marker in text for marker in MARKERS)


@dataclass
class Rendered:
    """The outcome of rendering one schedule: the push (None when it failed) and what was found."""

    push: JSON | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class Renderer:
    """Compiles and renders template strings for one project; holds the compile cache."""

    def __init__(self, settings: ProjectSettings) -> None:
        self.settings = settings
        self.env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._compiled: dict[str, Template | TemplateSyntaxError] = {}

    # --- static checks, once per document ----------------------------------------------------

    def check_template(self, doc: SourceDoc, template: TemplateModel) -> list[Problem]:
        """Syntax, internals access and undeclared variables of every string of a Template."""
        allowed = set(template.spec.variables) | set(self.settings.vars)
        hint = "declare it under spec.variables or in the Project's vars"
        return self._check_strings(doc, ("spec",), _content(template.spec), allowed, hint)

    def check_inline(
        self, doc: SourceDoc, schedule: ScheduleModel, template: TemplateModel | None = None
    ) -> list[Problem]:
        """The schedule's own strings: inline content, or its options when it uses a template."""
        push = schedule.spec.push
        allowed = set(self.settings.vars)
        if template is None:
            hint = "inline content can use the Project's vars only"
            content = _content(push)
        else:
            allowed |= set(template.spec.variables)
            hint = f"declare it in template '{template.metadata.name}' or the Project's vars"
            content = {"options": _dump(push.options)}
        return self._check_strings(doc, ("spec", "push"), content, allowed, hint)

    def _check_strings(
        self, doc: SourceDoc, base: KeyPath, content: Any, allowed: set[str], hint: str
    ) -> list[Problem]:
        problems: list[Problem] = []
        known = allowed | set(self.env.globals)
        for path, text in _strings(content, base):
            if not is_template(text):
                continue
            try:
                ast = self.env.parse(text)
            except TemplateSyntaxError as exc:
                problems.append(doc.problem(path, f"template syntax error: {exc.message}"))
                continue
            internals = _internal_names(ast)
            if internals:
                names = ", ".join(f"'{name}'" for name in internals)
                problems.append(doc.problem(path, f"{INTERNALS} ({names})"))
                continue
            for name in sorted(meta.find_undeclared_variables(ast) - known):
                problems.append(doc.problem(path, f"uses undeclared variable '{name}' ({hint})"))
        return problems

    # --- rendering, once per schedule ---------------------------------------------------------

    def render_push(
        self,
        sdoc: SourceDoc,
        schedule: ScheduleModel,
        template: tuple[SourceDoc, TemplateModel] | None,
    ) -> Rendered:
        """The complete API push object of ``schedule``, or its problems.

        The shape is docs/api-notes.md "Push payload"; schedule options merge over the template's.
        """
        push = schedule.spec.push
        out = Rendered(None)
        variables = self._variables(sdoc, schedule, template, out.problems)
        if out.problems:
            return out
        name = schedule.metadata.name
        cdoc, cbase, spec = (
            (template[0], ("spec",), template[1].spec)
            if template
            else (sdoc, ("spec", "push"), push)
        )

        def render(doc: SourceDoc, base: KeyPath, value: Any) -> Any:
            return self._render_tree(doc, base, value, variables, name, out.problems)

        content: Notification | Message | None = spec.notification or spec.message
        key = "notification" if spec.notification is not None else "message"
        block = render(cdoc, (*cbase, key), _dump(content))
        languages = {
            code: render(cdoc, (*cbase, "languages", code), _dump(lang))
            for code, lang in spec.languages.items()
        }
        options = _merge(
            render(template[0], ("spec", "options"), _dump(template[1].spec.options))
            if template
            else {},
            render(sdoc, ("spec", "push", "options"), _dump(push.options)),
        )
        if out.problems:
            return out
        if languages:
            options["multi_language"] = {
                code: {
                    k: v for k, v in (("title", t.get("title")), ("content", t.get("alert"))) if v
                }
                for code, t in languages.items()
            }
        product = self.settings.product
        body: JSON = {"platform": product}
        body[key] = {product: block} if key == "notification" else block
        if options:
            body["options"] = options
        result: JSON = {"from": "push", "to": _dump(push.to) if push.to != "all" else "all"}
        result["body"] = body
        if push.request_id is not None:
            result["request_id"] = push.request_id
        if push.custom_args is not None:
            result["custom_args"] = push.custom_args
        problems, warnings = check_body(sdoc, schedule, body)
        out.problems.extend(problems)
        out.warnings.extend(warnings)
        if not out.problems:
            out.push = result
        return out

    def _variables(
        self,
        sdoc: SourceDoc,
        schedule: ScheduleModel,
        template: tuple[SourceDoc, TemplateModel] | None,
        problems: list[Problem],
    ) -> dict[str, Any]:
        """Project vars < template defaults < schedule vars; typos and gaps are errors."""
        push = schedule.spec.push
        declared = template[1].spec.variables if template else {}
        for var in push.vars:
            if var not in declared and var not in self.settings.vars:
                where = f"template '{push.template}'" if template else "inline content"
                problems.append(
                    sdoc.problem(
                        ("spec", "push", "vars", var),
                        f"is not a variable of {where} nor of the Project's vars",
                    )
                )
        for var, spec in declared.items():
            if spec.is_required and var not in push.vars and var not in self.settings.vars:
                at = ("spec", "push", "vars") if push.vars else ("spec", "push", "template")
                problems.append(
                    sdoc.problem(at, f"template '{push.template}' requires variable '{var}'")
                )
        defaults = {k: v.default for k, v in declared.items() if not v.is_required}
        return {**self.settings.vars, **defaults, **push.vars}

    def _render_tree(
        self,
        doc: SourceDoc,
        path: KeyPath,
        value: Any,
        variables: Mapping[str, Any],
        schedule: str,
        problems: list[Problem],
    ) -> Any:
        if isinstance(value, dict):
            return {
                k: self._render_tree(doc, (*path, k), v, variables, schedule, problems)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self._render_tree(doc, (*path, i), v, variables, schedule, problems)
                for i, v in enumerate(value)
            ]
        if not isinstance(value, str):
            return value
        text = self._render_string(doc, path, value, variables, schedule, problems)
        if text is not None and len(path) >= 2 and "extras" not in path:
            shown = (
                f" (renders to '{text[:80]}' for schedule '{schedule}')" if text != value else ""
            )
            if path[-1] in URL_FIELDS and not _is_http_url(text):
                problems.append(doc.problem(path, f"must be an http(s) URL{shown}"))
            elif path[-1] in REQUIRED_TEXT and path[-2] in CONTENT and not text.strip():
                problems.append(doc.problem(path, f"must not be empty{shown}"))
        return text

    def _render_string(
        self,
        doc: SourceDoc,
        path: KeyPath,
        text: str,
        variables: Mapping[str, Any],
        schedule: str,
        problems: list[Problem],
    ) -> str | None:
        if not is_template(text):
            return text
        compiled = self._compile(text)
        if isinstance(compiled, TemplateSyntaxError):
            return None  # reported by the static check of the document
        try:
            return compiled.render(variables)
        except _OutputTooLarge as exc:
            problems.append(doc.problem(path, f"template output too large: {exc}"))
        except SecurityError as exc:
            problems.append(doc.problem(path, f"{INTERNALS}: {exc}"))
        except UndefinedError as exc:
            problems.append(doc.problem(path, f"{exc.message} (rendering schedule '{schedule}')"))
        except (TemplateError, ArithmeticError, TypeError, ValueError, RecursionError) as exc:
            problems.append(
                doc.problem(
                    path, f"template error: {type(exc).__name__} (rendering schedule '{schedule}')"
                )
            )
        return None

    def _compile(self, text: str) -> Template | TemplateSyntaxError:
        compiled = self._compiled.get(text)
        if compiled is None:
            try:
                compiled = self.env.from_string(text)
            except TemplateSyntaxError as exc:
                compiled = exc
            self._compiled[text] = compiled
        return compiled


def _dump(model: Any) -> Any:
    if model is None:
        return {}
    dump: Callable[..., Any] = model.model_dump
    return dump(exclude_none=True)


def _content(spec: Any) -> dict[str, Any]:
    return {
        "notification": _dump(spec.notification) if spec.notification else None,
        "message": _dump(spec.message) if spec.message else None,
        "languages": {code: _dump(lang) for code, lang in spec.languages.items()},
        "options": _dump(spec.options),
    }


def _strings(value: Any, path: KeyPath) -> list[tuple[KeyPath, str]]:
    if isinstance(value, str):
        return [(path, value)]
    out: list[tuple[KeyPath, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_strings(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_strings(v, (*path, i)))
    return out


def _internal_names(ast: nodes.Template) -> list[str]:
    """Attribute or item names starting with '_' (``''.__class__``): never needed, often abuse."""
    names = [node.attr for node in ast.find_all(nodes.Getattr) if node.attr.startswith("_")]
    for node in ast.find_all(nodes.Getitem):
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and arg.value[:1] == "_":
            names.append(arg.value)
    return sorted(set(names))


def _is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and not any(c.isspace() for c in text)
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Schedule options over template options; nested mappings merge, lists are replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
