"""The daily report (日结) from the sales numbered under one local date."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from edge.core.records import PaymentStatus
from edge.core.report import DailyReport, OperatorTotal, PluTotal, Shift

MARKET_TZ = ZoneInfo("Asia/Shanghai")  # local dates are the market's (DESIGN.md, Units)
# Money counts as taken once paid; a sale later refunded stays taken, its refund record pays back.
_TAKEN = (str(PaymentStatus.PAID), str(PaymentStatus.REFUNDED))


def daily_report(db: Database, local_date: str) -> DailyReport:
    sales = db.execute(
        "SELECT total_fen, rounding_fen, pay_method, pay_status, refund_of, operator FROM sales WHERE local_date = ? "
        "ORDER BY seq",
        (local_date,),
    ).fetchall()
    counts = {"sales": 0, "sales_fen": 0, "unpaid": 0, "unpaid_fen": 0, "refunds": 0, "refunds_fen": 0, "rounding": 0}
    by_method: dict[str, int] = {}
    by_operator: dict[str, list[int]] = {}  # operator -> [sales, taken_fen]
    for total, rounding, method, status, refund_of, operator in sales:
        person = by_operator.setdefault(operator, [0, 0])
        if refund_of is not None:
            counts["refunds"] += 1
            counts["refunds_fen"] -= total  # refund totals are negative; report what was paid back
            by_method[method] = by_method.get(method, 0) + total
            person[1] += total
            continue
        counts["sales"] += 1
        counts["sales_fen"] += total
        counts["rounding"] += rounding
        person[0] += 1
        if status in _TAKEN:
            by_method[method] = by_method.get(method, 0) + total
            person[1] += total
        else:
            counts["unpaid"] += 1
            counts["unpaid_fen"] += total

    names = {op: name for op, name in db.execute("SELECT operator, name FROM shifts ORDER BY shift_id")}
    start = int(datetime.combine(date.fromisoformat(local_date), time(), MARKET_TZ).timestamp() * 1000)
    shifts = db.execute(
        # every shift that overlaps the day: one begun before midnight and still open counts too
        "SELECT operator, name, started_ms, ended_ms FROM shifts "
        "WHERE started_ms < ? AND (ended_ms IS NULL OR ended_ms >= ?) ORDER BY shift_id",
        (start + 86_400_000, start),
    ).fetchall()
    plus: dict[str, list] = {}  # plu -> [name, lines, net_g, quantity, amount_fen]
    lines = db.execute(
        "SELECT l.plu, l.name, l.net_g, l.quantity, l.amount_fen FROM sale_lines l "
        "JOIN sales s ON s.sale_id = l.sale_id "
        "WHERE s.local_date = ? AND s.refund_of IS NULL ORDER BY s.seq, l.line_no",
        (local_date,),
    ).fetchall()
    for plu, name, net_g, quantity, amount_fen in lines:
        acc = plus.setdefault(plu, [name, 0, 0, 0, 0])
        acc[0] = name  # the latest name wins (a catalog rename during the day)
        acc[1] += 1
        acc[2] += net_g
        acc[3] += quantity
        acc[4] += amount_fen

    return DailyReport(
        local_date=local_date,
        plus=tuple(PluTotal(plu, *plus[plu]) for plu in sorted(plus, key=_plu_order)),
        sales_count=counts["sales"],
        sales_fen=counts["sales_fen"],
        unpaid_count=counts["unpaid"],
        unpaid_fen=counts["unpaid_fen"],
        refunds_count=counts["refunds"],
        refunds_fen=counts["refunds_fen"],
        rounding_fen=counts["rounding"],
        total_fen=counts["sales_fen"] - counts["unpaid_fen"] - counts["refunds_fen"],
        by_method=dict(sorted(by_method.items())),
        by_operator=tuple(OperatorTotal(op, names.get(op, ""), *by_operator[op]) for op in sorted(by_operator)),
        shifts=tuple(Shift(*row) for row in shifts),
    )


def _plu_order(plu: str) -> tuple[bool, int, str]:
    """Digit PLUs in numeric order (2 before 10), anything else after them."""
    return (not plu.isdigit(), int(plu) if plu.isdigit() else 0, plu)
