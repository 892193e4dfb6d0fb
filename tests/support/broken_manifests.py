"""The broken manifests under ``tests/manifest/fixtures`` and the problems each one declares.

Each fixture ends with ``# expect:`` lines: the exact ``file:line:col: key.path: message`` text
users will see, ``{file}`` standing for the fixture and ``{dir}`` for its folder, both relative to
the repository root (the tests run from there). Keeping the expectation inside the fixture puts
the broken line and the promised location side by side.
"""

from __future__ import annotations

import re
from pathlib import Path

from support.constants import REPO

FIXTURES = REPO / "tests" / "manifest" / "fixtures"
_EXPECT = re.compile(r"^# expect: (.*)$", re.MULTILINE)


def broken_fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def expected_problems(fixture: Path) -> list[str]:
    rel = fixture.relative_to(REPO).as_posix()
    lines = _EXPECT.findall(fixture.read_text(encoding="utf-8"))
    return [
        line.replace("{file}", rel).replace("{dir}", FIXTURES.relative_to(REPO).as_posix())
        for line in lines
    ]
