"""The architecture of design §2 as tests over the source of ``webpush_iac`` (AST, see
``architecture/checks.py`` for what counts as an import: function-level and ``TYPE_CHECKING``
imports do).

1. Layers: every module belongs to a layer of :data:`LAYERS` and imports only its own layer and
   what :data:`MAY_IMPORT` lists. The table is as strict as the code allows: foundation modules
   are layers of their own, so their few internal imports are spelled out too.
2. No import cycle anywhere, the package ``__init__`` files included.
3. One owner per third-party library (:data:`OWNERS`); a library nobody declared is an error.
4. Only ``cli/`` writes to the terminal: no ``print``, ``sys.stdout``/``sys.stderr`` or logging
   stream handler elsewhere. The rest of the package, the emulator included, emits log records.
5. Every public exception (a class deriving from ``BaseException``, its name without a leading
   underscore) is defined in ``errors.py``, whose docstring draws each under its base class.
   Internal signals that are caught or wrapped before any caller sees them keep private names,
   wherever they live. That is also the emulator's rule: as the independent oracle it cannot use
   ``errors.py`` without importing the engine it checks, and its exceptions never leave it as
   their own type (a handler's ``_ApiFailure`` becomes an error reply, a ``_DroppedConnection``
   reaches an in-process caller as the builtin ``ConnectionResetError`` it is documented to see).
6. The top level is curated (:data:`EXPORTS`) and lean: importing ``webpush_iac`` loads only
   ``errors``.
7. At most 400 lines per module, the emulator included.
8. API paths (``"/v4"``, ``"/v4/..."``) are spelled only in ``apispec.py`` and the emulator, which
   keeps its own copies on purpose.

Every rule is also run on a throwaway package with one planted violation (the ``*_catches_*``
tests), so a checker that could never fail cannot pass unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest
from architecture import checks

import webpush_iac
from webpush_iac import errors

PACKAGE = Path(webpush_iac.__file__).resolve().parent

FOUNDATION = {
    "__init__",
    "errors",
    "state",
    "times",
    "apispec",
    "progress",
    "concurrency",
    "loopback",
    "redaction",
}

#: module or package (dotted, relative to webpush_iac; "" is the root __init__) -> layer
LAYERS: dict[str, str] = {
    "": "__init__",
    **{name: name for name in FOUNDATION - {"__init__"}},
    "__main__": "__main__",
    **{name: name for name in ("manifest", "client", "plan", "live", "apply", "render")},
    **{name: name for name in ("commands", "cli", "emulator")},
}

#: layer -> the layers (or single modules) it may import besides its own
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    "state": set(),
    "apispec": set(),
    "progress": set(),
    "concurrency": set(),
    "loopback": set(),
    "redaction": set(),
    "times": {"errors", "state"},
    "__init__": {"errors"},
    "__main__": {"cli"},
    "manifest": FOUNDATION,
    "client": FOUNDATION,
    "plan": FOUNDATION,
    "live": FOUNDATION | {"plan"},
    "apply": FOUNDATION | {"plan", "live"},  # the client only through its Requester Protocol
    "render": FOUNDATION | {"plan", "apply"},
    "commands": FOUNDATION | {"manifest", "client", "plan", "live", "apply"},
    "cli": FOUNDATION | {"manifest", "plan", "apply", "render", "commands", "emulator"},
    "emulator": {"loopback"},  # the shared loopback rule, nothing else of the engine
}

#: third-party library (top-level import name) -> the files that may import it ("dir/": all of it)
OWNERS: dict[str, tuple[str, ...]] = {
    "httpx": ("client/engagelab.py",),
    "deepdiff": ("plan/field_paths.py",),
    "ruamel": ("manifest/yaml.py",),
    "jinja2": ("manifest/templating.py",),
    "pydantic": ("manifest/",),
    "pydantic_core": ("manifest/",),
    "click": ("cli/",),
    "starlette": ("emulator/",),
    "uvicorn": ("emulator/",),
}

TERMINAL_WRITERS = ("cli/",)
API_PATH_HOMES = ("apispec.py", "emulator/")
MAX_LINES = 400

EXPORTS = [
    "AmbiguousWriteError",
    "ApiError",
    "ApplyCancelled",
    "ApplyFailedError",
    "ApplyLockedError",
    "AuthError",
    "ClientError",
    "ConfigError",
    "Interrupted",
    "InvalidPlanError",
    "JournalError",
    "ManifestError",
    "NoAnswerError",
    "NotFoundError",
    "PlanError",
    "Problem",
    "RateLimitedError",
    "ReadOnlyViolation",
    "SafetyError",
    "ServerError",
    "StalePlanError",
    "TransportError",
    "WebpushIacError",
    "__version__",
]


# -- the real package -----------------------------------------------------------------------------


def test_every_module_imports_only_what_its_layer_may() -> None:
    assert checks.layer_violations(PACKAGE, LAYERS, MAY_IMPORT) == []


def test_layer_table_is_a_hierarchy_keeping_the_design_invariants() -> None:
    layers = set(LAYERS.values())
    assert set(MAY_IMPORT) == layers
    order: list[str] = []  # a topological order exists only if the table has no cycle
    while len(order) < len(layers):
        ready = sorted(
            layer
            for layer in layers - set(order)
            if {d for d in MAY_IMPORT[layer] if d in layers} <= set(order)
        )
        assert ready, f"the layer table has a cycle among {sorted(layers - set(order))}"
        order += ready
    assert [layer for layer, used in MAY_IMPORT.items() if "emulator" in used] == ["cli"]
    assert [layer for layer, used in MAY_IMPORT.items() if "cli" in used] == ["__main__"]
    assert not {"client"} & (MAY_IMPORT["live"] | MAY_IMPORT["apply"] | MAY_IMPORT["render"])
    assert all(used <= FOUNDATION for layer, used in MAY_IMPORT.items() if layer in FOUNDATION)


def test_no_import_cycles() -> None:
    assert checks.cycles(PACKAGE) == []


def test_each_third_party_library_enters_through_its_owner_only() -> None:
    assert checks.third_party_violations(PACKAGE, OWNERS) == []
    importers = checks.third_party_importers(PACKAGE)
    assert set(importers) == set(OWNERS), "a library in OWNERS that nothing imports"
    single = {lib: set(files) for lib, files in OWNERS.items() if not files[0].endswith("/")}
    assert {lib: importers[lib] for lib in single} == single


def test_only_the_cli_writes_to_the_terminal() -> None:
    assert checks.output_violations(PACKAGE, TERMINAL_WRITERS) == []


def test_every_public_exception_lives_in_errors() -> None:
    assert checks.exception_home_violations(PACKAGE, "errors") == []


def test_errors_docstring_draws_the_exception_tree_as_defined() -> None:
    assert checks.exception_tree_violations(PACKAGE, "errors") == []
    assert checks.drawn_tree(errors.__doc__ or "")["AmbiguousWriteError"] == "TransportError"


def test_top_level_exports_exactly_the_curated_api() -> None:
    assert webpush_iac.__all__ == EXPORTS
    assert checks.export_violations(PACKAGE) == []
    public_exceptions = {
        e.name
        for e in checks.exception_classes(PACKAGE)
        if e.module == "errors" and not e.name.startswith("_")
    }
    assert public_exceptions | {"Problem", "__version__"} == set(EXPORTS)
    for name in EXPORTS[:-1]:
        assert getattr(webpush_iac, name) is getattr(errors, name)
    assert isinstance(webpush_iac.__version__, str)


def test_importing_the_package_loads_only_the_exception_tree() -> None:
    probe = (
        "import sys, webpush_iac\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'webpush_iac'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "['webpush_iac', 'webpush_iac.errors']"


def test_modules_stay_small() -> None:
    assert checks.long_modules(PACKAGE, MAX_LINES) == []


def test_api_paths_are_spelled_only_in_apispec_and_the_emulator() -> None:
    assert checks.api_path_violations(PACKAGE, API_PATH_HOMES) == []


# -- each rule catches a planted violation --------------------------------------------------------

Tree = Callable[[dict[str, str]], Path]


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """Write a throwaway ``webpush_iac`` package (missing ``__init__.py`` files are added)."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "webpush_iac"
        for rel, text in {"__init__.py": "", **files}.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dedent(text), encoding="utf-8")
            for folder in path.relative_to(root).parents:
                (root / folder / "__init__.py").touch()
        return root

    return write


def test_layer_check_catches_function_level_and_type_checking_imports(tree: Tree) -> None:
    root = tree(
        {
            "cli/app.py": "",
            "commands/run.py": "",
            "plan/model.py": """\
                def later():
                    from webpush_iac.cli import app
            """,
            "render/text.py": """\
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from webpush_iac.commands.run import Thing
            """,
            "plan/diff.py": "from ..apply import executor\n",
            "apply/executor.py": "",
        }
    )
    found = checks.layer_violations(root, LAYERS, MAY_IMPORT)
    assert [v.split(": ")[0] for v in sorted(found)] == [
        "plan/diff.py:1",
        "plan/model.py:2",
        "render/text.py:3",
    ]
    assert "plan imports webpush_iac.cli.app (cli)" in "\n".join(found)


def test_layer_check_lets_the_emulator_take_the_loopback_rule_and_nothing_else(tree: Tree) -> None:
    root = tree(
        {
            "loopback.py": "",
            "client/engagelab.py": "",
            "emulator/server.py": """\
                from webpush_iac.loopback import is_loopback
                from webpush_iac.client.engagelab import EngageLabClient
            """,
        }
    )
    found = checks.layer_violations(root, LAYERS, MAY_IMPORT)
    assert found == [
        "emulator/server.py:2: emulator imports webpush_iac.client.engagelab (client);"
        " emulator may import loopback"
    ]


def test_layer_check_catches_a_module_outside_the_table(tree: Tree) -> None:
    found = checks.layer_violations(tree({"helpers.py": ""}), LAYERS, MAY_IMPORT)
    assert found == ["helpers.py: helpers is in no layer of the table"]


def test_cycle_check_catches_function_level_and_type_checking_imports(tree: Tree) -> None:
    root = tree(
        {
            "state.py": """\
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from webpush_iac.times import Instant
            """,
            "times.py": """\
                def parse():
                    from webpush_iac import state
            """,
        }
    )
    assert checks.cycles(root) == [
        "import cycle: webpush_iac.state (state.py:3) -> webpush_iac.times (times.py:2)"
        " -> webpush_iac.state"
    ]


def test_cycle_check_catches_a_top_level_facade_over_a_stage(tree: Tree) -> None:
    root = tree(
        {
            "__init__.py": "from webpush_iac.plan import Plan\n__version__ = '1'\n",
            "plan/__init__.py": "from webpush_iac.plan.model import Plan\n",
            "plan/model.py": "from webpush_iac import __version__\n",
        }
    )
    assert checks.cycles(root) == [
        "import cycle: webpush_iac (__init__.py:1) -> webpush_iac.plan (plan/__init__.py:1)"
        " -> webpush_iac.plan.model (plan/model.py:1) -> webpush_iac"
    ]


def test_cycle_check_allows_siblings_but_not_the_facade_inside_a_package(tree: Tree) -> None:
    files = {
        "plan/__init__.py": "from webpush_iac.plan.diff import diff\nfrom . import model\n",
        "plan/model.py": "",
        "plan/diff.py": "from webpush_iac.plan import model\nimport webpush_iac.plan.model\n",
    }
    assert checks.cycles(tree(files)) == []
    files["plan/diff.py"] += "from webpush_iac.plan import Plan\n"
    assert checks.cycles(tree(files)) == [
        "import cycle: webpush_iac.plan (plan/__init__.py:1) -> webpush_iac.plan.diff"
        " (plan/diff.py:3) -> webpush_iac.plan"
    ]


def test_third_party_check_catches_a_second_importer_and_an_unowned_library(tree: Tree) -> None:
    root = tree(
        {
            "client/engagelab.py": "import httpx\n",
            "manifest/models/kinds.py": "from pydantic import BaseModel\n",
            "plan/diff.py": "def fetch():\n    import httpx.transports\n",
            "render/text.py": "import yaml\nimport json\n",
        }
    )
    assert checks.third_party_violations(root, OWNERS) == [
        "plan/diff.py: imports httpx; only client/engagelab.py may",
        "render/text.py: imports yaml, which has no owner in the table",
    ]


def test_output_check_catches_every_way_to_the_terminal_outside_the_cli(tree: Tree) -> None:
    root = tree(
        {
            "cli/app.py": "import sys\nprint('ok')\nsys.stdout.write('ok')\n",
            "plan/diff.py": "def show(x):\n    print(x)\n",
            "client/engagelab.py": "import sys\nsys.stderr.write('x')\n",
            "live.py": "from sys import stdout\n",
            "emulator/server.py": "import logging\nlogging.basicConfig()\nlogging.getLogger('x')\n",
            "manifest/baseline.py": "def run(done):\n    return done.stdout\n",
        }
    )
    assert sorted(checks.output_violations(root, TERMINAL_WRITERS)) == [
        "client/engagelab.py:2: sys.stderr outside the CLI",
        "emulator/server.py:2: logging.basicConfig outside the CLI",
        "live.py:1: sys.stdout outside the CLI",
        "plan/diff.py:2: print() outside the CLI",
    ]


def test_exception_check_catches_public_exceptions_outside_errors(tree: Tree) -> None:
    root = tree(
        {
            "__init__.py": "from webpush_iac.errors import PlanError\n",
            "errors.py": """\
                class WebpushIacError(Exception): ...
                class PlanError(WebpushIacError): ...
            """,
            "plan/diff.py": """\
                import asyncio
                from jinja2.sandbox import SecurityError
                from webpush_iac import PlanError as Facade
                from webpush_iac.errors import PlanError

                class Oops(ValueError): ...
                class _Signal(ValueError): ...
                class Chained(PlanError): ...
                class ThroughTheFacade(Facade): ...
                class Sandbox(SecurityError): ...
                class Cancelled(asyncio.CancelledError): ...
                class Grandchild(Oops): ...
                class NotAnError(dict): ...
            """,
        }
    )
    found = checks.exception_home_violations(root, "errors")
    assert [v.split()[3] for v in found] == [
        "Oops",
        "Chained",
        "ThroughTheFacade",
        "Sandbox",
        "Cancelled",
        "Grandchild",
    ]
    assert found[0] == "plan/diff.py:6: public exception Oops lives outside errors.py"


def test_exception_tree_check_catches_undrawn_misplaced_and_phantom_exceptions(tree: Tree) -> None:
    root = tree(
        {
            "errors.py": '''\
                """Errors::

                    Base
                    ├── Child
                    │   └── Phantom
                    └── Nephew
                """
                class Base(Exception): ...
                class Child(Base): ...
                class Nephew(Child): ...
                class Undrawn(Base): ...
                class _Private(Base): ...
            ''',
        }
    )
    assert checks.exception_tree_violations(root, "errors") == [
        "errors.py: Undrawn is not drawn in the docstring tree",
        "errors.py: the tree draws Phantom, which is no exception here",
        "errors.py: the tree draws Nephew under Base, but it derives from Child",
    ]


def test_export_check_catches_an_uncurated_top_level(tree: Tree) -> None:
    root = tree(
        {
            "__init__.py": """\
                from __future__ import annotations
                from webpush_iac.errors import Listed, Unlisted
                import sys as _sys
                __version__ = "1"
                __all__ = ["Listed", "Missing", "__version__"]
            """,
            "errors.py": "class Listed(Exception): ...\nclass Unlisted(Exception): ...\n",
        }
    )
    assert checks.export_violations(root) == [
        "__init__.py: __all__ names Missing, which is not defined there",
        "__init__.py: public name Unlisted is missing from __all__",
    ]


def test_line_limit_catches_a_module_one_line_too_long(tree: Tree) -> None:
    root = tree(
        {"plan/fits.py": "x = 1\n" * MAX_LINES, "plan/long.py": "x = 1\n" * (MAX_LINES + 1)}
    )
    assert checks.long_modules(root, MAX_LINES) == ["plan/long.py: 401 lines (at most 400)"]


def test_api_path_check_catches_a_stray_literal(tree: Tree) -> None:
    root = tree(
        {
            "apispec.py": 'V4 = "/v4"\nSCHEDULES = "/v4/schedules"\n',
            "emulator/app.py": 'ROUTE = "/v4/schedules/{schedule_id}"\n',
            "plan/devices.py": '''\
                """Devices: ``POST /v4/tags/{tag}`` takes up to 1000 ids."""
                def path(tag):
                    return f"/v4/tags/{tag}"
                BASE = "/v4"
                OTHER = "/v40"
            ''',
        }
    )
    assert checks.api_path_violations(root, API_PATH_HOMES) == [
        "plan/devices.py:3: API path literal '/v4/tags/'; paths live in apispec.py",
        "plan/devices.py:4: API path literal '/v4'; paths live in apispec.py",
    ]
