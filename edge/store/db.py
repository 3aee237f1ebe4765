"""Open the scale database: connection pragmas, schema version check, migrations, transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlite_utils import Database

from edge.store.errors import SchemaTooNewError, StoreError, is_disk_full, translate
from edge.store.migrations import LATEST_VERSION, MIGRATIONS, SCHEMA_VERSION_TABLE

BUSY_TIMEOUT_MS = 5000


def connect(path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
    """Open (or create) the file, refuse a newer schema, set the pragmas, migrate to the latest.

    Raises SchemaTooNewError (file untouched) or StoreError (not a database, unreadable).
    """
    path = Path(path)
    try:
        # isolation_level=None: the driver never opens transactions behind our back; every
        # write transaction is an explicit BEGIN IMMEDIATE ... COMMIT (see write()).
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
    except sqlite3.Error as exc:
        raise _open_error(path, exc) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # Check the version before anything that writes to the file (journal_mode does).
        found = schema_version(conn)
        if found > LATEST_VERSION:
            raise SchemaTooNewError(found, LATEST_VERSION, str(path))
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(
                f"无法启用 WAL 日志模式（{mode}），请联系技术人员",
                f"Could not switch {path} to WAL journal mode (got {mode}).",
            )
        conn.execute("PRAGMA synchronous = FULL")  # a committed sale survives a power cut
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")  # no temp files to run out of space on
        if migrate(conn) != found:
            # Move the new schema into the main file and empty the WAL (it would otherwise
            # hold a few hundred KB of DDL pages until the first automatic checkpoint).
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except StoreError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise _open_error(path, exc) from exc
    return Database(conn, execute_plugins=False, recursive_triggers=False)


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's schema version; 0 for a new/empty file."""
    has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not has_table:
        return 0
    return int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Apply the pending steps up to ``target`` (default: all), one transaction each; return the
    new version.

    The version is re-read under the write lock, so two processes opening an old file at
    once do not both run a step.
    """
    target = LATEST_VERSION if target is None else target
    for step in MIGRATIONS:
        if step.version > target:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(SCHEMA_VERSION_TABLE)
            current = schema_version(conn)
            if current > LATEST_VERSION:
                raise SchemaTooNewError(current, LATEST_VERSION, "database")
            if step.version <= current:
                conn.execute("ROLLBACK")
                continue
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_ms) VALUES (?, ?, ?)",
                (step.version, step.name, int(time.time() * 1000)),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


@contextmanager
def write(db: Database, *, sale: bool = False) -> Iterator[Database]:
    """One write transaction: BEGIN IMMEDIATE, COMMIT, or ROLLBACK on any error.

    IMMEDIATE takes the write lock up front so a second writer waits (busy_timeout) instead
    of failing half-way. sqlite errors and ENOSPC become StoreError/StoreFullError
    (``sale`` picks the "this sale was NOT recorded" wording); anything else (from the
    caller's build function, a refusal, another OSError) passes through unchanged after
    the rollback.
    """
    conn = db.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield db
        conn.execute("COMMIT")
    except BaseException as exc:
        _rollback(conn)
        if isinstance(exc, sqlite3.Error) or is_disk_full(exc):
            raise translate(exc, sale=sale) from exc
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
    if conn.in_transaction:
        with suppress(sqlite3.Error):  # nothing better to do; the error in flight wins
            conn.execute("ROLLBACK")


def _open_error(path: Path, exc: sqlite3.Error) -> StoreError:
    return StoreError(
        f"无法打开数据库 {path}，请联系技术人员（{exc}）",
        f"Cannot open the database {path}: {type(exc).__name__}: {exc}. Call the technician.",
    )
