"""Choosing the item: hotkey pages with categories, or (while searching) query, results and keyboard."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.views import KeyView, MerchantView

if TYPE_CHECKING:
    from edge.ui.kivy.merchant.screen import MerchantScreen

from edge.ui.kivy.merchant.spacing import gap_px

KEYBOARD_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


RESULT_KEYS = 4  # search results shown above the keyboard


class Keyboard(GridLayout):
    """Letters and digits for pinyin initials, full pinyin or a PLU number."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(cols=1, **kwargs)
        gap = gap_px(self)
        self.spacing = gap
        self.back: w.FitButton | None = None
        for i, row in enumerate(KEYBOARD_ROWS):
            line = BoxLayout(orientation="horizontal", spacing=gap)
            for ch in row:
                line.add_widget(
                    w.key(ch, lambda c=ch: screen.type_char(c), action=f"kbd:{ch}", color=w.KEY_FUNC, fill=0.5)
                )
            if i == 2:
                self.back = w.key(
                    t("back"), screen.backspace, action="kbd:back", color=w.KEY_DANGER, size_hint_x=1.6, fill=0.4
                )
                line.add_widget(self.back)
            if i == 3:
                line.add_widget(w.Filler(size_hint_x=0.6))
            self.add_widget(line)


class CatalogPanel(BoxLayout):
    """Hotkey pages with categories, or (while searching) query, results and keyboard."""

    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        self.screen = screen
        gap = gap_px(self)
        self.spacing = gap
        self.searching = False
        self._keys: tuple[KeyView | None, ...] | None = None
        self._cats: tuple[tuple[str, ...], str, str] | None = None
        self._results: tuple[KeyView, ...] | None = None
        self._lang = "zh"
        # hotkey mode
        self.tabs = BoxLayout(orientation="horizontal", size_hint_y=0.24, spacing=gap)
        self.prev = w.key("◀", lambda: screen.show_page(-1), action="page_prev", color=w.KEY_FUNC, size_hint_x=0.09)
        self.page = w.FitLabel(text="", size_hint_x=0.09, color=w.MUTED)
        self.next = w.key("▶", lambda: screen.show_page(+1), action="page_next", color=w.KEY_FUNC, size_hint_x=0.09)
        self.cat_row = BoxLayout(orientation="horizontal", size_hint_x=0.58, spacing=gap)
        self.search = w.key(t("search"), screen.open_search, action="search", color=w.KEY_ADD, size_hint_x=0.15)
        for child in (self.prev, self.page, self.next, self.cat_row, self.search):
            self.tabs.add_widget(child)
        self.grid = GridLayout(cols=4, spacing=gap, size_hint_y=0.76)
        # search mode
        self.query_row = BoxLayout(orientation="horizontal", size_hint_y=0.16, spacing=gap)
        self.query = w.FitLabel(text="", halign="left", color=w.TEXT, size_hint_x=0.64, fill=0.6)
        self.query.test_id = "query"
        self.clear = w.key(t("clear"), screen.clear_query, action="kbd:clear", color=w.KEY_FUNC, size_hint_x=0.18)
        self.close = w.key(t("close"), screen.close_search, action="search_close", color=w.KEY_FUNC, size_hint_x=0.18)
        for child in (self.query, self.clear, self.close):
            self.query_row.add_widget(child)
        self.result_row = BoxLayout(orientation="horizontal", size_hint_y=0.19, spacing=gap)
        self.keyboard = Keyboard(screen, size_hint_y=0.65)
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
            self.cat_row.add_widget(
                w.key(
                    caption,
                    lambda n=name: self.screen.show_category(n),
                    action=f"category:{name}",
                    color=color,
                    fill=0.45,
                )
            )

    def _build_keys(self, keys: Sequence[KeyView | None]) -> None:
        self.grid.clear_widgets()
        count = max(1, len(keys))
        rows = max(1, round(math.sqrt(count / 1.8)))  # keys about 1.8x wider than tall
        self.grid.cols = max(1, math.ceil(count / rows))
        for kv in keys:
            if kv is None:
                self.grid.add_widget(w.Filler())
                continue
            self.grid.add_widget(
                w.key(
                    f"{kv.name}\n{kv.price_text}",
                    lambda p=kv.position: self.screen.hotkey(p),
                    action=f"hotkey:{kv.plu}",
                    color=w.KEY,
                    fill=0.62,
                )
            )

    def _build_results(self, results: Sequence[KeyView], typed: bool, lang: str) -> None:
        self.result_row.clear_widgets()
        if typed and not results:
            self.result_row.add_widget(w.FitLabel(text=t("no_results", lang), color=w.MUTED, fill=0.4))
            return
        for kv in results[:RESULT_KEYS]:
            self.result_row.add_widget(
                w.key(
                    f"{kv.name}\n{kv.price_text}",
                    lambda i=kv.position: self.screen.pick_result(i),
                    action=f"result:{kv.plu}",
                    color=w.KEY,
                    fill=0.62,
                )
            )
        for _ in range(RESULT_KEYS - min(RESULT_KEYS, len(results))):
            self.result_row.add_widget(w.Filler())
