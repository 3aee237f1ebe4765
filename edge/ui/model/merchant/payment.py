"""QR and code payments of the shown sale, driven by `edge.payment.PaymentService`.

The service calls ``show_payment`` / ``payment_done`` / ``payment_state`` /
``payment_notice``; the vendor's keys call ``micropay``, ``pay_cash_instead``,
``use_static_qr``, ``confirm_static_paid``."""

from __future__ import annotations

import math
from typing import Any

from edge.core.payment import QR_METHODS, PaymentMessageError, code_provider
from edge.core.records import PaymentMethod, Sale
from edge.ui.model import texts
from edge.ui.model.merchant.base import (
    ModelBase,
    PaymentShown,
)
from edge.ui.model.views import (
    PaymentPanel,
)


class PaymentTasks(ModelBase):
    def micropay(self, auth_code: str) -> Sale | None:
        """The customer's 付款码 (typed by the scanner): pays the payment under way, or
        checks out the cart with it. Returns the sale committed, if one was."""
        code = auth_code.strip()
        if self._payments is None:  # a stand-alone scale cannot reach any provider
            self._say_now("pay_offline", error=True)
            return None
        if self._payments.active():
            self._payments.micropay(code)
            return None
        try:
            provider = code_provider(code)
        except PaymentMessageError:
            self._say_now("pay_bad_code", error=True, n=len(code))
            return None
        if self._payment_refused(provider):
            return None
        sale = self._checkout(PaymentMethod(provider))
        if sale is not None:
            self._payments.begin_micropay(sale, code)
        return sale

    def pay_cash_instead(self) -> None:
        """改收现金: central closes the QR order first (the customer may have paid already)."""
        self._payment_action("cash")

    def use_static_qr(self) -> None:
        """静态码: the configured static code with the amount beside it (offline)."""
        self._payment_action("use_static")

    def confirm_static_paid(self) -> None:
        """已收款: the static-code payment arrived (recorded unconfirmed, then printed)."""
        self._payment_action("confirm_static")

    def _payment_action(self, name: str) -> None:
        if self._payments is None or not getattr(self._payments, name)():
            self._say_now("pay_none", error=True)

    def _payment_refused(self, method: str) -> bool:
        """Say why a checkout cannot start now (a payment under way, a method not enabled)."""
        payments = self._payments
        if payments is not None and payments.active():
            self._say_now("pay_busy", error=True)
            return True
        if payments is None:
            return False  # no payment service: a non-cash sale just stays pending
        if method == PaymentMethod.STATIC_QR and not self.config.payment.static_qr:
            self._say_now("pay_no_static", error=True)
            return True
        if method in QR_METHODS and method not in self.config.payment.methods:
            self._say_now("pay_method_off", error=True, method=method)
            return True
        return False

    def show_payment(self, qr_content: str, amount_fen: int, timeout_s: float | None) -> None:
        """Show a payment QR on the customer screen with a countdown (None: no countdown)."""
        with self._lock:
            deadline = math.inf if timeout_s is None else self._clock() + timeout_s
            self._payment = PaymentShown(qr_content, amount_fen, deadline)
            self._paid = None
            self._publish()

    def payment_done(self) -> None:
        """The payment arrived: the customer screen says "paid"."""
        with self._lock:
            sale = self._shown_sale
            amount = self._payment.amount_fen if self._payment else (sale.total_fen if sale else 0)
            self._payment = None
            self._paid = (sale, amount, self._paid_until())
            self._say("paid", total=texts.amount_text(amount))
            self._voice.payment_received(amount)
            self._publish()

    def cancel_payment(self) -> None:
        with self._lock:
            self._payment = None
            self._publish()

    def payment_notice(self, code: str, values: dict[str, Any], error: bool) -> None:
        """A message from the payment flow (a key of texts.MESSAGES; amount_fen/method filled in)."""
        with self._lock:
            self._say_now(code, error=error, **values)

    def payment_state(self, sale_id: str, stage: str, method: str, actions: frozenset[str]) -> None:
        """Where the payment of the shown sale stands (the vendor's payment buttons)."""
        with self._lock:
            done = stage in ("paid", "cash", "static-unconfirmed", "cancelled")
            self._pay_state = None if done else (stage, method, actions)
            self._publish()

    def _say_now(self, code: str, /, *, error: bool = False, **values: Any) -> None:
        """A message with payment values made readable (fen -> yuan, method -> its name), shown now."""
        with self._lock:
            zh, en = texts.MESSAGES[code]
            fen = values.pop("amount_fen", None)
            if fen is not None:
                values.setdefault("amount", texts.amount_text(int(fen)))
            names = texts.METHOD_NAMES.get(str(values.pop("method", "")), ("", ""))
            self._message = (self._error_message if error else self._info_message)(
                zh.format(method=names[0], **values), en.format(method=names[1], **values)
            )
            self._publish()

    def _payment_panel(self) -> PaymentPanel | None:
        if self._pay_state is None:
            return None
        stage, method, actions = self._pay_state
        sale = self._shown_sale
        amount = texts.amount_text(sale.total_fen) if sale is not None else ""
        lines = self._line_views(sale.lines) if sale is not None else ()
        return PaymentPanel(stage, method, amount, tuple(sorted(actions)), lines, self._countdown_s())

    def _countdown_s(self) -> int | None:
        """Whole seconds left of the QR shown to the customer; None without a QR or a countdown."""
        pay = self._payment
        if pay is None or math.isinf(pay.deadline):
            return None
        return max(0, math.ceil(pay.deadline - self._clock()))
