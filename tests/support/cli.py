"""The real CLI as a separate process, the way CI pipelines run it."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
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


@dataclass
class PtyRun:
    """What a process run on a pseudo-terminal printed (stdout and stderr share the terminal)
    and how it ended."""

    output: str
    returncode: int


def run_in_pty(cwd: Path, *args: str, prompt: str, keys: bytes, timeout: float = 60.0) -> PtyRun:
    """``python -m webpush_iac ARGS`` with a pseudo-terminal as its controlling terminal; once
    ``prompt`` appears, ``keys`` are typed (``b"\\x03"`` is ctrl-C: the terminal turns it into
    SIGINT for the process, exactly as a person's keyboard does)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBPUSH_")}
    env.update({**ENV, "TERM": "xterm", "CI": ""})
    master, slave = os.openpty()

    def take_terminal() -> None:  # runs in the child after setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "webpush_iac", *args],
        cwd=cwd,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=take_terminal,
    )
    os.close(slave)
    seen = b""
    typed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if not typed and prompt.encode() in seen:
                os.write(master, keys)
                typed = True
            if process.poll() is not None and not ready:
                break
        returncode = process.wait(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return PtyRun(seen.decode("utf-8", "replace"), returncode)
