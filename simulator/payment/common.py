"""What the three simulated providers share: the HTTP request/response records, the test
behaviour switches and the base class that turns a customer's action into state + notification.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.payment.keys import GatewayKeys
from simulator.payment.notifier import Notifier
from simulator.payment.orders import Order, OrderBook, Outgoing, SimError, State, now_ms

MICROPAY_BEHAVIOURS = ("pay", "userpaying_then_pay", "userpaying", "fail")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query
    target: str  # path + "?" + query exactly as sent (WeChat signs it)
    query: dict[str, str]
    headers: Mapping[str, str]  # case-insensitive (email.message.Message)
    body: bytes


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json_bytes(doc), {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def nonce(length: int = 32) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


@dataclass
class Behaviour:
    micropay: str = "pay"  # how the next 付款码 payments go (MICROPAY_BEHAVIOURS)
    notify: bool = True  # False: notifications are built and kept (for replay) but not sent


class ProviderSim:
    """One simulated provider. Subclasses speak the wire format; this class owns the rules."""

    name = ""

    def __init__(self, keys: GatewayKeys, book: OrderBook, notifier: Notifier, behaviour: Behaviour) -> None:
        self.keys, self.book, self.notifier, self.behaviour = keys, book, notifier, behaviour

    # --- wire format, per provider -------------------------------------------------------
    def handle(self, req: Request) -> Response | None:
        """Answer a merchant's API request, or None when the path is not this provider's."""
        raise NotImplementedError

    def owns_qr(self, qr_content: str) -> bool:
        raise NotImplementedError

    def notification(self, order: Order) -> Outgoing | None:
        """The signed "paid" notification for ``order`` (None: nobody to notify)."""
        raise NotImplementedError

    def accepted(self, status: int, body: bytes) -> bool:
        """Did the merchant's answer end the notification (else: retry)?"""
        raise NotImplementedError

    def order_for_scan(self, qr_content: str) -> Order:
        order = self.book.by_qr(qr_content)
        if order is None:
            raise SimError(
                404, "没有这个二维码的订单：请先让商户下单", f"no {self.name} order has QR content {qr_content!r}"
            )
        return order

    # --- the customer's phone ---------------------------------------------------------
    def act(self, order: Order, action: str) -> Order:
        actions: dict[str, Callable[[Order], None]] = {
            "pay": lambda o: self._pay(o, copies=1),
            "pay_twice": lambda o: self._pay(o, copies=2),
            "cancel": self._cancel,
            "replay": self._replay,
        }
        if action not in actions:
            raise SimError(400, f"未知操作 {action}：可用 {', '.join(actions)}", f"unknown action {action!r}")
        with self.book.lock:
            order.scanned = True
            actions[action](order)
            return order

    def _pay(self, order: Order, copies: int) -> None:
        if order.state is State.PAID:
            raise SimError(409, "订单已支付，不能再付一次", f"order {order.order_id} is already paid")
        if order.state not in (State.OPEN, State.PAYING):
            raise SimError(
                409,
                f"订单已{_STATE_ZH[order.state]}，无法支付：请商户重新下单",
                f"order {order.order_id} is {order.state}; it can no longer be paid (the merchant must order again)",
            )
        if order.expires_ms is not None and now_ms() > order.expires_ms:
            raise SimError(
                409, "二维码已过期，无法支付：请商户重新下单", f"order {order.order_id} expired; it cannot be paid"
            )
        order.mark_paid()
        self.notify_paid(order, copies)

    def notify_paid(self, order: Order, copies: int = 1) -> None:
        """Build (and unless held back, send) the paid notification; pay_twice sends it twice."""
        for _ in range(copies):
            outgoing = self.notification(order)
            if outgoing is None:
                return
            order.last_notification = outgoing
            if self.behaviour.notify and order.notify:
                self.notifier.send(order, outgoing, self.accepted)
            else:
                order.log("notification held back")

    def _cancel(self, order: Order) -> None:
        if order.state is State.PAYING:  # the customer gave up at the password prompt
            order.mark(State.FAILED, "customer cancelled")
        elif order.state is State.OPEN:  # the customer closed the page: nothing changes at the provider
            order.log("customer cancelled")
        else:
            raise SimError(409, f"订单已{_STATE_ZH[order.state]}，无法取消", f"order {order.order_id} is {order.state}")

    def _replay(self, order: Order) -> None:
        if order.last_notification is None:
            raise SimError(
                409, "这个订单还没有发过通知，无法重发", f"order {order.order_id} has no notification to replay"
            )
        order.log("notification replayed")
        self.notifier.send(order, order.last_notification, self.accepted)

    # --- 付款码 -----------------------------------------------------------------------
    def start_micropay(self, order: Order) -> None:
        """Apply the current micropay behaviour to a new 付款码 order (under the book lock)."""
        order.micropay_plan = self.behaviour.micropay
        order.notify = self.behaviour.notify
        if order.micropay_plan == "pay":
            order.mark_paid()
            self.notify_paid(order)
        elif order.micropay_plan == "fail":
            order.mark(State.FAILED, "payment refused: balance not enough")
        else:
            order.state = State.PAYING
            order.log("customer is entering the password")

    def on_query(self, order: Order) -> None:
        """A merchant query: `userpaying_then_pay` answers USERPAYING once more, then paid."""
        order.queries += 1
        if order.state is State.PAYING and order.micropay_plan == "userpaying_then_pay" and order.queries >= 2:
            order.mark_paid()
            self.notify_paid(order)


_STATE_ZH = {
    State.OPEN: "待支付",
    State.PAYING: "支付中",
    State.PAID: "支付",
    State.CLOSED: "关闭",
    State.FAILED: "失败",
    State.REVERSED: "撤销",
}
