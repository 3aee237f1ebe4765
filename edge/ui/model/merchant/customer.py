"""The customer screen's snapshot (`CustomerView`): what the buyer sees, from the vendor's state.

The same weight, lamps, unit price and amount as the vendor's screen; whether the
weight may be sold is metrology's verdict (``WeighingState.view.blocked``), only named
briefly here. While paying: the wallet the QR is for. After a sale: the trace QR of its
code (电子小票) for ``[ticket].e_ticket_show_s``."""

from __future__ import annotations

import math
from dataclasses import replace

from edge.core.protection import banner_texts
from edge.core.records import Pricing, Sale
from edge.core.tracecode import format_trace_code
from edge.printer.ticket import trace_url
from edge.ui.model import texts
from edge.ui.model.merchant.base import ModelBase
from edge.ui.model.views import CustomerView, MerchantView


class CustomerDisplay(ModelBase):
    def _build_customer(self, merchant: MerchantView) -> CustomerView:
        ident = self.config.identity
        weight = merchant.weight
        base = CustomerView(
            market_name=ident.market_name,
            stall=ident.stall,
            merchant_name=ident.merchant_name,
            lang=self._lang,
            weight_text=weight.weight_text,
            range_no=weight.range_no,
            lock_text=banner_texts(self._protection, self._lang)[1],
            stable=weight.stable,
            zero=weight.zero,
            net=weight.net,
            tare_text=weight.tare_text,
        )
        if self._payment is not None:
            return self._paying(base, merchant)
        if self._paid is not None:
            sale, amount, until = self._paid
            return replace(
                base,
                mode="paid",
                lines=self._line_views(sale.lines) if sale else (),
                total_text=texts.amount_text(amount),
                **self._e_ticket(sale, until),
            )
        item = merchant.item
        view = self.state.view
        on_platter = view.has_weight and not view.at_zero
        if item is not None or on_platter:
            piece = item is not None and Pricing(item.pricing) is Pricing.PIECE
            blocked = view.blocked
            return replace(
                base,
                mode="weighing",
                item_name=item.name if item else "",
                origin=item.origin if item else "",
                unit_price_text=item.unit_price_text if item else "",
                price_per_500g_text=item.price_per_500g_text if item else "",
                amount_text=item.amount_text if item else "",
                pricing="piece" if piece else "weight",
                quantity_text=f"{self._quantity} {texts.UNITS[self._lang]['pieces']}" if piece else "",
                sellable=piece or blocked is None,
                blocked_text=self._blocked_text(blocked.code, view.net_g) if blocked and not piece else "",
                blocked_code=blocked.code if blocked and not piece else "",
                lines=merchant.cart,
                total_text=merchant.total_text,
            )
        if merchant.cart:
            return replace(base, mode="cart", lines=merchant.cart, total_text=merchant.total_text)
        return base  # idle: market and stall

    def _paying(self, base: CustomerView, merchant: MerchantView) -> CustomerView:
        pay = self._payment
        assert pay is not None
        sale = self._shown_sale
        method = self._pay_state[1] if self._pay_state and self._pay_state[1] else ""
        if not method and sale is not None:
            method = str(sale.payment.method)
        names = texts.METHOD_NAMES.get(method) if method != "cash" else None
        return replace(
            base,
            mode="payment",
            lines=self._line_views(sale.lines) if sale else merchant.cart,
            total_text=texts.amount_text(sale.total_fen) if sale else merchant.total_text,
            qr_content=pay.qr_content,
            qr_amount_text=texts.amount_text(pay.amount_fen),
            countdown_s=self._countdown_s() or 0,
            pay_method=method if names else "",
            pay_method_name=texts.pick(self._lang, names) if names else "",
        )

    def _e_ticket(self, sale: Sale | None, until: float) -> dict[str, object]:
        """The 电子小票 QR of ``sale``: the same URL the paper ticket's QR holds."""
        if sale is None or self.config.ticket.e_ticket_show_s <= 0:
            return {}
        return {
            "ticket_url": trace_url(self.config.ticket.trace_base_url, sale.trace_code),
            "ticket_code_text": format_trace_code(sale.trace_code),
            "ticket_s": max(0, math.ceil(until - self._clock())),
        }

    def _blocked_text(self, code: str, net_g: int) -> str:
        if code == "below_min" and net_g == 0:
            return ""  # an empty platter: nothing to explain
        names = texts.CUSTOMER_BLOCKED.get(code)
        return texts.pick(self._lang, names) if names else ""
