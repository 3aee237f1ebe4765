"""Month partitions of the sales tables on PostgreSQL (declarative range partitioning).

A city's ``sales`` and ``sale_lines`` grow by millions of rows a month. Partitioned by the
sale's local month (``local_date``, Asia/Shanghai, the column the console's day and date
range queries filter on, so they touch only their months), each month's indexes stay the
size of a month: the insert path keeps its index pages in memory, and an old month can be
detached and archived with ``ALTER TABLE sales DETACH PARTITION sales_p202401`` without a
long ``DELETE`` (PostgreSQL docs, "Table Partitioning", 5.11).

PostgreSQL requires every unique constraint of a partitioned table to include the
partition key, so ``sales`` is unique on ``(sale_id, local_date)`` and
``(scale_id, seq, local_date)``. Both keys stay unique overall: a sale's ``local_date``
follows from its signed ``created_ms``, so the same sale always lands in the same
partition, and ingest checks ``sale_id`` and ``(scale_id, seq)`` across all partitions
under the scale's lock before it inserts (central/ingest.py). ``sale_lines`` carries its
sale's ``local_date`` (PostgreSQL only) to be partitioned the same way; the foreign key to
``sales`` is gone (ingest writes a sale and its lines in one statement pair of one
transaction, and a per-row foreign-key check is what bulk inserts pay most for).

Partitions are made ahead (this month and the next two, at migration) and on demand by
ingest for any month 2000-01..2099-12 it meets; a sale dated outside that (a scale with its
clock far off) goes to the ``*_default`` partitions, which never overlap a month made later.
SQLite (one market) keeps its plain tables.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from central.db import POSTGRES, Connection
from central.localtime import local_date, now_ms

_LOCK = 0x7472_6170  # "trap": advisory lock id shared by every central making partitions
_MONTH = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")
_known: set[tuple[str, int, str, str]] = set()  # (host, port, database) + month this process has made
_known_lock = threading.Lock()


def partition_sales(conn: Connection) -> None:
    """The migration: turn the plain sales tables into month-partitioned ones, existing rows
    included (inside migrate's transaction, so it is all or nothing). SQLite: nothing."""
    if conn.dialect != POSTGRES:
        return
    conn.execute("LOCK TABLE sales, sale_lines IN ACCESS EXCLUSIVE MODE")
    # Every index earlier migrations made for the console and the API (by trace code, a
    # market's day, a merchant's or market's sales over time, a batch's lines, the monthly
    # totals) is made again on the partitioned tables, under its own name.
    indexes = conn.all(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
        "JOIN pg_index x ON x.indexrelid = i.indexname::regclass "
        "WHERE i.tablename IN ('sales', 'sale_lines') AND i.schemaname = current_schema() AND NOT x.indisunique"
    )
    conn.execute("ALTER TABLE sales RENAME TO sales_unpartitioned")
    conn.execute("ALTER TABLE sale_lines RENAME TO sale_lines_unpartitioned")
    # LIKE: the same columns as before (and any a later migration added), new keys
    conn.execute(
        "CREATE TABLE sales (LIKE sales_unpartitioned INCLUDING DEFAULTS,\n"
        "    CONSTRAINT sales_pk PRIMARY KEY (sale_id, local_date),\n"
        "    CONSTRAINT sales_scale_seq UNIQUE (scale_id, seq, local_date)) PARTITION BY RANGE (local_date)"
    )
    conn.execute(
        "CREATE TABLE sale_lines (LIKE sale_lines_unpartitioned INCLUDING DEFAULTS, local_date TEXT NOT NULL,\n"
        "    CONSTRAINT sale_lines_pk PRIMARY KEY (sale_id, line_no, local_date)) PARTITION BY RANGE (local_date)"
    )
    conn.execute("CREATE TABLE sales_default PARTITION OF sales DEFAULT")
    conn.execute("CREATE TABLE sale_lines_default PARTITION OF sale_lines DEFAULT")
    held = [r["m"] for r in conn.all("SELECT DISTINCT substr(local_date, 1, 7) AS m FROM sales_unpartitioned")]
    for month in sorted({*held, *months_ahead(now_ms(), 3)}):
        if _MONTH.fullmatch(month):
            _create_month(conn, month)
    conn.execute("INSERT INTO sales SELECT * FROM sales_unpartitioned")
    conn.execute(
        "INSERT INTO sale_lines SELECT l.*, s.local_date FROM sale_lines_unpartitioned l "
        "JOIN sales_unpartitioned s ON s.sale_id = l.sale_id"
    )
    conn.execute("DROP TABLE sale_lines_unpartitioned")
    conn.execute("DROP TABLE sales_unpartitioned")
    for index in indexes:  # after the copy: one sort per index instead of row-by-row growth
        columns = index["indexdef"].split(" USING ", 1)[1]  # "btree (trace_code)"
        conn.execute(f"CREATE INDEX {index['indexname']} ON {index['tablename']} USING {columns}")


def ensure_months(conn: Connection, dates: Iterable[str]) -> None:
    """Make the month partitions the given local dates need, each in a short transaction of
    its own before the caller's (ingest calls this outside its transaction). Cached per
    process, so in steady state this is one set lookup per group."""
    if conn.dialect != POSTGRES:
        return
    info = conn.raw.info
    where = (info.host, info.port, info.dbname)
    wanted = {(*where, d[:7]) for d in dates} - _known
    for key in sorted(k for k in wanted if _MONTH.fullmatch(k[3])):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_LOCK,))
            _create_month(conn, key[3])
        with _known_lock:
            _known.add(key)


def months_ahead(ms: int, count: int) -> list[str]:
    """The month of ``ms`` (local) and the ``count - 1`` after it, as 'YYYY-MM'."""
    year, month = (int(x) for x in local_date(ms)[:7].split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _create_month(conn: Connection, month: str) -> None:
    year, mon = int(month[:4]), int(month[5:])
    upper = f"{year + 1:04d}-01-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}-01"
    suffix = f"p{year:04d}{mon:02d}"
    for table in ("sales", "sale_lines"):  # month text is checked by _MONTH: safe in the DDL
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table}_{suffix} PARTITION OF {table} "
            f"FOR VALUES FROM ('{month}-01') TO ('{upper}')"
        )
