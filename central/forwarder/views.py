"""The city platform's data views (SB/T 10683-2012 附录A 城市追溯管理平台数据视图格式).

Element names follow the view formats printed for the retail market (零售市场): goods-in
base and detail (``retail_market_in_info_base`` / ``_detail``) and the sales summary
(``retail_market_tran_info_summ``), as reproduced at ask.fsou.com (147228_5) and used by
a deployed Ningbo market system (``gy_retail_market_in_info``, ``gy_retail_market_tran_summ``:
weight in kg = g / 1000, price in yuan = fen / 100, ``sale_tran_id`` = the scale's trace
code). The stop-sale view has no published format we could find; ``retail_market_stop_sale``
is ours. Weights and money are written as exact decimal text from integer g and fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from central.db import Connection
from central.localtime import local_date, local_text
from central.numbering import assign_trace_batch_id, ensure_operator_ids

GOODS_IN, SALE, STOP_SALE = "retail_market_in_info", "retail_market_tran_info_summ", "retail_market_stop_sale"


@dataclass(frozen=True, slots=True)
class Record:
    """One record for the platform: ``key`` is what it dedups on."""

    key: str
    view: str
    data: dict[str, Any]


def kg(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d}"


def yuan(fen: int) -> str:
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _parties(conn: Connection, merchant_id: str) -> dict[str, Any]:
    """Market node id and name, the merchant's operator id, business name and stall."""
    row = conn.one(
        "SELECT k.market_id, k.node_id, k.name AS market_name, m.operator_id, m.display_name, m.stall "
        "FROM merchants m JOIN markets k ON k.market_id = m.market_id WHERE m.merchant_id = ?",
        (merchant_id,),
    )
    if row is None:
        raise LookupError(f"merchant {merchant_id!r} is not registered")
    if not row["operator_id"]:  # registered before operator ids were given out
        ensure_operator_ids(conn, row["market_id"])
        row["operator_id"] = conn.scalar("SELECT operator_id FROM merchants WHERE merchant_id = ?", (merchant_id,))
    return row


def _batch(conn: Connection, batch_id: str) -> dict[str, Any] | None:
    row = conn.one(
        "SELECT b.*, COALESCE(c.goods_code, '') AS goods_code, COALESCE(c.name, '') AS goods_name FROM batches b "
        "JOIN merchants m ON m.merchant_id = b.merchant_id "
        "LEFT JOIN catalog c ON c.market_id = m.market_id AND c.plu = b.plu WHERE b.batch_id = ?",
        (batch_id,),
    )
    if row is not None and not row["trace_batch_id"]:  # a batch from before national ids
        row["trace_batch_id"] = assign_trace_batch_id(conn, batch_id)
    return row


def goods_in(conn: Connection, batch_id: str) -> dict[str, Any]:
    """The goods-in view of a batch: one base and its detail lines (one line: one batch, one
    certificate, as the vendor's goods-in issue has it)."""
    batch = _batch(conn, batch_id)
    if batch is None:
        raise LookupError(f"batch {batch_id!r} is not registered")
    who = _parties(conn, batch["merchant_id"])
    base = {
        "retail_market_id": who["node_id"], "retail_market_name": who["market_name"],
        "in_date": batch["arrival_date"], "retailer_id": who["operator_id"], "retailer_name": who["display_name"],
        "tran_id": batch["upstream_code"], "quarantine_animal_products_id": batch["certificate"],
        "inspection_meat_id": batch["inspection_cert"], "prov_id": batch["supplier_node"],
        "batch_id": batch["trace_batch_id"],
    }  # fmt: skip
    detail = {
        "tran_id": batch["upstream_code"], "quarantine_animal_products_id": batch["certificate"],
        "batch_id": batch["trace_batch_id"], "goods_code": batch["goods_code"],
        "goods_name": batch["goods_name"] or batch["plu"], "weight": kg(batch["weight_g"]),
        "price": yuan(batch["price_fen"]), "area_origin_id": batch["origin_code"],
        "area_origin_name": batch["origin"], "ws_supplier_id": batch["supplier_node"],
        "ws_supplier_name": batch["supplier"],
    }  # fmt: skip
    return {"base": base, "details": [detail]}


def sale_records(conn: Connection, sale_id: str) -> list[Record]:
    """One sales-summary record per line of the sale; ``sale_tran_id`` is its trace code."""
    sale = conn.one("SELECT sale_id, trace_code, merchant_id, created_ms FROM sales WHERE sale_id = ?", (sale_id,))
    if sale is None:
        raise LookupError(f"sale {sale_id!r} is not stored")
    who = _parties(conn, sale["merchant_id"])
    lines = conn.all(
        "SELECT line_no, goods_code, name, net_g, unit_price_fen, batch_id FROM sale_lines WHERE sale_id = ? "
        "ORDER BY line_no",
        (sale_id,),
    )
    out = []
    for line in lines:
        batch = _batch(conn, line["batch_id"]) or {}
        data = {
            "retail_market_id": who["node_id"], "retail_market_name": who["market_name"],
            "in_date": batch.get("arrival_date", ""), "sale_date": local_date(sale["created_ms"]),
            "retailer_id": who["operator_id"], "retailer_name": who["display_name"], "position_id": who["stall"],
            "tran_id": batch.get("upstream_code", ""),
            "quarantine_animal_products_id": batch.get("certificate", ""),
            "batch_id": batch.get("trace_batch_id", ""), "goods_code": line["goods_code"],
            "goods_name": line["name"], "weight": kg(line["net_g"]), "price": yuan(line["unit_price_fen"]),
            "sale_tran_id": sale["trace_code"],
        }  # fmt: skip
        out.append(Record(f"sale:{sale_id}:{line['line_no']}", SALE, data))
    return out


def stop_sale(conn: Connection, batch_id: str, reason: str, stopped_ms: int) -> dict[str, Any]:
    batch = _batch(conn, batch_id)
    if batch is None:
        raise LookupError(f"batch {batch_id!r} is not registered")
    who = _parties(conn, batch["merchant_id"])
    return {
        "retail_market_id": who["node_id"], "retail_market_name": who["market_name"],
        "retailer_id": who["operator_id"], "retailer_name": who["display_name"],
        "batch_id": batch["trace_batch_id"], "goods_code": batch["goods_code"],
        "goods_name": batch["goods_name"] or batch["plu"], "reason": reason, "stop_time": local_text(stopped_ms),
    }  # fmt: skip
