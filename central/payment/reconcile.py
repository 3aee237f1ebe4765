"""The daily payment reconciliation (docs/payment.md "Reconciliation").

For one market-local day it sets the sales central holds (the scales' view, from the
outbox) against the provider orders (the money's view) and lists every mismatch, then
totals per method. The day's orders are those of the day's sales, plus orders created
that day whose sale never reached central.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from unicodedata import east_asian_width

from central import api
from central.db import Connection
from central.localtime import LOCAL
from central.payment.orders import Order
from central.payment.providers.base import OrderState
from edge.core.payment import QR_METHODS

# kind -> (Chinese, English) label; the order is the order of the report
KINDS: dict[str, tuple[str, str]] = {
    "paid_but_sale_unpaid": ("已到账但交易未付款", "order paid, sale still pending/failed"),
    "collected_twice": ("重复收款（现金/静态码+线上）", "order paid but the sale was recorded cash/static QR"),
    "amount_mismatch": ("到账金额与交易金额不符", "paid amount differs from the sale total"),
    "multiple_paid_orders": ("同一交易多笔到账", "more than one paid order for one sale"),
    "order_without_sale": ("到账订单无对应交易", "paid order with no sale at central"),
    "sale_without_order": ("交易记为线上已付但无到账订单", "sale paid by a provider with no paid order"),
    "static_qr_unconfirmed": ("静态码收款未确认", "static-QR sale left unconfirmed"),
}
_COLLECTED = ("paid", "unconfirmed")  # sale statuses that count as money taken at the stall


@dataclass(frozen=True, slots=True)
class Mismatch:
    kind: str
    sale_id: str
    trace_code: str
    order_id: str
    method: str
    sale_status: str
    sale_total_fen: int | None
    paid_amount_fen: int | None

    @property
    def label_zh(self) -> str:
        return KINDS[self.kind][0]

    @property
    def label(self) -> str:
        return KINDS[self.kind][1]


@dataclass(slots=True)
class MethodTotal:
    method: str
    sales: int = 0  # the day's sales recorded with this method
    sales_fen: int = 0  # their total, counting only paid / unconfirmed sales
    orders_paid: int = 0  # paid provider orders
    paid_fen: int = 0  # money the provider reported


@dataclass(slots=True)
class Report:
    day: str
    market_id: str  # "" = every market
    mismatches: list[Mismatch] = field(default_factory=list)
    totals: list[MethodTotal] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.day,
            "market_id": self.market_id,
            "clean": not self.mismatches,
            "mismatches": [{**asdict(m), "label_zh": m.label_zh, "label": m.label} for m in self.mismatches],
            "totals": [asdict(t) for t in self.totals],
        }


def day_bounds(day: str) -> tuple[int, int]:
    """[start, end) of a local date in epoch ms."""
    start = datetime.combine(date.fromisoformat(day), time(0), LOCAL)
    return int(start.timestamp() * 1000), int((start + timedelta(days=1)).timestamp() * 1000)


def reconcile(conn: Connection, day: str, market_id: str = "") -> Report:
    start, end = day_bounds(day)
    market_sql, market_args = (" AND market_id = ?", (market_id,)) if market_id else ("", ())
    sales = conn.all(
        "SELECT sale_id, trace_code, total_fen, payment_method, payment_status, refund_of FROM sales "
        f"WHERE local_date = ?{market_sql} ORDER BY created_ms, sale_id",
        (day, *market_args),
    )
    rows = conn.all(
        "SELECT o.*, s.sale_id AS held_sale FROM payment_orders o LEFT JOIN sales s ON s.sale_id = o.sale_id "
        "WHERE (s.local_date = ? OR (s.sale_id IS NULL AND o.created_ms >= ? AND o.created_ms < ?))"
        f"{market_sql.replace('market_id', 'o.market_id')} ORDER BY o.order_id",
        (day, start, end, *market_args),
    )
    paid: dict[str, list[Order]] = defaultdict(list)
    report = Report(day, market_id)
    totals: dict[str, MethodTotal] = {}
    for row in rows:
        held = row.pop("held_sale")
        order = Order.from_row(row)
        if order.status is not OrderState.PAID:
            continue
        total = totals.setdefault(order.provider, MethodTotal(order.provider))
        total.orders_paid += 1
        total.paid_fen += order.paid_amount_fen or 0
        if held is None:
            report.mismatches.append(_mismatch("order_without_sale", None, order))
        else:
            paid[order.sale_id].append(order)
    for sale in sales:
        method, status = sale["payment_method"], sale["payment_status"]
        total = totals.setdefault(method, MethodTotal(method))
        total.sales += 1
        if status in _COLLECTED:
            total.sales_fen += int(sale["total_fen"])
        if sale["refund_of"] is None:
            report.mismatches.extend(_check_sale(sale, paid.get(sale["sale_id"], [])))
    order_of = list(KINDS)
    report.mismatches.sort(key=lambda m: (order_of.index(m.kind), m.trace_code, m.order_id))
    report.totals = sorted(totals.values(), key=lambda t: t.method)
    return report


def _check_sale(sale: dict[str, Any], paid: list[Order]) -> list[Mismatch]:
    method, status = sale["payment_method"], sale["payment_status"]
    out = []
    if paid and status in ("pending", "failed"):
        out.append(_mismatch("paid_but_sale_unpaid", sale, paid[0]))
    if paid and method in ("cash", "static_qr"):
        out.extend(_mismatch("collected_twice", sale, o) for o in paid)
    out.extend(_mismatch("amount_mismatch", sale, o) for o in paid if o.paid_amount_fen != sale["total_fen"])
    if len(paid) > 1:
        out.extend(_mismatch("multiple_paid_orders", sale, o) for o in paid)
    if not paid and method in QR_METHODS and status == "paid":
        out.append(_mismatch("sale_without_order", sale, None))
    if method == "static_qr" and status == "unconfirmed":
        out.append(_mismatch("static_qr_unconfirmed", sale, None))
    return out


def _mismatch(kind: str, sale: dict[str, Any] | None, order: Order | None) -> Mismatch:
    return Mismatch(
        kind=kind,
        sale_id=sale["sale_id"] if sale else order.sale_id if order else "",
        trace_code=sale["trace_code"] if sale else (order.order_id[:20] if order else ""),
        order_id=order.order_id if order else "",
        method=sale["payment_method"] if sale else order.provider if order else "",
        sale_status=sale["payment_status"] if sale else "",
        sale_total_fen=int(sale["total_fen"]) if sale else None,
        paid_amount_fen=order.paid_amount_fen if order else None,
    )


def _yuan(fen: int | None) -> str:
    if fen is None:
        return "-"
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def format_report(report: Report) -> str:
    """The report as a table for the terminal, Chinese first."""
    where = report.market_id or "全部市场 all markets"
    lines = [f"支付对账 Payment reconciliation  {report.day}  {where}", ""]
    if not report.mismatches:
        lines.append("没有差异 No mismatches")
    else:
        lines.append(f"差异 {len(report.mismatches)} 项 Mismatches: {len(report.mismatches)}")
        head = ("类型 kind", "溯源码 trace code", "订单 order", "方式 method", "状态 status", "交易 sale ¥",
                "到账 paid ¥")  # fmt: skip
        rows = [
            (m.label_zh, m.trace_code, m.order_id or "-", m.method, m.sale_status or "-", _yuan(m.sale_total_fen),
             _yuan(m.paid_amount_fen))
            for m in report.mismatches
        ]  # fmt: skip
        lines.extend(_table(head, rows))
        lines.append("")
        seen = {m.kind for m in report.mismatches}
        lines.extend(f"  {zh}: {en}" for kind, (zh, en) in KINDS.items() if kind in seen)
    lines.append("")
    lines.append("按支付方式合计 Totals per method")
    head = ("方式 method", "交易笔数 sales", "已收 collected ¥", "到账笔数 orders paid", "到账 paid ¥")
    rows = [(t.method, str(t.sales), _yuan(t.sales_fen), str(t.orders_paid), _yuan(t.paid_fen)) for t in report.totals]
    lines.extend(_table(head, rows) if rows else ["  (无 none)"])
    return "\n".join(lines)


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    def width(text: str) -> int:
        return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max(width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return ["  " + "  ".join(c + " " * (w - width(c)) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [head, *rows]]  # fmt: skip


def get_reconcile(conn: Connection, query: api.Query) -> api.Answer:
    """GET /api/v1/payments/reconcile?date=YYYY-MM-DD[&market=M]"""
    day = api._date(query, "date")
    if not day:
        raise api.BadRequest("reconciliation needs date=YYYY-MM-DD (local date)", "对账需要日期参数 date=YYYY-MM-DD")
    return 200, reconcile(conn, day, api._arg(query, "market")).to_dict()
