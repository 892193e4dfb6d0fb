"""The local apply lock: one apply at a time per (target, AppKey) on this machine.

Why: two applies at once both read "absent" and both create, so every schedule they add exists
twice and sends twice. The lock is held from before apply reads live state (or re-reads a saved
plan's objects) until its last request has ended, so the second apply either waits its turn in
the pipeline or is refused with who holds the lock; it never plans against a state the first one
is changing.

How: ``fcntl.flock`` on ``.webpush-iac/locks/<hash>.lock``. The kernel releases a flock when its
holder dies, however it dies, so a crashed apply never blocks the next one. The file also records
who holds it (pid, host, since) for the refusal message; it names the target but never the secret
(the file name is a hash of target and AppKey). Stale locks: a lock still held while its recorded
process is dead on this host (an inherited descriptor), or held for longer than
:data:`STALE_AFTER`, is taken over by replacing the file; the old holder notices before it sends
(:meth:`ApplyLock.check_held`). CI runners do not share a disk, so this lock cannot see them: the
post-create duplicate check in ``apply.creates`` converges that case.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from webpush_iac.errors import ApplyLockedError, ConfigError
from webpush_iac.times import format_time, parse_time

DEFAULT_LOCK_DIR = Path(".webpush-iac") / "locks"
#: Longer than any apply runs (a CI job's usual ceiling is 6 h): a lock held past it is hung.
STALE_AFTER = timedelta(hours=6)
_TRIES = 5  # a lock file replaced under us between open and flock: open again


def lock_path(directory: Path | str, target: str, app_key: str) -> Path:
    digest = hashlib.sha256(f"{target}\n{app_key}".encode()).hexdigest()[:32]
    return Path(directory) / f"{digest}.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


class ApplyLock:
    """Held with ``with ApplyLock(dir, target, app_key):``; refuses with :class:`ApplyLockedError`."""

    def __init__(
        self,
        directory: Path | str,
        target: str,
        app_key: str,
        *,
        now: datetime | None = None,
    ) -> None:
        self.path = lock_path(directory, target, app_key)
        self.target = target
        self._now = now
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self.took_over: dict[str, Any] | None = None  # the stale holder replaced, if any

    def __repr__(self) -> str:
        return f"ApplyLock({str(self.path)!r}, held={self._fd is not None})"

    def _clock(self) -> datetime:
        return self._now or datetime.now(UTC)

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the lock directory {self.path.parent}: {exc.strerror}"
            ) from None
        for _ in range(_TRIES):
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                if not self._stale(holder):
                    raise ApplyLockedError(self._held_message(holder)) from None
                self.took_over = holder
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()  # the hung holder keeps a lock on a file nobody opens
                continue
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise ConfigError(
                        f"the file system of {self.path.parent} does not support locks "
                        f"({exc.strerror}); run apply from a directory on a local disk"
                    ) from None
                raise
            if self._same_file(fd):
                self._fd = fd
                self._write_holder()
                return
            os.close(fd)  # replaced between our open and our flock: that file is nobody's lock
        raise ApplyLockedError(
            f"could not take the apply lock {self.path}: it kept being replaced; nothing was sent"
        )

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise ConfigError(f"cannot open the apply lock {self.path}: {exc.strerror}") from None

    def _same_file(self, fd: int) -> bool:
        mine = os.fstat(fd)
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            return False
        self._inode = (mine.st_dev, mine.st_ino)
        return (now.st_dev, now.st_ino) == self._inode

    def _write_holder(self) -> None:
        assert self._fd is not None
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": format_time(self._clock().replace(microsecond=0)),
            "target": self.target,
        }
        data = (json.dumps(holder) + "\n").encode()
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
        except OSError:
            pass  # the lock holds without its description; a refused apply says less, that is all

    def _stale(self, holder: dict[str, Any] | None) -> bool:
        if not holder:
            return False  # just taken, description not written yet: very much alive
        pid, host = holder.get("pid"), holder.get("host")
        if host == socket.gethostname() and isinstance(pid, int) and not _pid_alive(pid):
            return True
        since = _parse_since(holder.get("since"))
        return since is not None and self._clock() - since > STALE_AFTER

    def _held_message(self, holder: dict[str, Any] | None) -> str:
        if holder:
            who = (
                f"since {holder.get('since', 'an unknown time')} "
                f"(pid {holder.get('pid', '?')} on host {holder.get('host', '?')})"
            )
        else:
            who = "(it is just starting)"
        return (
            f"another apply holds the lock for {self.target} {who}; nothing was sent. Wait for "
            f"it to finish and run plan again; the lock ({self.path}) is released when that "
            "process exits, and taken over once it is older than "
            f"{int(STALE_AFTER.total_seconds() // 3600)} h"
        )

    def check_held(self) -> None:
        """Refuse to go on if a stale-lock takeover replaced our file while we waited (a hung
        confirmation prompt): another apply may be running now."""
        if self._fd is None:
            raise ApplyLockedError("the apply lock is not held; nothing was sent")
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        if now is None or (now.st_dev, now.st_ino) != self._inode:
            raise ApplyLockedError(
                f"the apply lock {self.path} was taken over by another apply while this one "
                "waited; nothing was sent"
            )

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if self._same_file(self._fd):
                self.path.unlink()  # before unlocking, so nobody locks a file about to vanish
        os.close(self._fd)  # closing releases the flock
        self._fd = None

    def __enter__(self) -> ApplyLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> dict[str, Any] | None:
    try:
        raw = os.pread(fd, 4096, 0)
        value = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _parse_since(value: Any) -> datetime | None:
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        return None


__all__ = ["DEFAULT_LOCK_DIR", "STALE_AFTER", "ApplyLock", "lock_path"]
