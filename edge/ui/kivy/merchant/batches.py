"""The item's batch: the row under the weight (origin · batch · supplier, 换批次) and the chooser popup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout

from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.views import ItemPanel

if TYPE_CHECKING:
    from edge.core.records import Batch
    from edge.ui.kivy.merchant.screen import MerchantScreen

from edge.ui.kivy.merchant.spacing import gap_px


class BatchRow(w.Box):
    def __init__(self, screen: MerchantScreen, **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", bg=w.PANEL, **kwargs)
        gap = gap_px(self)
        self.padding = (gap * 2, 0)  # 换批次 gets the row's full height
        self.spacing = gap * 2
        self.text = w.FitLabel(text="", halign="left", color=w.MUTED, size_hint_x=0.78, fill=0.5)
        self.switch = w.key(
            t("switch_batch"), screen.open_batches, action="switch_batch", color=w.KEY_FUNC, size_hint_x=0.22
        )
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
        parts = [
            f"{t('origin', lang)} {item.origin}" if item.origin else "",
            f"{t('batch', lang)} {item.batch_id}",
            f"{t('supplier', lang)} {item.supplier}" if item.supplier else "",
        ]
        if item.pricing == "piece":  # the quantity keys take half the row: origin over batch, no supplier
            self.text.text = "\n".join(p for p in parts[:2] if p)
        else:
            self.text.text = "  ·  ".join(p for p in parts if p)


class BatchChooser(w.Box):
    """The item's active batches, oldest first; the current one highlighted."""

    MAX_ROWS = 4

    def __init__(
        self,
        batches: Sequence[Batch],
        current: str,
        lang: str,
        on_choose: Callable[[str], None],
        on_close: Callable[[], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
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
            self.add_widget(
                w.key(
                    text,
                    lambda b=batch.batch_id: on_choose(b),
                    action=f"batch:{batch.batch_id}",
                    color=color,
                    fill=0.6,
                    size_hint_y=1,
                    halign="left",
                    inset=gap * 3,
                )
            )
        for _ in range(self.MAX_ROWS - len(shown)):
            self.add_widget(w.Filler())
