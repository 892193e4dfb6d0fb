"""The real CLI as a separate process, the way CI pipelines run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.constants import ENV


def run_cli(cwd: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``python -m webpush_iac ARGS`` as a real process, with the test credentials and no other
    ``WEBPUSH_*`` variable from the caller's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBPUSH_")}
    env.update({**ENV, **extra_env})
    return subprocess.run(
        [sys.executable, "-m", "webpush_iac", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
