"""The architecture rules of design §2 as plain functions over a package directory.

Every check takes the directory of a package (the one holding its ``__init__.py``) and returns the
violations it finds as readable lines (``plan/diff.py:12: ...``); an empty list means the rule
holds. The same functions check the real package and the throwaway trees that prove each rule can
fail. Nothing here imports the package it checks: everything is read from the source with ``ast``.

Module names are dotted and relative to the package: ``""`` is the root ``__init__``, ``plan`` is
``plan/__init__.py``, ``plan.diff`` is ``plan/diff.py``.

What counts as an import: every ``import`` statement anywhere in a module (function bodies and
``if TYPE_CHECKING:`` blocks included), because any of them can close a cycle or breach a layer
the day someone moves it. An import reaches:

- the module it names (``from pkg.plan.diff import x`` -> ``plan.diff``; ``from pkg.plan import
  diff`` -> ``plan.diff`` when ``diff`` is a submodule);
- the package it takes names from (``from pkg.plan import Plan`` -> ``plan``): that reads the
  package's ``__init__``;
- every package whose ``__init__`` Python runs on the way (``import pkg.plan.diff`` and ``from
  pkg.plan import diff`` both run ``plan/__init__``), except the importer's own enclosing
  packages: Python has started those before the importer runs, and taking a submodule from a
  package that is still initialising is safe. Taking any other name from it is not, so ``from pkg
  import __version__`` inside ``pkg.client.engagelab`` does count (as the second kind).

Layer rules look at what a module *names* (the first two kinds); cycles use all three.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path


@dataclass(frozen=True)
class Module:
    name: str
    rel: str
    is_package: bool
    tree: ast.Module
    lines: int


@dataclass(frozen=True)
class Package:
    name: str
    modules: dict[str, Module]


@dataclass(frozen=True)
class Edge:
    importer: str
    target: str
    line: int
    named: bool  # False: only an enclosing package's __init__ that Python runs on the way


def load(root: Path) -> Package:
    """Parse every module under ``root``; cached until any file changes."""
    root = root.resolve()
    files = sorted(root.rglob("*.py"))
    return _load(root, tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in files))


@cache
def _load(root: Path, stamp: tuple[tuple[Path, int, int], ...]) -> Package:
    modules = {}
    for path, _, _ in stamp:
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        text = path.read_text(encoding="utf-8")
        name = ".".join(parts)
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(text, filename=rel)
        modules[name] = Module(name, rel, is_package, tree, len(text.splitlines()))
    return Package(root.name, modules)


def _absolute(pkg: Package, module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = [pkg.name, *filter(None, module.name.split("."))]
    if not module.is_package:
        parts.pop()
    base = parts[: len(parts) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports(pkg: Package, module: Module) -> Iterator[tuple[int, str, tuple[str, ...] | None]]:
    """(line, absolute module, names taken or None for a plain ``import``), everywhere."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, _absolute(pkg, module, node), tuple(a.name for a in node.names)


def _internal(pkg: Package, dotted: str) -> str | None:
    if dotted == pkg.name:
        return ""
    prefix = pkg.name + "."
    return dotted[len(prefix) :] if dotted.startswith(prefix) else None


def _enclosing(name: str) -> list[str]:
    parts = name.split(".") if name else []
    return [".".join(parts[:i]) for i in range(len(parts))]


def edges(pkg: Package) -> list[Edge]:
    """Every import edge between modules of the package (see the module docstring)."""
    found: list[Edge] = []
    for module in pkg.modules.values():
        own = set(_enclosing(module.name)) | ({module.name} if module.is_package else set())
        for line, dotted, names in imports(pkg, module):
            target = _internal(pkg, dotted)
            if target is None:
                continue
            named: set[str] = set()
            if names is None:
                named.add(target)
            else:
                submodules = {f"{target}.{n}" if target else n for n in names}
                named |= {s for s in submodules if s in pkg.modules}
                if len(named) < len(names):  # takes a name defined in the package's __init__
                    named.add(target)
            ran = ({a for t in named for a in _enclosing(t)} | {target}) - own - named
            found += [Edge(module.name, t, line, True) for t in sorted(named - {module.name})]
            found += [Edge(module.name, t, line, False) for t in sorted(ran)]
    return found


# -- rule: layers ---------------------------------------------------------------------------------


def layer_of(name: str, layers: Mapping[str, str]) -> str | None:
    """The layer of a module: its own entry, else its closest listed package (never the root's)."""
    if name in layers:
        return layers[name]
    for candidate in reversed(_enclosing(name)[1:]):
        if candidate in layers:
            return layers[candidate]
    return None


def layer_violations(
    root: Path, layers: Mapping[str, str], may_import: Mapping[str, set[str]]
) -> list[str]:
    """Imports that leave the importer's layer for one it may not use.

    ``may_import`` maps a layer to the layers it may use (its own always) or to single modules
    (``client.config``: that module and nothing else of its layer).
    """
    pkg = load(root)
    out = [
        f"{m.rel}: {m.name or '__init__'} is in no layer of the table"
        for m in pkg.modules.values()
        if layer_of(m.name, layers) is None
    ]
    for edge in edges(pkg):
        mine, theirs = layer_of(edge.importer, layers), layer_of(edge.target, layers)
        if not edge.named or mine is None or mine == theirs:
            continue
        allowed = may_import.get(mine, set())
        if theirs in allowed or any(
            edge.target == a or edge.target.startswith(a + ".") for a in allowed
        ):
            continue
        out.append(
            f"{pkg.modules[edge.importer].rel}:{edge.line}: {mine} imports "
            f"{_dotted(pkg, edge.target)} ({theirs}); {mine} may import "
            f"{', '.join(sorted(allowed)) or 'only itself'}"
        )
    return out


def _dotted(pkg: Package, name: str) -> str:
    return f"{pkg.name}.{name}" if name else pkg.name


# -- rule: no cycles ------------------------------------------------------------------------------


def cycles(root: Path) -> list[str]:
    """One readable cycle per strongly connected group of modules."""
    pkg = load(root)
    graph: dict[str, dict[str, int]] = {name: {} for name in pkg.modules}
    for edge in edges(pkg):
        if edge.target in graph:
            graph[edge.importer].setdefault(edge.target, edge.line)
    out = []
    for group in _strongly_connected(graph):
        if len(group) < 2:
            continue
        path = _cycle_through(min(group), group, graph)
        steps = [
            f"{_dotted(pkg, a)} ({pkg.modules[a].rel}:{graph[a][b]})" for a, b in pairwise(path)
        ]
        out.append("import cycle: " + " -> ".join([*steps, _dotted(pkg, path[0])]))
    return out


def _strongly_connected(graph: Mapping[str, Mapping[str, int]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.add(top)
                if top == node:
                    break
            groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _cycle_through(
    start: str, group: set[str], graph: Mapping[str, Mapping[str, int]]
) -> list[str]:
    """The shortest path start -> ... -> start inside the group."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if nxt in group and nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{start} is on no cycle")  # pragma: no cover


# -- rule: one importer per third-party library ---------------------------------------------------


def third_party_importers(root: Path) -> dict[str, set[str]]:
    """Top-level name of every non-stdlib library -> the files importing it."""
    pkg = load(root)
    found: dict[str, set[str]] = {}
    for module in pkg.modules.values():
        for _, dotted, _ in imports(pkg, module):
            top = dotted.split(".")[0]
            if top != pkg.name and top not in sys.stdlib_module_names:
                found.setdefault(top, set()).add(module.rel)
    return found


def _covered(rel: str, places: Sequence[str]) -> bool:
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in places)


def third_party_violations(root: Path, owners: Mapping[str, Sequence[str]]) -> list[str]:
    """Imports of a library outside its owning files (``dir/`` owns a whole folder)."""
    out = []
    for library, files in sorted(third_party_importers(root).items()):
        if library not in owners:
            out += [
                f"{f}: imports {library}, which has no owner in the table" for f in sorted(files)
            ]
            continue
        out += [
            f"{f}: imports {library}; only {', '.join(owners[library])} may"
            for f in sorted(files)
            if not _covered(f, owners[library])
        ]
    return out


# -- rule: only the CLI writes to the terminal ----------------------------------------------------

_STREAMS = frozenset({"stdout", "stderr", "__stdout__", "__stderr__"})
_HANDLERS = frozenset({"basicConfig", "StreamHandler"})


def output_violations(root: Path, allowed: Sequence[str]) -> list[str]:
    """``print``, ``sys.stdout``/``sys.stderr`` and logging handlers outside ``allowed``.

    Libraries emit log records; where they go (a terminal handler included) is the application's
    choice, so configuring a stream handler counts as writing to the terminal.
    """
    pkg = load(root)
    found: list[tuple[str, int, str]] = []
    for module in pkg.modules.values():
        if _covered(module.rel, allowed):
            continue
        for node in ast.walk(module.tree):
            what = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                what = "print()" if node.func.id == "print" else None
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "sys" and node.attr in _STREAMS:
                    what = f"sys.{node.attr}"
                elif node.value.id == "logging" and node.attr in _HANDLERS:
                    what = f"logging.{node.attr}"
            elif isinstance(node, ast.ImportFrom) and node.module in ("sys", "logging"):
                names = {a.name for a in node.names} & (_STREAMS | _HANDLERS)
                what = ", ".join(f"{node.module}.{n}" for n in sorted(names)) or None
            if what:
                found.append((module.rel, getattr(node, "lineno", 0), what))
    return [f"{rel}:{line}: {what} outside the CLI" for rel, line, what in sorted(found)]


# -- rule: one home for every public exception ----------------------------------------------------


@dataclass(frozen=True)
class ExceptionClass:
    module: str
    name: str
    rel: str
    line: int
    parent: str | None  # the qualified name of its first exception base inside the package


def exception_classes(root: Path) -> list[ExceptionClass]:
    """Every class of the package that derives from BaseException, resolved through the source.

    A base is followed through the package's own classes and imports; builtin and stdlib bases
    are looked up for real; a third-party base (never imported here) counts when PEP 8 would
    name it as one: ``...Error``, ``...Exception``, ``...Warning``.
    """
    pkg = load(root)
    classes: dict[str, tuple[Module, ast.ClassDef]] = {}
    bindings: dict[str, dict[str, str]] = {}
    for module in pkg.modules.values():
        qual = _dotted(pkg, module.name)
        names = bindings[qual] = {}
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    names[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(pkg, module, node)
                names.update({a.asname or a.name: f"{base}.{a.name}" for a in node.names})
            elif isinstance(node, ast.ClassDef):
                classes[f"{qual}.{node.name}"] = (module, node)
                names[node.name] = f"{qual}.{node.name}"

    def resolve(expr: ast.expr, scope: str) -> str | None:
        if isinstance(expr, ast.Name):
            return bindings[scope].get(expr.id, f"builtins.{expr.id}")
        if isinstance(expr, ast.Attribute):
            head = resolve(expr.value, scope)
            return f"{head}.{expr.attr}" if head else None
        return None

    def follow(qualified: str, seen: frozenset[str] = frozenset()) -> str:
        """Through re-exports (``from pkg.errors import X`` in a facade) to where X is defined."""
        module, _, attr = qualified.rpartition(".")
        if qualified in classes or module not in bindings or qualified in seen:
            return qualified
        target = bindings[module].get(attr)
        return follow(target, seen | {qualified}) if target else qualified

    verdicts: dict[str, bool] = {}

    def is_exception(qualified: str) -> bool:
        qualified = follow(qualified)
        if qualified not in verdicts:
            verdicts[qualified] = False  # a base cycle is not an exception
            if qualified in classes:
                verdicts[qualified] = any(is_exception(b) for b in bases(qualified))
            else:
                verdicts[qualified] = _external_exception(qualified)
        return verdicts[qualified]

    def bases(qualified: str) -> list[str]:
        module, node = classes[qualified]
        scope = _dotted(pkg, module.name)
        resolved = (resolve(expr, scope) for expr in node.bases)
        return [follow(b) for b in resolved if b]

    out = []
    for qualified, (module, node) in classes.items():
        if is_exception(qualified):
            parent = next((b for b in bases(qualified) if b in classes and is_exception(b)), None)
            out.append(ExceptionClass(module.name, node.name, module.rel, node.lineno, parent))
    return out


def _external_exception(qualified: str) -> bool:
    parts = qualified.split(".")
    if parts[0] == "builtins" or parts[0] in sys.stdlib_module_names:
        for split in range(len(parts) - 1, 0, -1):
            try:
                found: object = importlib.import_module(".".join(parts[:split]))
                for attr in parts[split:]:
                    found = getattr(found, attr)
            except (ImportError, AttributeError):
                continue
            return isinstance(found, type) and issubclass(found, BaseException)
        return False
    return parts[-1].endswith(("Error", "Exception", "Warning")) or parts[-1] == "BaseException"


def exception_home_violations(root: Path, home: str) -> list[str]:
    """Public exception classes defined anywhere but the ``home`` module."""
    return [
        f"{e.rel}:{e.line}: public exception {e.name} lives outside {home.replace('.', '/')}.py"
        for e in exception_classes(root)
        if e.module != home and not e.name.startswith("_")
    ]


_TREE_LINE = re.compile(r"^(?P<lead>[\s│├└─]*)(?P<name>[A-Za-z_]\w*)")


def drawn_tree(docstring: str) -> dict[str, str | None]:
    """name -> parent name from the ``::`` block of a raw docstring drawn with box characters."""
    lines = docstring.splitlines()
    start = next((i for i, line in enumerate(lines) if line.rstrip().endswith("::")), None)
    if start is None:
        return {}
    tree: dict[str, str | None] = {}
    ancestors: list[tuple[int, str]] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if tree:
                break
            continue
        match = _TREE_LINE.match(line)
        if not match or _indent(line) <= _indent(lines[start]):
            break
        column, name = len(match["lead"]), match["name"]
        while ancestors and ancestors[-1][0] >= column:
            ancestors.pop()
        tree[name] = ancestors[-1][1] if ancestors else None
        ancestors.append((column, name))
    return tree


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def exception_tree_violations(root: Path, home: str) -> list[str]:
    """The docstring tree of ``home`` must draw exactly its public exceptions, each under its base."""
    pkg = load(root)
    module = pkg.modules[home]
    first = module.tree.body[0] if module.tree.body else None
    docstring = first.value if isinstance(first, ast.Expr) else None
    raw = docstring.value if isinstance(docstring, ast.Constant) else None  # keeps indents
    drawn = drawn_tree(raw if isinstance(raw, str) else "")
    defined = {
        e.name: e.parent.rpartition(".")[2] if e.parent else None
        for e in exception_classes(root)
        if e.module == home and not e.name.startswith("_")
    }
    out = [
        f"{module.rel}: {n} is not drawn in the docstring tree" for n in defined if n not in drawn
    ]
    out += [
        f"{module.rel}: the tree draws {n}, which is no exception here"
        for n in drawn
        if n not in defined
    ]
    out += [
        f"{module.rel}: the tree draws {n} under {drawn[n]}, but it derives from {defined[n]}"
        for n in defined
        if n in drawn and drawn[n] != defined[n]
    ]
    return out


# -- rule: the top-level namespace is curated -----------------------------------------------------


def export_violations(root: Path) -> list[str]:
    """The root ``__init__`` lists in ``__all__`` exactly the public names it binds."""
    module = load(root).modules[""]
    declared: list[str] | None = None
    bound: set[str] = set()
    for node in module.tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    bound.add(target.id)
                    if target.id == "__all__" and node.value is not None:
                        declared = list(ast.literal_eval(node.value))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            for alias in node.names:
                bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
    if declared is None:
        return [f"{module.rel}: no literal __all__"]
    out = [
        f"{module.rel}: __all__ names {n}, which is not defined there"
        for n in declared
        if n not in bound
    ]
    out += [
        f"{module.rel}: public name {n} is missing from __all__"
        for n in sorted(bound - set(declared))
        if not n.startswith("_")
    ]
    out += [
        f"{module.rel}: __all__ lists {n} twice"
        for n in sorted(set(declared))
        if declared.count(n) > 1
    ]
    return out


# -- rule: small modules, one home for API paths --------------------------------------------------


def long_modules(root: Path, limit: int) -> list[str]:
    return [
        f"{m.rel}: {m.lines} lines (at most {limit})"
        for m in load(root).modules.values()
        if m.lines > limit
    ]


_API_PATH = re.compile(r"^/v4(?:/|$)")


def api_path_violations(root: Path, allowed: Sequence[str]) -> list[str]:
    """String literals that start an API path (``"/v4"``, ``"/v4/..."``) outside ``allowed``."""
    found = sorted(
        (module.rel, node.lineno, node.value)
        for module in load(root).modules.values()
        if not _covered(module.rel, allowed)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _API_PATH.match(node.value)
    )
    return [
        f"{rel}:{line}: API path literal {value!r}; paths live in apispec.py"
        for rel, line, value in found
    ]
