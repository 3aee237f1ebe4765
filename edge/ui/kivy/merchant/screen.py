"""`MerchantScreen`: lays the task panels out, renders each snapshot, and turns keys into model actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from edge.scanner import ScanBurst, key_char
from edge.ui.kivy import widgets as w
from edge.ui.kivy.actions import ActionRunner
from edge.ui.model.views import MerchantView

if TYPE_CHECKING:
    from edge.core.records import Batch
    from edge.core.report import DailyReport

from edge.ui.kivy.lock_banner import LockBanner
from edge.ui.kivy.merchant.bars import MessageBar, StatusBar
from edge.ui.kivy.merchant.batches import BatchChooser, BatchRow
from edge.ui.kivy.merchant.cart import CartPanel, cart_rows
from edge.ui.kivy.merchant.catalog import CatalogPanel
from edge.ui.kivy.merchant.keys import FunctionKeys
from edge.ui.kivy.merchant.payment import PaycodeEntry, PaymentKeys, PayRow
from edge.ui.kivy.merchant.quantity import QuantityKeys, QuantityPad
from edge.ui.kivy.merchant.report import ReportView
from edge.ui.kivy.merchant.spacing import gap_px
from edge.ui.kivy.merchant.stall import GoodsInForm, PriceForm, SignInForm, StallMenu
from edge.ui.kivy.merchant.weighing import WeightBox

ENTER_KEYS = (13, 271)  # Return, keypad Enter
LEFT_SHARES = (0.34, 0.125, 0.535)  # weight panel, batch (and quantity) row, catalog
SEARCH_SHARES = (0.18, 0.82)  # weight line, search (query, results, keyboard)


class MerchantScreen(BoxLayout):
    """The whole merchant screen. `render(view)` on the Kivy thread; keys call the model."""

    def __init__(
        self,
        model: Any,
        *,
        place: str = "",
        on_technician: Callable[[], None] | None = None,
        runner: ActionRunner | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(orientation="vertical", **kwargs)
        w.clear_to_background()
        self.model = model
        self.runner = runner or ActionRunner(model)
        self.place = place
        self.on_technician = on_technician
        self.view: MerchantView | None = None
        self.popup: ModalView | None = None
        gap = gap_px(self)
        self.padding = (gap, gap)
        self.spacing = gap
        self.status = StatusBar(self)
        # Shares of the window, chosen so that every key used while selling is >= 48 px tall
        # at 800x480 (tests/ui checks it); bigger windows scale up.
        body = BoxLayout(orientation="horizontal", size_hint_y=0.865, spacing=gap * 2)
        self.left = left = BoxLayout(orientation="vertical", size_hint_x=0.6, spacing=gap)
        self.weight = WeightBox(self, size_hint_y=LEFT_SHARES[0])
        # Under the weight: the item's batch, and for a piece item − / count / + beside it.
        self.item_row = BoxLayout(orientation="horizontal", size_hint_y=LEFT_SHARES[1], spacing=gap)
        self.batch = BatchRow(self)
        self.quantity = QuantityKeys(self, size_hint_x=0.62)
        self.item_row.add_widget(self.batch)
        self._quantity_shown = False
        self.catalog = CatalogPanel(self, size_hint_y=LEFT_SHARES[2])
        for child in (self.weight, self.item_row, self.catalog):
            left.add_widget(child)
        right = BoxLayout(orientation="vertical", size_hint_x=0.4, spacing=gap * 2)
        self.cart = CartPanel(self, cart_rows(Window.height), size_hint_y=0.6)
        # Below the cart: the pay row and the function keys, or (a QR payment under way) its keys.
        # Pay row 1 : function keys 2 (two rows): every row of keys is as tall as 现金.
        self.bottom = BoxLayout(orientation="vertical", size_hint_y=0.4, spacing=gap)
        self.pay_row = PayRow(self, size_hint_y=1)
        self.keys = FunctionKeys(self, size_hint_y=2)
        self.payment_keys = PaymentKeys(self)
        self._bottom: tuple[bool, bool] | None = None  # (paying, with QR methods) the bottom was built for
        right.add_widget(self.cart)
        right.add_widget(self.bottom)
        body.add_widget(left)
        body.add_widget(right)
        self.message = MessageBar()
        self.lock_banner = LockBanner()  # legal parameters locked: why and what to do (no room when selling)
        for child in (self.status, self.lock_banner, body, self.message):
            self.add_widget(child)
        stall = getattr(model, "stall", None)
        if stall is not None:  # a serial scanner's voucher opens (or fills) the goods-in form
            stall.subscribe_scans(lambda kind, value: Clock.schedule_once(lambda _dt: self._on_scan(kind, value)))
            # a USB HID scanner typing while no field has focus: the same scan handler (edge.scanner.ScanBurst)
            self._burst = ScanBurst()
            Window.bind(on_key_down=self._wedge_key)

    # --- rendering --------------------------------------------------------------------------

    def render(self, view: MerchantView) -> None:
        self.view = view
        self.status.update(view, self.place)
        self.weight.update(view.weight, view.item, view.lang)
        self.batch.update(view.item, view.lang)
        self.catalog.update(view)
        self.cart.update(view)
        piece = view.item is not None and view.item.pricing == "piece" and not self.catalog.searching
        if piece != self._quantity_shown:
            self._quantity_shown = piece
            if piece:
                self.item_row.add_widget(self.quantity)
            else:
                self.item_row.remove_widget(self.quantity)
        if view.item is not None and piece:
            self.quantity.update(view.item, view.lang, view.busy)
        bottom = (view.payment is not None, bool(view.pay_methods))
        if bottom != self._bottom:
            self._bottom = bottom
            self.bottom.clear_widgets()
            paying, with_qr = bottom
            for part in (self.payment_keys,) if paying else (self.pay_row, self.keys) if with_qr else (self.keys,):
                self.bottom.add_widget(part)
        if view.payment is not None:
            self.payment_keys.update(view.payment, view.lang)
        self.pay_row.update(view)
        self.keys.update(view)
        self.message.update(view)
        self.lock_banner.show(view.lock_text)

    @property
    def lang(self) -> str:
        return self.view.lang if self.view else "zh"

    # --- keys -> model actions ----------------------------------------------------------------

    def _call(self, method: str, *args: Any, then: Callable[[Any], None] | None = None) -> None:
        self.runner.call(method, *args, then=then)

    def hotkey(self, position: int) -> None:
        self._call("press_hotkey", position)

    def show_page(self, delta: int) -> None:
        page = (self.view.page if self.view else 0) + delta
        self._call("show_page", page)

    def show_category(self, name: str) -> None:
        self._call("show_category", name)

    def set_searching(self, on: bool) -> None:
        if on == self.catalog.searching:
            return
        self.catalog.set_searching(on)
        self.weight.set_compact(on)
        self.left.clear_widgets()
        self.weight.size_hint_y, self.catalog.size_hint_y = SEARCH_SHARES if on else LEFT_SHARES[::2]
        for part in (self.weight, self.catalog) if on else (self.weight, self.item_row, self.catalog):
            self.left.add_widget(part)

    def open_search(self) -> None:
        self.set_searching(True)

    def close_search(self) -> None:
        self.set_searching(False)
        self._call("clear_query")

    def type_char(self, ch: str) -> None:
        self._call("type_text", ch.lower())

    def backspace(self) -> None:
        self._call("backspace")

    def clear_query(self) -> None:
        self._call("clear_query")

    def pick_result(self, index: int) -> None:
        self.set_searching(False)
        self._call("pick_result", index)

    def zero(self) -> None:
        self._call("press_zero")

    def tare(self) -> None:
        self._call("clear_tare" if self.keys.keys["tare"].action == "clear_tare" else "press_tare")

    def add_line(self) -> None:
        self._call("add_line")

    def step_quantity(self, delta: int) -> None:
        self._call("step_quantity", delta)

    def open_quantity_pad(self) -> None:
        def chosen(quantity: int) -> None:
            self.close_popup()
            self._call("set_quantity", quantity)

        self._popup(QuantityPad(self.lang, chosen, self.close_popup), size=(0.56, 0.86))

    def void_line(self, index: int) -> None:
        self._call("void_line", index)

    def cancel_sale(self) -> None:
        self._call("cancel_sale")

    def checkout(self) -> None:
        self._call("checkout", "cash")

    def checkout_qr(self, method: str) -> None:
        self._call("checkout", method)

    def payment_action(self, name: str) -> None:
        self._call(name)

    def micropay(self, code: str) -> None:
        self._call("micropay", code)

    def open_paycode(self) -> None:
        def scanned(code: str) -> None:
            self.close_popup()
            if code.strip():
                self.micropay(code)

        entry = PaycodeEntry(self.lang, scanned, self.close_popup)
        view = self._popup(entry, size=(0.6, 0.4))
        self.model.want_paycode(True)  # a serial scanner's next code is the 付款码 too
        view.bind(on_dismiss=lambda *_: self.model.want_paycode(False))
        entry.input.focus = True

    def reprint(self) -> None:
        self._call("paperless_instead" if self.keys.keys["reprint"].action == "paperless_instead" else "reprint_last")

    def toggle_paperless(self) -> None:
        self._call("toggle_paperless")

    def daily_report(self) -> None:
        self._call("daily_report", then=self.show_report)

    def open_batches(self) -> None:
        self._call("batches_for_item", then=self.show_batches)

    def toggle_lang(self) -> None:
        self._call("set_lang", "en" if self.lang == "zh" else "zh")

    def open_technician(self) -> None:
        if self.on_technician is not None:
            self.on_technician()

    # --- popups -------------------------------------------------------------------------------

    def _popup(self, content: Widget, size: tuple[float, float] = (0.8, 0.85)) -> ModalView:
        self.close_popup()
        view = ModalView(size_hint=size, auto_dismiss=True, background_color=(0, 0, 0, 0.7))
        view.add_widget(content)
        view.bind(on_dismiss=lambda *_: setattr(self, "popup", None))
        view.open(animation=False)
        self.popup = view
        return view

    def close_popup(self) -> None:
        if self.popup is not None:
            self.popup.dismiss(animation=False)
            self.popup = None

    def show_report(self, report: DailyReport | None) -> None:
        if report is None:
            return
        self._popup(ReportView(report, self.lang, self.close_popup))

    # --- the vendor's day: sign-in, prices, goods-in (edge.ui.kivy.merchant.stall) -------------

    def open_stall(self) -> None:
        self._popup(StallMenu(self, self.lang), size=(0.7, 0.5))

    def open_signin(self) -> None:
        self._popup(SignInForm(self, self.lang), size=(0.8, 0.85))

    def open_price(self) -> None:
        self._popup(PriceForm(self, self.lang), size=(0.7, 0.85))

    def open_goodsin(self, voucher: str = "") -> None:
        form = GoodsInForm(self, self.lang, voucher or self._scanned_voucher())
        self._popup(form, size=(0.8, 0.9))
        form.inputs["certificate" if form.inputs["code"].text else "code"].focus = True

    def _on_scan(self, kind: str, value: Any) -> None:
        code = getattr(value, "code", None) if kind == "voucher" else None
        form = self.popup.children[0] if self.popup is not None and self.popup.children else None
        if kind == "paycode" and isinstance(form, PaycodeEntry):
            self.close_popup()  # the model pays with it (StallTasks._on_scan)
        if code is None or (self.view is not None and self.view.payment is not None):
            return  # while the payment shows, a scan is never a voucher
        if isinstance(form, GoodsInForm):
            form.inputs["code"].text = code
            form.inputs["certificate"].focus = True
        elif self.popup is None:
            self.open_goodsin(code)

    # --- a USB HID scanner typing with no field focused ----------------------------------------

    def _typing_elsewhere(self) -> bool:
        """Not for the wedge: the technician screen is up, or a text field has the focus (it gets the keys)."""
        return self.parent is None or any(getattr(widget, "focus", False) for root in Window.children
                                          for widget in root.walk())  # fmt: skip

    def _wedge_key(self, _window: Any, key: int, _scancode: int, codepoint: str | None, modifiers: list[str]) -> None:
        # Key-down, not on_textinput: with no field focused Kivy has stopped SDL's text input.
        if key not in ENTER_KEYS:
            if self._typing_elsewhere():
                self._burst.reset()
            elif (char := key_char(codepoint, "shift" in modifiers)) is not None:
                self._burst.key(char)
            return
        code = None if self._typing_elsewhere() else self._burst.enter()
        self._burst.reset()
        if code is None:
            return
        stall = self.model.stall  # while paying it routes the code as the 付款码 (Stall.on_scan)
        self.runner.run(lambda: stall.on_scan(code))

    def _scanned_voucher(self) -> str:
        stall = getattr(self.model, "stall", None)
        return stall.voucher.code if stall is not None and stall.voucher is not None else ""

    def show_batches(self, batches: Sequence[Batch] | None) -> None:
        if not batches:
            return
        current = self.view.item.batch_id if self.view and self.view.item else ""

        def choose(batch_id: str) -> None:
            self.close_popup()
            self._call("choose_batch", batch_id)

        self._popup(BatchChooser(batches, current, self.lang, choose, self.close_popup), size=(0.7, 0.8))
