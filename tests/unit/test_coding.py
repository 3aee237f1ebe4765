"""National codes (docs/coding.md): node and operator ids, batch ids, and the migration of
a market registered before them."""

from __future__ import annotations

from pathlib import Path

import pytest

from central import admin
from central.coding import CodingRules, check_batch_id, national_batch_id
from central.db import Database
from central.forwarder import outbox, views
from central.schema import MIGRATIONS, _apply, migrate


def test_node_and_operator_ids_follow_the_deployed_examples() -> None:
    rules = CodingRules()
    assert rules.check_node("330212333") == "330212333"  # the Ningbo node seen in a deployed system
    assert rules.check_node("620102") == "620102"  # legacy
    for bad in ("33021233", "3302123331", "33021233x", "３３０２１２３３３"):
        with pytest.raises(ValueError, match="9 digits"):
            rules.check_node(bad)
    assert rules.operator_id("330212333", 1) == "3302123330001"  # BIZ_ID 3302123330001 of the same system
    assert rules.check_operator("3302123331027", "330212333") == "3302123331027"
    with pytest.raises(ValueError, match="node id 330212333 plus a 4-digit"):
        rules.check_operator("3302123341027", "330212333")
    with pytest.raises(ValueError, match="no operator numbers left"):
        rules.operator_id("330212333", 10_000)
    assert CodingRules(node_digits=12).operator_digits == 16


def test_batch_ids_have_the_national_lengths() -> None:
    assert national_batch_id(1, meat=True) == "10000000000000000001"  # 10000000000000000000 + counter
    assert national_batch_id(1, meat=False) == "1000000000000001"  # 1000000000000000 + counter
    assert check_batch_id("1000000000000001")
    with pytest.raises(ValueError, match=r"20 .meat. or 16"):
        check_batch_id("B-1001-01")


def test_views_money_and_weight_are_exact_text() -> None:
    assert (views.kg(1235), views.kg(5), views.kg(0)) == ("1.235", "0.005", "0.000")
    assert (views.yuan(3280), views.yuan(5), views.yuan(-105)) == ("32.80", "0.05", "-1.05")


def test_a_market_from_before_the_national_codes_migrates(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    with db.connection() as conn, conn.transaction():  # a central at schema 3 with a legacy market
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)")
        for version in (1, 2, 3):
            _apply(conn, version)
        conn.execute("INSERT INTO markets VALUES ('old', '620102', '老市场', '兰州', 0)")
        conn.execute("INSERT INTO merchants VALUES ('m1', 'old', 'A-1', '老王', '王', '1', '1', 0)")
        conn.execute("INSERT INTO catalog VALUES ('old', '2001', '猪肉', '0201001', 'weight', 3280, '肉类', NULL, '')")
        conn.execute(
            "INSERT INTO batches VALUES ('B1', 'm1', '2001', '批发', '620100', 'T1', '榆中', 'Q1', '2024-05-12', 1, 0)"
        )
    assert migrate(db) == len(MIGRATIONS)
    with db.connection() as conn:
        assert conn.one("SELECT node_id, node_code FROM markets") == {"node_id": "620102", "node_code": "620102"}
        data = views.goods_in(conn, "B1")  # numbers given out on first use
        assert data["base"]["retailer_id"] == "6201020001" and data["base"]["batch_id"] == "10000000000000000001"
        assert admin.set_market_node(conn, "old", "620102501") == 1
        row = conn.one("SELECT node_id, node_code FROM markets")
        assert row == {"node_id": "620102501", "node_code": "620102"}  # trace prefix kept: old tickets stay valid
        assert conn.scalar("SELECT operator_id FROM merchants") == "6201025010001"
        with pytest.raises(admin.AdminError, match=r"node 620102501 or trace prefix 620103 .* already registered"):
            admin.add_market(conn, "new", "620102501", "新市场", trace_prefix="620103")
        with pytest.raises(admin.AdminError, match="give --trace-prefix"):
            admin.add_market(conn, "new", "620102502", "新市场")  # same county: the prefix 620102 is taken
        admin.add_market(conn, "new", "620102502", "新市场", trace_prefix="620109")
        admin.stop_sale(conn, "B1", "瘦肉精快检不合格")
        assert conn.scalar("SELECT active FROM batches WHERE batch_id = 'B1'") == 0
        assert outbox.status(conn)["pending"] == 1  # the stop-sale, queued with it
