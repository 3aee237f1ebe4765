"""The vendor's-day popups: 店务 menu, 实名登录 (sign-in), 调价 (own price), 进货登记 (goods-in).

Every key calls one model action (edge.ui.model.merchant.stall) through the screen's
runner; the answer shows on the message bar. Text fields are real Kivy TextInputs, so a
USB HID barcode scanner (a keyboard wedge) types the voucher code or the card number
into the focused field and its Enter moves on; PINs and prices are typed on a touch pad.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.textinput import TextInput

from edge.core.goodsin import GoodsIn
from edge.core.prices import price_bounds
from edge.core.pricing import format_yuan
from edge.ui.kivy import widgets as w
from edge.ui.kivy.merchant.spacing import gap_px

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen

CAPTIONS: dict[str, tuple[str, str]] = {
    "stall": ("店务", "Stall"),
    "menu_title": ("店务：登录、调价、进货", "Stall: sign-in, prices, goods-in"),
    "signin": ("登录 / 交班", "Sign in / out"),
    "price": ("调价", "Price"),
    "goodsin": ("进货登记", "Goods-in"),
    "close": ("关闭", "Close"),
    "signin_title": ("实名登录：选择姓名，输入密码", "Sign in: choose your name, enter the PIN"),
    "card_hint": ("或刷卡 / 扫码登录", "or scan your card"),
    "login": ("登录", "Sign in"),
    "logout": ("交班", "Sign out"),
    "nobody": ("未登录", "Not signed in"),
    "price_title": ("调价：{name}", "Price: {name}"),
    "price_bounds": ("指导价 {guide}，可调 {low}–{high} 元", "Guide {guide}; allowed {low}-{high}"),
    "price_ok": ("确定", "OK"),
    "price_guide": ("恢复指导价", "Guide price"),
    "choose_item": ("请先在主屏选择商品", "Choose the item on the main screen first"),
    "goodsin_title": ("进货登记：{name}", "Goods-in: {name}"),
    "code": ("上游追溯码（扫描凭证）", "Upstream code (scan the voucher)"),
    "certificate": ("检疫 / 产地证明编号", "Certificate number"),
    "weight": ("重量 kg", "Weight kg"),
    "origin": ("产地", "Origin"),
    "supplier": ("供货商", "Supplier"),
    "rapid_none": ("快检：未检", "Rapid test: none"),
    "rapid_pass": ("快检：合格", "Rapid test: pass"),
    "register": ("登记", "Register"),
    "back": ("退格", "Back"),
}


def tr(key: str, lang: str, **values: object) -> str:
    zh, en = CAPTIONS[key]
    return (en if lang == "en" else zh).format(**values)


def _input(hint: str, **kwargs: Any) -> TextInput:
    return TextInput(text="", hint_text=hint, multiline=False, write_tab=False,
                     font_size=max(14.0, 22 * w.ui_scale()), **kwargs)  # fmt: skip


class Keypad(GridLayout):
    """0-9 (and ``.`` for prices) and 退格 as touch keys; ``on_key(ch)``, ``"<"`` for back."""

    def __init__(self, on_key: Callable[[str], None], lang: str, *, dot: bool, **kwargs: Any) -> None:
        super().__init__(cols=4, spacing=gap_px(self), **kwargs)
        for ch in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "." if dot else "", "0", "<"):
            if not ch:
                self.add_widget(w.Filler())
                continue
            text = tr("back", lang) if ch == "<" else ch
            self.add_widget(w.key(text, lambda c=ch: on_key(c), action=f"pad:{ch}", color=w.KEY, fill=0.5))


def _head(title: str, on_close: Callable[[], None], lang: str, action: str, share: float = 0.14) -> BoxLayout:
    head = BoxLayout(orientation="horizontal", size_hint_y=share)
    head.spacing = gap_px(head)
    head.add_widget(w.FitLabel(text=title, halign="left", color=w.TEXT, bold=True, size_hint_x=0.75))
    head.add_widget(w.key(tr("close", lang), on_close, action=action, color=w.KEY_FUNC, size_hint_x=0.25))
    return head


class StallMenu(w.Box):
    def __init__(self, screen: MerchantScreen, lang: str, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
        self.padding, self.spacing = (gap * 4, gap * 2), gap * 2
        self.test_id = "stall_menu"
        self.add_widget(_head(tr("menu_title", lang), screen.close_popup, lang, "stall_close", share=0.32))
        grid = GridLayout(cols=3, spacing=gap * 2, size_hint_y=0.68)
        for name, do, color in (("signin", screen.open_signin, w.KEY_ADD), ("price", screen.open_price, w.KEY),
                                ("goodsin", screen.open_goodsin, w.KEY_PAY)):  # fmt: skip
            grid.add_widget(w.key(tr(name, lang), do, action=f"stall_{name}", color=color, fill=0.4))
        self.add_widget(grid)


class SignInForm(w.Box):
    """Tap your name, type the PIN on the pad, 登录; or scan the card into the card field."""

    def __init__(self, screen: MerchantScreen, lang: str, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
        self.padding, self.spacing = (gap * 4, gap * 2), gap
        self.test_id = "signin_form"
        self.screen, self.lang = screen, lang
        stall = screen.model.stall
        self.chosen, self.pin = "", ""
        self.add_widget(_head(tr("signin_title", lang), screen.close_popup, lang, "signin_close"))
        names = BoxLayout(orientation="horizontal", spacing=gap, size_hint_y=0.14)
        self.name_keys: dict[str, w.FitButton] = {}
        for op in stall.signin.operators[:4]:
            key = w.key(f"{op.name}·{op.role_zh}" if lang == "zh" else op.name, lambda i=op.operator_id: self.choose(i),
                        action=f"op:{op.operator_id}", color=w.KEY, fill=0.45)  # fmt: skip
            self.name_keys[op.operator_id] = key
            names.add_widget(key)
        self.add_widget(names)
        row = BoxLayout(orientation="horizontal", spacing=gap, size_hint_y=0.12)
        self.pin_label = w.FitLabel(text="", color=w.TEXT, size_hint_x=0.4)
        self.pin_label.test_id = "pin_dots"
        self.card = _input(tr("card_hint", lang), password=True, size_hint_x=0.6)
        self.card.bind(on_text_validate=lambda *_: self.card_scanned())
        row.add_widget(self.pin_label)
        row.add_widget(self.card)
        self.add_widget(row)
        body = BoxLayout(orientation="horizontal", spacing=gap * 2, size_hint_y=0.6)
        body.add_widget(Keypad(self.digit, lang, dot=False, size_hint_x=0.7))
        side = BoxLayout(orientation="vertical", spacing=gap, size_hint_x=0.3)
        side.add_widget(w.key(tr("login", lang), self.submit, action="signin_ok", color=w.KEY_ADD, fill=0.4))
        current = stall.signin.current
        logout = w.key(tr("logout", lang), self.sign_out, action="signout", color=w.KEY_DANGER, fill=0.4)
        logout.disabled = current is None
        side.add_widget(logout)
        body.add_widget(side)
        self.add_widget(body)

    def choose(self, operator_id: str) -> None:
        self.chosen, self.pin = operator_id, ""
        for op_id, key in self.name_keys.items():
            key.key_color = w.KEY_ADD if op_id == operator_id else w.KEY
        self.pin_label.text = ""

    def digit(self, ch: str) -> None:
        self.pin = self.pin[:-1] if ch == "<" else (self.pin + ch)[:8]
        self.pin_label.text = "●" * len(self.pin)

    def submit(self) -> None:
        self.screen.close_popup()
        self.screen._call("sign_in", self.chosen, self.pin)

    def card_scanned(self) -> None:
        self.screen.close_popup()
        self.screen._call("sign_in_card", self.card.text)

    def sign_out(self) -> None:
        self.screen.close_popup()
        self.screen._call("sign_out")


class PriceForm(w.Box):
    """The selected item's own price: typed on the pad within central's bounds."""

    def __init__(self, screen: MerchantScreen, lang: str, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
        self.padding, self.spacing = (gap * 4, gap * 2), gap
        self.test_id = "price_form"
        self.screen, self.text = screen, ""
        item = screen.view.item if screen.view else None
        self.guide = screen.model.stall.prices.guide_item(item.plu) if item else None
        name = item.name if item else ""
        self.add_widget(_head(tr("price_title", lang, name=name), screen.close_popup, lang, "price_close"))
        if self.guide is None or not hasattr(self.guide, "unit_price_fen"):
            self.add_widget(w.FitLabel(text=tr("choose_item", lang), color=w.ERROR, size_hint_y=0.86))
            return
        low, high = price_bounds(self.guide)
        self.add_widget(w.FitLabel(text=tr("price_bounds", lang, guide=format_yuan(self.guide.unit_price_fen),
                                           low=format_yuan(low), high=format_yuan(high)),
                                   color=w.MUTED, size_hint_y=0.1))  # fmt: skip
        self.shown = w.FitLabel(text=item.unit_price_text if item else "", color=w.WEIGHT_STABLE, size_hint_y=0.14)
        self.shown.test_id = "price_entry"
        self.add_widget(self.shown)
        body = BoxLayout(orientation="horizontal", spacing=gap * 2, size_hint_y=0.62)
        body.add_widget(Keypad(self.digit, lang, dot=True, size_hint_x=0.7))
        side = BoxLayout(orientation="vertical", spacing=gap, size_hint_x=0.3)
        side.add_widget(w.key(tr("price_ok", lang), self.submit, action="price_ok", color=w.KEY_ADD, fill=0.4))
        side.add_widget(w.key(tr("price_guide", lang), self.to_guide, action="price_guide", color=w.KEY_FUNC,
                              fill=0.35))  # fmt: skip
        body.add_widget(side)
        self.add_widget(body)

    def digit(self, ch: str) -> None:
        if ch == "<":
            self.text = self.text[:-1]
        elif not (ch == "." and "." in self.text) and len(self.text.partition(".")[2]) < 2:
            self.text += ch
        self.shown.text = self.text

    def _fen(self) -> int | None:
        whole, _, frac = self.text.partition(".")
        if not (whole or frac) or not (whole or "0").isdigit():
            return None
        return int(whole or "0") * 100 + int((frac or "0").ljust(2, "0")[:2])

    def submit(self) -> None:
        fen = self._fen()
        self.screen.close_popup()
        if fen is not None and self.guide is not None:
            self.screen._call("set_price", self.guide.plu, fen)

    def to_guide(self) -> None:
        self.screen.close_popup()
        if self.guide is not None:
            self.screen._call("set_price", self.guide.plu, self.guide.unit_price_fen)


class GoodsInForm(w.Box):
    """进货登记 of the selected item: the scanner types the voucher code into the first field."""

    FIELDS = ("code", "certificate", "weight", "origin", "supplier")

    def __init__(self, screen: MerchantScreen, lang: str, voucher: str = "", **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
        self.padding, self.spacing = (gap * 4, gap * 2), gap
        self.test_id = "goodsin_form"
        self.screen, self.lang, self.rapid = screen, lang, ""
        item = screen.view.item if screen.view else None
        self.plu = item.plu if item else ""
        # The keys sit in the head row: Kivy's docked on-screen keyboard (for the text fields)
        # covers the bottom of the window, and a tap outside a field puts it away.
        head = BoxLayout(orientation="horizontal", spacing=gap, size_hint_y=0.16)
        head.add_widget(w.FitLabel(text=tr("goodsin_title", lang, name=item.name if item else "—"), halign="left",
                                   color=w.TEXT, bold=True, size_hint_x=0.4))  # fmt: skip
        self.rapid_key = w.key(tr("rapid_none", lang), self.toggle_rapid, action="goodsin_rapid", color=w.KEY_FUNC,
                               size_hint_x=0.24)  # fmt: skip
        register = w.key(tr("register", lang), self.submit, action="goodsin_ok", color=w.KEY_PAY, size_hint_x=0.18)
        register.disabled = not self.plu
        for part in (self.rapid_key, register,
                     w.key(tr("close", lang), screen.close_popup, action="goodsin_close", color=w.KEY_FUNC,
                           size_hint_x=0.18)):  # fmt: skip
            head.add_widget(part)
        self.add_widget(head)
        grid = GridLayout(cols=2, spacing=gap, size_hint_y=0.84)
        self.inputs: dict[str, TextInput] = {}
        for name in self.FIELDS:
            grid.add_widget(w.FitLabel(text=tr(name, lang), halign="left", color=w.MUTED, size_hint_x=0.35))
            field = _input("", input_filter="float" if name == "weight" else None, size_hint_x=0.65)
            field.test_id = f"goodsin_{name}"
            self.inputs[name] = field
            grid.add_widget(field)
        for here, after in itertools.pairwise(self.FIELDS):  # a scanner's Enter moves to the next field
            self.inputs[here].bind(on_text_validate=lambda _f, nxt=after: setattr(self.inputs[nxt], "focus", True))
        self.inputs["code"].text = voucher
        # origin and supplier as on the item's current batch: most goods come the same way again
        self.inputs["origin"].text = item.origin if item else ""
        self.inputs["supplier"].text = item.supplier if item else ""
        self.add_widget(grid)

    def toggle_rapid(self) -> None:
        self.rapid = "" if self.rapid == "pass" else "pass"
        self.rapid_key.text = tr("rapid_pass" if self.rapid else "rapid_none", self.lang)

    def form(self) -> GoodsIn:
        text = {name: field.text.strip() for name, field in self.inputs.items()}
        return GoodsIn(upstream_code=text["code"], certificate=text["certificate"], weight_kg=text["weight"],
                       origin=text["origin"], supplier=text["supplier"], rapid_test=self.rapid)  # fmt: skip

    def submit(self) -> None:
        form = self.form()
        self.screen.close_popup()
        self.screen._call("register_goods_in", form, self.plu)
