"""PostgreSQL month partitions: the migration moves a live database's sales, and ingest and
the console's queries work across the months afterwards."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from central import queries, schema
from central.db import Database
from central.ingest import (
    _LINE_COLUMNS,
    _SALE_COLUMNS,
    _line_rows,
    _sale_row,
    check_signatures,
    store_sales,
)
from central.keys import load_public_key
from central.localtime import now_ms
from central.validate import Topic, load_json, parse_sales
from tests.integration.central_support import MARKET, ScaleReg, register, sales_message

pytestmark = pytest.mark.integration
JAN_2025, MAR_2025 = 1_736_000_000_000, 1_741_000_000_000  # 2025-01-04, 2025-03-03 (Shanghai)
YEAR_1990 = 631_152_000_000  # a scale whose clock was never set


def _at(scale: ScaleReg, seq: int, created_ms: int):  # type: ignore[no-untyped-def]
    return scale.key.sign(dataclasses.replace(scale.sale(seq), created_ms=created_ms, signature=""))


def _partitions(db: Database, table: str) -> list[str]:
    with db.connection() as conn:
        rows = conn.all(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ? ORDER BY 1",
            (table,),
        )
    return [r["relname"] for r in rows]


def test_migration_partitions_existing_sales_by_month(tmp_path: Path, pg_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    full = list(schema.MIGRATIONS)
    monkeypatch.setattr(schema, "MIGRATIONS", full[:-1])  # a database from before partitioning
    setup = register(pg_url, tmp_path, n_scales=1)
    scale = setup.scales[0]
    old = [scale.sale(1), scale.sale(2), _at(scale, 3, JAN_2025), _at(scale, 4, MAR_2025), _at(scale, 5, YEAR_1990)]
    with setup.db.connection() as conn, conn.transaction():  # stored the way the old ingest did
        rows = [_sale_row(s.to_dict(), n, now_ms()) for n, s in enumerate(old, start=1)]
        conn.copy_rows("sales", _SALE_COLUMNS, rows)
        lines = [row for s in old for row in _line_rows(s.to_dict())]
        conn.copy_rows("sale_lines", _LINE_COLUMNS, lines)
        conn.execute("INSERT INTO scale_sync (scale_id, acked_through) VALUES (?, 5)", (scale.scale_id,))
    monkeypatch.setattr(schema, "MIGRATIONS", full)
    assert schema.migrate(setup.db) == len(full)

    months = _partitions(setup.db, "sales")
    assert {"sales_p202405", "sales_p202501", "sales_p202503", "sales_default"} <= set(months)
    assert "sale_lines_p202501" in _partitions(setup.db, "sale_lines")
    with setup.db.connection() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM sales") == 5
        assert conn.scalar("SELECT COUNT(*) FROM sale_lines") == 10
        assert conn.scalar("SELECT COUNT(*) FROM sales_p202405") == 2
        assert conn.scalar("SELECT local_date FROM sales_default") == "1990-01-01"  # kept, outside every month
        # the console's lookups still find every sale and its lines
        for sale in old:
            found = queries.sale_by_code(conn, sale.trace_code)
            assert found is not None and found["sale_id"] == sale.sale_id and len(found["lines"]) == 2
        indexed = {r["indexname"] for r in conn.all("SELECT indexname FROM pg_indexes WHERE tablename = 'sales'")}
        # every index earlier migrations made, by their names: trace code, market's day, merchant's and
        # market's time, the monthly totals (and the lines' by batch)
        assert {"sales_trace_code", "sales_market_date", "sales_merchant_created", "sales_market_created",
                "sales_market_day_totals"} <= indexed  # fmt: skip
        lines = {r["indexname"] for r in conn.all("SELECT indexname FROM pg_indexes WHERE tablename = 'sale_lines'")}
        assert "sale_lines_batch" in lines

    # after the migration: a resend of a moved sale is a resend; a new month gets its partition
    key = load_public_key(scale.key.public_key_b64())
    topic = Topic(MARKET, scale.scale_id, "sales")
    june = _at(scale, 6, 1_749_000_000_000)  # 2025-06-04
    message = sales_message(scale.scale_id, 3, [("sale", old[2]), ("sale", old[3]), ("sale", old[4]), ("sale", june)])
    with setup.db.connection() as conn:
        result = store_sales(conn, check_signatures(parse_sales(load_json(message), topic), key))
        assert (result.stored, result.unchanged, result.acked_through, result.bad) == (1, 3, 6, [])
        assert conn.scalar("SELECT COUNT(*) FROM sales") == 6
        assert conn.scalar("SELECT COUNT(*) FROM sales_p202506") == 1
        assert conn.scalar("SELECT COUNT(*) FROM sale_lines_p202506") == 2
    setup.db.close()
