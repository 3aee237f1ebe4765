"""The function keys under the cart: 置零 去皮 累计 / 重打 日结 现金 (重打 -> 电子小票 while a ticket cannot print)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.uix.gridlayout import GridLayout

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.views import MerchantView

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen

from edge.ui.kivy.merchant.spacing import gap_px


class FunctionKeys(GridLayout):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(cols=3, **kwargs)
        self.spacing = gap_px(self)
        self.keys: dict[str, w.FitButton] = {}
        layout = (
            ("zero", screen.zero, w.KEY_FUNC),
            ("tare", screen.tare, w.KEY_FUNC),
            ("add", screen.add_line, w.KEY_ADD),
            ("reprint", screen.reprint, w.KEY_FUNC),
            ("report", screen.daily_report, w.KEY_FUNC),
            ("checkout", screen.checkout, w.KEY_PAY),
        )
        for name, fn, color in layout:
            button = w.key(t(name), fn, action=name, color=color, fill=0.42, bold=True, max_font=400)
            self.keys[name] = button
            self.add_widget(button)

    def update(self, view: MerchantView) -> None:
        lang = view.lang
        for name, button in self.keys.items():
            button.text = t(name, lang)
        if view.weight.net and view.weight.tare_text:  # with a tare on, the same key takes it off
            self.keys["tare"].text = t("clear_tare", lang)
            self.keys["tare"].action = "clear_tare"
        else:
            self.keys["tare"].action = "tare"
        # 现金 also sells the selected item on its own (the model adds it to the sale).
        self.keys["checkout"].disabled = view.busy or (not view.cart and view.item is None)
        if view.busy:
            self.keys["checkout"].text = t("busy", lang)
        self.keys["add"].disabled = view.item is None or view.busy
        # the last ticket cannot print (paper out ...): the same key lets the customer take the 电子小票
        reprint = self.keys["reprint"]
        reprint.action = "paperless_instead" if view.paper_offer else "reprint"
        reprint.text = t("e_ticket_key" if view.paper_offer else "reprint", lang)
        reprint.key_color = w.KEY_PAY if view.paper_offer else w.KEY_FUNC
