"""The cart: its lines (each with 删), paging, 取消, and the total; while a QR payment runs, the sale being paid."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.kivy.merchant.spacing import gap_px
from edge.ui.model.views import CartLineView, MerchantView

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen


def cart_rows(height: int) -> int:
    """Lines visible at once (more are paged): 3 below 560 px of window height, else 4.

    Each row carries a 删 key, which stays at least 48 px tall that way (a market sale
    rarely has more lines).
    """
    return 3 if height < 560 else 4


class CartRow(BoxLayout):
    """One line: name over its detail (weight or pieces × unit price), the amount, 删 (not while paying)."""

    def __init__(self, line: CartLineView, on_void: Callable[[], None] | None, lang: str, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", **kwargs)
        gap = gap_px(self)
        self.spacing = gap
        text = BoxLayout(orientation="vertical", size_hint_x=0.62)
        text.add_widget(w.FitLabel(text=line.name, halign="left", color=w.TEXT, size_hint_y=0.52, fill=0.8))
        detail = w.FitLabel(text=line.detail, halign="left", color=w.TEXT_SOFT, size_hint_y=0.48, fill=0.8)
        detail.test_id = f"cart_detail:{line.index}"
        text.add_widget(detail)
        self.add_widget(text)
        amount = w.FitLabel(text=line.amount_text, halign="right", color=w.TEXT, size_hint_x=0.22, fill=0.5)
        amount.test_id = f"cart_amount:{line.index}"
        self.add_widget(amount)
        if on_void is None:
            self.add_widget(w.Filler(size_hint_x=0.16))
        else:
            self.add_widget(
                w.key(
                    t("void", lang),
                    on_void,
                    action=f"void:{line.index}",
                    color=w.KEY_DANGER,
                    size_hint_x=0.16,
                    fill=0.4,
                )
            )


class CartPanel(w.Box):
    def __init__(self, screen: MerchantScreen, rows: int, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        self.screen = screen
        self.rows_shown = rows
        gap = gap_px(self)
        self.padding = (gap * 2, gap)
        self.spacing = gap
        self.first = 0  # first line shown (paging through a long cart)
        self._lines: tuple[CartLineView, ...] | None = None
        self._key: tuple[str, bool] = ("", False)  # (lang, paying) the rows were built for
        # one head row: how many lines (and rounding), the total, paging, 取消
        self.head = head = BoxLayout(orientation="horizontal", size_hint_y=0.22, spacing=gap)
        self.title = w.FitLabel(text="", halign="left", color=w.TEXT_SOFT, size_hint_x=0.2, fill=0.6)
        self.title.test_id = "cart_count"
        self.total = w.FitLabel(
            text="", halign="right", color=w.WEIGHT_STABLE, size_hint_x=0.36, fill=0.75, bold=True, max_font=400
        )
        self.total.test_id = "total"
        self.up = w.key("▲", lambda: self.scroll(-self.rows_shown), action="cart_up", color=w.KEY_FUNC, size_hint_x=0.1)
        self.down = w.key(
            "▼", lambda: self.scroll(self.rows_shown), action="cart_down", color=w.KEY_FUNC, size_hint_x=0.1
        )
        self.cancel = w.key(t("cancel"), screen.cancel_sale, action="cancel", color=w.KEY_DANGER, size_hint_x=0.24)
        for child in (self.title, self.total, self.up, self.down, self.cancel):
            head.add_widget(child)
        self.rows = BoxLayout(orientation="vertical", size_hint_y=0.78, spacing=gap)
        for child in (head, self.rows):
            self.add_widget(child)

    def scroll(self, delta: int) -> None:
        if self._lines is not None:
            self.first = max(0, min(self.first + delta, max(0, len(self._lines) - 1)))
            self._build(self._lines, *self._key)

    def update(self, view: MerchantView) -> None:
        lang, pay = view.lang, view.payment
        paying = pay is not None
        # While a QR payment runs the cart is empty (the sale is committed): show that sale instead.
        lines = pay.lines if pay is not None else view.cart
        n = len(lines)
        if n:
            self.title.text = t("cart_count", lang, n=n)
        else:
            self.title.text = t("cart_empty", lang)
        if view.rounding_text and n and not paying:
            self.title.text += f"\n{t('rounding', lang)} {view.rounding_text}"
        total = pay.amount_text if pay is not None else view.total_text
        self.total.text = f"¥ {total}" if n and total else ""
        # an empty cart: its caption takes the total's room too
        with_total = bool(self.total.text)
        if with_total != (self.total.parent is not None):
            self.title.size_hint_x = 0.2 if with_total else 0.56
            if with_total:
                self.head.add_widget(self.total, index=len(self.head.children) - 1)  # right of the title
            else:
                self.head.remove_widget(self.total)
        self.cancel.text = t("cancel", lang)
        self.cancel.disabled = n == 0 and view.item is None and not paying
        if lines != self._lines or (lang, paying) != self._key:
            grew = self._lines is not None and n > len(self._lines)
            self._lines, self._key = lines, (lang, paying)
            if grew or self.first >= n:  # show the line just added
                self.first = max(0, n - self.rows_shown)
            self._build(lines, lang, paying)

    def _build(self, lines: Sequence[CartLineView], lang: str, paying: bool) -> None:
        self.rows.clear_widgets()
        shown = lines[self.first : self.first + self.rows_shown]
        for line in shown:
            void = None if paying else (lambda i=line.index: self.screen.void_line(i))
            self.rows.add_widget(CartRow(line, void, lang))
        for _ in range(self.rows_shown - len(shown)):
            self.rows.add_widget(w.Filler())
        self.up.disabled = self.first == 0
        self.down.disabled = self.first + self.rows_shown >= len(lines)
