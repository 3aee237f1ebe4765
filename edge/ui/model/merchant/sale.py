"""Committing the sale (结算 / a payment method), then the ticket; 重打 and 日结.

Selling rules stay in `edge.checkout` (the durable commit) and `edge.core`."""

from __future__ import annotations

import logging

from edge.checkout import local_date, numbering_floors
from edge.core.cart import Cart
from edge.core.payment import QR_METHODS
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from edge.core.refusals import RefusedError
from edge.core.report import DailyReport
from edge.core.tracecode import format_trace_code
from edge.store import StoreError
from edge.ui.model import texts
from edge.ui.model.merchant.base import (
    MESSAGE_S,
    Message,
    ModelBase,
)

log = logging.getLogger(__name__)


class SaleTasks(ModelBase):
    def checkout(self, method: str = "cash") -> Sale | None:
        """Commit the cart (plus the item on the platter, if one is selected), then print.

        The sale is durable before the ticket is queued to the printer; a printer problem
        or being offline only shows a message. Cash is paid at once; other methods are
        committed as pending, and with payments attached a QR method then asks central for
        the QR (the ticket prints once the money has arrived).
        """
        pay_method = PaymentMethod(method)
        if self._payment_refused(method):
            return None
        sale = self._checkout(pay_method)
        if sale is not None and self._payments is not None and method in QR_METHODS:
            self._payments.begin_qr(sale, method)
        elif sale is not None and self._payments is not None and pay_method is PaymentMethod.STATIC_QR:
            self._payments.begin_static(sale)
        return sale

    def _checkout(self, pay_method: PaymentMethod) -> Sale | None:
        with self._lock:
            if self._busy_refused():
                self._publish()
                return None
            try:
                cart = self._with_current(self._cart) if self._item is not None else self._cart
            except (RefusedError, StoreError) as exc:
                self._failed(exc)
                self._publish()
                return None
            self._busy = True
            self._publish()
            paper = not self._paperless
        status = PaymentStatus.PAID if pay_method is PaymentMethod.CASH else PaymentStatus.PENDING
        sale: Sale | None = None
        try:
            floors = numbering_floors(self.config, self.store)
            sale = self.committer.commit(cart, Payment(pay_method, status), paper=paper, floors=floors)
        except Exception as exc:  # disk full, database trouble or a bug: nothing was recorded
            log.log(logging.INFO if isinstance(exc, RefusedError) else logging.ERROR, "sale not recorded: %s", exc)
            with self._lock:
                self._busy = False
                self._failed(exc)
                if isinstance(exc, RefusedError):
                    self._refresh_protection()  # a lock refused it: the banner shows at once
                self._publish()
            return None
        with self._lock:
            self._busy = False
            self._after_sale(sale, cart)
            self._publish()
        if sale is not None:
            log.info("sale %s seq %d total %d fen committed", sale.trace_code, sale.seq, sale.total_fen)
            if self.printer is not None:
                self.printer.wake()
            for hook in self._commit_hooks:
                try:
                    hook(sale)
                except Exception:
                    log.exception("commit hook failed")
        return sale

    def _after_sale(self, sale: Sale, cart: Cart) -> None:
        self._cart = Cart()
        self._clear_item()
        self._shown_sale = sale
        paperless = self._paperless
        self._paperless = self.config.ticket.paperless  # a per-sale choice applies to one sale
        self._paper_offer = None
        if sale.payment.status is PaymentStatus.PAID:
            self._paid = (sale, sale.total_fen, self._paid_until())
        values = {"total": texts.amount_text(sale.total_fen), "code": format_trace_code(sale.trace_code)}
        sold = (texts.MESSAGES["sold"][0].format(**values), texts.MESSAGES["sold"][1].format(**values))
        if sale.payment.status is PaymentStatus.PENDING:
            self._say("sold_waiting_payment", **values)  # no ticket before the money arrives
            return
        if paperless:
            tail, kind = texts.MESSAGES["ticket_paperless"], "info"
        elif self.printer is None:
            tail, kind = texts.MESSAGES["no_printer"], "info"
        elif (status := self._printer_status or self.printer.last_status) is not None and not status.ready:
            # Paper out, cover open, offline: the sale is kept, the ticket waits in the queue.
            zh, en = texts.MESSAGES["ticket_queued"]
            why = texts.split_bilingual
            tail, kind = (zh.format(why=why(status.message, "zh")), en.format(why=why(status.message, "en"))), "error"
            self._paper_offer = sale  # the vendor may let the customer take the 电子小票 instead
        else:
            tail, kind = texts.MESSAGES["ticket_printing"], "info"
        self._message = Message(f"{sold[0]}；{tail[0]}", f"{sold[1]}; {tail[1]}", kind, self._clock() + MESSAGE_S)

    def toggle_paperless(self) -> None:
        """电子小票 for the next sale (or back to paper): the customer scans the trace QR instead."""
        with self._lock:
            self._paperless = not self._paperless
            self._say("paperless_on" if self._paperless else "paperless_off")
            self._publish()

    def paperless_instead(self) -> None:
        """The printer cannot print the last ticket: the customer takes the 电子小票 instead of waiting."""
        with self._lock:
            sale = self._paper_offer
            if sale is None:
                self._say_error("no_paper_offer")
            elif self._payment is not None:
                self._say_error("busy")  # another sale's payment QR is on the customer screen
            else:
                try:
                    self.store.go_paperless(sale.sale_id)
                except StoreError as exc:
                    self._message = self._error_message(exc.zh, exc.en)
                else:
                    self._paper_offer = None
                    self._say("ticket_paperless")
                    self._shown_sale = sale
                    self._paid = (sale, sale.total_fen, self._paid_until())  # its QR on the customer screen
            self._publish()

    def reprint_last(self) -> None:
        with self._lock:
            try:
                sale = self.store.last_sale()
                if sale is None:
                    self._say_error("no_sale_yet")
                else:
                    self.store.enqueue_print(sale.sale_id, kind="reprint")
                    self._say("reprint_queued", code=format_trace_code(sale.trace_code))
            except StoreError as exc:
                self._message = self._error_message(exc.zh, exc.en)
            self._publish()
        if self.printer is not None:
            self.printer.wake()

    def daily_report(self, day: str | None = None) -> DailyReport:
        """日结 of ``day`` (YYYY-MM-DD, default today at the market)."""
        if day is None:
            day = local_date(self.committer.clock_ms()).date().isoformat()
        return self.store.daily_report(day)
