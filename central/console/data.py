"""The console's own queries: merchants with their real-name data (office only), overview
figures, hourly and monthly totals. Shared read queries (flow, search, fleet, daily) stay in
:mod:`central.queries`.
"""

from __future__ import annotations

from typing import Any

from central.db import Connection

HOUR_MS, DAY_MS, LOCAL_OFFSET_MS = 3_600_000, 86_400_000, 8 * 3_600_000  # Asia/Shanghai is UTC+8 all year


def _where_market(column: str, market: str) -> tuple[str, tuple[str, ...]]:
    return (f" WHERE {column} = ?", (market,)) if market else ("", ())


def merchants(conn: Connection, market: str, *, private: bool) -> list[dict[str, Any]]:
    """The market's merchants with their scales; ``private`` adds real name, ID number and phone."""
    extra = ", mc.real_name, mc.id_number, mc.phone" if private else ""
    where, params = _where_market("mc.market_id", market)
    rows = conn.all(
        f"SELECT mc.merchant_id, mc.market_id, mc.stall, mc.display_name, mc.operator_id, mc.created_ms{extra} "
        "FROM merchants mc"
        f"{where} ORDER BY mc.market_id, mc.stall, mc.merchant_id",
        params,
    )
    where, params = _where_market("market_id", market)
    scales: dict[str, list[str]] = {}
    for row in conn.all(f"SELECT scale_id, merchant_id FROM scales{where} ORDER BY scale_no", params):
        scales.setdefault(row["merchant_id"] or "", []).append(row["scale_id"])
    for row in rows:
        row["scales"] = scales.get(row["merchant_id"], [])
    return rows


def scales(conn: Connection, market: str) -> list[dict[str, Any]]:
    where, params = _where_market("market_id", market)
    return conn.all(f"SELECT scale_id, market_id, scale_no, merchant_id FROM scales{where} ORDER BY scale_no", params)


def merchant_market(conn: Connection, merchant_id: str) -> str | None:
    return conn.scalar("SELECT market_id FROM merchants WHERE merchant_id = ?", (merchant_id,))


def batch_market(conn: Connection, batch_id: str) -> str | None:
    return conn.scalar(
        "SELECT mc.market_id FROM batches b JOIN merchants mc ON mc.merchant_id = b.merchant_id WHERE b.batch_id = ?",
        (batch_id,),
    )


def overview(conn: Connection, market: str, day: str) -> dict[str, Any]:
    params = (market,) if market else ()
    sales = conn.one(
        "SELECT COUNT(*) AS tickets, COALESCE(SUM(total_fen), 0) AS total_fen FROM sales WHERE local_date = ?"
        + (" AND market_id = ?" if market else ""),
        (day, *params),
    ) or {"tickets": 0, "total_fen": 0}
    scales_online = conn.one(
        "SELECT COUNT(*) AS scales, COALESCE(SUM(CASE WHEN st.online = 1 THEN 1 ELSE 0 END), 0) AS online "
        "FROM scales sc LEFT JOIN scale_status st ON st.scale_id = sc.scale_id"
        + (" WHERE sc.market_id = ?" if market else ""),
        params,
    ) or {"scales": 0, "online": 0}
    batches = conn.one(
        "SELECT COALESCE(SUM(CASE WHEN b.active = 1 THEN 1 ELSE 0 END), 0) AS on_sale, "
        "COALESCE(SUM(CASE WHEN b.active = 1 THEN 0 ELSE 1 END), 0) AS inactive "
        "FROM batches b JOIN merchants mc ON mc.merchant_id = b.merchant_id"
        + (" WHERE mc.market_id = ?" if market else ""),
        params,
    ) or {"on_sale": 0, "inactive": 0}
    return {**{k: int(v) for k, v in sales.items()}, **{k: int(v) for k, v in scales_online.items()},
            **{k: int(v) for k, v in batches.items()}}  # fmt: skip


def hourly(conn: Connection, market: str, day: str) -> list[tuple[int, int, int]]:
    """(local hour 0-23, tickets, amount in fen) of a market's day, every hour present."""
    rows = conn.all(
        # hours since the epoch, less whole days of them: the local hour (no %: psycopg placeholders)
        f"SELECT (created_ms + {LOCAL_OFFSET_MS}) / {HOUR_MS} - (created_ms + {LOCAL_OFFSET_MS}) / {DAY_MS} * 24 "
        "AS hour, COUNT(*) AS tickets, "
        "SUM(total_fen) AS total_fen FROM sales WHERE market_id = ? AND local_date = ? GROUP BY 1",
        (market, day),
    )
    found = {int(r["hour"]): (int(r["tickets"]), int(r["total_fen"])) for r in rows}
    return [(h, *found.get(h, (0, 0))) for h in range(24)]


def monthly(conn: Connection, market: str, month: str) -> list[dict[str, Any]]:
    """Per local date of ``month`` (YYYY-MM): tickets, refunds, amount."""
    rows = conn.all(
        "SELECT local_date, COUNT(*) AS tickets, SUM(CASE WHEN refund_of IS NULL THEN 0 ELSE 1 END) AS refunds, "
        "SUM(total_fen) AS total_fen FROM sales WHERE market_id = ? AND local_date >= ? AND local_date <= ? "
        "GROUP BY local_date ORDER BY local_date",
        (market, f"{month}-01", f"{month}-31"),
    )
    return [{k: (int(v) if k != "local_date" else v) for k, v in r.items()} for r in rows]


def recent_actions(conn: Connection, market: str, limit: int = 10) -> list[dict[str, Any]]:
    """The console's audit trail; an office sees its own market's users' actions."""
    if market:
        return conn.all(
            "SELECT a.username, a.action, a.target, a.detail, a.created_ms FROM console_audit a "
            "JOIN console_users u ON u.username = a.username WHERE u.market_id = ? "
            "ORDER BY a.id DESC LIMIT ?",
            (market, limit),
        )
    return conn.all(
        "SELECT username, action, target, detail, created_ms FROM console_audit ORDER BY id DESC LIMIT ?", (limit,)
    )


BATCH_ROWS = 200  # a page of the batches list; the status filter and the search narrow it


def batches(
    conn: Connection, market: str, *, status: str = "", merchant: str = "", limit: int = BATCH_ROWS
) -> list[Any]:
    """A market's batches, newest goods-in first, with their goods-in data."""
    where, params = [], []
    if market:
        where.append("mc.market_id = ?")
        params.append(market)
    if status in ("on_sale", "stopped"):
        where.append("b.active = ?")
        params.append(1 if status == "on_sale" else 0)
    if merchant:
        where.append("b.merchant_id = ?")
        params.append(merchant)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return conn.all(
        "SELECT b.*, mc.stall, mc.display_name, mc.market_id FROM batches b "
        f"JOIN merchants mc ON mc.merchant_id = b.merchant_id{clause} "
        "ORDER BY b.arrival_date DESC, b.created_ms DESC, b.batch_id LIMIT ?",
        (*params, limit),
    )


def catalog_rows(conn: Connection, market: str) -> list[dict[str, Any]]:
    """The market's catalog as stored (guide prices; price bounds where central keeps them)."""
    return conn.all("SELECT * FROM catalog WHERE market_id = ? ORDER BY plu", (market,))
