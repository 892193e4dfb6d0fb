"""Render Template and inline content into the exact push payload each schedule will carry.

Manifests are reviewed code but templates still run in Jinja2's ``SandboxedEnvironment`` with
``StrictUndefined``: a typo in a variable name must fail validation instead of sending "Your
digest" to a million browsers, and template code must not reach Python internals. Strings are
rendered after YAML parsing, leaf by leaf, so every error points at the line of the string that
failed. Each distinct template string is compiled once (a thousand schedules share a handful of
templates); strings without Jinja markers skip Jinja entirely.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import BuiltinMethodType, MethodType, ModuleType
from typing import Any

from jinja2 import StrictUndefined, Template, meta, nodes, pass_context
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import Namespace

from webpush_iac.errors import Problem
from webpush_iac.manifest import trees
from webpush_iac.manifest.bodychecks import check_body
from webpush_iac.manifest.models.kinds import ScheduleModel, TemplateModel
from webpush_iac.manifest.models.push import ApiNotification
from webpush_iac.manifest.render_limits import Limits, _LimitExceeded
from webpush_iac.manifest.sourcemap import KeyPath, SourceDoc
from webpush_iac.state import ProjectSettings

MARKERS = ("{{", "{%", "{#")
INTERNALS = "template code may not access Python internals"
NONE: trees.Roles = {}  # no checks on the strings of a block
_LOOP, _TEXT = "webpush_iac_loop", "webpush_iac_text"  # filters the compiler wraps around nodes


class _Sandbox(SandboxedEnvironment):
    """The stock sandbox, with every cost a template can run up bounded by :class:`Limits`.

    The hooks Jinja offers (``call``, ``call_binop``, the filters, ``str.format``) check each
    operation before it runs; what has no hook, for-loops and text output (``{{ }}``, ``~``), is
    routed through two internal filters when a template is compiled (:meth:`compile_bounded`).
    """

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, limits: Limits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.filters = {name: self._bounded(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP] = pass_context(lambda _context, items: limits.loop(items))
        self.filters[_TEXT] = pass_context(lambda _context, value: limits.emit(value))
        self.globals["range"] = limits.range
        self.globals["lipsum"] = limits.lipsum(self.globals["lipsum"])  # type: ignore[arg-type]

    def compile_bounded(self, text: str) -> Template:
        ast = self.parse(text)
        for node in [*ast.find_all((nodes.For, nodes.Output, nodes.Concat))]:
            if isinstance(node, nodes.For):
                node.iter = _wrap(node.iter, _LOOP)
            elif isinstance(node, nodes.Output | nodes.Concat):
                node.nodes = [_wrap(child, _TEXT) for child in node.nodes]
        return self.from_string(ast)

    def _bounded(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        limits = self.limits
        skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0  # context/env first

        @functools.wraps(func)  # keeps jinja_pass_arg, so Jinja still passes the context
        def bounded(*args: Any, **kwargs: Any) -> Any:
            limits.tick()
            rest = list(args[skip:])
            limits.filter(name, rest, kwargs)
            limits.inputs([*rest, *kwargs.values()])
            return limits.checked(func(*args[:skip], *rest, **kwargs))

        return bounded

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.limits.binop(operator, left, right)
        return self.limits.checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        limits = __self.limits
        limits.tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(__obj, BuiltinMethodType) and not isinstance(owner, ModuleType):
            limits.inputs([owner])
            if isinstance(owner, str):
                if __obj.__name__ == "join" and args:
                    args = (limits.materialise(args[0]), *args[1:])
                limits.method(__obj.__name__, owner, args, kwargs)
        limits.inputs([*args, *kwargs.values()])
        return limits.checked(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` with each field's width and size bounded first."""
        if not isinstance(value, MethodType | BuiltinMethodType) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        limits, is_map, kind = self.limits, value.__name__ == "format_map", type(text)
        escape = getattr(kind, "escape", None) if hasattr(text, "__html__") else None

        def bounded(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one mapping argument")
                kwargs, args = args[0], ()
            formatter: SandboxedFormatter = (
                _BoundedFormatter(self, limits)
                if escape is None
                else _BoundedEscapeFormatter(self, limits, escape=escape)
            )
            return kind(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(bounded, value)


class _FieldBound:
    """Mixed into Jinja's sandboxed formatters: each field is bounded before it is formatted,
    the fields of one call together too."""

    def __init__(self, env: Any, limits: Limits, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)  # type: ignore[call-arg]
        self.limits = limits
        self.total = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        self.total += self.limits.format_field(value, format_spec)
        self.limits.within(self.total)
        return super().format_field(value, format_spec)  # type: ignore[misc]


class _BoundedFormatter(_FieldBound, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_FieldBound, SandboxedEscapeFormatter):
    pass


def _wrap(node: nodes.Node, name: str) -> nodes.Expr:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


def _namespace_contents(value: Any) -> Any:
    """What a ``namespace()`` prints: its attributes (Jinja keeps them name-mangled)."""
    if isinstance(value, Namespace):
        return object.__getattribute__(value, "_Namespace__attrs")
    return None


def is_template(text: str) -> bool:
    return any(marker in text for marker in MARKERS)


class Renderer:
    """Compiles and renders template strings for one project; holds the compile cache."""

    def __init__(
        self,
        settings: ProjectSettings,
        *,
        clock: Callable[[], float] | None = None,
        project_vars_known: bool = True,
    ) -> None:
        """``project_vars_known`` false: the Project's ``vars`` are invalid, so no string can be
        said to use an undeclared variable, nor be rendered."""
        self.settings = settings
        self.project_vars_known = project_vars_known
        limits = Limits(_namespace_contents, clock) if clock else Limits(_namespace_contents)
        self.env = _Sandbox(
            limits, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self._compiled: dict[str, Template | TemplateError] = {}

    # --- static checks, once per document ----------------------------------------------------

    def check_template(self, doc: SourceDoc, template: TemplateModel) -> list[Problem]:
        """Syntax, internals access and undeclared variables of every string of a Template."""
        allowed = set(template.spec.variables) | set(self.settings.vars)
        hint = "declare it under spec.variables or in the Project's vars"
        return self._check_strings(doc, ("spec",), trees.content(template.spec), allowed, hint)

    def check_inline(
        self, doc: SourceDoc, schedule: ScheduleModel, template: TemplateModel | None = None
    ) -> list[Problem]:
        """The schedule's own strings: inline content, or its options when it uses a template."""
        push = schedule.spec.push
        allowed = set(self.settings.vars)
        if template is None:
            hint = "inline content can use the Project's vars only"
            content = trees.content(push)
        else:
            allowed |= set(template.spec.variables)
            hint = f"declare it in template '{template.metadata.name}' or the Project's vars"
            content = {"options": trees.dump(push.options)}
        return self._check_strings(doc, ("spec", "push"), content, allowed, hint)

    def _check_strings(
        self, doc: SourceDoc, base: KeyPath, content: Any, allowed: set[str], hint: str
    ) -> list[Problem]:
        problems: list[Problem] = []
        known = allowed | set(self.env.globals)
        for path, text in trees.strings(content, base):
            if not is_template(text):
                continue
            try:
                ast = self.env.parse(text)
            except TemplateSyntaxError as exc:
                problems.append(doc.problem(path, trees.syntax_message(exc, text)))
                continue
            internals = _internal_names(ast)
            if internals:
                names = ", ".join(f"'{name}'" for name in internals)
                problems.append(doc.problem(path, f"{INTERNALS} ({names})"))
                continue
            unknown = self._unknown_names(ast)
            if unknown:
                problems.extend(doc.problem(path, message) for message in unknown)
                continue
            try:
                undeclared = meta.find_undeclared_variables(ast)
            except TemplateError as exc:  # anything else the compiler refuses
                problems.append(doc.problem(path, trees.syntax_message(exc, text)))
                continue
            for name in sorted(undeclared - known) if self.project_vars_known else ():
                problems.append(doc.problem(path, f"uses undeclared variable '{name}' ({hint})"))
        return problems

    def _unknown_names(self, ast: nodes.Template) -> list[str]:
        """Filters and tests the environment lacks, found statically (``trees.unknown``)."""
        used = {
            "filter": {n.name for n in ast.find_all(nodes.Filter)},
            "test": {n.name for n in ast.find_all(nodes.Test)},
        }
        return trees.unknown(used, {"filter": self.env.filters, "test": self.env.tests})

    # --- rendering, once per schedule ---------------------------------------------------------

    def render_push(
        self,
        sdoc: SourceDoc,
        schedule: ScheduleModel,
        template: tuple[SourceDoc, TemplateModel] | None,
    ) -> trees.Rendered:
        """The complete API push object of ``schedule``, or its problems.

        The shape is docs/api-notes.md "Push payload"; schedule options merge over the template's.
        """
        push = schedule.spec.push
        out = trees.Rendered(None)
        if not self.project_vars_known:
            return out
        variables = trees.variables(self.settings, sdoc, schedule, template, out.problems)
        if out.problems:
            return out
        name = schedule.metadata.name
        cdoc, cbase, spec = (
            (template[0], ("spec",), template[1].spec)
            if template
            else (sdoc, ("spec", "push"), push)
        )

        def render(doc: SourceDoc, base: KeyPath, value: Any, roles: trees.Roles = NONE) -> Any:
            return self._render_tree(doc, base, value, variables, name, out.problems, roles)

        key = "notification" if spec.notification is not None else "message"
        if isinstance(spec.notification, ApiNotification):  # {alert, web} as the API spells it
            written = trees.dump(spec.notification)
            web = render(cdoc, (*cbase, key, "web"), written.pop("web"), trees.WEB_ROLES)
            block = {**render(cdoc, (*cbase, key), written), "web": web}
        else:
            roles = trees.WEB_ROLES if spec.notification is not None else trees.MESSAGE_ROLES
            block = render(
                cdoc, (*cbase, key), trees.dump(spec.notification or spec.message), roles
            )
        languages = {
            code: render(cdoc, (*cbase, "languages", code), trees.dump(lang))
            for code, lang in spec.languages.items()
        }
        options = trees.merge(
            render(template[0], ("spec", "options"), trees.dump(template[1].spec.options))
            if template
            else {},
            render(sdoc, ("spec", "push", "options"), trees.dump(push.options)),
        )
        if out.problems:
            return out
        platform = spec.platform if spec.platform is not None else self.settings.product
        nested = not isinstance(spec.notification, ApiNotification)
        body = trees.body(platform, self.settings.product if nested else None, key, block)
        result = trees.push_object(push, body, languages, options)
        problems, warnings = check_body(sdoc, schedule, result["body"])
        out.problems.extend(problems)
        out.warnings.extend(warnings)
        if not out.problems:
            out.push = result
        return out

    def _render_tree(
        self,
        doc: SourceDoc,
        path: KeyPath,
        value: Any,
        variables: Mapping[str, Any],
        schedule: str,
        problems: list[Problem],
        roles: trees.Roles,
        root: int | None = None,
    ) -> Any:
        """Render every string under ``value``, checked by ``roles`` (``trees.check_rendered``)."""
        root = len(path) if root is None else root
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            out = {
                k: self._render_tree(doc, (*path, k), v, variables, schedule, problems, roles, root)
                for k, v in items
            }
            return out if isinstance(value, dict) else list(out.values())
        if not isinstance(value, str):
            return value
        text = self._render_string(doc, path, value, variables, schedule, problems)
        if text is not None:
            problems += trees.check_rendered(doc, path, value, text, roles, root, schedule)
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
        if isinstance(compiled, TemplateError):
            # The static check of the document reported it already, unless it is an error that
            # check cannot see: then it is reported here, so a broken string never goes unsaid.
            if not isinstance(compiled, TemplateSyntaxError):
                problems.append(doc.problem(path, trees.syntax_message(compiled, text)))
            return None
        try:
            return self._bounded_render(compiled, variables)
        except _LimitExceeded as exc:
            problems.append(doc.problem(path, f"{exc} (rendering schedule '{schedule}')"))
        except SecurityError as exc:
            problems.append(doc.problem(path, f"{INTERNALS}: {exc}"))
        except UndefinedError as exc:
            problems.append(doc.problem(path, f"{exc.message} (rendering schedule '{schedule}')"))
        except (TemplateError, ArithmeticError, TypeError, ValueError, RecursionError) as exc:
            detail = trees.exception_text(exc)
            problems.append(
                doc.problem(
                    path,
                    f"template error: {type(exc).__name__}{detail} (rendering schedule "
                    f"'{schedule}')",
                )
            )
        return None

    def _bounded_render(self, compiled: Template, variables: Mapping[str, Any]) -> str:
        """The rendered text, with a fresh budget and at most MAX_TEMPLATE_CHARS of it."""
        self.env.limits.start()
        chunks, size = [], 0
        for chunk in compiled.generate(variables):
            size += len(chunk)
            self.env.limits.within(size)
            chunks.append(chunk)
        return "".join(chunks)

    def _compile(self, text: str) -> Template | TemplateError:
        compiled = self._compiled.get(text)
        if compiled is None:
            try:
                compiled = self.env.compile_bounded(text)
            except TemplateError as exc:
                compiled = exc
            self._compiled[text] = compiled
        return compiled


def _internal_names(ast: nodes.Template) -> list[str]:
    """Attribute or item names starting with '_' (``''.__class__``): never needed, often abuse."""
    names = [node.attr for node in ast.find_all(nodes.Getattr) if node.attr.startswith("_")]
    for node in ast.find_all(nodes.Getitem):
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and arg.value[:1] == "_":
            names.append(arg.value)
    return sorted(set(names))
