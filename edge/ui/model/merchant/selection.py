"""Choosing the item: hotkey pages, categories, search (pinyin initials, PLU), the batch it binds to."""

from __future__ import annotations

import logging

from edge import runtime
from edge.core.batches import active_batches, pick_batch
from edge.core.pricing import piece_amount_fen, weight_amount_fen
from edge.core.records import Batch, Plu, Pricing
from edge.core.refusals import Refusal
from edge.store import StoreError
from edge.ui.model import texts
from edge.ui.model.merchant.base import (
    ModelBase,
)
from edge.ui.model.views import (
    ItemPanel,
    KeyView,
)

log = logging.getLogger(__name__)


class SelectionTasks(ModelBase):
    def reload_catalog(self) -> None:
        """After central replaced the catalog or the batch list."""
        with self._lock:
            self._catalog = runtime.catalog(self.store)
            if self._item is not None:
                self._item = self._catalog.get(self._item.plu)  # new price; None if withdrawn
                self._pick_batch()
            self._results = tuple(self._catalog.search(self._query, self.search_limit)) if self._query else ()
            self._page = min(self._page, self._page_count() - 1)
            self._publish()

    def select_plu(self, plu: str) -> None:
        with self._lock:
            found = self._catalog.require(plu)
            if isinstance(found, Refusal):
                self._refused(found)
            else:
                self._select(found)
            self._publish()

    def press_hotkey(self, position: int) -> None:
        """A cell of the grid: a hotkey position, or (in a category) the item's 1-based place."""
        with self._lock:
            if self._category:
                items = self._catalog.in_category(self._category)
                found = items[position - 1] if 1 <= position <= len(items) else None
            else:
                found = self._catalog.by_hotkey(position)
            if found is None:
                self._say_error("bad_hotkey", n=position)
            else:
                self._select(found)
            self._publish()

    def show_page(self, n: int) -> None:
        with self._lock:
            if 0 <= n < self._page_count():
                self._page = n
            else:
                self._say_error("bad_page", n=n + 1)
            self._publish()

    def show_category(self, name: str) -> None:
        """``""`` goes back to the hotkey pages."""
        with self._lock:
            if name and name not in self._catalog.categories():
                self._say_error("bad_category", name=name)
            else:
                self._category, self._page = name, 0
            self._publish()

    def type_text(self, chars: str) -> None:
        with self._lock:
            self._set_query(self._query + chars)

    def backspace(self) -> None:
        with self._lock:
            self._set_query(self._query[:-1])

    def clear_query(self) -> None:
        with self._lock:
            self._set_query("")

    def pick_result(self, i: int) -> None:
        with self._lock:
            if 0 <= i < len(self._results):
                self._select(self._results[i])
            else:
                self._say_error("bad_result", n=i + 1)
            self._publish()

    def set_page_size(self, page_size: int) -> None:
        """Hotkey cells per page (the window decides how many fit); back to the first page."""
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValueError(f"page size must be a positive integer, got {page_size!r}")
        with self._lock:
            self.page_size, self._page = page_size, 0
            self._publish()

    def batches_for_item(self) -> list[Batch]:
        """The selected item's active batches, oldest first (the one a line binds to first)."""
        with self._lock:
            if self._item is None:
                return []
            return active_batches(self.store.active_batches(self._item.plu), self._item.plu)

    def choose_batch(self, batch_id: str) -> None:
        with self._lock:
            if self._item is None:
                self._say_error("no_item")
            else:
                found = pick_batch(self.store.active_batches(self._item.plu), self._item, batch_id)
                if isinstance(found, Refusal):
                    self._refused(found)
                else:
                    self._chosen_batch_id, self._batch = batch_id, found
                    self._say("batch_chosen", batch=found.batch_id, origin=found.origin)
            self._publish()

    def _select(self, plu: Plu) -> None:
        self._item = plu
        self._chosen_batch_id = None
        self._quantity = 1
        self._paid = None
        self._query, self._results = "", ()
        self._message = None
        self._pick_batch()
        if isinstance(self._batch, Refusal):
            self._refused(self._batch)  # say it now, not only when the vendor presses 累计

    def _pick_batch(self) -> None:
        if self._item is None:
            self._batch = None
            return
        try:
            batches = self.store.active_batches(self._item.plu)
        except StoreError as exc:
            log.warning("cannot read batches: %s", exc)
            batches = []
        self._batch = pick_batch(batches, self._item, self._chosen_batch_id)

    def _clear_item(self) -> None:
        self._item, self._batch, self._chosen_batch_id, self._quantity = None, None, None, 1

    def _set_query(self, query: str) -> None:
        self._query = query
        self._results = tuple(self._catalog.search(query, self.search_limit)) if query else ()
        self._publish()

    def _page_count(self) -> int:
        if self._category:
            return max(1, -(-len(self._catalog.in_category(self._category)) // self.page_size))
        return self._catalog.hotkey_page_count(self.page_size)

    def _key(self, plu: Plu, position: int) -> KeyView:
        return KeyView(plu.plu, plu.name, texts.unit_price_text(plu.pricing, plu.unit_price_fen, self._lang), position)

    def _keys(self) -> tuple[KeyView | None, ...]:
        size = self.page_size
        if self._category:
            items = self._catalog.in_category(self._category)
            first = self._page * size
            return tuple(self._key(items[i], i + 1) if i < len(items) else None for i in range(first, first + size))
        cells = self._catalog.hotkey_page(self._page, size)
        first = self._page * size + 1
        return tuple(None if p is None else self._key(p, first + i) for i, p in enumerate(cells))

    def _item_panel(self, net_g: int | None) -> ItemPanel | None:
        item = self._item
        if item is None:
            return None
        price = item.unit_price_fen
        if item.pricing is Pricing.WEIGHT:
            # Live amount of the weight shown, stable or not; the line's amount is recomputed at 累计.
            amount = texts.amount_text(weight_amount_fen(net_g, price)) if net_g is not None and net_g > 0 else ""
        else:
            amount = texts.amount_text(piece_amount_fen(self._quantity, price))
        batch = self._batch if isinstance(self._batch, Batch) else None
        return ItemPanel(
            plu=item.plu,
            name=item.name,
            unit_price_text=texts.unit_price_text(item.pricing, price, self._lang),
            price_per_500g_text=texts.per_500g_text(item.pricing, price, self._lang),
            amount_text=amount,
            batch_id=batch.batch_id if batch else "",
            origin=batch.origin if batch else "",
            supplier=batch.supplier if batch else "",
            pricing=str(item.pricing),
            quantity=self._quantity,
        )
