"""Durable sale commit: Store.commit_sale against a bare sqlite3 transaction of the same rows.

    python bench/bench_store.py [--iterations N] [--dir DIR] [--legal-changes N]

Both sides write to files in the same directory (same disk) with the same pragmas (WAL,
synchronous=FULL, foreign keys on) and the same schema; iterations alternate between
them so disk hiccups hit both. The bare side inserts precomputed rows (sale, 3 lines,
outbox row, print job) in BEGIN IMMEDIATE ... COMMIT; the store side is the whole
commit_sale path (number allocation, build callback, checks, JSON, inserts, commit).
The store's event log first holds ``legal_changes`` sealed legal changes (a change and its
seal each, default 100: years of a busy scale), because every commit folds those entries
into the lock state (docs/protection.md). Prints a markdown table with the target
"commit p99 <= 3x bare p99"; ``run()`` returns the rows as dicts for a combined report.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.core.records import Sale
from edge.store import Store
from edge.store.rows import LINE_COLUMNS, SALE_COLUMNS, line_rows, payload, sale_row
from edge.store.samples import sale_builder

DAY = "2024-05-12"
TARGET_RATIO = 3.0
WARMUP = 100

_INSERT_SALE = f"INSERT INTO sales ({', '.join(SALE_COLUMNS)}) VALUES ({', '.join('?' * len(SALE_COLUMNS))})"
_INSERT_LINE = f"INSERT INTO sale_lines ({', '.join(LINE_COLUMNS)}) VALUES ({', '.join('?' * len(LINE_COLUMNS))})"
_INSERT_OUTBOX = "INSERT INTO outbox (kind, sale_id, created_ms, payload) VALUES ('sale', ?, ?, ?)"
_INSERT_JOB = "INSERT INTO print_jobs (sale_id, kind, created_ms) VALUES (?, 'ticket', ?)"


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _bare_connection(path: Path) -> sqlite3.Connection:
    Store.open(path).close()  # same schema as the store
    conn = sqlite3.connect(path, isolation_level=None)
    pragmas = (
        "busy_timeout = 5000",
        "journal_mode = WAL",
        "synchronous = FULL",
        "foreign_keys = ON",
        "temp_store = MEMORY",
    )
    for pragma in pragmas:
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _bare_rows(sale: Sale, daily_seq: int) -> tuple:
    return sale_row(sale, DAY, daily_seq), line_rows(sale), (sale.sale_id, 1, payload(sale)), (sale.sale_id, 1)


def _bare_commit(conn: sqlite3.Connection, rows: tuple) -> None:
    sale, lines, outbox, job = rows
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(_INSERT_SALE, sale)
    conn.executemany(_INSERT_LINE, lines)
    conn.execute(_INSERT_OUTBOX, outbox)
    conn.execute(_INSERT_JOB, job)
    conn.execute("COMMIT")


LEGAL_CHANGES = 100


def _prefill_protection(store: Store, legal_changes: int) -> None:
    for n in range(legal_changes):
        store.append_event("setting.changed", {"key": "scale.e_g", "old": 5, "new": 2, "by": "bench"}, 2 * n)
        store.seal("bench", f"change {n}", 2 * n + 1)


def run(iterations: int = 1_000, directory: str | Path | None = None, legal_changes: int = LEGAL_CHANGES) -> list[dict]:
    """Time ``iterations`` commits on each side after a warm-up; one dict per table row."""
    if not 0 < iterations + WARMUP <= 9_999:
        raise ValueError("iterations + warm-up must fit the 4-digit daily sequence")
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench_store_") as tmp:
        build = sale_builder(DAY, lines=3)
        total = iterations + WARMUP
        # the bare side gets its rows ready-made: it measures SQLite and the disk only
        bare_rows = [_bare_rows(build(n, n), n) for n in range(1, total + 1)]
        store = Store.open(Path(tmp) / "store.db")
        _prefill_protection(store, legal_changes)
        bare = _bare_connection(Path(tmp) / "bare.db")
        store_ms: list[float] = []
        bare_ms: list[float] = []
        try:
            for n in range(total):
                start = time.perf_counter()
                store.commit_sale(DAY, build)
                mid = time.perf_counter()
                _bare_commit(bare, bare_rows[n])
                end = time.perf_counter()
                if n >= WARMUP:
                    store_ms.append((mid - start) * 1000)
                    bare_ms.append((end - mid) * 1000)
        finally:
            store.close()
            bare.close()
    rows = []
    cases = (
        (f"Store.commit_sale (3 lines, {legal_changes} sealed changes)", store_ms),
        ("bare sqlite3 transaction, same rows", bare_ms),
    )
    for case, samples in cases:
        rows.append(
            {
                "case": case,
                "iterations": len(samples),
                "p50_ms": _percentile(samples, 0.50),
                "p99_ms": _percentile(samples, 0.99),
                "mean_ms": sum(samples) / len(samples),
            }
        )
    ratio = rows[0]["p99_ms"] / rows[1]["p99_ms"]
    for row in rows:
        row |= {
            "target": f"commit p99 <= {TARGET_RATIO:g}x bare p99",
            "p99_ratio": ratio,
            "result": "pass" if ratio <= TARGET_RATIO else "short",
        }
    return rows


QUICK = {"iterations": 200}  # bench/report.py --quick


def figures(rows: list[dict]) -> list:
    """The report's figure (bench/figures.py): commit p99 against the bare transaction's p99."""
    from bench.figures import within_ratio

    store, bare = rows
    return [within_ratio("durable sale commit p99 (3 lines)", store["p99_ms"], "ms",
                         anchor=(bare["p99_ms"], "bare sqlite3 transaction p99"), max_ratio=TARGET_RATIO)]  # fmt: skip


def markdown(rows: list[dict]) -> str:
    lines = [
        "| case | iterations | p50 ms | p99 ms | mean ms | target | p99 ratio | result |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['iterations']} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['mean_ms']:.3f} "
            f"| {r['target']} | {r['p99_ratio']:.2f} | {r['result']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1_000)
    parser.add_argument("--dir", default=None, help="directory for the database files (default: system temp)")
    parser.add_argument("--legal-changes", type=int, default=LEGAL_CHANGES, help="sealed changes in the event log")
    args = parser.parse_args()
    print(markdown(run(args.iterations, args.dir, args.legal_changes)))


if __name__ == "__main__":
    main()
