"""The weight panel: stable / zero / net flags, the big weight, tare, and the selected item's live amount."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.views import ItemPanel, WeightPanel

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen

from edge.ui.kivy.merchant.spacing import gap_px


class WeightBox(w.Box):
    """Indicators, the big weight, and the selected item with its live amount."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = gap_px(self)
        self.padding = (gap * 2, gap)
        self.spacing = gap
        top = BoxLayout(orientation="horizontal", size_hint_y=0.6, spacing=gap * 2)
        flags = BoxLayout(orientation="vertical", size_hint_x=0.15, spacing=gap)
        self.stable = w.Flag(text=t("stable"))
        self.zero = w.Flag(text=t("zero_flag"))
        self.net = w.Flag(text=t("net"))
        for flag in (self.stable, self.zero, self.net):
            flags.add_widget(flag)
        self.weight = w.FitLabel(
            text="", halign="right", size_hint_x=0.67, fill=0.9, max_font=400, color=w.WEIGHT_MOVING, bold=True
        )
        self.weight.test_id = "weight"
        right = BoxLayout(orientation="vertical", size_hint_x=0.18)
        self.unit = w.FitLabel(text="kg", halign="left", fill=0.55, color=w.MUTED)
        self.tare = w.FitLabel(text="", halign="left", color=w.MUTED, fill=0.4)
        right.add_widget(self.unit)
        right.add_widget(self.tare)
        top.add_widget(flags)
        top.add_widget(self.weight)
        top.add_widget(right)
        self.blocked = w.FitLabel(text="", size_hint_y=0.12, color=w.ERROR, halign="center", fill=0.8)
        item = BoxLayout(orientation="horizontal", size_hint_y=0.28, spacing=gap * 2)
        self.name = w.FitLabel(text="", size_hint_x=0.34, halign="left", color=w.TEXT, fill=0.6)
        self.name.test_id = "item_name"
        self.price = w.FitLabel(text="", size_hint_x=0.3, halign="left", color=w.TEXT, fill=0.8)
        self.amount = w.FitLabel(
            text="", size_hint_x=0.36, halign="right", color=w.WEIGHT_STABLE, fill=0.7, max_font=400, bold=True
        )
        self.amount.test_id = "amount"
        for child in (self.name, self.price, self.amount):
            item.add_widget(child)
        self._parts = (top, self.blocked, item)
        self._top = top
        self.compact = False
        self.set_compact(False)

    def set_compact(self, on: bool) -> None:
        """While searching only the weight line stays (the keyboard needs the room)."""
        self.compact = on
        self.clear_widgets()
        for part in (self._top,) if on else self._parts:
            self.add_widget(part)

    def update(self, weight: WeightPanel, item: ItemPanel | None, lang: str) -> None:
        self.stable.on, self.zero.on, self.net.on = weight.stable, weight.zero, weight.net
        self.stable.text, self.zero.text, self.net.text = t("stable", lang), t("zero_flag", lang), t("net", lang)
        self.weight.text = weight.weight_text or "------"
        self.weight.color = w.WEIGHT_STABLE if weight.stable and weight.weight_text else w.WEIGHT_MOVING
        if not weight.weight_text:
            self.weight.color = w.ERROR if (weight.overload or weight.underload) else w.MUTED
        self.tare.text = f"{t('tare_flag', lang)}\n{weight.tare_text}" if weight.tare_text else ""
        if weight.range_no:  # a multiple-range scale shows the range in use
            self.tare.text = f"{t('range_flag', lang)} {weight.range_no}\n{self.tare.text}".rstrip()
        self.blocked.text = weight.blocked_text
        if item is None:
            self.name.text, self.price.text, self.amount.text = t("no_item", lang), "", ""
            self.name.color = w.MUTED
            return
        self.name.color = w.TEXT
        self.name.text = item.name
        self.price.text = "\n".join(x for x in (item.unit_price_text, item.price_per_500g_text) if x)
        self.amount.text = f"¥ {item.amount_text}" if item.amount_text else ""
