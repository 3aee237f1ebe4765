"""Quantities of piece items: − / the count / + beside the item, and a number pad for a typed count.

Shown only while a piece-priced item is chosen (a weighed item's amount comes from the
scale; the model refuses a count for it). The limits (1..MAX_QUANTITY) are the model's:
the pad only collects digits, the model says what is wrong with them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.kivy.merchant.spacing import gap_px
from edge.ui.model.merchant import MAX_QUANTITY
from edge.ui.model.views import ItemPanel

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen


class QuantityKeys(BoxLayout):
    """− [3 件] +: one piece less / the count (tap: the number pad) / one piece more."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", spacing=gap_px(), **kwargs)
        self.minus = w.key(
            t("qty_minus"),
            lambda: screen.step_quantity(-1),
            action="qty_minus",
            color=w.KEY_FUNC,
            fill=0.6,
            bold=True,
            size_hint_x=0.3,
        )
        self.count = w.key(
            t("qty_key", n=1),
            screen.open_quantity_pad,
            action="qty_pad",
            color=w.KEY,
            fill=0.5,
            bold=True,
            size_hint_x=0.4,
        )
        self.count.test_id = "quantity"
        self.plus = w.key(
            t("qty_plus"),
            lambda: screen.step_quantity(+1),
            action="qty_plus",
            color=w.KEY_FUNC,
            fill=0.6,
            bold=True,
            size_hint_x=0.3,
        )
        for child in (self.minus, self.count, self.plus):
            self.add_widget(child)

    def update(self, item: ItemPanel, lang: str, busy: bool) -> None:
        self.count.text = t("qty_key", lang, n=item.quantity)
        self.minus.disabled = busy or item.quantity <= 1
        self.plus.disabled = busy or item.quantity >= MAX_QUANTITY
        self.count.disabled = busy


class QuantityPad(w.Box):
    """The number pad popup: digits build the count, 确定 sets it, 清除 starts again."""

    def __init__(
        self, lang: str, on_quantity: Callable[[int], None], on_close: Callable[[], None], **kwargs: Any
    ) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
        self.padding = (gap * 3, gap * 2)
        self.spacing = gap * 2
        self.on_quantity = on_quantity
        self.digits = ""
        head = BoxLayout(orientation="horizontal", size_hint_y=0.17, spacing=gap * 2)
        head.add_widget(
            w.FitLabel(
                text=t("qty_title", lang, most=MAX_QUANTITY), halign="left", color=w.TEXT, size_hint_x=0.46, fill=0.5
            )
        )
        self.shown = w.FitLabel(text="", halign="right", color=w.WEIGHT_STABLE, size_hint_x=0.26, fill=0.75, bold=True)
        self.shown.test_id = "qty_typed"
        head.add_widget(self.shown)
        head.add_widget(
            w.key(t("close", lang), on_close, action="qty_close", color=w.KEY_FUNC, size_hint_x=0.28, fill=0.45)
        )
        self.add_widget(head)
        self.add_widget(
            w.digit_pad(
                "qty",
                self.type,
                (t("clear", lang), self.clear),
                (t("ok", lang), self.submit),
                spacing=gap,
                size_hint_y=0.83,
            )
        )

    def type(self, digit: str) -> None:
        if len(self.digits) < len(str(MAX_QUANTITY)) + 1:  # one digit more than the limit: the model says why
            self.digits = (self.digits + digit).lstrip("0")
        self.shown.text = self.digits

    def clear(self) -> None:
        self.digits = ""
        self.shown.text = ""

    def submit(self) -> None:
        self.on_quantity(int(self.digits or "0"))
