"""日结: the day's totals, who sold and when (班次), and what was sold per item (a popup)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from edge.core.pricing import format_yuan
from edge.core.units import format_kg
from edge.ui.kivy import widgets as w
from edge.ui.kivy.i18n import t
from edge.ui.model.report import method_name, operator_name, shift_line, shifts_title

if TYPE_CHECKING:
    from edge.core.report import DailyReport

from edge.ui.kivy.merchant.spacing import gap_px


class ReportView(w.Box):
    """日结: the day's totals and what was sold per item."""

    MAX_ITEMS = 6

    def __init__(self, report: DailyReport, lang: str, on_close: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL_LIGHT, **kwargs)
        gap = gap_px(self)
        self.padding = (gap * 4, gap * 2)
        self.spacing = gap
        self.test_id = "report"
        head = BoxLayout(orientation="horizontal", size_hint_y=0.14, spacing=gap)
        head.add_widget(
            w.FitLabel(
                text=f"{t('report_title', lang)}  {report.local_date}",
                halign="left",
                color=w.TEXT,
                bold=True,
                size_hint_x=0.75,
            )
        )
        head.add_widget(w.key(t("close", lang), on_close, action="report_close", color=w.KEY_FUNC, size_hint_x=0.25))
        self.add_widget(head)
        summary = GridLayout(cols=4, size_hint_y=0.18, spacing=gap)
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
        # by payment method, by who sold (实名登录) and the shifts (班次, as the console's report), one line each
        methods = "   ".join(f"{method_name(m, lang)} {format_yuan(fen)}" for m, fen in report.by_method.items())
        unit = "笔" if lang == "zh" else "x"
        people = "   ".join(
            f"{operator_name(p, lang)} {p.sales}{unit} {format_yuan(p.taken_fen)}" for p in report.by_operator
        )
        shifts = "   ".join(shift_line(s, lang).strip() for s in report.shifts)
        shifts = f"{shifts_title(lang)}  {shifts}" if shifts else ""
        lines = (("report_methods", methods), ("report_operators", people), ("report_shifts", shifts))
        for test_id, text in lines:
            label = w.FitLabel(text=text, halign="left", color=w.TEXT, size_hint_y=0.08)
            label.test_id = test_id
            self.add_widget(label)
        table = GridLayout(cols=4, size_hint_y=0.44, spacing=gap)
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
