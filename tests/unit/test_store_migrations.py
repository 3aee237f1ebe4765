"""Store: versioned migrations, old files upgraded, newer files refused."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from edge.store import SchemaTooNewError, Store, StoreError
from edge.store import db as store_db
from edge.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from edge.store.rows import LINE_COLUMNS, SALE_COLUMNS, line_rows, payload, sale_row
from edge.store.samples import PLUS, sale_builder

DAY = "2024-05-12"


def make_v1_file(path: Path) -> str:
    """A database as the first release wrote it: schema v1 with one sale in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    assert store_db.migrate(conn, target=1) == 1
    sale = sale_builder(DAY)(1, 1)
    conn.execute("BEGIN")
    conn.execute("UPDATE counters SET value = 1 WHERE name = 'sale_seq'")
    conn.execute("INSERT INTO daily_counters (local_date, value) VALUES (?, 1)", (DAY,))
    v1 = len(SALE_COLUMNS) - 2  # state_no and state_signature came with v4
    marks = ", ".join("?" * v1)
    conn.execute(f"INSERT INTO sales ({', '.join(SALE_COLUMNS[:v1])}) VALUES ({marks})", sale_row(sale, DAY, 1)[:v1])
    marks = ", ".join("?" * len(LINE_COLUMNS))
    conn.executemany(f"INSERT INTO sale_lines ({', '.join(LINE_COLUMNS)}) VALUES ({marks})", line_rows(sale))
    conn.execute(
        "INSERT INTO outbox (kind, sale_id, created_ms, payload) VALUES ('sale', ?, 1, ?)",
        (sale.sale_id, payload(sale)),
    )
    conn.execute("COMMIT")
    conn.close()
    return sale.sale_id


def test_new_file_gets_every_step(tmp_path: Path) -> None:
    with Store.open(tmp_path / "scale.db") as store:
        assert store.schema_version() == LATEST_VERSION
        rows = store.db.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
        assert rows == [(m.version, m.name) for m in MIGRATIONS]
        assert {"sales", "sale_lines", "outbox", "print_jobs", "catalog", "batches", "events"} <= set(
            store.db.table_names()
        )


def test_reopening_runs_nothing_again(tmp_path: Path) -> None:
    Store.open(tmp_path / "scale.db").close()
    with Store.open(tmp_path / "scale.db") as store:
        assert store.db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_v1_file_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sale_id = make_v1_file(path)
    with Store.open(path) as store:
        assert store.schema_version() == LATEST_VERSION
        old = store.get_sale(sale_id)
        assert old is not None and old.seq == 1
        assert store.backlog() == 1
        new = store.commit_sale(DAY, sale_builder(DAY))
        assert new.seq == 2 and new.trace_code[15:19] == "0002"  # numbering continues
        store.replace_catalog(list(PLUS), 1)  # v2 tables work
        store.append_event("software.updated", {"from": "v1", "to": f"v{LATEST_VERSION}"}, 1)  # v3 works
        assert store.verify_events() == (True, None)
        assert store.integrity_check() == []


def test_newer_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "INSERT INTO schema_version (version, name, applied_ms) VALUES (?, 'from the future', 0)", (LATEST_VERSION + 7,)
    )
    conn.execute("PRAGMA journal_mode = DELETE")  # so the check below also sees WAL not being switched on
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError) as info:
        Store.open(path)
    err = info.value
    assert (err.found, err.supported) == (LATEST_VERSION + 7, LATEST_VERSION)
    assert f"v{LATEST_VERSION + 7}" in str(err) and "update the scale software" in err.en and "升级" in err.zh
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not Path(f"{path}-wal").exists()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="Cannot open the database"):
        Store.open(path)


def test_a_failing_step_leaves_the_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "scale.db"
    Store.open(path).close()
    broken = Migration(LATEST_VERSION + 1, "broken", ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"))
    monkeypatch.setattr(store_db, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(store_db, "LATEST_VERSION", broken.version)
    with pytest.raises(StoreError):
        Store.open(path)
    monkeypatch.undo()
    with Store.open(path) as store:
        assert store.schema_version() == LATEST_VERSION
        assert "half_done" not in store.db.table_names()
