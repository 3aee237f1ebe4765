"""The cart: 累计 (add the selected item), quantities of piece items, 删 (void a line), 取消."""

from __future__ import annotations

from edge.core.batches import pick_batch
from edge.core.cart import Cart
from edge.core.pricing import piece_amount_fen
from edge.core.records import Pricing
from edge.core.refusals import Refusal, RefusedError
from edge.store import StoreError
from edge.ui.model import texts
from edge.ui.model.merchant.base import (
    ModelBase,
)
from edge.ui.model.views import (
    CartLineView,
)

MAX_QUANTITY = 999


class CartTasks(ModelBase):
    def set_quantity(self, quantity: int) -> None:
        """Pieces of the selected piece-priced item (default 1, at most ``MAX_QUANTITY``).

        Refused, with the reason, when no item is chosen or the item is sold by weight
        (its amount comes from the scale, never from a typed count).
        """
        with self._lock:
            if self._quantity_refused():
                pass
            elif isinstance(quantity, int) and not isinstance(quantity, bool) and 1 <= quantity <= MAX_QUANTITY:
                self._quantity = quantity
                self._say_quantity()
            else:
                self._say_error("bad_quantity", most=MAX_QUANTITY)
            self._publish()

    def step_quantity(self, delta: int) -> None:
        """The + / − keys: one piece more or less, within 1..``MAX_QUANTITY``."""
        with self._lock:
            if not self._quantity_refused():
                wanted = self._quantity + delta
                if 1 <= wanted <= MAX_QUANTITY:
                    self._quantity = wanted
                    self._say_quantity()
                else:
                    self._say_error("bad_quantity", most=MAX_QUANTITY)
            self._publish()

    def _quantity_refused(self) -> bool:
        if self._item is None:
            self._say_error("no_item")
            return True
        if self._item.pricing is Pricing.WEIGHT:
            self._say_error("quantity_weighed", name=self._item.name)
            return True
        return False

    def _say_quantity(self) -> None:
        item = self._item
        assert item is not None
        amount = texts.amount_text(piece_amount_fen(self._quantity, item.unit_price_fen))
        self._say("quantity_set", n=self._quantity, name=item.name, amount=amount)

    def add_line(self) -> None:
        """累计: the selected item at the current sellable weight (or quantity) into the cart."""
        with self._lock:
            if not self._busy_refused():
                try:
                    self._cart = self._with_current(self._cart)
                except (RefusedError, StoreError) as exc:
                    self._failed(exc)
                else:
                    line = self._cart.lines[-1]
                    self._voice.line_added(line, self.state.config.e_g)
                    self._say(
                        "added",
                        name=line.name,
                        detail=texts.line_detail(line, self.state.config.e_g, self._lang),
                        amount=texts.amount_text(line.amount_fen),
                    )
                    self._clear_item()
            self._publish()

    def void_line(self, i: int) -> None:
        with self._lock:
            if not self._busy_refused():
                if 0 <= i < len(self._cart):
                    self._cart = self._cart.void(i)
                    self._say("voided", n=i + 1)
                else:
                    self._say_error("no_line", n=i + 1)
            self._publish()

    def cancel_sale(self) -> None:
        if self._payments is not None and self._payments.active():
            self._payments.cancel()  # the sale stays recorded unpaid; an open order is closed
            return
        with self._lock:
            if not self._busy_refused():
                if self._cart.lines or self._item is not None or self._payment is not None:
                    self._cart = Cart()
                    self._clear_item()
                    self._payment = None
                    self._say("cancelled")
                else:
                    self._say_error("nothing_to_cancel")
            self._publish()

    def _with_current(self, cart: Cart) -> Cart:
        """``cart`` plus the selected item; the amount comes from the sellable weight, not the screen."""
        item = self._item
        if item is None:
            raise RefusedError(Refusal("no_item", *texts.MESSAGES["no_item"]))
        batch = pick_batch(self.store.active_batches(item.plu), item, self._chosen_batch_id)
        if isinstance(batch, Refusal):
            raise RefusedError(batch)
        if item.pricing is Pricing.WEIGHT:
            return cart.add_weighed(self.state.sellable(), item, batch)
        return cart.add_piece(item, self._quantity, batch)

    def _line_views(self, sale_lines: tuple) -> tuple[CartLineView, ...]:
        e_g = self.state.config.e_g
        return tuple(
            CartLineView(i, line.name, texts.line_detail(line, e_g, self._lang), texts.amount_text(line.amount_fen))
            for i, line in enumerate(sale_lines)
        )
