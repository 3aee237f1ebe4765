"""Central's payment service (docs/payment.md): scale requests in, provider orders, results out.

:class:`PaymentService` knows nothing of MQTT or HTTP: the receiver hands it a payment
topic's message, the HTTP side a provider's notification, a timer thread calls
:meth:`PaymentService.tick`; each returns the :class:`Outgoing` results to sign and publish.

Rules kept here: a request's sale must verify with the registered key of the scale whose
topic it came on; a sale has at most one open order (``create`` again returns it); provider
calls happen outside database transactions, order rows change only through
``orders.apply_state`` under a row lock, and every notification is verified before it can
change anything (a duplicate or replay is recorded and changes nothing).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import quote

from central.db import Connection, Database
from central.ingest import check_scale, load_scale, record_reject
from central.keys import verify_signature
from central.localtime import now_ms
from central.mqtt import PREFIX
from central.payment import orders
from central.payment.orders import MICROPAY, QR, Order
from central.payment.providers.base import (
    Notification,
    NotificationRejected,
    OrderRequest,
    OrderState,
    Provider,
    ProviderError,
    ProviderOrder,
    make_provider,
)
from central.validate import Rejected, Topic, load_json, parse_sale
from edge.core.payment import (
    MAX_ATTEMPTS,
    QR_METHODS,
    PaymentMessageError,
    PaymentRequest,
    PaymentResult,
    RequestType,
    ResultStatus,
    code_provider,
    order_id,
)
from edge.core.records import Sale

log = logging.getLogger(__name__)
Answer = tuple[int, str, bytes]  # a notification's HTTP answer: status, content type, body
_TEXT = "text/plain; charset=utf-8"
_MAX_MESSAGE = 200  # PaymentResult.from_dict on the scale refuses longer messages
_RESULT_STATUS = {
    OrderState.OPEN: ResultStatus.QR,
    OrderState.PAYING: ResultStatus.PAYING,
    OrderState.PAID: ResultStatus.PAID,
    OrderState.CLOSED: ResultStatus.CLOSED,
    OrderState.REVERSED: ResultStatus.CLOSED,
    OrderState.FAILED: ResultStatus.FAILED,
}


@dataclass(frozen=True, slots=True)
class PaymentSettings:
    public_url: str  # base of the notify URLs the providers call
    pay_timeout_ms: int = 120_000  # a QR order is closed this long after creation
    micropay_timeout_ms: int = 30_000  # a 付款码 payment still unconfirmed then is reversed
    paying_poll_ms: int = 3_000  # ask the provider about a PAYING 付款码 this often
    qr_poll_ms: int = 10_000  # and about an open QR order (a notification may be lost)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A result for one scale's payment topic (signed by the caller)."""

    market_id: str
    scale_id: str
    result: PaymentResult

    @property
    def topic(self) -> str:
        return f"{PREFIX}/{self.market_id}/{self.scale_id}/payment"


class Refusal(Exception):
    """A request central answers with ``failed``; ``reject`` also records it in ``rejects``."""

    def __init__(self, message_zh: str, message: str, *, reject: str = "") -> None:
        super().__init__(message)
        self.message_zh = message_zh
        self.message = message
        self.reject = reject


class PaymentService:
    def __init__(
        self,
        db: Database,
        settings: PaymentSettings,
        *,
        provider_factory: Callable[[str, Mapping[str, object]], Provider] = make_provider,
    ) -> None:
        self.db = db
        self.settings = settings
        self._factory = provider_factory
        self._providers: dict[tuple[str, str], Provider] = {}
        self._lock = threading.Lock()

    # --- scale requests ---------------------------------------------------------------------

    def handle_message(self, topic_name: str, payload: bytes) -> list[Outgoing]:
        """One message from a payment topic. Raises ``Rejected`` for a malformed message
        (the receiver records it); answers everything it can with a result."""
        topic = Topic.parse(topic_name)
        doc = load_json(payload)
        if doc.get("type") == "result":
            return []  # central's own answers come back on the shared topic
        try:
            request = PaymentRequest.from_dict(doc)
        except PaymentMessageError as exc:
            raise Rejected("bad_payment", str(exc)) from None
        with self.db.connection() as conn:
            check_scale(load_scale(conn, topic.scale_id), topic)
        try:
            return self._dispatch(request, topic)
        except Refusal as exc:
            if exc.reject:
                log.warning("payment request on %s refused: %s", topic_name, exc.message)
                with self.db.connection() as conn:
                    record_reject(conn, topic_name, topic.scale_id, exc.reject, exc.message, payload)
            amount = int(request.sale.get("total_fen", 0)) if isinstance(request.sale, dict) else 0
            failed = _result(request.request_id, request.sale_id, "", request.method, ResultStatus.FAILED,
                             amount if amount > 0 else 0, message_zh=exc.message_zh, message=exc.message)  # fmt: skip
            return [Outgoing(topic.market_id, topic.scale_id, failed)]

    def _dispatch(self, request: PaymentRequest, topic: Topic) -> list[Outgoing]:
        if request.type is RequestType.CREATE:
            order = self._open(request, self._authentic_sale(request, topic), QR, request.method)
        elif request.type is RequestType.MICROPAY:
            sale = self._authentic_sale(request, topic)
            order = self._open(request, sale, MICROPAY, code_provider(request.auth_code))
        else:
            with self.db.connection() as conn:
                mine = [o for o in orders.orders_of_sale(conn, request.sale_id) if o.scale_id == topic.scale_id]
            if not mine:
                if request.type is RequestType.CLOSE:  # nothing was ever ordered: nothing can be paid
                    closed = _result(request.request_id, request.sale_id, "", "", ResultStatus.CLOSED, 0)
                    return [Outgoing(topic.market_id, topic.scale_id, closed)]
                raise Refusal(f"交易 {request.sale_id} 没有支付订单", f"sale {request.sale_id} has no payment order")
            order = _current(mine)
            if order.is_open and request.type is RequestType.QUERY:
                order, _ = self._refresh(order, now_ms())
            elif order.is_open:
                order, _ = self._close(order, now_ms())
                if order.is_open:
                    raise Refusal(
                        "暂时无法关闭支付订单，顾客可能仍在付款：请稍后再试，先不要收现金",
                        "could not close the payment order (provider unreachable); the customer may still pay: "
                        "try again shortly and do not take cash yet",
                    )
        if order is None:
            return []  # a duplicate delivery of a create still being answered by its first copy
        result = self._result_of(order, request.request_id)
        if request.type is RequestType.CLOSE and result.status is ResultStatus.FAILED:
            result = replace(result, status=ResultStatus.CLOSED)  # a failed order took no money
        return [Outgoing(topic.market_id, topic.scale_id, result)]

    def _authentic_sale(self, request: PaymentRequest, topic: Topic) -> Sale:
        sale = parse_sale(request.sale)  # Rejected: malformed, recorded by the receiver
        if sale.scale_id != topic.scale_id or sale.market_id != topic.market_id:
            raise Refusal(
                f"交易属于秤 {sale.scale_id}，不能由秤 {topic.scale_id} 发起支付",
                f"sale {sale.sale_id} is from {sale.market_id}/{sale.scale_id} but came on "
                f"{topic.market_id}/{topic.scale_id}'s payment topic",
                reject="scale_mismatch",
            )
        with self.db.connection() as conn:
            scale = check_scale(load_scale(conn, topic.scale_id), topic)
            merchant = conn.scalar("SELECT merchant_id FROM scales WHERE scale_id = ?", (topic.scale_id,))
        if not verify_signature(scale.key, sale.signature, sale.signing_payload()):
            raise Refusal(
                "交易签名无效，未创建支付订单：请联系技术人员检查秤的设备密钥",
                f"sale {sale.sale_id} does not verify with scale {topic.scale_id}'s registered key: no order "
                "was made; have a technician check the scale's device key",
                reject="bad_signature",
            )
        if merchant and merchant != sale.merchant_id:
            raise Refusal(
                f"交易的商户 {sale.merchant_id} 不是此秤登记的商户 {merchant}：请在中心重新分配秤",
                f"sale's merchant {sale.merchant_id} is not the scale's registered merchant {merchant}; "
                "reassign the scale at central (central scale assign)",
                reject="merchant_mismatch",
            )
        if sale.total_fen <= 0:
            raise Refusal("金额为零，无需支付", f"sale {sale.sale_id} totals {sale.total_fen} fen: nothing to pay")
        return sale

    def _open(self, request: PaymentRequest, sale: Sale, kind: str, provider_name: str) -> Order | None:
        """The sale's order: the paid or open one it has, or a new one at the provider."""
        now = now_ms()
        with self.db.connection() as conn, conn.transaction():
            held = orders.orders_of_sale(conn, sale.sale_id)
            current = _current(held) if held else None
            if current is not None and (current.status is OrderState.PAID or current.is_open):
                if current.kind == QR and current.is_open and not current.qr_content:
                    return None  # its provider call is still running: that one answers
                return current
            if len(held) >= MAX_ATTEMPTS:
                raise Refusal("该交易的支付尝试次数已用完，请改收现金",
                              f"sale {sale.sale_id} has had {len(held)} payment attempts; take cash")  # fmt: skip
            config = orders.account_config(conn, sale.merchant_id, provider_name)
            if config is None:
                raise Refusal(
                    f"商户 {sale.merchant_id} 未开通{_NAMES_ZH.get(provider_name, provider_name)}收款："
                    "请改用其他方式或现金",
                    f"merchant {sale.merchant_id} has no {provider_name} account at central; use another method or "
                    "cash (the market office imports accounts with `python -m central payment-account import`)",
                )
            name = conn.scalar("SELECT display_name FROM merchants WHERE merchant_id = ?", (sale.merchant_id,)) or ""
            timeout = self.settings.pay_timeout_ms if kind == QR else self.settings.micropay_timeout_ms
            order = Order(
                order_id=order_id(sale.trace_code, len(held) + 1), sale_id=sale.sale_id, scale_id=sale.scale_id,
                market_id=sale.market_id, merchant_id=sale.merchant_id, provider=provider_name, kind=kind,
                amount_fen=sale.total_fen, status=OrderState.OPEN if kind == QR else OrderState.PAYING,
                created_ms=now, expires_ms=now + timeout, updated_ms=now, checked_ms=now,
            )  # fmt: skip
            orders.insert_order(conn, order)  # first: a crash mid-call leaves a row the sweeper closes
        req = OrderRequest(
            order.order_id, order.amount_fen, f"溯源秤 {sale.stall} {name} {sale.trace_code}"[:60],
            self._notify_url(provider_name, sale.merchant_id), order.expires_ms,
        )  # fmt: skip
        try:
            provider = self._provider(provider_name, config)
            answer = provider.create_qr(req) if kind == QR else provider.micropay(req, request.auth_code)
        except ProviderError as exc:
            log.warning("order %s at %s: %s", order.order_id, provider_name, exc)
            if kind == MICROPAY and exc.retryable:  # the money may have moved: the sweeper asks, then reverses
                return order
            self._apply(order.order_id, OrderState.FAILED, now_ms(), detail=exc.message)
            raise Refusal(exc.message_zh, exc.message) from None
        _, order = self._apply(order.order_id, answer, now_ms(), qr_content=answer.qr_content)
        return order

    # --- provider state -----------------------------------------------------------------------

    def _refresh(self, order: Order, now: int) -> tuple[Order, bool]:
        """Ask the provider about an open order; (order now, whether this call moved it)."""
        return self._ask(order, now)[:2]

    def _ask(self, order: Order, now: int) -> tuple[Order, bool, bool]:
        """Query the provider; (order now, whether this call moved it, whether the provider answered)."""
        try:
            answer: ProviderOrder | OrderState = self._provider_for(order).query(order.order_id)
        except ProviderError as exc:
            log.warning("query of order %s failed: %s", order.order_id, exc)
            answer = order.status  # nothing learnt; checked_ms still moves so the sweeper backs off
        before, after = self._apply(order.order_id, answer, now, checked=True)
        return after, after.status is not before.status, not isinstance(answer, OrderState)

    def _close(self, order: Order, now: int) -> tuple[Order, bool]:
        """Query first (the money may be there), then close (QR) or reverse (付款码)."""
        after, moved, answered = self._ask(order, now)
        if not after.is_open or not answered:
            return after, moved  # settled, or the provider could not be asked: leave it open
        try:
            provider = self._provider_for(after)
            answer = provider.close(after.order_id) if after.kind == QR else provider.reverse(after.order_id)
        except ProviderError as exc:
            log.warning("closing order %s failed: %s", after.order_id, exc)
            return after, moved
        if answer.state in orders.OPEN_STATES:
            log.warning("provider still reports order %s %s after close", after.order_id, answer.state)
            return after, moved
        before, final = self._apply(after.order_id, answer, now)
        return final, moved or final.status is not before.status

    def _apply(
        self,
        order_id_: str,
        answer: ProviderOrder | Notification | OrderState,
        now: int,
        *,
        qr_content: str = "",
        detail: str = "",
        checked: bool = False,
        notified: bool = False,
    ) -> tuple[Order, Order]:
        """Apply a provider's answer to the locked row; (before, after)."""
        with self.db.connection() as conn, conn.transaction():
            before = orders.get_order(conn, order_id_, lock=True)
            if before is None:
                raise RuntimeError(f"payment order {order_id_} vanished from the database")
            after = _applied(before, answer, now, detail)
            if qr_content and not after.qr_content:
                after = replace(after, qr_content=qr_content)
            if checked:
                after = replace(after, checked_ms=now)
            if notified:
                after = replace(after, notify_count=after.notify_count + 1)
            if after != before:
                orders.save_order(conn, after)
        return before, after

    # --- notifications ------------------------------------------------------------------------

    def handle_notification(
        self, provider_name: str, merchant_id: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Answer, list[Outgoing]]:
        """A provider's HTTP notification: (the answer to send it, results to publish)."""
        now = now_ms()
        digest = hashlib.sha256(body).hexdigest()
        if provider_name not in QR_METHODS:
            return (404, _TEXT, b"unknown payment provider\n"), []
        with self.db.connection() as conn:
            config = orders.account_config(conn, merchant_id, provider_name)
            if config is None:
                log.warning("notification from %s for merchant %r without an account", provider_name, merchant_id)
                _note(conn, provider_name, "", now, False, "no_account", digest)
                return (404, _TEXT, b"no such merchant account\n"), []
        try:
            provider = self._provider(provider_name, config)
            note = provider.parse_notification(headers, body)
        except NotificationRejected as exc:
            log.warning("refused a %s notification for %s: %s", provider_name, merchant_id, exc)
            with self.db.connection() as conn:
                _note(conn, provider_name, "", now, False, "rejected", digest)
            return provider.notification_answer(False), []
        except ProviderError as exc:  # bad account config: the provider retries once it is fixed
            log.error("cannot check a %s notification for %s: %s", provider_name, merchant_id, exc)
            with self.db.connection() as conn:
                _note(conn, provider_name, "", now, False, "error", digest)
            return (503, _TEXT, b"try again later\n"), []
        with self.db.connection() as conn, conn.transaction():
            order = orders.get_order(conn, note.order_id, lock=True)
            if order is None or order.merchant_id != merchant_id or order.provider != provider_name:
                log.error("verified %s notification for unknown order %s (merchant %s)", provider_name,
                          note.order_id, merchant_id)  # fmt: skip
                _note(conn, provider_name, note.order_id, now, True, "unknown_order", digest, note.notification_id)
                return provider.notification_answer(False), []
            if orders.notification_seen(conn, provider_name, note.notification_id):
                _note(conn, provider_name, note.order_id, now, True, "duplicate", digest, note.notification_id)
                return provider.notification_answer(True), []
            after = replace(_applied(order, note, now, ""), notify_count=order.notify_count + 1)
            orders.save_order(conn, after)
            moved = after.status is not order.status
            _note(conn, provider_name, note.order_id, now, True, "applied" if moved else "no_change", digest,
                  note.notification_id)  # fmt: skip
        out = [self._outgoing(after)] if moved and not after.is_open else []
        return provider.notification_answer(True), out

    # --- sweeper ------------------------------------------------------------------------------

    def tick(self, now: int) -> list[Outgoing]:
        """Expired orders: query, then close or reverse; open ones: ask now and then."""
        s = self.settings
        with self.db.connection() as conn:
            due = orders.due_orders(conn, now, now - s.qr_poll_ms, now - s.paying_poll_ms)
        out = []
        for order in due:
            try:
                after, moved = self._close(order, now) if order.expires_ms <= now else self._refresh(order, now)
            except Exception:  # one bad account must not stop the sweep of the others
                log.exception("sweeping payment order %s failed", order.order_id)
                continue
            if moved and not after.is_open:
                out.append(self._outgoing(after))
        return out

    # --- helpers ------------------------------------------------------------------------------

    def _outgoing(self, order: Order) -> Outgoing:
        return Outgoing(order.market_id, order.scale_id, self._result_of(order, ""))

    def _result_of(self, order: Order, request_id: str) -> PaymentResult:
        status = _RESULT_STATUS[order.status]
        zh = en = ""
        if status is ResultStatus.FAILED:
            zh, en = f"支付失败（{order.detail}），请让顾客重新付款或改收现金", \
                f"payment failed ({order.detail}); ask the customer to pay again or take cash"  # fmt: skip
        elif status is ResultStatus.CLOSED and order.expires_ms <= order.updated_ms:
            zh, en = "支付超时，订单已关闭", "payment timed out; the order is closed"
        paid = order.status is OrderState.PAID and order.paid_amount_fen
        amount = order.paid_amount_fen if paid and order.paid_amount_fen else order.amount_fen
        return _result(request_id, order.sale_id, order.order_id, order.provider, status, amount,
                       qr_content=order.qr_content if status is ResultStatus.QR else "", expires_ms=order.expires_ms,
                       provider_ref=order.provider_ref, message_zh=zh, message=en)  # fmt: skip

    def _notify_url(self, provider: str, merchant_id: str) -> str:
        return f"{self.settings.public_url.rstrip('/')}/pay/notify/{provider}/{quote(merchant_id, safe='')}"

    def _provider_for(self, order: Order) -> Provider:
        with self.db.connection() as conn:
            config = orders.account_config(conn, order.merchant_id, order.provider)
        if config is None:
            raise ProviderError(f"商户 {order.merchant_id} 的{order.provider}账户已删除",
                                f"merchant {order.merchant_id}'s {order.provider} account was removed")  # fmt: skip
        return self._provider(order.provider, config)

    def _provider(self, name: str, config: Mapping[str, object]) -> Provider:
        """One client per account configuration (clients hold parsed keys)."""
        cache_key = (name, json.dumps(config, sort_keys=True))
        with self._lock:
            provider = self._providers.get(cache_key)
            if provider is None:
                provider = self._providers[cache_key] = self._factory(name, config)
        return provider


_NAMES_ZH = {"wechat": "微信支付", "alipay": "支付宝", "unionpay": "银联"}


def _current(held: list[Order]) -> Order:
    """The order that speaks for the sale: a paid one if any, else the newest attempt."""
    paid = [o for o in held if o.status is OrderState.PAID]
    return paid[0] if paid else held[-1]


def _applied(order: Order, answer: ProviderOrder | Notification | OrderState, now: int, detail: str) -> Order:
    if isinstance(answer, OrderState):
        return orders.apply_state(order, answer, now, detail=detail)
    return orders.apply_state(
        order, answer.state, now, provider_ref=answer.provider_ref, paid_amount_fen=answer.paid_amount_fen,
        paid_ms=answer.paid_ms, detail=detail or getattr(answer, "detail", ""),
    )  # fmt: skip


def _result(
    request_id: str, sale_id: str, order_id_: str, method: str, status: ResultStatus, amount_fen: int, **more: object
) -> PaymentResult:
    for name in ("message_zh", "message"):
        if isinstance(more.get(name), str):
            more[name] = str(more[name])[:_MAX_MESSAGE]
    return PaymentResult(request_id=request_id, sale_id=sale_id, order_id=order_id_, method=method, status=status,
                         amount_fen=amount_fen, sent_ms=now_ms(), **more)  # type: ignore[arg-type]  # fmt: skip


def _note(
    conn: Connection, provider: str, order_id_: str, now: int, verified: bool, outcome: str, digest: str,
    notification_id: str = "",
) -> None:  # fmt: skip
    orders.record_notification(conn, provider, order_id_, now, verified=verified, outcome=outcome,
                               body_sha256=digest, notification_id=notification_id)  # fmt: skip


class Sweeper:
    """Calls :meth:`PaymentService.tick` every ``interval_s`` and hands the results to ``publish``."""

    def __init__(
        self, service: PaymentService, publish: Callable[[list[Outgoing]], None], interval_s: float = 1.0
    ) -> None:
        self.service = service
        self.publish = publish
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payment-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                out = self.service.tick(now_ms())
                if out:
                    self.publish(out)
            except Exception:  # a database outage: try again next round
                log.exception("payment sweep failed; retrying")
