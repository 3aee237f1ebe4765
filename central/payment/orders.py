"""Payment rows in central's database: merchant accounts, provider orders, notifications.

Plain functions on one :class:`~central.db.Connection`; the caller owns the transaction.
Status changes go through :func:`apply_state`, the one place that decides which provider
answers may move an order (money that arrived always wins; nothing leaves ``paid``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

from central.db import POSTGRES, Connection
from central.payment.providers.base import OrderState

OPEN_STATES = frozenset({OrderState.OPEN, OrderState.PAYING})
QR, MICROPAY = "qr", "micropay"


@dataclass(frozen=True, slots=True)
class Order:
    """One ``payment_orders`` row: an out_trade_no at one provider for one sale."""

    order_id: str
    sale_id: str
    scale_id: str
    market_id: str
    merchant_id: str
    provider: str
    kind: str  # qr | micropay
    amount_fen: int
    status: OrderState
    created_ms: int
    expires_ms: int
    updated_ms: int
    qr_content: str = ""
    provider_ref: str = ""
    detail: str = ""
    paid_ms: int | None = None
    paid_amount_fen: int | None = None
    notify_count: int = 0
    checked_ms: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Order:
        return cls(**{**row, "status": OrderState(row["status"])})


_COLUMNS = tuple(f.name for f in fields(Order))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM payment_orders"


# --- accounts ---------------------------------------------------------------------------------


def account_config(conn: Connection, merchant_id: str, provider: str) -> dict[str, Any] | None:
    row = conn.one(
        "SELECT config_json FROM payment_accounts WHERE merchant_id = ? AND provider = ?", (merchant_id, provider)
    )
    return None if row is None else json.loads(row["config_json"])


def save_account(conn: Connection, merchant_id: str, provider: str, config: dict[str, Any], now: int) -> None:
    conn.execute(
        "INSERT INTO payment_accounts (merchant_id, provider, config_json, updated_ms) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (merchant_id, provider) DO UPDATE SET config_json = excluded.config_json, "
        "updated_ms = excluded.updated_ms",
        (merchant_id, provider, json.dumps(config, ensure_ascii=False, sort_keys=True), now),
    )


# --- orders -----------------------------------------------------------------------------------


def insert_order(conn: Connection, order: Order) -> None:
    values = [str(v) if isinstance(v, OrderState) else v for v in (getattr(order, c) for c in _COLUMNS)]
    conn.execute(
        f"INSERT INTO payment_orders ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", values
    )


def get_order(conn: Connection, order_id: str, *, lock: bool = False) -> Order | None:
    """One order; ``lock`` takes the row for this transaction on PostgreSQL (SQLite's
    BEGIN IMMEDIATE already serialises writers), so two notifications apply one at a time."""
    suffix = " FOR UPDATE" if lock and conn.dialect == POSTGRES else ""
    row = conn.one(f"{_SELECT} WHERE order_id = ?{suffix}", (order_id,))
    return None if row is None else Order.from_row(row)


def orders_of_sale(conn: Connection, sale_id: str) -> list[Order]:
    """Every order of a sale, oldest attempt first."""
    return [Order.from_row(r) for r in conn.all(f"{_SELECT} WHERE sale_id = ? ORDER BY order_id", (sale_id,))]


def due_orders(conn: Connection, now: int, qr_check_before: int, paying_check_before: int) -> list[Order]:
    """Open orders the sweeper must look at: expired, or not asked about for a while. An expired
    order the provider could not close is tried again at the PAYING pace, not on every tick."""
    rows = conn.all(
        f"{_SELECT} WHERE status IN ('open', 'paying') AND ((status = 'open' AND checked_ms <= ?) "
        "OR ((status = 'paying' OR expires_ms <= ?) AND checked_ms <= ?)) ORDER BY created_ms LIMIT 200",
        (qr_check_before, now, paying_check_before),
    )
    return [Order.from_row(r) for r in rows]


def save_order(conn: Connection, order: Order) -> None:
    """Write back everything that may change after creation."""
    conn.execute(
        "UPDATE payment_orders SET status = ?, qr_content = ?, provider_ref = ?, detail = ?, paid_ms = ?, "
        "paid_amount_fen = ?, notify_count = ?, checked_ms = ?, updated_ms = ? WHERE order_id = ?",
        (
            str(order.status), order.qr_content, order.provider_ref, order.detail[:500], order.paid_ms,
            order.paid_amount_fen, order.notify_count, order.checked_ms, order.updated_ms, order.order_id,
        ),
    )  # fmt: skip


def apply_state(
    order: Order,
    state: OrderState,
    now: int,
    *,
    provider_ref: str = "",
    paid_amount_fen: int | None = None,
    paid_ms: int | None = None,
    detail: str = "",
) -> Order:
    """The order after a provider said ``state``; the same order object if nothing changes.

    ``paid`` is final: a late or replayed answer never takes it back. A provider saying
    PAID for an order central had closed still wins, because the money did arrive (the
    daily reconciliation then lists the sale).
    """
    if order.status is OrderState.PAID or state is order.status:
        return order
    if state is OrderState.PAID:
        return replace(
            order, status=state, provider_ref=provider_ref or order.provider_ref, updated_ms=now,
            paid_amount_fen=order.amount_fen if paid_amount_fen is None else paid_amount_fen,
            paid_ms=paid_ms or now, detail=detail or order.detail,
        )  # fmt: skip
    if not order.is_open:
        return order  # closed/failed/reversed stay so; only money arriving reopens the question
    return replace(order, status=state, provider_ref=provider_ref or order.provider_ref, updated_ms=now,
                   detail=detail or order.detail)  # fmt: skip


# --- notifications ------------------------------------------------------------------------------


def notification_seen(conn: Connection, provider: str, notification_id: str) -> bool:
    return (
        conn.scalar(
            "SELECT 1 FROM payment_notifications WHERE provider = ? AND notification_id = ? AND verified = 1 LIMIT 1",
            (provider, notification_id),
        )
        is not None
    )


def record_notification(
    conn: Connection,
    provider: str,
    order_id: str,
    now: int,
    *,
    verified: bool,
    outcome: str,
    body_sha256: str,
    notification_id: str = "",
) -> None:
    conn.execute(
        "INSERT INTO payment_notifications (provider, order_id, received_ms, verified, outcome, body_sha256, "
        "notification_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (provider, order_id, now, int(verified), outcome, body_sha256, notification_id),
    )
