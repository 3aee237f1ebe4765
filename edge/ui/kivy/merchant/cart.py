"""The cart: its lines (each with 删), paging, 取消, and the total."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.views import CartLineView, MerchantView

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen

from edge.ui.kivy.merchant.spacing import gap_px

CART_ROWS = 4  # lines visible at once; more are paged (a market sale rarely has more)


class CartRow(BoxLayout):
    def __init__(self, line: CartLineView, on_void: Callable[[], None], lang: str, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", **kwargs)
        gap = gap_px(self)
        self.spacing = gap
        text = BoxLayout(orientation="vertical", size_hint_x=0.58)
        text.add_widget(w.FitLabel(text=line.name, halign="left", color=w.TEXT, size_hint_y=0.55, fill=0.75))
        text.add_widget(w.FitLabel(text=line.detail, halign="left", color=w.MUTED, size_hint_y=0.45, fill=0.75))
        self.add_widget(text)
        amount = w.FitLabel(text=line.amount_text, halign="right", color=w.TEXT, size_hint_x=0.26, fill=0.45)
        amount.test_id = f"cart_amount:{line.index}"
        self.add_widget(amount)
        self.add_widget(
            w.key(t("void", lang), on_void, action=f"void:{line.index}", color=w.KEY_DANGER, size_hint_x=0.16, fill=0.4)
        )


class CartPanel(w.Box):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        self.screen = screen
        gap = gap_px(self)
        self.padding = (gap * 2, gap)
        self.spacing = gap
        self.first = 0  # first line shown (paging through a long cart)
        self._lines: tuple[CartLineView, ...] | None = None
        self._lang = ""
        head = BoxLayout(orientation="horizontal", size_hint_y=0.13, spacing=gap)
        self.title = w.FitLabel(text="", halign="left", color=w.MUTED, size_hint_x=0.4, fill=0.55)
        self.up = w.key("▲", lambda: self.scroll(-CART_ROWS), action="cart_up", color=w.KEY_FUNC, size_hint_x=0.15)
        self.down = w.key("▼", lambda: self.scroll(CART_ROWS), action="cart_down", color=w.KEY_FUNC, size_hint_x=0.15)
        self.cancel = w.key(t("cancel"), screen.cancel_sale, action="cancel", color=w.KEY_DANGER, size_hint_x=0.3)
        for child in (self.title, self.up, self.down, self.cancel):
            head.add_widget(child)
        self.rows = BoxLayout(orientation="vertical", size_hint_y=0.67, spacing=gap)
        totals = BoxLayout(orientation="horizontal", size_hint_y=0.2, spacing=gap)
        self.note = w.FitLabel(text="", halign="left", color=w.MUTED, size_hint_x=0.4, fill=0.4)
        self.total = w.FitLabel(
            text="", halign="right", color=w.WEIGHT_STABLE, size_hint_x=0.6, fill=0.7, bold=True, max_font=400
        )
        self.total.test_id = "total"
        totals.add_widget(self.note)
        totals.add_widget(self.total)
        for child in (head, self.rows, totals):
            self.add_widget(child)

    def scroll(self, delta: int) -> None:
        if self._lines is not None:
            self.first = max(0, min(self.first + delta, max(0, len(self._lines) - 1)))
            self._build(self._lines, self._lang)

    def update(self, view: MerchantView) -> None:
        lang = view.lang
        n = len(view.cart)
        self.title.text = f"{t('total', lang)} {n}" if n else t("cart_empty", lang)
        self.cancel.text = t("cancel", lang)
        self.cancel.disabled = n == 0 and view.item is None
        self.total.text = f"¥ {view.total_text}" if n and view.total_text else ""
        notes = []
        if view.rounding_text and n:
            notes.append(f"{t('subtotal', lang)} {view.subtotal_text}")
            notes.append(f"{t('rounding', lang)} {view.rounding_text}")
        self.note.text = "\n".join(notes)
        if view.cart != self._lines or lang != self._lang:
            grew = self._lines is not None and n > len(self._lines)
            self._lines, self._lang = view.cart, lang
            if grew or self.first >= n:  # show the line just added
                self.first = max(0, n - CART_ROWS)
            self._build(view.cart, lang)

    def _build(self, lines: Sequence[CartLineView], lang: str) -> None:
        self.rows.clear_widgets()
        shown = lines[self.first : self.first + CART_ROWS]
        for line in shown:
            self.rows.add_widget(CartRow(line, lambda i=line.index: self.screen.void_line(i), lang))
        for _ in range(CART_ROWS - len(shown)):
            self.rows.add_widget(w.Filler())
        self.up.disabled = self.first == 0
        self.down.disabled = self.first + CART_ROWS >= len(lines)
