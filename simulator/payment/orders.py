"""The simulated providers' order book: one thread-safe place for every order's state.

States use central's vocabulary (docs/payment.md `OrderState`) so tests can compare them
directly; each provider module maps them to its own words (SUCCESS, TRADE_SUCCESS, ...).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    OPEN = "open"
    PAYING = "paying"  # 付款码: the customer is entering the password
    PAID = "paid"
    CLOSED = "closed"
    FAILED = "failed"  # 付款码 refused (balance, customer cancelled)
    REVERSED = "reversed"  # 付款码 order undone by the merchant (撤销); money returned if any


class SimError(Exception):
    """A control request (/sim/*) that cannot be carried out; status is the HTTP code."""

    def __init__(self, status: int, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message_zh, self.message = status, message_zh, message


@dataclass
class Outgoing:
    """One notification exactly as it goes on the wire (kept for `replay`)."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Order:
    provider: str  # wechat | alipay | unionpay
    order_id: str  # out_trade_no
    kind: str  # qr | micropay
    amount_fen: int
    description: str = ""
    notify_url: str = ""
    qr_content: str = ""
    state: State = State.OPEN
    transaction_id: str = ""
    created_ms: int = field(default_factory=lambda: now_ms())
    expires_ms: int | None = None
    paid_ms: int | None = None
    closed_ms: int | None = None
    scanned: bool = False  # the customer opened the code (Alipay creates the trade only then)
    auth_code: str = ""
    micropay_plan: str = ""  # the behaviour a 付款码 order was created under
    queries: int = 0
    notify: bool = True  # False: notifications are built but held back
    notifications_sent: int = 0  # deliveries the merchant acknowledged
    notify_attempts: int = 0
    last_notification: Outgoing | None = None
    last_answer: str = ""
    events: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "order_id": self.order_id,
            "kind": self.kind,
            "amount_fen": self.amount_fen,
            "description": self.description,
            "state": str(self.state),
            "qr_content": self.qr_content,
            "notify_url": self.notify_url,
            "transaction_id": self.transaction_id,
            "created_ms": self.created_ms,
            "expires_ms": self.expires_ms,
            "paid_ms": self.paid_ms,
            "closed_ms": self.closed_ms,
            "scanned": self.scanned,
            "queries": self.queries,
            "notifications_sent": self.notifications_sent,
            "notify_attempts": self.notify_attempts,
            "last_answer": self.last_answer,
            "events": list(self.events),
        }

    def log(self, event: str) -> None:
        self.events.append(event)

    def mark_paid(self) -> None:
        self.state = State.PAID
        self.paid_ms = now_ms()
        self.transaction_id = self.transaction_id or new_transaction_id(self.provider, self.paid_ms)
        self.log("paid")

    def mark(self, state: State, event: str) -> None:
        self.state = state
        self.closed_ms = now_ms()
        self.log(event)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_transaction_id(provider: str, at_ms: int) -> str:
    """Providers' own trade numbers: WeChat 4200… (28 digits), Alipay date + 20 digits, UnionPay 21 digits."""
    digits = "".join(str(secrets.randbelow(10)) for _ in range(14))
    day = time.strftime("%Y%m%d", time.gmtime(at_ms / 1000 + 8 * 3600))
    if provider == "wechat":
        return f"4200{secrets.randbelow(10**10):010d}{day}{digits[:6]}"
    if provider == "alipay":
        return f"{day}22001{digits}{secrets.randbelow(10)}"
    return f"{day}{digits[:13]}"


class OrderBook:
    """Orders by (provider, order_id), and by QR content for the customer's scan."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._orders: dict[tuple[str, str], Order] = {}
        self._by_qr: dict[str, tuple[str, str]] = {}

    def get(self, provider: str, order_id: str) -> Order | None:
        with self.lock:
            return self._orders.get((provider, order_id))

    def add(self, order: Order) -> Order:
        with self.lock:
            self._orders[(order.provider, order.order_id)] = order
            if order.qr_content:
                self._by_qr[order.qr_content] = (order.provider, order.order_id)
            return order

    def by_qr(self, qr_content: str) -> Order | None:
        with self.lock:
            key = self._by_qr.get(qr_content)
            return None if key is None else self._orders[key]

    def find(self, order_id: str) -> Order | None:
        with self.lock:
            return next((o for (_, oid), o in self._orders.items() if oid == order_id), None)

    def all(self) -> list[Order]:
        with self.lock:
            return list(self._orders.values())
