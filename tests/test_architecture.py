"""Import rules of design §2: each third-party library enters through exactly one module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "webpush_iac"

# library -> modules (relative to the package) allowed to import it
ALLOWED = {
    "httpx": {"client/engagelab.py"},
    "deepdiff": {"plan/field_paths.py"},
    "ruamel": {"manifest/yaml.py"},
    "click": {
        "cli/app.py",
        "cli/manifests.py",
        "cli/options.py",
        "cli/reconcile.py",
        "cli/serve.py",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("webpush_iac.emulator"):
                names.add("webpush_iac.emulator")
    return names


def _core_modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if "emulator" not in p.relative_to(PACKAGE).parts
    )


@pytest.mark.parametrize("library", sorted(ALLOWED))
def test_third_party_library_enters_through_one_module(library: str) -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _core_modules()
        if library in _imports(p) and str(p.relative_to(PACKAGE)) not in ALLOWED[library]
    ]
    assert offenders == []


def test_core_never_imports_the_emulator() -> None:
    # cli.py may start the embedded emulator (design §7 --emulator); nothing else may.
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _core_modules()
        if "webpush_iac.emulator" in _imports(p) and "cli" not in p.relative_to(PACKAGE).parts
    ]
    assert offenders == []


def test_modules_stay_small() -> None:
    too_long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450
    }
    assert too_long == {}
