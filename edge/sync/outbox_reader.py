"""Reads the outbox for the publisher on its own read-only SQLite connection.

Why not ``Store.outbox_batch``: the wire items need each row's ``kind`` (sale or
sale_update, docs/sync.md) and that method returns only ``(oseq, payload)``. A separate
connection also keeps a 100,000-row drain off the Store's lock, so selling never waits
for the publisher (WAL lets readers run beside the writer). Deleting acked rows still
goes through ``Store.ack_through``.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.sync.wire import OutboxRow

BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    backlog: int
    first: int | None  # lowest unacked oseq
    last: int | None  # highest oseq queued
    oldest_ms: int | None  # when the oldest unacked row was queued


class OutboxReader:
    def __init__(self, db_path: str | Path) -> None:
        self._path = Path(db_path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            uri = f"{self._path.resolve().as_uri()}?mode=ro"
            try:
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            except sqlite3.Error as exc:
                raise OSError(
                    f"cannot open the outbox in {self._path} for reading ({exc}); "
                    "check that the store file exists and is readable"
                ) from exc
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn = conn
        return self._conn

    def _query(self, sql: str, params: tuple[int, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                self._close_locked()  # reopen next time (e.g. after the file was restored)
                raise OSError(f"reading the outbox in {self._path} failed ({exc}); will retry") from exc

    def rows(self, limit: int, after: int) -> list[OutboxRow]:
        """Up to ``limit`` unacked rows with oseq > ``after``, ascending."""
        found = self._query("SELECT seq, kind, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [OutboxRow(int(seq), str(kind), str(payload)) for seq, kind, payload in found]

    def summary(self) -> OutboxSummary:
        """Backlog and age of the unacked rows, from index lookups only.

        The backlog is ``last - first + 1``: outbox seqs are AUTOINCREMENT (no gaps, a
        rolled-back insert gives its number back) and acks delete only a prefix, so the
        unacked rows are contiguous. COUNT(*) would walk every page of a 100 MB backlog.
        """
        # Separate subqueries: SQLite answers a lone MIN() or MAX() from the b-tree's edge,
        # but MIN(seq), MAX(seq) in one SELECT would scan the whole table.
        ((first, last, oldest),) = self._query(
            "SELECT (SELECT MIN(seq) FROM outbox), (SELECT MAX(seq) FROM outbox), "
            "(SELECT created_ms FROM outbox ORDER BY seq LIMIT 1)",
            (),
        )
        if first is None:
            return OutboxSummary(0, None, None, None)
        return OutboxSummary(int(last) - int(first) + 1, int(first), int(last), int(oldest))

    def _close_locked(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._close_locked()
