"""Payment keys: the QR methods row, the keys while a QR payment runs, and the 付款码 entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.textinput import TextInput

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.views import MerchantView, PaymentPanel

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen

from edge.ui.kivy.merchant.spacing import gap_px

PAY_KEY: dict[str, Any] = {"fill": 0.42, "bold": True, "max_font": 400}  # as 现金 (keys.FunctionKeys)


class PayRow(BoxLayout):
    """微信 / 支付宝 / 云闪付 / 付款码: check out with a QR (only the methods [payment] enables);
    then 纸质小票/电子小票, the next sale's ticket.

    A row as tall as the function keys' and drawn like 现金: these are the keys most
    customers pay with.
    """

    METHODS = ("wechat", "alipay", "unionpay")

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", spacing=gap_px(), **kwargs)
        self.screen = screen
        self.keys = {
            m: w.key(t(f"pay_{m}"), lambda m=m: screen.checkout_qr(m), action=f"pay:{m}", color=w.KEY_PAY, **PAY_KEY)
            for m in self.METHODS
        }
        self.keys["paycode"] = w.key(t("paycode"), screen.open_paycode, action="paycode", color=w.KEY_PAY, **PAY_KEY)
        # 纸质小票 / 电子小票 for the next sale ([ticket].paperless is where it starts)
        self.paperless = w.key(t("paper_ticket"), screen.toggle_paperless, action="paperless", color=w.KEY_FUNC,
                               **PAY_KEY)  # fmt: skip
        self._shown: tuple[str, ...] | None = None

    def update(self, view: MerchantView) -> None:
        shown = (*view.pay_methods, "paycode") if view.pay_methods else ()
        if shown != self._shown:
            self._shown = shown
            self.clear_widgets()
            for name in shown:
                self.add_widget(self.keys[name])
            self.add_widget(self.paperless)
        for name, button in self.keys.items():
            button.text = t(f"pay_{name}" if name in self.METHODS else name, view.lang)
            button.disabled = view.busy or (not view.cart and view.item is None)
        self.paperless.text = t("e_ticket_key" if view.paperless else "paper_ticket", view.lang)
        self.paperless.key_color = w.KEY_PAY if view.paperless else w.KEY_FUNC


class PaymentKeys(w.Box):
    """While a QR payment is under way: 改收现金, 静态码, 已收款 (static only), 付款码 field, 取消收款."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = gap_px(self)
        self.padding = (gap * 2, 0)  # the full height for the keys (each >= 48 px at 800x480)
        self.spacing = gap
        self.screen = screen
        # top row: amount and countdown | the 付款码 field; below: 2 × 2 keys (each row as tall as a key row)
        top = BoxLayout(orientation="horizontal", size_hint_y=1, spacing=gap)
        self.title = w.FitLabel(text="", halign="left", color=w.WEIGHT_STABLE, size_hint_x=0.58, fill=0.7, bold=True)
        self.title.test_id = "payment_title"
        self.code = TextInput(
            text="",
            multiline=False,
            write_tab=False,
            input_filter="int",
            size_hint_x=0.42,
            font_size=max(14.0, 22 * w.ui_scale()),
            hint_text=t("paycode_hint"),
        )
        self.code.action = "pay_code_field"  # a touch target: tap it, then scan
        top.add_widget(self.title)
        top.add_widget(self.code)
        self.code.bind(on_text_validate=lambda *_: self._paycode())
        grid = GridLayout(cols=2, spacing=gap, size_hint_y=2)
        self.keys = {
            "cash": w.key(
                t("pay_cash"),
                lambda: screen.payment_action("pay_cash_instead"),
                action="pay_cash",
                color=w.KEY_PAY,
                fill=0.42,
                bold=True,
            ),
            "static": w.key(
                t("pay_static"),
                lambda: screen.payment_action("use_static_qr"),
                action="pay_static",
                color=w.KEY_FUNC,
                fill=0.42,
            ),
            "confirm": w.key(
                t("pay_confirm"),
                lambda: screen.payment_action("confirm_static_paid"),
                action="pay_confirm",
                color=w.KEY_ADD,
                fill=0.42,
                bold=True,
            ),
            "cancel": w.key(t("pay_cancel"), screen.cancel_sale, action="pay_cancel", color=w.KEY_DANGER, fill=0.42),
        }
        for button in self.keys.values():
            grid.add_widget(button)
        for child in (top, grid):
            self.add_widget(child)

    def _paycode(self) -> None:
        code, self.code.text = self.code.text, ""
        if code.strip():
            self.screen.micropay(code)

    def update(self, panel: PaymentPanel, lang: str) -> None:
        if panel.countdown_s is None:
            self.title.text = t("paying_title", lang, amount=panel.amount_text)
        else:
            self.title.text = t("paying_left", lang, n=panel.countdown_s)
        for name, caption in (
            ("cash", "pay_cash"),
            ("static", "pay_static"),
            ("confirm", "pay_confirm"),
            ("cancel", "pay_cancel"),
        ):
            self.keys[name].text = t(caption, lang)
            self.keys[name].disabled = name != "cancel" and name not in panel.actions
        self.code.hint_text = t("paycode_hint", lang)
        # The vendor taps the field, then scans: the scanner types into the focused field.
        # (No auto-focus: with the docked on-screen keyboard it would cover the screen.)
        self.code.disabled = "paycode" not in panel.actions


class PaycodeEntry(w.Box):
    """付款码 before any QR: the scanner (a keyboard wedge) types the digits and Enter here."""

    def __init__(self, lang: str, on_code: Callable[[str], None], on_close: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
        self.padding = (gap * 3, gap * 2)
        self.spacing = gap * 2
        self.on_code = on_code
        self.add_widget(w.FitLabel(text=t("paycode_prompt", lang), color=w.TEXT, size_hint_y=0.3, fill=0.6))
        self.input = TextInput(
            text="",
            multiline=False,
            write_tab=False,
            input_filter="int",
            size_hint_y=0.35,
            font_size=max(14.0, 26 * w.ui_scale()),
        )
        self.input.bind(on_text_validate=lambda *_: self.on_code(self.input.text))
        self.add_widget(self.input)
        self.add_widget(
            w.key(t("close", lang), on_close, action="paycode_close", color=w.KEY_FUNC, size_hint_y=0.35, fill=0.4)
        )
