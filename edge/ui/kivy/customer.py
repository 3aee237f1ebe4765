"""The customer display: what the buyer sees, from the `CustomerView` stream.

Runs as its own process (``python -m edge customer-display --config C``) in a borderless
window on the second screen, and follows the merchant app's snapshots over
`edge.ui.customer_link.CustomerSubscriber`. It shows exactly the texts of the snapshot
(the same weight, unit price and amount as the vendor's screen) and computes nothing.

Modes: idle (market, stall, merchant), weighing (the vendor's lamps 稳定/零位/净重,
weight or piece count, unit price and price per 500 g, amount, item, origin, plus the cart
so far; a weight metrology will not sell is greyed with the reason), cart, payment (QR
framed in the wallet's colour and named, amount, countdown, the cart), paid (with the
电子小票: the trace QR of the sale, the same URL as the paper ticket's).
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import qrcode
from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.widget import Widget

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.kivy.lock_banner import LockBanner
from edge.ui.model.views import CartLineView, CustomerView

MARKET_TZ = ZoneInfo("Asia/Shanghai")
CART_ROWS = 5
UNSELLABLE = (0.5, 0.52, 0.55, 1)  # a weight or amount that cannot be sold yet: greyed
# The wallets' brand colours, as their payment marks show them (WeChat Pay green #07C160,
# Alipay blue #1677FF, UnionPay/云闪付 red #E60012); the static code is for any wallet.
WALLET_COLORS = {
    "wechat": (0.027, 0.757, 0.376, 1),
    "alipay": (0.086, 0.467, 1.0, 1),
    "unionpay": (0.902, 0.0, 0.071, 1),
    "static_qr": w.KEY,
}


def _gap() -> float:
    return max(2.0, round(5 * w.ui_scale()))


def qr_texture(content: str) -> Texture:
    """The QR as a texture of one pixel per module; drawn scaled up with nearest filtering (crisp)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(content)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    texture = Texture.create(size=image.size, colorfmt="rgb")
    texture.blit_buffer(image.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
    texture.flip_vertical()
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture


class Caption(BoxLayout):
    """A caption above a big value, e.g. 重量 / 1.235 kg."""

    def __init__(self, caption: str, test_id: str, color: tuple[float, ...] = w.TEXT, share: float = 0.3,
                 **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", **kwargs)
        self.caption = w.FitLabel(text=caption, halign="left", color=w.MUTED, size_hint_x=share, fill=0.5)
        self.value = w.FitLabel(text="", halign="right", color=color, size_hint_x=1 - share, fill=0.85,
                                max_font=600, bold=True)
        self.value.test_id = test_id
        self.add_widget(self.caption)
        self.add_widget(self.value)


class LinesBox(w.Box):
    """The cart: name and detail, amount; the total underneath."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = _gap()
        self.padding = (gap * 2, gap)
        self.spacing = gap
        self.rows = BoxLayout(orientation="vertical", size_hint_y=0.8, spacing=gap)
        self.total = Caption(t("total"), "customer_total", w.WEIGHT_STABLE, share=0.35, size_hint_y=0.2)
        self.add_widget(self.rows)
        self.add_widget(self.total)
        self._lines: tuple[CartLineView, ...] | None = None

    def update(self, lines: tuple[CartLineView, ...], total: str, lang: str) -> None:
        self.total.caption.text = t("total", lang)
        self.total.value.text = f"¥ {total}" if total and lines else ""
        if lines == self._lines:
            return
        self._lines = lines
        self.rows.clear_widgets()
        shown = lines[-CART_ROWS:]  # the newest lines; the total covers all
        for line in shown:
            row = BoxLayout(orientation="horizontal")
            text = BoxLayout(orientation="vertical", size_hint_x=0.68)
            text.add_widget(w.FitLabel(text=line.name, halign="left", color=w.TEXT, size_hint_y=0.55, fill=0.8))
            text.add_widget(w.FitLabel(text=line.detail, halign="left", color=w.MUTED, size_hint_y=0.45, fill=0.8))
            row.add_widget(text)
            row.add_widget(w.FitLabel(text=line.amount_text, halign="right", color=w.TEXT, size_hint_x=0.32,
                                      fill=0.5))
            self.rows.add_widget(row)
        for _ in range(CART_ROWS - len(shown)):
            self.rows.add_widget(Widget())


class WeighingBox(w.Box):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = _gap()
        self.padding = (gap * 3, gap * 2)
        self.spacing = gap
        self.item = w.FitLabel(text="", halign="left", color=w.TEXT, size_hint_y=0.12, fill=0.8, bold=True)
        self.item.test_id = "customer_item"
        self.origin = w.FitLabel(text="", halign="left", color=w.MUTED, size_hint_y=0.07, fill=0.8)
        self.origin.test_id = "customer_origin"
        lamps = BoxLayout(orientation="horizontal", size_hint_y=0.09, spacing=gap * 2)
        self.stable = w.Flag(text=t("stable"), size_hint_x=0.2)
        self.stable.test_id = "customer_lamp_stable"
        self.zero = w.Flag(text=t("zero_flag"), size_hint_x=0.2)
        self.zero.test_id = "customer_lamp_zero"
        self.net = w.Flag(text=t("net"), size_hint_x=0.2)
        self.net.test_id = "customer_lamp_net"
        self.tare = w.FitLabel(text="", halign="right", color=w.MUTED, size_hint_x=0.4, fill=0.7)
        self.tare.test_id = "customer_tare"
        for child in (self.stable, self.zero, self.net, self.tare):
            lamps.add_widget(child)
        self.weight = Caption(t("weight"), "customer_weight", w.WEIGHT_STABLE, size_hint_y=0.25)
        self.blocked = w.FitLabel(text="", halign="right", color=w.WEIGHT_MOVING, size_hint_y=0.07, fill=0.85,
                                  bold=True)
        self.blocked.test_id = "customer_blocked"
        self.price = Caption(t("unit_price"), "customer_price", w.TEXT, size_hint_y=0.12)
        self.per_500g = w.FitLabel(text="", halign="right", color=w.MUTED, size_hint_y=0.07, fill=0.85)
        self.per_500g.test_id = "customer_price_500g"
        self.amount = Caption(t("amount"), "customer_amount", w.WEIGHT_STABLE, size_hint_y=0.21)
        for child in (self.item, self.origin, lamps, self.weight, self.blocked, self.price, self.per_500g,
                      self.amount):
            self.add_widget(child)

    def update(self, view: CustomerView) -> None:
        lang = view.lang
        self.item.text = view.item_name
        colon = ": " if lang == "en" else "："
        self.origin.text = f"{t('origin', lang)}{colon}{view.origin}" if view.origin else ""
        self.stable.text, self.zero.text, self.net.text = t("stable", lang), t("zero_flag", lang), t("net", lang)
        self.stable.on, self.zero.on, self.net.on = view.stable, view.zero, view.net
        self.tare.text = f"{t('tare_weight', lang)} {view.tare_text} kg" if view.tare_text else ""
        piece = view.pricing == "piece"
        self.weight.caption.text = t("quantity" if piece else "weight", lang)
        if view.range_no:  # a multiple-range scale shows the range in use on both screens
            self.weight.caption.text += f" · {t('range_flag', lang)} {view.range_no}"
        if piece:
            self.weight.value.text = view.quantity_text
        else:
            self.weight.value.text = f"{view.weight_text} kg" if view.weight_text else "------"
        # Metrology's verdict, not ours: what cannot be sold yet is grey, with the reason beside it.
        lit = w.WEIGHT_STABLE if view.sellable else UNSELLABLE
        self.weight.value.color = self.amount.value.color = lit
        self.blocked.text = view.blocked_text if not view.sellable else ""
        self.price.caption.text = t("unit_price", lang)
        self.price.value.text = view.unit_price_text
        self.per_500g.text = view.price_per_500g_text
        self.amount.caption.text = t("amount", lang)
        self.amount.value.text = f"¥ {view.amount_text}" if view.amount_text else ""


class QrBox(w.Box):
    """A QR on a frame (the wallet's colour, or white), drawn crisp from one pixel per module."""

    def __init__(self, test_id: str, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=(1, 1, 1, 1), **kwargs)
        self.padding = (_gap() * 2,) * 2
        self.image = Image(fit_mode="contain")
        self.image.test_id = test_id
        self.add_widget(self.image)
        self._content = ""

    def show(self, content: str, frame: tuple[float, ...] = (1, 1, 1, 1)) -> None:
        self.bg = frame
        if content != self._content:
            self._content = content
            self.image.texture = qr_texture(content) if content else None


class PaymentBox(w.Box):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=w.PANEL, **kwargs)
        gap = _gap()
        self.padding = (gap * 3, gap * 3)
        self.spacing = gap * 4
        left = BoxLayout(orientation="vertical", size_hint_x=0.42, spacing=gap)
        self.wallet = w.Box(bg=w.PANEL, size_hint_y=0.2)
        self.wallet_name = w.FitLabel(text="", color=w.TEXT, fill=0.7, bold=True)
        self.wallet_name.test_id = "customer_wallet"
        self.wallet.add_widget(self.wallet_name)
        self.prompt = w.FitLabel(text="", color=w.TEXT, size_hint_y=0.18, fill=0.6, bold=True)
        self.prompt.test_id = "customer_pay_prompt"
        self.amount = w.FitLabel(text="", color=w.WEIGHT_STABLE, size_hint_y=0.38, fill=0.8, max_font=600, bold=True)
        self.amount.test_id = "customer_pay_amount"
        self.countdown = w.FitLabel(text="", color=w.WEIGHT_MOVING, size_hint_y=0.24, fill=0.5)
        self.countdown.test_id = "customer_countdown"
        for child in (self.wallet, self.prompt, self.amount, self.countdown):
            left.add_widget(child)
        self.qr = QrBox("customer_pay_qr", size_hint_x=0.58)
        self.add_widget(left)
        self.add_widget(self.qr)

    def update(self, view: CustomerView) -> None:
        lang = view.lang
        color = WALLET_COLORS.get(view.pay_method)
        self.wallet.bg = color or w.PANEL
        self.wallet_name.text = view.pay_method_name
        wallet = view.pay_method_name if view.pay_method in ("wechat", "alipay", "unionpay") else ""
        self.prompt.text = t("scan_with", lang, wallet=wallet) if wallet else t("scan_to_pay", lang)
        self.amount.text = f"¥ {view.qr_amount_text}"
        # 0: no countdown (the static code stays until the vendor confirms)
        self.countdown.text = t("seconds_left", lang, n=view.countdown_s) if view.countdown_s else ""
        self.qr.show(view.qr_content, color or (1, 1, 1, 1))


class PaidBox(w.Box):
    """支付成功 and the total; with an 电子小票, its trace QR beside them for ``ticket_s`` seconds."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=(0.08, 0.3, 0.15, 1), **kwargs)
        gap = _gap()
        self.padding = (gap * 3, gap * 3)
        self.spacing = gap * 3
        self.left = BoxLayout(orientation="vertical")
        self.title = w.FitLabel(text="", color=w.TEXT, size_hint_y=0.35, fill=0.7, max_font=400, bold=True)
        self.title.test_id = "customer_paid"
        self.amount = w.FitLabel(text="", color=w.WEIGHT_STABLE, size_hint_y=0.4, fill=0.8, max_font=600, bold=True)
        self.thanks = w.FitLabel(text="", color=w.TEXT, size_hint_y=0.25, fill=0.5)
        for child in (self.title, self.amount, self.thanks):
            self.left.add_widget(child)
        self.ticket = BoxLayout(orientation="vertical", size_hint_x=0.5, spacing=gap)
        self.ticket_title = w.FitLabel(text="", color=w.TEXT, size_hint_y=0.12, fill=0.75, bold=True)
        self.ticket_title.test_id = "customer_e_ticket"
        self.ticket_qr = QrBox("customer_ticket_qr", size_hint_y=0.68)
        self.ticket_code = w.FitLabel(text="", color=w.TEXT, size_hint_y=0.11, fill=0.8)
        self.ticket_code.test_id = "customer_ticket_code"
        self.ticket_left = w.FitLabel(text="", color=w.MUTED, size_hint_y=0.1, fill=0.8)
        self.ticket_left.test_id = "customer_ticket_left"
        for child in (self.ticket_title, self.ticket_qr, self.ticket_code, self.ticket_left):
            self.ticket.add_widget(child)
        self.add_widget(self.left)
        self._with_ticket = False

    def update(self, view: CustomerView) -> None:
        lang = view.lang
        self.title.text = f"✓ {t('paid', lang)}"
        self.amount.text = f"¥ {view.total_text}" if view.total_text else ""
        with_ticket = bool(view.ticket_url)
        self.thanks.text = t("thank_you" if with_ticket else "thanks", lang)
        if with_ticket != self._with_ticket:
            self._with_ticket = with_ticket
            if with_ticket:
                self.add_widget(self.ticket)
            else:
                self.remove_widget(self.ticket)
        if with_ticket:
            self.ticket_title.text = t("e_ticket", lang)
            self.ticket_qr.show(view.ticket_url)
            self.ticket_code.text = view.ticket_code_text
            self.ticket_left.text = t("seconds_left", lang, n=view.ticket_s) if view.ticket_s else ""


class IdleBox(w.Box):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = _gap()
        self.padding = (gap * 4, gap * 4)
        self.spacing = gap * 2
        self.welcome = w.FitLabel(text="", color=w.MUTED, size_hint_y=0.16, fill=0.7)
        self.welcome.test_id = "customer_welcome"
        self.stall = w.FitLabel(text="", color=w.TEXT, size_hint_y=0.3, fill=0.8, max_font=400, bold=True)
        self.stall.test_id = "customer_stall"
        self.merchant = w.FitLabel(text="", color=w.TEXT, size_hint_y=0.22, fill=0.7, max_font=300)
        self.motto = w.FitLabel(text="", color=w.INFO, size_hint_y=0.14, fill=0.6)
        self.clock = w.FitLabel(text="", color=w.MUTED, size_hint_y=0.18, fill=0.6)
        for child in (self.welcome, self.stall, self.merchant, self.motto, self.clock):
            self.add_widget(child)

    def update(self, view: CustomerView, connected: bool) -> None:
        lang = view.lang
        self.welcome.text = t("welcome", lang) if connected else t("waiting_link", lang)
        self.stall.text = view.stall
        self.merchant.text = view.merchant_name
        self.motto.text = t("trace_motto", lang)
        self.tick()

    def tick(self) -> None:
        self.clock.text = datetime.now(MARKET_TZ).strftime("%Y-%m-%d  %H:%M")


class CustomerScreen(BoxLayout):
    """The display's root widget: `render(view)` on the Kivy thread."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        w.clear_to_background()
        gap = _gap()
        self.padding = (gap, gap)
        self.spacing = gap
        self.view = CustomerView()
        self.connected = False
        head = w.Box(orientation="horizontal", bg=w.PANEL, size_hint_y=0.1, padding=(gap * 2, gap))
        self.market = w.FitLabel(text="", halign="left", color=w.TEXT, size_hint_x=0.7, fill=0.7)
        self.market.test_id = "customer_market"
        self.stall = w.FitLabel(text="", halign="right", color=w.MUTED, size_hint_x=0.3, fill=0.6)
        head.add_widget(self.market)
        head.add_widget(self.stall)
        self.body = BoxLayout(orientation="horizontal", size_hint_y=0.9, spacing=gap * 2)
        self.lock_banner = LockBanner(share=0.12)  # "not selling" while the legal parameters are locked
        for part in (head, self.lock_banner, self.body):
            self.add_widget(part)
        self.weighing = WeighingBox(size_hint_x=0.56)
        self.lines = LinesBox(size_hint_x=0.44)
        self.payment = PaymentBox(size_hint_x=0.6)
        self.paid = PaidBox(size_hint_x=0.56)
        self.idle = IdleBox()
        self.mode = ""
        self.render(self.view)

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        self.render(self.view)

    def _layout(self, mode: str, with_lines: bool) -> None:
        key = f"{mode}:{with_lines}"
        if key == self.mode:
            return
        self.mode = key
        self.body.clear_widgets()
        parts: tuple[Widget, ...] = {
            "weighing": (self.weighing, self.lines) if with_lines else (self.weighing,),
            "cart": (self.lines,),
            "payment": (self.payment, self.lines) if with_lines else (self.payment,),
            "paid": (self.paid, self.lines) if with_lines else (self.paid,),
        }.get(mode, (self.idle,))
        self.weighing.size_hint_x = 0.56 if with_lines else 1
        self.paid.size_hint_x = 0.56 if with_lines else 1
        self.payment.size_hint_x = 0.6 if with_lines else 1
        self.lines.size_hint_x = 1 if mode == "cart" else 0.44 if mode != "payment" else 0.4
        for part in parts:
            self.body.add_widget(part)

    def render(self, view: CustomerView) -> None:
        self.view = view
        self.market.text = view.market_name
        self.lock_banner.show(view.lock_text)
        self.stall.text = " · ".join(x for x in (view.stall, view.merchant_name) if x)
        mode = view.mode if self.connected else "idle"
        # the 电子小票 QR needs the room the cart had (the customer has seen the cart while paying)
        self._layout(mode, bool(view.lines) and not (mode == "paid" and view.ticket_url))
        if mode == "weighing":
            self.weighing.update(view)
        elif mode == "payment":
            self.payment.update(view)
        elif mode == "paid":
            self.paid.update(view)
        elif mode == "idle":
            self.idle.update(view, self.connected)
        if mode != "idle":
            self.lines.update(view.lines, view.total_text, view.lang)


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def _position(text: str) -> tuple[int, int]:
    x, _, y = text.partition(",")
    return int(x), int(y)


def main(config_path: str, *, size: tuple[int, int] | None = None, position: tuple[int, int] | None = None) -> int:
    """Open the borderless customer window and follow the merchant app's snapshots."""
    from edge.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    display = config.display
    from edge.ui.kivy import boot

    boot.configure(size or _size(display.customer_size), position or _position(display.customer_position),
                   borderless=True)
    from edge.ui.kivy.fonts import require_cjk_font

    require_cjk_font()
    return CustomerApp(str(config.path(display.customer_socket))).run_app()


class CustomerApp:
    """Kivy App wrapper: subscriber thread -> latest view -> one render per frame."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self._lock = threading.Lock()
        self._latest: CustomerView | None = None
        self._connected: bool | None = None

    def run_app(self) -> int:
        from kivy.app import App
        from kivy.clock import Clock

        from edge.ui.customer_link import CustomerSubscriber
        from edge.ui.kivy.probe import Probe

        outer = self

        class _App(App):
            title = "溯源秤 · 顾客显示"

            def build(self) -> Widget:
                self.screen = CustomerScreen()
                self.probe = Probe("customer")
                self.probe.root = self.screen
                self.trigger = Clock.create_trigger(self.apply, 0)
                self.subscriber = CustomerSubscriber(outer.socket_path, outer.on_view,
                                                     on_connected=outer.on_connected)
                outer.trigger = self.trigger
                self.subscriber.start()
                Clock.schedule_interval(lambda _dt: self.screen.idle.tick(), 10)
                return self.screen

            def apply(self, _dt: float) -> None:
                with outer._lock:
                    view, outer._latest = outer._latest, None
                    connected, outer._connected = outer._connected, None
                if connected is not None:
                    self.screen.set_connected(connected)
                    self.probe.after_frame("link", connected=connected)
                if view is not None:
                    self.screen.render(view)
                    if self.probe.on:
                        self.probe.after_frame("render", seq=view.seq, mode=view.mode, lock=bool(view.lock_text),
                                               weight=self.screen.weighing.weight.value.text,
                                               amount=self.screen.weighing.amount.value.text,
                                               total=self.screen.lines.total.value.text)

            def on_stop(self) -> None:
                self.subscriber.stop()

        _App().run()
        return 0

    trigger: Any = None

    def on_view(self, view: CustomerView) -> None:  # subscriber thread
        with self._lock:
            self._latest = view
        if self.trigger is not None:
            self.trigger()

    def on_connected(self, connected: bool) -> None:  # subscriber thread
        with self._lock:
            self._connected = connected
        if self.trigger is not None:
            self.trigger()
