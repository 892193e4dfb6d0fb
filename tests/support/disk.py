"""A full disk for one file, in process: ``os.write`` to that file fails the way the kernel fails it.

The reliability suite runs a real ``apply`` under ``RLIMIT_FSIZE``; the unit tests need the same
failure on one exact write without limiting the test process itself, so :class:`FullDisk` wraps
``os.write`` for writes to one file (matched by inode) and passes every other write through.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest


class FullDisk:
    """Writes to ``path`` stop at ``limit`` bytes (a short write, then ``EFBIG``, as under
    RLIMIT_FSIZE), or the ``fail_at``-th write fails whole with ``ENOSPC``."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        path: Path,
        *,
        limit: int | None = None,
        fail_at: int | None = None,
    ) -> None:
        stat = os.stat(path)
        self._inode = (stat.st_dev, stat.st_ino)
        self.limit = limit
        self.fail_at = fail_at
        self.writes = 0
        self._real = os.write
        monkeypatch.setattr(os, "write", self._write)

    def _write(self, fd: int, data: Any) -> int:
        stat = os.fstat(fd)
        if (stat.st_dev, stat.st_ino) != self._inode:
            return self._real(fd, data)
        self.writes += 1
        if self.fail_at is not None and self.writes >= self.fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if self.limit is not None:
            room = self.limit - stat.st_size
            if room <= 0:
                raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))
            return self._real(fd, bytes(memoryview(data)[:room]))
        return self._real(fd, data)
