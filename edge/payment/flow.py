"""The payment of one sale, as a pure state machine (docs/payment.md, "Scale side").

No threads, clock or I/O: every input (vendor action, result from central, ``tick`` with
the time) returns a :class:`Step` saying what to send to central, what to record in the
store, which event to log, what to tell the vendor and what the customer screen shows.
``edge.payment.service`` carries the steps out.

    requested ──qr──▶ showing_qr ──paid──▶ paid
        │  └──paying──▶ paying ──paid──▶ paid
        │ no answer within answer_timeout (or not sent: offline)
        ▼
    offline ──vendor──▶ static ──vendor confirms──▶ static-unconfirmed
        └──vendor──▶ cash (at once, event payment_cash_offline)
    showing_qr / paying ──vendor: cash──▶ closing ──closed──▶ cash   (──paid──▶ paid: no cash!)
    showing_qr ──QR expired──▶ closing ──closed──▶ closed            (central: closed / failed)

Money only counts as arrived when central says ``paid``; the vendor switching to cash
while an order may be open first closes it at central, unless central cannot be reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from edge.core.payment import (
    QR_METHODS,
    PaymentMessageError,
    PaymentRequest,
    PaymentResult,
    RequestType,
    ResultStatus,
    code_provider,
)
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale

CASH_OFFLINE_EVENT = "payment_cash_offline"  # cash taken while an order may still be open
PAID_AFTER_SETTLED_EVENT = "payment_paid_after_settled"  # provider money after cash/static: collected twice
DEFAULT_QR_LIFETIME_MS = 120_000  # if central sends no expires_ms


class Stage(StrEnum):
    REQUESTED = "requested"  # create/micropay sent, waiting for central's first answer
    SHOWING_QR = "showing_qr"
    PAYING = "paying"  # 付款码: the customer is confirming on the phone; central polls
    CLOSING = "closing"  # close sent (vendor took cash, or the QR expired), waiting for central
    OFFLINE = "offline"  # central did not answer: the vendor takes cash or shows the static code
    STATIC = "static"  # the static code is shown; the vendor confirms when the money is there
    CLOSED = "closed"  # central closed the order unpaid
    FAILED = "failed"  # central could not open an order
    CANCELLED = "cancelled"  # the vendor gave up: the sale stays unpaid (a late "paid" still counts)
    PAID = "paid"
    CASH = "cash"
    STATIC_UNCONFIRMED = "static-unconfirmed"


SETTLED = frozenset({Stage.PAID, Stage.CASH, Stage.STATIC_UNCONFIRMED})
_ASKING = frozenset({Stage.REQUESTED, Stage.SHOWING_QR, Stage.PAYING})


@dataclass(frozen=True, slots=True)
class Screen:
    """What the customer screen shows for this payment."""

    kind: Literal["none", "qr", "static"] = "none"
    qr_content: str = ""
    amount_fen: int = 0
    expires_ms: int = 0  # 0: no countdown (the static code)


@dataclass(frozen=True, slots=True)
class Notice:
    """A vendor message: ``code`` is a key of ``edge.ui.model.texts.MESSAGES``."""

    code: str
    values: Mapping[str, Any] = field(default_factory=dict)
    error: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    stage: Stage
    screen: Screen
    send: tuple[PaymentRequest, ...] = ()
    record: Payment | None = None  # Store.set_payment(sale_id, record)
    event: tuple[str, dict[str, Any]] | None = None  # Store.append_event(kind, data)
    notice: Notice | None = None


class PaymentFlow:
    def __init__(self, sale: Sale, *, answer_timeout_ms: int, static_qr: str = "") -> None:
        self.sale = sale
        self.sale_id = sale.sale_id
        self.amount_fen = sale.total_fen
        self.method = ""  # wechat | alipay | unionpay once started
        self.stage = Stage.REQUESTED
        self._timeout_ms = answer_timeout_ms
        self._static_qr = static_qr
        self._requests = 0
        self._deadline_ms = 0  # when an answer to the last create/micropay/close is overdue
        self._closing_for = ""  # CLOSING: "cash" | "timeout"
        self._before_close = Stage.SHOWING_QR
        self._order_open = False  # central may hold an open order for this sale
        self._qr = ""
        self._expires_ms = 0
        self._side_closes: set[str] = set()  # best-effort closes: only a "paid" answer to them counts

    # --- what can be done now (the vendor's buttons) ------------------------------------------

    @property
    def settled(self) -> bool:
        return self.stage in SETTLED

    @property
    def done(self) -> bool:
        """Nothing more for the vendor to do: settled, or cancelled."""
        return self.settled or self.stage is Stage.CANCELLED

    def actions(self) -> frozenset[str]:
        """Vendor actions that make sense now: cash, static, confirm, paycode."""
        if self.done:
            return frozenset()
        allowed = {"cash"}
        if self._static_qr and self.stage is not Stage.STATIC:
            allowed.add("static")
        if self.stage is Stage.STATIC:
            allowed.add("confirm")
        if self.stage in (Stage.SHOWING_QR, Stage.OFFLINE, Stage.CLOSED, Stage.FAILED):
            allowed.add("paycode")
        return frozenset(allowed)

    def screen(self) -> Screen:
        if self.stage is Stage.SHOWING_QR:
            return Screen("qr", self._qr, self.amount_fen, self._expires_ms)
        if self.stage is Stage.STATIC:
            return Screen("static", self._static_qr, self.amount_fen, 0)
        return Screen()

    # --- inputs ------------------------------------------------------------------------------

    def start_qr(self, method: str, now_ms: int) -> Step:
        """Ask central for a QR order (the sale is already committed as pending)."""
        if method not in QR_METHODS:
            raise ValueError(f"not a QR payment method: {method!r}")
        self.method = method
        request = self._request(RequestType.CREATE, now_ms, method=method, sale=self.sale.to_dict())
        return self._ask(request, now_ms, Notice("pay_waiting"))

    def start_micropay(self, auth_code: str, now_ms: int) -> Step:
        """The vendor scanned the customer's 付款码 (a new sale, or instead of the QR shown)."""
        code = auth_code.strip()
        try:
            provider = code_provider(code)
        except PaymentMessageError:
            return self._step(Notice("pay_bad_code", {"n": len(code)}, error=True))
        started = self._requests > 0
        if (
            self.settled
            or self.stage in (Stage.PAYING, Stage.CLOSING, Stage.STATIC)
            or (started and self.stage is Stage.REQUESTED)
        ):
            return self._step(Notice("pay_busy", error=True))
        # A QR order still open is closed first: a sale has one open order at a time.
        send = (self._side_close(now_ms, "cancel"),) if self.stage is Stage.SHOWING_QR else ()
        self.method = provider
        request = self._request(RequestType.MICROPAY, now_ms, sale=self.sale.to_dict(), auth_code=code)
        step = self._ask(request, now_ms, Notice("pay_micropay_sent"))
        return Step(step.stage, step.screen, send + step.send, notice=step.notice)

    def on_result(self, result: PaymentResult, now_ms: int) -> Step:
        """A result from central (signature already checked), for this sale or not."""
        if result.sale_id != self.sale_id:
            return self._step()
        status = result.status
        if result.request_id in self._side_closes and status is not ResultStatus.PAID:
            return self._step()
        if status is ResultStatus.PAID:
            return self._paid(result)
        if status is ResultStatus.QR and self.stage in (Stage.REQUESTED, Stage.SHOWING_QR):
            self.stage, self._order_open = Stage.SHOWING_QR, True
            self._qr = result.qr_content
            self._expires_ms = result.expires_ms or now_ms + DEFAULT_QR_LIFETIME_MS
            return self._step(Notice("pay_show_qr", {"method": self.method}))
        if status is ResultStatus.PAYING and self.stage in (Stage.REQUESTED, Stage.SHOWING_QR):
            self.stage, self._order_open = Stage.PAYING, True
            return self._step(Notice("pay_customer_paying"))
        if status is ResultStatus.CLOSED:
            self._order_open = False
            if self.stage is Stage.CLOSING and self._closing_for == "cash":
                return self._cash(offline=False)
            if self.stage is Stage.CLOSING or self.stage in _ASKING:
                self.stage = Stage.CLOSED
                return self._step(Notice("pay_closed", error=True))
            return self._step()
        if status is ResultStatus.FAILED:
            why = {"why_zh": result.message_zh or "-", "why_en": result.message or "-"}
            if self.stage is Stage.CLOSING:
                # The order could not be closed: the customer may still pay, so no cash yet.
                self.stage = self._before_close
                return self._step(Notice("pay_close_failed", why, error=True))
            if self.stage in _ASKING:
                self.stage, self._order_open = Stage.FAILED, False
                return self._step(Notice("pay_failed", why, error=True))
        return self._step()

    def tick(self, now_ms: int) -> Step:
        """The clock: answer timeouts and the QR's expiry."""
        if self.stage in (Stage.REQUESTED, Stage.CLOSING) and now_ms >= self._deadline_ms:
            return self.undelivered(now_ms)
        if self.stage is Stage.SHOWING_QR and now_ms >= self._expires_ms:
            self._closing_for, self._before_close = "timeout", Stage.OFFLINE
            request = self._request(RequestType.CLOSE, now_ms, reason="timeout")
            self.stage, self._deadline_ms = Stage.CLOSING, now_ms + self._timeout_ms
            return self._step(Notice("pay_qr_expired", error=True), send=(request,))
        return self._step()

    def not_sent(self, request: PaymentRequest, now_ms: int) -> Step:
        """``request`` could not be handed to the broker (not connected): central never saw it."""
        if request.request_id in self._side_closes:
            return self._step()
        if self.stage is Stage.REQUESTED:
            self._order_open = False
        return self.undelivered(now_ms)

    def undelivered(self, now_ms: int) -> Step:
        """The last request got no answer in time (or could not be sent)."""
        if self.stage is Stage.REQUESTED:
            self.stage = Stage.OFFLINE
            # The create may have reached central: close whatever it opened (best effort).
            send = (self._side_close(now_ms, "timeout"),) if self._order_open else ()
            return self._step(Notice("pay_offline", error=True), send=send)
        if self.stage is Stage.CLOSING and self._closing_for == "cash":
            return self._cash(offline=True)
        if self.stage is Stage.CLOSING:
            self.stage = Stage.OFFLINE
            return self._step(Notice("pay_offline", error=True))
        return self._step()

    def cash(self, now_ms: int) -> Step:
        """改收现金: the vendor takes cash instead."""
        if self.stage is Stage.PAID:
            return self._step(Notice("pay_paid_no_cash", error=True))
        if self.settled:
            return self._step(Notice("pay_settled", error=True))
        if self.stage is Stage.CLOSING:
            self._closing_for = "cash"
            return self._step(Notice("pay_closing"))
        if not self._order_open:
            return self._cash(offline=False)
        if self.stage in _ASKING:
            self._closing_for, self._before_close = "cash", self.stage
            request = self._request(RequestType.CLOSE, now_ms, reason="cash")
            self.stage, self._deadline_ms = Stage.CLOSING, now_ms + self._timeout_ms
            return self._step(Notice("pay_closing"), send=(request,))
        # Offline or static code shown, an order possibly open at central: cash now, flag it,
        # and still try to close the order in case central is back.
        return self._cash(offline=True, send=(self._side_close(now_ms, "cash"),))

    def use_static(self, now_ms: int) -> Step:
        """静态码: show the configured static EMVCo code with the amount beside it."""
        if not self._static_qr:
            return self._step(Notice("pay_no_static", error=True))
        if self.settled:
            return self._step(Notice("pay_paid_no_cash" if self.stage is Stage.PAID else "pay_settled", error=True))
        send: tuple[PaymentRequest, ...] = ()
        if self._order_open and self.stage in (*_ASKING, Stage.CLOSING):
            send = (self._side_close(now_ms, "cancel"),)
        self.stage = Stage.STATIC
        return self._step(Notice("pay_static_shown", {"amount_fen": self.amount_fen}), send=send)

    def cancel(self, now_ms: int) -> Step:
        """The vendor drops the payment (the customer left): the sale stays recorded unpaid."""
        if self.settled:
            return self._step(Notice("pay_paid_no_cash" if self.stage is Stage.PAID else "pay_settled", error=True))
        send = (self._side_close(now_ms, "cancel"),) if self._order_open else ()
        self.stage = Stage.CANCELLED
        return self._step(Notice("pay_cancelled"), send=send)

    def confirm_static(self, now_ms: int) -> Step:
        """已收款: the vendor saw the static-code payment arrive (recorded unconfirmed)."""
        if self.stage is not Stage.STATIC:
            return self._step(Notice("pay_not_static", error=True))
        self.stage = Stage.STATIC_UNCONFIRMED
        record = Payment(PaymentMethod.STATIC_QR, PaymentStatus.UNCONFIRMED, "")
        return self._step(Notice("pay_static_confirmed", {"amount_fen": self.amount_fen}), record=record)

    # --- internals ---------------------------------------------------------------------------

    def _request(self, kind: RequestType, now_ms: int, **fields: Any) -> PaymentRequest:
        self._requests += 1
        return PaymentRequest(kind, f"{self.sale_id}-{self._requests}", self.sale_id, sent_ms=now_ms, **fields)

    def _side_close(self, now_ms: int, reason: str) -> PaymentRequest:
        request = self._request(RequestType.CLOSE, now_ms, reason=reason)
        self._side_closes.add(request.request_id)
        return request

    def _ask(self, request: PaymentRequest, now_ms: int, notice: Notice) -> Step:
        self.stage, self._order_open = Stage.REQUESTED, True
        self._deadline_ms = now_ms + self._timeout_ms
        return self._step(notice, send=(request,))

    def _paid(self, result: PaymentResult) -> Step:
        if self.stage is Stage.PAID:
            return self._step()  # a repeated notification: nothing changes
        ref = {"order_id": result.order_id, "provider_ref": result.provider_ref, "method": result.method}
        if self.settled:
            # Cash or a static code was taken and then the provider's money arrived too.
            return self._step(
                Notice("pay_paid_after_settled", {"amount_fen": result.amount_fen}, error=True),
                event=(PAID_AFTER_SETTLED_EVENT, {"sale_id": self.sale_id, "settled": str(self.stage), **ref}),
            )
        vendor_wanted_cash = self.stage is Stage.CLOSING and self._closing_for == "cash"
        self.stage, self._order_open = Stage.PAID, False
        method = result.method if result.method in QR_METHODS else self.method or "wechat"
        record = Payment(PaymentMethod(method), PaymentStatus.PAID, result.provider_ref)
        notice = Notice("pay_paid_no_cash", error=True) if vendor_wanted_cash else Notice("pay_paid")
        return self._step(notice, record=record)

    def _cash(self, *, offline: bool, send: tuple[PaymentRequest, ...] = ()) -> Step:
        self.stage = Stage.CASH
        record = Payment(PaymentMethod.CASH, PaymentStatus.PAID, "")
        if not offline:
            return self._step(Notice("pay_cash"), record=record, send=send)
        event = (CASH_OFFLINE_EVENT, {"sale_id": self.sale_id, "method": self.method, "amount_fen": self.amount_fen})
        return self._step(Notice("pay_cash_offline"), record=record, event=event, send=send)

    def _step(
        self,
        notice: Notice | None = None,
        *,
        send: tuple[PaymentRequest, ...] = (),
        record: Payment | None = None,
        event: tuple[str, dict[str, Any]] | None = None,
    ) -> Step:
        return Step(self.stage, self.screen(), send, record, event, notice)
