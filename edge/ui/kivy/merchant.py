"""The merchant touchscreen: renders `MerchantView` snapshots and calls `MerchantModel` actions.

Layout (landscape; every size is a share of the window, so 800×480, 1024×600 and
1920×1080 get the same screen, scaled)::

    status bar: market · stall | scale link | printer | sync | 中/EN | 设置
    ┌ weight panel (flags, big weight, kg/tare) ──────┐┌ cart: lines with 删, 取消 ─────┐
    │ item name | unit price (per 500 g) | amount      ││                                 │
    ├ batch: origin · batch · supplier   [换批次] ─────┤├ 合计 ─────────────────────────┤
    │ ◀ 1/2 ▶ | categories … | 搜索                    ││ 置零   去皮   累计              │
    │ hotkey grid (or: query, results, keyboard)       ││ 重打   日结   结算              │
    └──────────────────────────────────────────────────┘└─────────────────────────────────┘
    message bar (refusals in red, information in blue)

Widgets hold no selling rules: every key calls one model action (through `ActionRunner`,
off the Kivy thread) and the screen changes only when the next snapshot arrives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.modalview import ModalView
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from edge.core.pricing import format_yuan
from edge.core.units import format_kg
from edge.ui.kivy import widgets as w
from edge.ui.kivy.actions import ActionRunner
from edge.ui.kivy.i18n import t
from edge.ui.model.views import CartLineView, ItemPanel, KeyView, MerchantView, PaymentPanel, WeightPanel

if TYPE_CHECKING:
    from edge.core.records import Batch
    from edge.core.report import DailyReport

KEYBOARD_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
CART_ROWS = 4  # lines visible at once; more are paged (a market sale rarely has more)
RESULT_KEYS = 4  # search results shown above the keyboard


def _gap(_widget: Widget | None = None) -> float:
    """Spacing proportional to the window (4 px at 1024×600)."""
    return max(2.0, round(4 * w.ui_scale()))


class StatusBar(w.Box):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=w.PANEL, size_hint_y=0.075, **kwargs)
        gap = _gap(self)
        self.spacing = gap
        self.padding = (gap, gap)
        self.place = w.FitLabel(size_hint_x=0.26, halign="left", color=w.TEXT)
        self.link = w.FitLabel(size_hint_x=0.2, color=w.MUTED)
        self.printer = w.FitLabel(size_hint_x=0.2, color=w.MUTED)
        self.sync = w.FitLabel(size_hint_x=0.16, color=w.MUTED)
        self.lang = w.key("EN", lambda: screen.toggle_lang(), action="lang", color=w.KEY_FUNC, size_hint_x=0.08)
        self.settings = w.key(t("settings"), screen.open_technician, action="settings", color=w.KEY_FUNC,
                              size_hint_x=0.1)
        for child in (self.place, self.link, self.printer, self.sync, self.lang, self.settings):
            self.add_widget(child)

    def update(self, view: MerchantView, place: str) -> None:
        self.place.text = place
        self.link.text = view.link_text
        self.printer.text = view.printer_text
        self.sync.text = view.sync_text
        self.lang.text = t("lang", view.lang)
        self.settings.text = t("settings", view.lang)


class WeightBox(w.Box):
    """Indicators, the big weight, and the selected item with its live amount."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = _gap(self)
        self.padding = (gap * 2, gap)
        self.spacing = gap
        top = BoxLayout(orientation="horizontal", size_hint_y=0.6, spacing=gap * 2)
        flags = BoxLayout(orientation="vertical", size_hint_x=0.15, spacing=gap)
        self.stable = w.Flag(text=t("stable"))
        self.zero = w.Flag(text=t("zero_flag"))
        self.net = w.Flag(text=t("net"))
        for flag in (self.stable, self.zero, self.net):
            flags.add_widget(flag)
        self.weight = w.FitLabel(text="", halign="right", size_hint_x=0.67, fill=0.9, max_font=400,
                                 color=w.WEIGHT_MOVING, bold=True)
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
        self.amount = w.FitLabel(text="", size_hint_x=0.36, halign="right", color=w.WEIGHT_STABLE, fill=0.7,
                                 max_font=400, bold=True)
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


class BatchRow(w.Box):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=w.PANEL, **kwargs)
        gap = _gap(self)
        self.padding = (gap * 2, gap)
        self.spacing = gap * 2
        self.text = w.FitLabel(text="", halign="left", color=w.MUTED, size_hint_x=0.78, fill=0.5)
        self.switch = w.key(t("switch_batch"), screen.open_batches, action="switch_batch", color=w.KEY_FUNC,
                            size_hint_x=0.22)
        self.add_widget(self.text)
        self.add_widget(self.switch)

    def update(self, item: ItemPanel | None, lang: str) -> None:
        self.switch.text = t("switch_batch", lang)
        self.switch.disabled = item is None or not item.batch_id
        if item is None:
            self.text.text = ""
            return
        if not item.batch_id:
            self.text.text = t("no_batch", lang)
            return
        parts = [f"{t('origin', lang)} {item.origin}" if item.origin else "",
                 f"{t('batch', lang)} {item.batch_id}",
                 f"{t('supplier', lang)} {item.supplier}" if item.supplier else ""]
        self.text.text = "  ·  ".join(p for p in parts if p)


class Keyboard(GridLayout):
    """Letters and digits for pinyin initials, full pinyin or a PLU number."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(cols=1, **kwargs)
        gap = _gap(self)
        self.spacing = gap
        self.back: w.FitButton | None = None
        for i, row in enumerate(KEYBOARD_ROWS):
            line = BoxLayout(orientation="horizontal", spacing=gap)
            for ch in row:
                line.add_widget(w.key(ch, lambda c=ch: screen.type_char(c), action=f"kbd:{ch}", color=w.KEY_FUNC,
                                      fill=0.5))
            if i == 2:
                self.back = w.key(t("back"), screen.backspace, action="kbd:back", color=w.KEY_DANGER,
                                  size_hint_x=1.6, fill=0.4)
                line.add_widget(self.back)
            if i == 3:
                line.add_widget(w.Filler(size_hint_x=0.6))
            self.add_widget(line)


class CatalogPanel(BoxLayout):
    """Hotkey pages with categories, or (while searching) query, results and keyboard."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        self.screen = screen
        gap = _gap(self)
        self.spacing = gap
        self.searching = False
        self._keys: tuple[KeyView | None, ...] | None = None
        self._cats: tuple[tuple[str, ...], str, str] | None = None
        self._results: tuple[KeyView, ...] | None = None
        self._lang = "zh"
        # hotkey mode
        self.tabs = BoxLayout(orientation="horizontal", size_hint_y=0.18, spacing=gap)
        self.prev = w.key("◀", lambda: screen.show_page(-1), action="page_prev", color=w.KEY_FUNC, size_hint_x=0.09)
        self.page = w.FitLabel(text="", size_hint_x=0.09, color=w.MUTED)
        self.next = w.key("▶", lambda: screen.show_page(+1), action="page_next", color=w.KEY_FUNC, size_hint_x=0.09)
        self.cat_row = BoxLayout(orientation="horizontal", size_hint_x=0.58, spacing=gap)
        self.search = w.key(t("search"), screen.open_search, action="search", color=w.KEY_ADD, size_hint_x=0.15)
        for child in (self.prev, self.page, self.next, self.cat_row, self.search):
            self.tabs.add_widget(child)
        self.grid = GridLayout(cols=4, spacing=gap, size_hint_y=0.82)
        # search mode
        self.query_row = BoxLayout(orientation="horizontal", size_hint_y=0.13, spacing=gap)
        self.query = w.FitLabel(text="", halign="left", color=w.TEXT, size_hint_x=0.64, fill=0.6)
        self.query.test_id = "query"
        self.clear = w.key(t("clear"), screen.clear_query, action="kbd:clear", color=w.KEY_FUNC, size_hint_x=0.18)
        self.close = w.key(t("close"), screen.close_search, action="search_close", color=w.KEY_FUNC,
                           size_hint_x=0.18)
        for child in (self.query, self.clear, self.close):
            self.query_row.add_widget(child)
        self.result_row = BoxLayout(orientation="horizontal", size_hint_y=0.2, spacing=gap)
        self.keyboard = Keyboard(screen, size_hint_y=0.67)
        self._show_mode()

    def _show_mode(self) -> None:
        self.clear_widgets()
        parts = (self.query_row, self.result_row, self.keyboard) if self.searching else (self.tabs, self.grid)
        for part in parts:
            self.add_widget(part)

    def set_searching(self, on: bool) -> None:
        if on != self.searching:
            self.searching = on
            self._show_mode()

    def update(self, view: MerchantView) -> None:
        lang = view.lang
        relabel = lang != self._lang
        self._lang = lang
        self.page.text = f"{view.page + 1}/{max(1, view.page_count)}"
        self.prev.disabled = view.page <= 0
        self.next.disabled = view.page >= view.page_count - 1
        self.search.text = t("search", lang)
        self.clear.text, self.close.text = t("clear", lang), t("close", lang)
        if self.keyboard.back is not None:
            self.keyboard.back.text = t("back", lang)
        cats = (view.categories, view.category, lang)
        if cats != self._cats:
            self._cats = cats
            self._build_categories(view.categories, view.category, lang)
        if view.keys != self._keys or relabel:
            self._keys = view.keys
            self._build_keys(view.keys)
        self.query.text = view.query or t("search_hint", lang)
        self.query.color = w.TEXT if view.query else w.MUTED
        if view.results != self._results or relabel:
            self._results = view.results
            self._build_results(view.results, bool(view.query), lang)

    def _build_categories(self, categories: Sequence[str], current: str, lang: str) -> None:
        self.cat_row.clear_widgets()
        for name in ("", *categories):
            caption = name or t("all", lang)
            color = w.KEY_ADD if name == current else w.KEY_FUNC
            self.cat_row.add_widget(w.key(caption, lambda n=name: self.screen.show_category(n),
                                          action=f"category:{name}", color=color, fill=0.45))

    def _build_keys(self, keys: Sequence[KeyView | None]) -> None:
        self.grid.clear_widgets()
        count = max(1, len(keys))
        rows = max(1, round(math.sqrt(count / 1.8)))  # keys about 1.8x wider than tall
        self.grid.cols = max(1, math.ceil(count / rows))
        for kv in keys:
            if kv is None:
                self.grid.add_widget(w.Filler())
                continue
            self.grid.add_widget(w.key(f"{kv.name}\n{kv.price_text}", lambda p=kv.position: self.screen.hotkey(p),
                                       action=f"hotkey:{kv.plu}", color=w.KEY, fill=0.62))

    def _build_results(self, results: Sequence[KeyView], typed: bool, lang: str) -> None:
        self.result_row.clear_widgets()
        if typed and not results:
            self.result_row.add_widget(w.FitLabel(text=t("no_results", lang), color=w.MUTED, fill=0.4))
            return
        for kv in results[:RESULT_KEYS]:
            self.result_row.add_widget(w.key(f"{kv.name}\n{kv.price_text}",
                                             lambda i=kv.position: self.screen.pick_result(i),
                                             action=f"result:{kv.plu}", color=w.KEY, fill=0.62))
        for _ in range(RESULT_KEYS - min(RESULT_KEYS, len(results))):
            self.result_row.add_widget(w.Filler())


class CartRow(BoxLayout):
    def __init__(self, line: CartLineView, on_void: Callable[[], None], lang: str, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", **kwargs)
        gap = _gap(self)
        self.spacing = gap
        text = BoxLayout(orientation="vertical", size_hint_x=0.58)
        text.add_widget(w.FitLabel(text=line.name, halign="left", color=w.TEXT, size_hint_y=0.55, fill=0.75))
        text.add_widget(w.FitLabel(text=line.detail, halign="left", color=w.MUTED, size_hint_y=0.45, fill=0.75))
        self.add_widget(text)
        amount = w.FitLabel(text=line.amount_text, halign="right", color=w.TEXT, size_hint_x=0.26, fill=0.45)
        amount.test_id = f"cart_amount:{line.index}"
        self.add_widget(amount)
        self.add_widget(w.key(t("void", lang), on_void, action=f"void:{line.index}", color=w.KEY_DANGER,
                              size_hint_x=0.16, fill=0.4))


class CartPanel(w.Box):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        self.screen = screen
        gap = _gap(self)
        self.padding = (gap * 2, gap)
        self.spacing = gap
        self.first = 0  # first line shown (paging through a long cart)
        self._lines: tuple[CartLineView, ...] | None = None
        self._lang = ""
        head = BoxLayout(orientation="horizontal", size_hint_y=0.13, spacing=gap)
        self.title = w.FitLabel(text="", halign="left", color=w.MUTED, size_hint_x=0.4, fill=0.55)
        self.up = w.key("▲", lambda: self.scroll(-CART_ROWS), action="cart_up", color=w.KEY_FUNC, size_hint_x=0.15)
        self.down = w.key("▼", lambda: self.scroll(CART_ROWS), action="cart_down", color=w.KEY_FUNC,
                          size_hint_x=0.15)
        self.cancel = w.key(t("cancel"), screen.cancel_sale, action="cancel", color=w.KEY_DANGER, size_hint_x=0.3)
        for child in (self.title, self.up, self.down, self.cancel):
            head.add_widget(child)
        self.rows = BoxLayout(orientation="vertical", size_hint_y=0.67, spacing=gap)
        totals = BoxLayout(orientation="horizontal", size_hint_y=0.2, spacing=gap)
        self.note = w.FitLabel(text="", halign="left", color=w.MUTED, size_hint_x=0.4, fill=0.4)
        self.total = w.FitLabel(text="", halign="right", color=w.WEIGHT_STABLE, size_hint_x=0.6, fill=0.7, bold=True,
                                max_font=400)
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
        shown = lines[self.first:self.first + CART_ROWS]
        for line in shown:
            self.rows.add_widget(CartRow(line, lambda i=line.index: self.screen.void_line(i), lang))
        for _ in range(CART_ROWS - len(shown)):
            self.rows.add_widget(w.Filler())
        self.up.disabled = self.first == 0
        self.down.disabled = self.first + CART_ROWS >= len(lines)


class FunctionKeys(GridLayout):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(cols=3, **kwargs)
        self.spacing = _gap(self)
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
        # 结算 also sells the selected item on its own (the model adds it to the sale).
        self.keys["checkout"].disabled = view.busy or (not view.cart and view.item is None)
        if view.busy:
            self.keys["checkout"].text = t("busy", lang)
        self.keys["add"].disabled = view.item is None or view.busy


class PayRow(BoxLayout):
    """微信 / 支付宝 / 云闪付 / 付款码: check out with a QR (only the methods [payment] enables)."""

    METHODS = ("wechat", "alipay", "unionpay")

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", spacing=_gap(), **kwargs)
        self.screen = screen
        self.keys = {m: w.key(t(f"pay_{m}"), lambda m=m: screen.checkout_qr(m), action=f"pay:{m}", color=w.KEY_PAY,
                              fill=0.45) for m in self.METHODS}
        self.keys["paycode"] = w.key(t("paycode"), screen.open_paycode, action="paycode", color=w.KEY_PAY, fill=0.45)
        self._shown: tuple[str, ...] | None = None

    def update(self, view: MerchantView) -> None:
        shown = (*view.pay_methods, "paycode") if view.pay_methods else ()
        if shown != self._shown:
            self._shown = shown
            self.clear_widgets()
            for name in shown:
                self.add_widget(self.keys[name])
        for name, button in self.keys.items():
            button.text = t(f"pay_{name}" if name in self.METHODS else name, view.lang)
            button.disabled = view.busy or (not view.cart and view.item is None)


class PaymentKeys(w.Box):
    """While a QR payment is under way: 改收现金, 静态码, 已收款 (static only), 付款码 field, 取消收款."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = _gap(self)
        self.padding = (gap * 2, gap)
        self.spacing = gap
        self.screen = screen
        self.title = w.FitLabel(text="", halign="left", color=w.WEIGHT_STABLE, size_hint_y=0.2, fill=0.7, bold=True)
        self.title.test_id = "payment_title"
        self.code = TextInput(text="", multiline=False, write_tab=False, input_filter="int", size_hint_y=0.2,
                              font_size=max(14.0, 22 * w.ui_scale()), hint_text=t("paycode_hint"))
        self.code.bind(on_text_validate=lambda *_: self._paycode())
        grid = GridLayout(cols=2, spacing=gap, size_hint_y=0.6)
        self.keys = {
            "cash": w.key(t("pay_cash"), lambda: screen.payment_action("pay_cash_instead"), action="pay_cash",
                          color=w.KEY_PAY, fill=0.42, bold=True),
            "static": w.key(t("pay_static"), lambda: screen.payment_action("use_static_qr"), action="pay_static",
                            color=w.KEY_FUNC, fill=0.42),
            "confirm": w.key(t("pay_confirm"), lambda: screen.payment_action("confirm_static_paid"),
                             action="pay_confirm", color=w.KEY_ADD, fill=0.42, bold=True),
            "cancel": w.key(t("pay_cancel"), screen.cancel_sale, action="pay_cancel", color=w.KEY_DANGER, fill=0.42),
        }
        for button in self.keys.values():
            grid.add_widget(button)
        for child in (self.title, self.code, grid):
            self.add_widget(child)

    def _paycode(self) -> None:
        code, self.code.text = self.code.text, ""
        if code.strip():
            self.screen.micropay(code)

    def update(self, panel: PaymentPanel, lang: str) -> None:
        self.title.text = t("paying_title", lang, amount=panel.amount_text)
        for name, caption in (("cash", "pay_cash"), ("static", "pay_static"), ("confirm", "pay_confirm"),
                              ("cancel", "pay_cancel")):
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
        gap = _gap(self)
        self.padding = (gap * 3, gap * 2)
        self.spacing = gap * 2
        self.on_code = on_code
        self.add_widget(w.FitLabel(text=t("paycode_prompt", lang), color=w.TEXT, size_hint_y=0.3, fill=0.6))
        self.input = TextInput(text="", multiline=False, write_tab=False, input_filter="int", size_hint_y=0.35,
                               font_size=max(14.0, 26 * w.ui_scale()))
        self.input.bind(on_text_validate=lambda *_: self.on_code(self.input.text))
        self.add_widget(self.input)
        self.add_widget(w.key(t("close", lang), on_close, action="paycode_close", color=w.KEY_FUNC,
                              size_hint_y=0.35, fill=0.4))


class MessageBar(w.Box):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=w.PANEL, size_hint_y=0.075, **kwargs)
        gap = _gap(self)
        self.padding = (gap * 2, gap // 2)
        self.label = w.FitLabel(text="", halign="left", color=w.INFO, wrap=True, fill=0.6)
        self.label.test_id = "message"
        self.add_widget(self.label)

    def update(self, view: MerchantView) -> None:
        self.label.text = view.message
        self.label.color = w.ERROR if view.message_kind == "error" else w.INFO
        self.bg = (0.28, 0.1, 0.1, 1) if view.message and view.message_kind == "error" else w.PANEL


class MerchantScreen(BoxLayout):
    """The whole merchant screen. `render(view)` on the Kivy thread; keys call the model."""

    def __init__(self, model: Any, *, place: str = "", on_technician: Callable[[], None] | None = None,
                 runner: ActionRunner | None = None, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        w.clear_to_background()
        self.model = model
        self.runner = runner or ActionRunner(model)
        self.place = place
        self.on_technician = on_technician
        self.view: MerchantView | None = None
        self.popup: ModalView | None = None
        gap = _gap(self)
        self.padding = (gap, gap)
        self.spacing = gap
        self.status = StatusBar(self)
        body = BoxLayout(orientation="horizontal", size_hint_y=0.85, spacing=gap * 2)
        self.left = left = BoxLayout(orientation="vertical", size_hint_x=0.6, spacing=gap)
        self.weight = WeightBox(self, size_hint_y=0.42)
        self.batch = BatchRow(self, size_hint_y=0.08)
        self.catalog = CatalogPanel(self, size_hint_y=0.5)
        for child in (self.weight, self.batch, self.catalog):
            left.add_widget(child)
        right = BoxLayout(orientation="vertical", size_hint_x=0.4, spacing=gap * 2)
        self.cart = CartPanel(self, size_hint_y=0.56)
        # Below the cart: the pay row and the function keys, or (a QR payment under way) its keys.
        self.bottom = BoxLayout(orientation="vertical", size_hint_y=0.44, spacing=gap)
        self.pay_row = PayRow(self, size_hint_y=0.2)
        self.keys = FunctionKeys(self, size_hint_y=0.8)
        self.payment_keys = PaymentKeys(self)
        self._paying: bool | None = None
        right.add_widget(self.cart)
        right.add_widget(self.bottom)
        body.add_widget(left)
        body.add_widget(right)
        self.message = MessageBar()
        for child in (self.status, body, self.message):
            self.add_widget(child)

    # --- rendering --------------------------------------------------------------------------

    def render(self, view: MerchantView) -> None:
        self.view = view
        self.status.update(view, self.place)
        self.weight.update(view.weight, view.item, view.lang)
        self.batch.update(view.item, view.lang)
        self.catalog.update(view)
        self.cart.update(view)
        paying = view.payment is not None
        if paying != self._paying:
            self._paying = paying
            self.bottom.clear_widgets()
            for part in (self.payment_keys,) if paying else (self.pay_row, self.keys):
                self.bottom.add_widget(part)
        if view.payment is not None:
            self.payment_keys.update(view.payment, view.lang)
        self.pay_row.update(view)
        self.keys.update(view)
        self.message.update(view)

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
        self.weight.size_hint_y = 0.2 if on else 0.42
        self.catalog.size_hint_y = 0.8 if on else 0.5
        for part in (self.weight, self.catalog) if on else (self.weight, self.batch, self.catalog):
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
        self._popup(entry, size=(0.6, 0.4))
        entry.input.focus = True

    def reprint(self) -> None:
        self._call("reprint_last")

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

    def show_batches(self, batches: Sequence[Batch] | None) -> None:
        if not batches:
            return
        current = self.view.item.batch_id if self.view and self.view.item else ""

        def choose(batch_id: str) -> None:
            self.close_popup()
            self._call("choose_batch", batch_id)

        self._popup(BatchChooser(batches, current, self.lang, choose, self.close_popup), size=(0.7, 0.8))


class ReportView(w.Box):
    """日结: the day's totals and what was sold per item."""

    MAX_ITEMS = 8

    def __init__(self, report: DailyReport, lang: str, on_close: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = _gap(self)
        self.padding = (gap * 4, gap * 2)
        self.spacing = gap
        self.test_id = "report"
        head = BoxLayout(orientation="horizontal", size_hint_y=0.12, spacing=gap)
        head.add_widget(w.FitLabel(text=f"{t('report_title', lang)}  {report.local_date}", halign="left",
                                   color=w.TEXT, bold=True, size_hint_x=0.75))
        head.add_widget(w.key(t("close", lang), on_close, action="report_close", color=w.KEY_FUNC, size_hint_x=0.25))
        self.add_widget(head)
        summary = GridLayout(cols=4, size_hint_y=0.22, spacing=gap)
        cells = (
            (t("report_sales", lang), str(report.sales_count)),
            (t("report_amount", lang), format_yuan(report.sales_fen)),
            (t("report_unpaid", lang), format_yuan(report.unpaid_fen)),
            (t("report_total", lang), format_yuan(report.total_fen)),
        )
        for caption, _value in cells:
            summary.add_widget(w.FitLabel(text=caption, color=w.MUTED, fill=0.5))
        for caption, value in cells:
            label = w.FitLabel(text=value, color=w.WEIGHT_STABLE if caption == cells[-1][0] else w.TEXT, fill=0.6)
            if caption == cells[-1][0]:
                label.test_id = "report_total"
            summary.add_widget(label)
        self.add_widget(summary)
        table = GridLayout(cols=4, size_hint_y=0.66, spacing=gap)
        table.add_widget(w.FitLabel(text=t("report_item", lang), halign="left", color=w.MUTED))
        table.add_widget(w.FitLabel(text=t("report_count", lang), color=w.MUTED))
        table.add_widget(w.FitLabel(text=t("report_weight", lang), color=w.MUTED))
        table.add_widget(w.FitLabel(text=t("report_amount", lang), halign="right", color=w.MUTED))
        items = report.plus[: self.MAX_ITEMS]
        for total in items:
            table.add_widget(w.FitLabel(text=total.name, halign="left", color=w.TEXT))
            table.add_widget(w.FitLabel(text=str(total.quantity), color=w.TEXT))
            table.add_widget(w.FitLabel(text=format_kg(total.net_g) if total.net_g else "", color=w.TEXT))
            table.add_widget(w.FitLabel(text=format_yuan(total.amount_fen), halign="right", color=w.TEXT))
        for _ in range(4 * (self.MAX_ITEMS - len(items))):
            table.add_widget(w.Filler())
        self.add_widget(table)


class BatchChooser(w.Box):
    """The item's active batches, oldest first; the current one highlighted."""

    MAX_ROWS = 4

    def __init__(self, batches: Sequence[Batch], current: str, lang: str, on_choose: Callable[[str], None],
                 on_close: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = _gap(self)
        self.padding = (gap * 4, gap * 2)
        self.spacing = gap * 2
        head = BoxLayout(orientation="horizontal", size_hint_y=None, spacing=gap)
        head.add_widget(w.FitLabel(text=t("choose_batch", lang), halign="left", color=w.TEXT, size_hint_x=0.72))
        head.add_widget(w.key(t("close", lang), on_close, action="batch_close", color=w.KEY_FUNC, size_hint_x=0.28))
        shown = list(batches)[: self.MAX_ROWS]
        head.size_hint_y = 0.8
        self.add_widget(head)
        for batch in shown:
            text = f"{batch.batch_id}\n{batch.origin} · {batch.supplier} · {batch.arrival_date}"
            color = w.KEY_ADD if batch.batch_id == current else w.KEY
            self.add_widget(w.key(text, lambda b=batch.batch_id: on_choose(b), action=f"batch:{batch.batch_id}",
                                  color=color, fill=0.6, size_hint_y=1, halign="left", inset=gap * 3))
        for _ in range(self.MAX_ROWS - len(shown)):
            self.add_widget(w.Filler())
