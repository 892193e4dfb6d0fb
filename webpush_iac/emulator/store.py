"""SQLite persistence of everything the emulator knows, behind one lock.

One connection (``check_same_thread=False``) serialised by a lock is plenty for a test server and
keeps transactions simple: every handler does its reads and writes inside one :meth:`Store.tx`, so
a bulk tag call of 1000 ids is one transaction and a crash mid-way leaves nothing half-applied.
JSON sections of schedules are stored as text: they are only ever read back whole.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MSG_ID_BASE = (
    1_800_000_000  # GUESS: msg ids look like large decimal numbers (DOC* example "1828256757")
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schedules (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    kind TEXT NOT NULL,
    trigger TEXT NOT NULL,
    push TEXT NOT NULL,
    created REAL NOT NULL,
    last_eval REAL NOT NULL,
    next_event REAL,
    leave_at REAL,
    valid INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schedules_listed ON schedules (valid, seq);
CREATE INDEX IF NOT EXISTS schedules_due ON schedules (valid, next_event);
CREATE TABLE IF NOT EXISTS messages (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id TEXT,
    sent_at REAL NOT NULL,
    targets INTEGER NOT NULL,
    kind TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT 'notification',
    breakdown TEXT NOT NULL DEFAULT '{}',
    plan_id TEXT,
    withdrawn INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_schedule ON messages (schedule_id, num);
CREATE INDEX IF NOT EXISTS messages_by_plan ON messages (plan_id, sent_at);
CREATE TABLE IF NOT EXISTS devices (
    rid TEXT PRIMARY KEY,
    alias TEXT UNIQUE,
    registered REAL NOT NULL,
    online INTEGER NOT NULL DEFAULT 0,
    platform TEXT NOT NULL DEFAULT 'web'
);
CREATE TABLE IF NOT EXISTS cids (cid TEXT PRIMARY KEY, msg_id TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    source INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS voices (
    language TEXT PRIMARY KEY,
    file_url TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    platform TEXT NOT NULL,
    token TEXT NOT NULL,
    rid TEXT NOT NULL,
    PRIMARY KEY (platform, token)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_tags (
    rid TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (rid, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS device_tags_by_tag ON device_tags (tag, rid);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    time TEXT NOT NULL,
    dropped INTEGER NOT NULL DEFAULT 0
);
"""

_TABLES = (
    "meta",
    "schedules",
    "messages",
    "devices",
    "device_tags",
    "requests",
    "cids",
    "plans",
    "voices",
    "tokens",
)
# Bumped whenever a table changes; an older database is emptied and rebuilt (it is test state).
SCHEMA_VERSION = 3


_LOG_BATCH = 256  # request-log entries kept in memory before one INSERT writes them all


class Store:
    """The emulator's database. Use :meth:`tx` for every access; it holds the lock throughout.

    Request-log entries are written in batches (and whenever the log is read, reset or the store
    closed): one INSERT per request was a third of the emulator's database time.
    """

    def __init__(self, path: str) -> None:
        self._lock = threading.RLock()
        self._pending: list[tuple[Any, ...]] = []
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                for table in _TABLES:
                    self._conn.execute(f"DROP TABLE IF EXISTS {table}")
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._conn.executescript(_SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            try:
                self.flush_log()
            finally:
                self._conn.close()

    def reset(self) -> None:
        self._pending.clear()
        with self.tx() as conn:
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    # --- meta ------------------------------------------------------------------------------------

    def meta_get(self, key: str) -> str | None:
        with self.tx() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def meta_set(self, key: str, value: str) -> None:
        with self.tx() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # --- request log -----------------------------------------------------------------------------

    def log_request(
        self,
        *,
        method: str,
        path: str,
        query: str,
        status: int | None,
        body: Any,
        time: str,
        dropped: bool,
    ) -> None:
        """Record one API call. Headers are never passed in, so Authorization cannot be stored."""
        entry = (method, path, query, status, json.dumps(body), time, int(dropped))
        with self._lock:
            self._pending.append(entry)
            if len(self._pending) >= _LOG_BATCH:
                self.flush_log()

    def flush_log(self) -> None:
        with self._lock:
            if not self._pending:
                return
            entries, self._pending = self._pending, []
            with self.tx() as conn:
                conn.executemany(
                    "INSERT INTO requests (method, path, query, status, body, time, dropped) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    entries,
                )

    def requests_since(self, since: int, limit: int) -> list[dict[str, Any]]:
        self.flush_log()
        with self.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM requests WHERE id > ? ORDER BY id LIMIT ?", (since, limit)
            ).fetchall()
        return [
            {
                "id": row["id"],
                "method": row["method"],
                "path": row["path"],
                "query": row["query"],
                "status": row["status"],
                "body": json.loads(row["body"]),
                "time": row["time"],
                "dropped": bool(row["dropped"]),
            }
            for row in rows
        ]


def record_message(
    conn: sqlite3.Connection,
    *,
    schedule_id: str | None,
    sent_at: float,
    targets: int,
    kind: str,
    content: str = "notification",
    breakdown: dict[str, int] | None = None,
    plan_id: str | None = None,
) -> str:
    """Store one sent message and return its msg_id (a decimal string, as push returns it).
    ``breakdown`` counts the targets per platform (app product); ``content`` is what was sent."""
    cur = conn.execute(
        "INSERT INTO messages (schedule_id, sent_at, targets, kind, content, breakdown, plan_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (schedule_id, sent_at, targets, kind, content, json.dumps(breakdown or {}), plan_id),
    )
    assert cur.lastrowid is not None
    return str(MSG_ID_BASE + cur.lastrowid)


def message_num(msg_id: str) -> int | None:
    """The row number behind a msg_id string, or None when it cannot be one of ours."""
    if not msg_id.isdigit() or len(msg_id) > 18:
        return None
    num = int(msg_id) - MSG_ID_BASE
    return num if num > 0 else None
