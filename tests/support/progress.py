"""Counted progress events read back, for tests of who reports progress."""

from __future__ import annotations

from webpush_iac.progress import counts_of


def counted(events: list[str], stage: str) -> list[tuple[int, int]]:
    """``(done, total)`` of every counted event of ``stage``, in the order they were emitted."""
    return [(c[1], c[2]) for e in events if (c := counts_of(e)) and c[0] == stage]
