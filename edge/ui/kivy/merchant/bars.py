"""The status bar (place, scale link, printer, sync, 中/EN, 设置) and the message bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.views import MerchantView

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen

from edge.ui.kivy.merchant.spacing import gap_px
from edge.ui.kivy.merchant.stall import tr as stall_tr


class StatusBar(w.Box):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=w.PANEL, size_hint_y=0.065, **kwargs)
        gap = gap_px(self)
        self.spacing = gap
        self.padding = (gap, gap)
        self.place = w.FitLabel(size_hint_x=0.26, halign="left", color=w.TEXT)
        self.link = w.FitLabel(size_hint_x=0.16, color=w.MUTED)
        self.printer = w.FitLabel(size_hint_x=0.16, color=w.MUTED)
        # 店务: who is signed in (实名登录); opens sign-in, prices, goods-in (merchant.stall)
        self.stall = w.key("店务", screen.open_stall, action="stall", color=w.KEY_ADD, size_hint_x=0.08)
        self.model = screen.model
        self.sync = w.FitLabel(size_hint_x=0.16, color=w.MUTED)
        self.lang = w.key("EN", lambda: screen.toggle_lang(), action="lang", color=w.KEY_FUNC, size_hint_x=0.08)
        self.settings = w.key(
            t("settings"), screen.open_technician, action="settings", color=w.KEY_FUNC, size_hint_x=0.1
        )
        for child in (self.place, self.link, self.printer, self.sync, self.stall, self.lang, self.settings):
            self.add_widget(child)

    def update(self, view: MerchantView, place: str) -> None:
        self.place.text = place
        self.link.text = view.link_text
        self.printer.text = view.printer_text
        self.sync.text = view.sync_text
        self.lang.text = t("lang", view.lang)
        self.settings.text = t("settings", view.lang)
        stall = getattr(self.model, "stall", None)
        current = stall.signin.current if stall is not None else None
        self.stall.text = current.name if current is not None else stall_tr("stall", view.lang)


class MessageBar(w.Box):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=w.PANEL, size_hint_y=0.07, **kwargs)
        gap = gap_px(self)
        self.padding = (gap * 2, gap // 2)
        self.label = w.FitLabel(text="", halign="left", color=w.INFO, wrap=True, fill=0.6)
        self.label.test_id = "message"
        self.add_widget(self.label)

    def update(self, view: MerchantView) -> None:
        self.label.text = view.message
        self.label.color = w.ERROR if view.message_kind == "error" else w.INFO
        self.bg = (0.28, 0.1, 0.1, 1) if view.message and view.message_kind == "error" else w.PANEL
