"""A thin database layer over sqlite3 and psycopg 3: one URL, one SQL dialect of ours.

SQL in central is written once with ``?`` placeholders and portable statements
(``INSERT ... ON CONFLICT``); :class:`Database` turns ``?`` into ``%s`` for PostgreSQL.
Connections come from a small pool so the HTTP threads and the receiver workers do not
reconnect per request.
"""

from __future__ import annotations

import fcntl
import os
import queue
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SQLITE, POSTGRES = "sqlite", "postgresql"
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",  # an ack promises the sale survives a power cut
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 30000",  # several receivers may write one file
)


class DatabaseError(RuntimeError):
    """The database URL is wrong or the database cannot be reached ("中文 / English")."""


@dataclass(frozen=True, slots=True)
class DbUrl:
    dialect: str
    target: str  # a file path for SQLite, a libpq URL for PostgreSQL

    @classmethod
    def parse(cls, url: str) -> DbUrl:
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if not path:
                raise DatabaseError(
                    "sqlite 地址须指明文件：sqlite:///central.db（或 sqlite:////abs/path.db） / "
                    "sqlite URL needs a file: sqlite:///central.db (or sqlite:////abs/path.db)"
                )
            return cls(SQLITE, path)
        scheme = urlsplit(url).scheme
        if scheme in ("postgresql", "postgres"):
            return cls(POSTGRES, url)
        raise DatabaseError(
            f"不支持的数据库地址 {url!r}：一个市场用 sqlite:///FILE，全市用 postgresql://USER@HOST/DB / "
            f"unsupported database URL {url!r}: use sqlite:///FILE for one market "
            "or postgresql://USER@HOST/DB for a city"
        )


class Connection:
    """One DB connection with our placeholder style; transactions are explicit."""

    def __init__(self, raw: Any, dialect: str, write_lock: WriterLock | None = None) -> None:
        self.raw = raw
        self.dialect = dialect
        self._write_lock = write_lock

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == SQLITE else sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            if self.dialect == SQLITE:
                self.raw.executemany(sql, rows)
            else:
                with self.raw.cursor() as cur:
                    cur.executemany(self._sql(sql), rows)

    def insert_many(
        self, table: str, columns: Sequence[str], pg_types: Sequence[str], rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> None:
        """Insert many rows with one statement on PostgreSQL (``unnest`` of one array per column:
        a short query psycopg parses once, instead of a row-per-statement round trip), and with
        ``executemany`` on SQLite, which is in-process and already fast."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.dialect == SQLITE:
            self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) {tail}", rows)
            return
        arrays = ", ".join(f"%b::{kind}[]" for kind in pg_types)  # binary: no per-element quoting
        self.raw.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {self._sql(tail)}",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def update_many(
        self, table: str, keys: Sequence[str], columns: Sequence[str], pg_types: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """``UPDATE table SET columns WHERE keys`` for many rows, each row the key values then the
        column values. PostgreSQL: one statement joining ``unnest`` of one array per column (a
        group of 30 scales' watermarks was 30 pipelined statements, most of the database's CPU
        per group); SQLite: ``executemany``."""
        if not rows:
            return
        if self.dialect == SQLITE:
            sets = ", ".join(f"{c} = ?" for c in columns)
            where = " AND ".join(f"{k} = ?" for k in keys)
            self.raw.executemany(f"UPDATE {table} SET {sets} WHERE {where}",
                                 [(*row[len(keys):], *row[: len(keys)]) for row in rows])  # fmt: skip
            return
        names = [*keys, *columns]
        arrays = ", ".join(f"%b::{kind}[]" for kind in pg_types)  # binary: no per-element quoting
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        where = " AND ".join(f"t.{k} = v.{k}" for k in keys)
        self.raw.execute(
            f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) WHERE {where}",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows known to be new (a duplicate key is an error, and the transaction rolls
        back). PostgreSQL: ``COPY ... FROM STDIN``, which psycopg feeds in C: about three times
        the rows per second of the ``unnest`` insert on the test machine (it cannot say
        ``ON CONFLICT``, hence "known to be new"). SQLite: ``executemany``."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.dialect == SQLITE:
            self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
            return
        with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.execute(sql, params)
        if cur.description is None:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Connection]:
        """BEGIN ... COMMIT, ROLLBACK on error. SQLite takes the write lock up front
        (BEGIN IMMEDIATE) so two writers never deadlock upgrading a read lock."""
        lock = self._write_lock if write and self.dialect == SQLITE else None
        with lock or nullcontext():  # SQLite has one writer at a time: queue for it (WriterLock)
            self.raw.execute("BEGIN IMMEDIATE" if self.dialect == SQLITE and write else "BEGIN")
            try:
                yield self
            except BaseException:
                self.raw.execute("ROLLBACK")
                raise
            self.raw.execute("COMMIT")

    def lock_scale_sync(self, scale_id: str) -> int | None:
        """Lock the scale's watermark row for this transaction and return acked_through
        (SQLite's BEGIN IMMEDIATE already serialises writers)."""
        suffix = " FOR UPDATE" if self.dialect == POSTGRES else ""
        return self.scalar(f"SELECT acked_through FROM scale_sync WHERE scale_id = ?{suffix}", (scale_id,))

    def lock_scale_syncs(self, scale_ids: Sequence[str]) -> dict[str, int]:
        """``lock_scale_sync`` for many scales in one statement, locked in scale-id order (two
        transactions locking overlapping sets then cannot deadlock); scale_id -> acked_through."""
        among, params = self.in_list("scale_id", sorted(scale_ids))
        suffix = " FOR UPDATE" if self.dialect == POSTGRES else ""
        rows = self.all(
            f"SELECT scale_id, acked_through FROM scale_sync WHERE {among} ORDER BY scale_id{suffix}", params
        )
        return {row["scale_id"]: int(row["acked_through"]) for row in rows}

    def in_list(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """``column IN (...)`` of text values and its parameters: one array on PostgreSQL (one
        statement text however many values), ``?`` each on SQLite. PostgreSQL gets the array
        as a set to join (``IN (SELECT unnest(...))``): ``= ANY(array)`` on a table not yet
        analysed is estimated at 0.5 % of the rows per value and planned as a sequential scan."""
        if self.dialect == POSTGRES:
            return f"{column} IN (SELECT unnest(%b::text[]))", [list(values)]
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    def close(self) -> None:
        self.raw.close()


class WriterLock:
    """One SQLite writer at a time, across this process's threads and other processes.

    SQLite's own busy handler makes a waiting writer sleep in steps of up to 100 ms, which
    stalls ingest; here threads queue on a lock and processes (several receivers on one
    file) on ``flock`` of a file beside the database, and the kernel wakes the next writer
    the moment the last one is done.
    """

    def __init__(self, database: Path) -> None:
        self._thread_lock = threading.Lock()
        self._path = database.with_name(database.name + "-writer.lock")
        self._fd: int | None = None

    def __enter__(self) -> WriterLock:
        self._thread_lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class Database:
    """Connections to one database URL, pooled."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        self.parsed = DbUrl.parse(url)
        self.dialect = self.parsed.dialect
        self._pool: queue.LifoQueue[Connection] = queue.LifoQueue(maxsize=pool_size)
        self._lock = threading.Lock()
        self._sqlite_write_lock = WriterLock(Path(self.parsed.target)) if self.dialect == SQLITE else None

    def connect(self) -> Connection:
        if self.dialect == SQLITE:
            path = Path(self.parsed.target)
            if not path.parent.exists():
                raise DatabaseError(
                    f"SQLite 数据库所在的目录 {path.parent} 不存在：请先创建 / "
                    f"directory {path.parent} for the SQLite database does not exist; create it first"
                )
            raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            for pragma in _SQLITE_PRAGMAS:
                raw.execute(pragma)
            return Connection(raw, SQLITE, self._sqlite_write_lock)
        import psycopg  # only needed for a city database

        try:
            raw = psycopg.connect(self.parsed.target, autocommit=True)
        except psycopg.OperationalError as exc:
            raise DatabaseError(
                f"无法连接 PostgreSQL {_redact(self.url)}：请检查地址、用户名和密码，以及数据库是否在运行 / "
                f"cannot connect to PostgreSQL at {_redact(self.url)}: {exc}".strip()
            ) from exc
        # psycopg prepares a statement run 5 times; PostgreSQL then settles on one generic plan,
        # made while a month's partition was nearly empty: a sequential scan, which ingest then
        # ran over a growing table (bench_fleet: 2 ms of database CPU per sale). Plan each run
        # for its real arguments and the table's current size instead.
        raw.execute("SET plan_cache_mode = force_custom_plan")
        return Connection(raw, POSTGRES)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection; a connection that failed is closed instead of returned."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self.connect()
        ok = False
        try:
            yield conn
            ok = True
        finally:
            if ok and not _in_transaction(conn):
                try:
                    self._pool.put_nowait(conn)
                except queue.Full:
                    conn.close()
            else:
                conn.close()

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                break
        if self._sqlite_write_lock is not None:
            self._sqlite_write_lock.close()


def _in_transaction(conn: Connection) -> bool:
    if conn.dialect == SQLITE:
        return bool(conn.raw.in_transaction)
    from psycopg import pq

    return conn.raw.info.transaction_status != pq.TransactionStatus.IDLE


def _redact(url: str) -> str:
    """A URL for messages, without its password."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return type(exc).__name__ == "UniqueViolation"
