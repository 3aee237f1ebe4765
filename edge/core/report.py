"""The daily report (日结) a vendor prints or views at closing; built by the store.

Plain data so the UI and the ticket printer can use it without the store. Money in fen,
weight in grams. How the numbers relate:

- ``sales_fen`` is every sale rung up that day (refund records excluded);
- ``unpaid_fen`` is the part of it whose payment is not (yet) paid: pending,
  unconfirmed or failed;
- ``refunds_fen`` is what refund records paid back (refund records carry positive amounts);
- ``total_fen = sales_fen - unpaid_fen - refunds_fen`` is the money taken, and equals the
  sum of ``by_method``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PluTotal:
    """What was sold of one PLU that day (lines of sales; refunds are counted apart)."""

    plu: str
    name: str  # the name on the day's most recent line
    lines: int
    net_g: int  # weighed lines only
    quantity: int  # pieces for piece lines, 1 per weighed line
    amount_fen: int  # line amounts, before the ticket's rounding (抹零)


@dataclass(frozen=True, slots=True)
class OperatorTotal:
    """What one signed-in operator sold that day (``Sale.operator``; "" = nobody signed in)."""

    operator: str
    name: str  # the real name from the shifts ("" when unknown)
    sales: int  # sales rung up (refund records excluded)
    taken_fen: int  # money taken on their sales, net of the refunds they made


@dataclass(frozen=True, slots=True)
class Shift:
    """One signed-in stretch at the scale (实名登录 to 交班)."""

    operator: str
    name: str
    started_ms: int
    ended_ms: int | None  # None: still signed in


@dataclass(frozen=True, slots=True)
class DailyReport:
    local_date: str  # YYYY-MM-DD, the date the sales were numbered under
    plus: tuple[PluTotal, ...] = ()  # ordered by PLU
    sales_count: int = 0
    sales_fen: int = 0
    unpaid_count: int = 0
    unpaid_fen: int = 0
    refunds_count: int = 0
    refunds_fen: int = 0
    rounding_fen: int = 0  # 抹零 given on the day's sales
    total_fen: int = 0
    by_method: dict[str, int] = field(default_factory=dict)  # payment method -> fen taken (net of refunds)
    by_operator: tuple[OperatorTotal, ...] = ()  # ordered by operator id; taken_fen sums to total_fen
    shifts: tuple[Shift, ...] = ()  # the day's shifts (started that local day), oldest first
