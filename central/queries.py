"""Read-side queries for the trace page and the regulator API.

Every function returns plain dicts of public data: merchant real names, ID numbers and
phone numbers are never selected here, so no page or API answer can leak them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from central.db import Connection

_SALE_PUBLIC = (
    "s.sale_id, s.seq, s.trace_code, s.market_id, s.scale_id, s.merchant_id, s.stall, s.created_ms, s.local_date, "
    "s.total_fen, s.rounding_fen, s.payment_method, s.payment_status, s.printed, s.software_id, s.refund_of"
)
_LINE_PUBLIC = (
    "l.line_no, l.plu, l.goods_code, l.name, l.pricing, l.net_g, l.tare_g, l.quantity, l.unit_price_fen, "
    "l.amount_fen, l.batch_id, l.origin, b.supplier, b.supplier_node, b.upstream_code, b.certificate, "
    "b.arrival_date, b.origin AS batch_origin, b.stop_reason AS batch_stop_reason"
)
MAX_ROWS = 1000


def sale_by_code(conn: Connection, code: str, *, internal: bool = False) -> dict[str, Any] | None:
    """The sale with this trace code, its market, merchant's public name and lines with batch data.

    ``internal`` (the regulator API) adds operator, payment reference, signature and sync
    fields; the public page never asks for them."""
    extra = ", s.operator, s.provider_ref, s.signature, s.oseq, s.received_ms" if internal else ""
    sale = conn.one(
        f"SELECT {_SALE_PUBLIC}{extra}, m.name AS market_name, m.node_code, m.office_phone, "
        "mc.display_name AS merchant_name "
        "FROM sales s LEFT JOIN markets m ON m.market_id = s.market_id "
        "LEFT JOIN merchants mc ON mc.merchant_id = s.merchant_id "
        "WHERE s.trace_code = ? ORDER BY s.created_ms LIMIT 1",
        (code,),
    )
    if sale is None:
        return None
    sale["printed"] = bool(sale["printed"])
    sale["lines"] = conn.all(
        f"SELECT {_LINE_PUBLIC}, c.name_en FROM sale_lines l LEFT JOIN batches b ON b.batch_id = l.batch_id "
        "LEFT JOIN catalog c ON c.market_id = ? AND c.plu = l.plu "
        "WHERE l.sale_id = ? ORDER BY l.line_no",
        (sale["market_id"], sale["sale_id"]),
    )
    return sale


def last_numbers(conn: Connection, scale_id: str) -> dict[str, Any]:
    """The highest seq central holds of the scale, the highest daily number of its latest day
    and the scale's ack watermark.

    A scale whose store was wiped continues after these (docs/sync.md): its seqs, trace
    codes and outbox numbers. The daily number is the trace code's QQQQ (digits 16-19)."""
    seq = conn.scalar("SELECT MAX(seq) FROM sales WHERE scale_id = ?", (scale_id,)) or 0
    day = conn.scalar("SELECT MAX(local_date) FROM sales WHERE scale_id = ?", (scale_id,)) or ""
    daily = 0
    if day:
        daily = conn.scalar(
            "SELECT MAX(CAST(SUBSTR(trace_code, 16, 4) AS INTEGER)) FROM sales WHERE scale_id = ? AND local_date = ?",
            (scale_id, day),
        ) or 0  # fmt: skip
    acked = conn.scalar("SELECT acked_through FROM scale_sync WHERE scale_id = ?", (scale_id,)) or 0
    return {"seq": int(seq), "local_date": day, "daily_seq": int(daily), "acked_through": int(acked)}


STOPPED_REFUSAL_EVENT = "sale.refused_stopped_batch"  # a scale refused a line from a stopped batch


def batch_flow(conn: Connection, batch_id: str) -> dict[str, Any] | None:
    """流向可追: the batch and every sale line (with its ticket) it went into."""
    batch = conn.one(
        "SELECT b.batch_id, b.merchant_id, mc.stall, mc.display_name AS merchant_name, mc.market_id, b.plu, "
        "b.supplier, b.supplier_node, b.upstream_code, b.origin, b.certificate, b.arrival_date, b.active, "
        "b.weight_g, b.rapid_test, b.stop_reason, b.stopped_ms, b.source, b.scale_id, b.operator "
        "FROM batches b LEFT JOIN merchants mc ON mc.merchant_id = b.merchant_id WHERE b.batch_id = ?",
        (batch_id,),
    )
    sales = conn.all(
        "SELECT s.sale_id, s.trace_code, s.market_id, s.scale_id, s.merchant_id, s.stall, s.created_ms, "
        "s.local_date, s.refund_of, l.line_no, l.plu, l.name, l.pricing, l.net_g, l.quantity, l.unit_price_fen, "
        "l.amount_fen FROM sale_lines l JOIN sales s ON s.sale_id = l.sale_id WHERE l.batch_id = ? "
        f"ORDER BY s.created_ms, s.sale_id, l.line_no LIMIT {MAX_ROWS + 1}",
        (batch_id,),
    )
    if batch is None and not sales:
        return None
    if batch is not None:
        batch["active"] = bool(batch["active"])
    truncated = len(sales) > MAX_ROWS
    sales = sales[:MAX_ROWS]
    totals = {
        "lines": len(sales),
        "tickets": len({s["sale_id"] for s in sales}),
        "net_g": sum(s["net_g"] for s in sales),
        "pieces": sum(s["quantity"] for s in sales if s["pricing"] == "piece"),
        "amount_fen": sum(s["amount_fen"] for s in sales),
    }
    refusals = [
        {"scale_id": r["scale_id"], "event_id": r["event_id"], "created_ms": r["created_ms"],
         **json.loads(r["data"])}
        for r in conn.all(
            "SELECT scale_id, event_id, created_ms, data FROM events WHERE kind = ? AND data LIKE ? "
            f"ORDER BY created_ms LIMIT {MAX_ROWS}",
            (STOPPED_REFUSAL_EVENT, f'%"batch_id":{json.dumps(batch_id, ensure_ascii=False)}%'),  # canonical JSON
        )
    ]  # fmt: skip
    return {"batch_id": batch_id, "batch": batch, "totals": totals, "sales": sales, "truncated": truncated,
            "stop_refusals": refusals}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SearchFilter:
    product: str = ""  # name, PLU or goods code
    origin: str = ""
    supplier: str = ""
    market: str = ""
    merchant: str = ""  # merchant id, stall or display name
    batch: str = ""  # batch id, exact
    date_from: str = ""  # local date, inclusive
    date_to: str = ""
    limit: int = 100
    offset: int = 0


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(conn: Connection, f: SearchFilter) -> list[dict[str, Any]]:
    """问题可查: sale lines by product, origin, supplier, market, merchant, batch and local date range."""
    where, params = [], []
    if f.product:
        where.append("(l.name LIKE ? ESCAPE '\\' OR l.plu = ? OR l.goods_code = ?)")
        params += [_like(f.product), f.product, f.product]
    if f.origin:
        where.append("(l.origin LIKE ? ESCAPE '\\' OR b.origin LIKE ? ESCAPE '\\')")
        params += [_like(f.origin), _like(f.origin)]
    if f.supplier:  # a semi-join on the supplier's batches: lines are filtered before the batch join
        where.append(
            "l.batch_id IN (SELECT batch_id FROM batches WHERE supplier LIKE ? ESCAPE '\\' OR supplier_node = ?)"
        )
        params += [_like(f.supplier), f.supplier]
    if f.market:
        where.append("s.market_id = ?")
        params.append(f.market)
    if f.merchant:  # the merchants first (a small table), then their sales by index
        ids = [r["merchant_id"] for r in conn.all(
            "SELECT merchant_id FROM merchants WHERE merchant_id = ? OR stall = ? OR display_name LIKE ? ESCAPE '\\' "
            "ORDER BY merchant_id LIMIT 100", (f.merchant, f.merchant, _like(f.merchant)),
        )]  # fmt: skip
        where.append(f"s.merchant_id IN ({', '.join('?' * len(ids))})" if ids else "1 = 0")
        params += ids
    if f.batch:
        where.append("l.batch_id = ?")
        params.append(f.batch)
    if f.date_from:
        where.append("s.local_date >= ?")
        params.append(f.date_from)
    if f.date_to:
        where.append("s.local_date <= ?")
        params.append(f.date_to)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return conn.all(
        "SELECT s.sale_id, s.trace_code, s.market_id, s.scale_id, s.merchant_id, s.stall, s.created_ms, "
        f"s.local_date, {_LINE_PUBLIC} FROM sale_lines l JOIN sales s ON s.sale_id = l.sale_id "
        f"LEFT JOIN batches b ON b.batch_id = l.batch_id {clause} "
        "ORDER BY s.created_ms, s.sale_id, l.line_no LIMIT ? OFFSET ?",
        (*params, f.limit, f.offset),
    )


def fleet(conn: Connection, market: str = "") -> list[dict[str, Any]]:
    """Per scale: online, last seen, backlog, software id, lock state and event counter of the
    legal parameters (docs/protection.md), ack watermark, refused messages."""
    rows = conn.all(
        "SELECT sc.scale_id, sc.market_id, sc.merchant_id, sc.scale_no, st.online, st.software_id, st.backlog, "
        "st.lock_state, st.legal_changes, "
        "st.oldest_unacked_ms, st.printer, st.last_sale_ms, st.received_ms AS status_ms, "
        "sy.acked_through, sy.last_message_ms, "
        "(SELECT COUNT(*) FROM rejects r WHERE r.scale_id = sc.scale_id) AS rejects, "
        "(SELECT bad_event_id FROM event_chain_breaks e WHERE e.scale_id = sc.scale_id) AS event_chain_broken_at "
        "FROM scales sc LEFT JOIN scale_status st ON st.scale_id = sc.scale_id "
        "LEFT JOIN scale_sync sy ON sy.scale_id = sc.scale_id "
        + ("WHERE sc.market_id = ? " if market else "")
        + "ORDER BY sc.market_id, sc.scale_no",
        (market,) if market else (),
    )
    for row in rows:
        row["online"] = bool(row["online"])
        seen = [v for v in (row.pop("status_ms"), row.pop("last_message_ms")) if v is not None]
        row["last_seen_ms"] = max(seen) if seen else None
        row["acked_through"] = row["acked_through"] or 0
    return rows


def daily(conn: Connection, market: str, day: str) -> dict[str, Any]:
    """Daily totals of a market (local date): sales, refunds, amount, per stall."""
    stalls = conn.all(
        "SELECT s.merchant_id, s.stall, COUNT(*) AS tickets, "
        "SUM(CASE WHEN s.refund_of IS NULL THEN 0 ELSE 1 END) AS refunds, SUM(s.total_fen) AS total_fen "
        "FROM sales s WHERE s.market_id = ? AND s.local_date = ? GROUP BY s.merchant_id, s.stall "
        "ORDER BY s.stall",
        (market, day),
    )
    for row in stalls:
        row["tickets"], row["refunds"], row["total_fen"] = (
            int(row["tickets"]),
            int(row["refunds"]),
            int(row["total_fen"]),
        )
    products = conn.all(
        "SELECT l.plu, l.name, l.pricing, COUNT(*) AS lines, SUM(l.net_g) AS net_g, SUM(l.quantity) AS quantity, "
        "SUM(l.amount_fen) AS amount_fen FROM sale_lines l JOIN sales s ON s.sale_id = l.sale_id "
        "WHERE s.market_id = ? AND s.local_date = ? GROUP BY l.plu, l.name, l.pricing ORDER BY l.plu",
        (market, day),
    )
    for row in products:
        for key in ("lines", "net_g", "quantity", "amount_fen"):
            row[key] = int(row[key])
    return {
        "market_id": market,
        "date": day,
        "tickets": sum(r["tickets"] for r in stalls),
        "refunds": sum(r["refunds"] for r in stalls),
        "total_fen": sum(r["total_fen"] for r in stalls),
        "stalls": stalls,
        "products": products,
    }


def market(conn: Connection, market_id: str) -> dict[str, Any] | None:
    return conn.one("SELECT market_id, node_code, name, city FROM markets WHERE market_id = ?", (market_id,))
