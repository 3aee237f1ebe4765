"""Snapshots: every change builds a new `MerchantView` and `CustomerView` for the subscribers.

Built and handed out still under the lock, so they arrive in order: subscribers must be
quick (schedule onto the UI thread, queue a write). Each task contributes its panel
(``_weight_panel``, ``_item_panel``, ``_line_views``, ``_payment_panel``); this module
assembles them. The customer screen's snapshot is built in `customer`."""

from __future__ import annotations

import logging
from dataclasses import replace

from edge.core.protection import banner_texts
from edge.ui.model import texts
from edge.ui.model.merchant.base import (
    ModelBase,
    Subscriber,
)
from edge.ui.model.views import (
    CustomerView,
    MerchantView,
)

log = logging.getLogger(__name__)


class Snapshots(ModelBase):
    def subscribe(self, callback: Subscriber, *, replay: bool = True) -> None:
        """``callback(merchant, customer)`` after every change (and now, with ``replay``)."""
        with self._lock:
            self._subscribers.append(callback)
            if replay:
                self._deliver(callback)

    def snapshot(self) -> tuple[MerchantView, CustomerView]:
        with self._lock:
            return self._merchant, self._customer

    def _publish(self, *, force: bool = False) -> None:
        merchant = self._build_merchant()
        customer = self._build_customer(merchant)
        customer_changed = force or replace(customer, seq=self._customer.seq) != self._customer
        if not customer_changed and merchant == self._merchant:
            return
        if customer_changed:
            self._seq += 1
        self._merchant = merchant
        self._customer = replace(customer, seq=self._seq)
        for callback in self._subscribers:
            self._deliver(callback)

    def _deliver(self, callback: Subscriber) -> None:
        try:
            callback(self._merchant, self._customer)
        except Exception:  # one broken screen must not stop the scale
            log.exception("snapshot subscriber failed")

    def _build_merchant(self) -> MerchantView:
        weight, net_g = self._weight_panel()
        totals = self._cart.totals(self.config.ticket.rounding)
        if self._printer_status is None:
            printer = texts.status("printer_unknown", self._lang) if self.printer is not None else ""
        else:
            printer = texts.split_bilingual(self._printer_status.message, self._lang)
        sync_code, sync_values = self._sync
        message = self._message
        return MerchantView(
            weight=weight,
            item=self._item_panel(net_g),
            cart=self._line_views(self._cart.lines),
            subtotal_text=texts.amount_text(totals.subtotal_fen),
            rounding_text=texts.amount_text(totals.rounding_fen) if totals.rounding_fen else "",
            total_text=texts.amount_text(totals.payable_fen),
            keys=self._keys(),
            page=self._page,
            page_count=self._page_count(),
            categories=self._catalog.categories(),
            category=self._category,
            query=self._query,
            results=tuple(self._key(p, i) for i, p in enumerate(self._results)),
            message=message.text(self._lang) if message else "",
            message_kind="error" if message and message.kind == "error" else "info",
            printer_text=printer,
            sync_text=texts.status(sync_code, self._lang, **sync_values),
            link_text=self._link.text(self._lang) if self._link is not None else "",
            lang=self._lang,
            busy=self._busy,
            payment=self._payment_panel(),
            pay_methods=self.config.payment.methods if self._payments is not None else (),
            lock_text=banner_texts(self._protection, self._lang)[0],
            paperless=self._paperless,
            paper_offer=self._paper_offer is not None,
        )
