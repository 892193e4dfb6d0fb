"""The local apply lock: one holder per (target, AppKey), across processes, with stale takeover.

Exclusion across processes is checked with a real second process holding the lock; a lock held
by a process that died is checked with a real dead process.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.constants import MASTER_SECRET

from webpush_iac.apply.lock import STALE_AFTER, ApplyLock, lock_path
from webpush_iac.errors import ApplyLockedError

TARGET = "https://webpushapi-sgp.engagelab.com"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

HOLDER = """
import sys
from webpush_iac.apply.lock import ApplyLock
with ApplyLock(sys.argv[1], sys.argv[2], sys.argv[3]):
    print("held", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
"""


def test_a_second_apply_is_refused_with_who_holds_the_lock_and_since_when(tmp_path: Path) -> None:
    with ApplyLock(tmp_path, TARGET, "key-1", now=NOW), pytest.raises(ApplyLockedError) as info:
        ApplyLock(tmp_path, TARGET, "key-1", now=NOW + timedelta(hours=1)).acquire()
    message = str(info.value)
    assert message.startswith(
        f"another apply holds the lock for {TARGET} since 2026-11-22T12:00:00Z "
        f"(pid {os.getpid()} on host {socket.gethostname()}); nothing was sent"
    )


def test_other_targets_and_app_keys_have_their_own_locks(tmp_path: Path) -> None:
    with (
        ApplyLock(tmp_path, TARGET, "key-1"),
        ApplyLock(tmp_path, TARGET, "key-2"),
        ApplyLock(tmp_path, "https://webpushapi-hk.engagelab.com", "key-1"),
    ):
        assert len(list(tmp_path.glob("*.lock"))) == 3


def test_a_released_lock_is_removed_and_can_be_taken_again(tmp_path: Path) -> None:
    with ApplyLock(tmp_path, TARGET, "key-1") as lock:
        assert lock.path.exists()
    assert not lock.path.exists()
    with ApplyLock(tmp_path, TARGET, "key-1"):
        pass


def test_the_lock_file_is_named_by_a_hash_and_records_no_credential(tmp_path: Path) -> None:
    with ApplyLock(tmp_path, TARGET, "key-1") as lock:
        text = lock.path.read_text(encoding="utf-8")
    assert lock.path == lock_path(tmp_path, TARGET, "key-1")
    assert "key-1" not in lock.path.name
    assert "key-1" not in text
    assert MASTER_SECRET not in text
    assert set(json.loads(text)) == {"pid", "host", "since", "target"}


def test_another_process_holding_the_lock_excludes_this_one(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), TARGET, "key-1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(ApplyLockedError, match=f"pid {holder.pid} on host"):
            ApplyLock(tmp_path, TARGET, "key-1").acquire()
    finally:
        holder.communicate("", timeout=30)
    with ApplyLock(tmp_path, TARGET, "key-1"):  # released when the holder exited
        pass


def test_a_holder_killed_without_cleaning_up_does_not_block_the_next_apply(
    tmp_path: Path,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), TARGET, "key-1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    holder.kill()
    holder.wait(timeout=30)
    assert lock_path(tmp_path, TARGET, "key-1").exists()  # SIGKILL left the file behind
    with ApplyLock(tmp_path, TARGET, "key-1") as lock:
        assert lock.took_over is None  # the kernel had already released it: nothing stale


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


def _hold_with(path: Path, holder: dict[str, object]) -> int:
    """Hold the flock on ``path`` in this process, describing someone else as the holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, json.dumps(holder).encode())
    return fd


def test_a_lock_whose_recorded_holder_is_dead_on_this_host_is_taken_over(tmp_path: Path) -> None:
    path = lock_path(tmp_path, TARGET, "key-1")
    dead = {"pid": _dead_pid(), "host": socket.gethostname(), "since": "2026-11-22T11:00:00Z"}
    fd = _hold_with(path, dead)
    try:
        with ApplyLock(tmp_path, TARGET, "key-1", now=NOW) as lock:
            assert lock.took_over == dead
            lock.check_held()
    finally:
        os.close(fd)


def test_a_lock_held_past_the_stale_bound_is_taken_over_and_its_holder_learns_it(
    tmp_path: Path,
) -> None:
    with ApplyLock(tmp_path, TARGET, "key-1", now=NOW) as hung:
        later = NOW + STALE_AFTER + timedelta(minutes=1)
        with ApplyLock(tmp_path, TARGET, "key-1", now=later) as fresh:
            assert fresh.took_over is not None
            fresh.check_held()
            with pytest.raises(ApplyLockedError, match="was taken over by another apply"):
                hung.check_held()


def test_a_lock_on_another_host_within_the_bound_is_not_stale(tmp_path: Path) -> None:
    path = lock_path(tmp_path, TARGET, "key-1")
    fd = _hold_with(path, {"pid": 1, "host": "ci-runner-7", "since": "2026-11-22T11:00:00Z"})
    try:
        with pytest.raises(ApplyLockedError, match="pid 1 on host ci-runner-7"):
            ApplyLock(tmp_path, TARGET, "key-1", now=NOW).acquire()
    finally:
        os.close(fd)
