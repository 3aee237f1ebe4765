"""The daily report (日结) as text lines, for the headless console and the report screen."""

from __future__ import annotations

from datetime import datetime

from edge.checkout import MARKET_TZ
from edge.core.report import DailyReport, OperatorTotal, Shift
from edge.ui.model import texts

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("日结 {date}", "Daily report {date}"),
    "sales": ("交易 {n} 笔  {amount} 元", "Sales: {n}, {amount} CNY"),
    "unpaid": ("未付款 {n} 笔  {amount} 元", "Unpaid: {n}, {amount} CNY"),
    "refunds": ("退款 {n} 笔  {amount} 元", "Refunds: {n}, {amount} CNY"),
    "rounding": ("抹零 {amount} 元", "Rounding: {amount} CNY"),
    "total": ("实收 {amount} 元", "Taken: {amount} CNY"),
    "by_method": ("按收款方式", "By payment method"),
    "method": ("  {method}  {amount} 元", "  {method}  {amount} CNY"),
    "by_operator": ("按售货人", "By operator"),
    "operator": ("  {name}  {n} 笔  {amount} 元", "  {name}  {n} sales  {amount} CNY"),
    "nobody": ("未登录", "not signed in"),
    "by_plu": ("按商品", "By item"),
    "shifts": ("班次", "Shifts"),
    "shift": ("  {name}  {start}–{end}", "  {name}  {start}-{end}"),
    "on_duty": ("在岗", "on duty"),
    "plu_weight": ("  {plu} {name}  {lines} 笔  {kg} kg  {amount} 元", "  {plu} {name}  {lines}x  {kg} kg  {amount}"),
    "plu_piece": ("  {plu} {name}  {lines} 笔  {qty} 件  {amount} 元", "  {plu} {name}  {lines}x  {qty} pcs  {amount}"),
}


def report_lines(report: DailyReport, lang: str, e_g: int = 1) -> list[str]:
    def line(code: str, **values: object) -> str:
        return texts.pick(lang, _LABELS[code]).format(**values)

    yuan = texts.amount_text
    out = [
        line("title", date=report.local_date),
        line("sales", n=report.sales_count, amount=yuan(report.sales_fen)),
    ]
    if report.unpaid_count:
        out.append(line("unpaid", n=report.unpaid_count, amount=yuan(report.unpaid_fen)))
    if report.refunds_count:
        out.append(line("refunds", n=report.refunds_count, amount=yuan(report.refunds_fen)))
    if report.rounding_fen:
        out.append(line("rounding", amount=yuan(report.rounding_fen)))
    out.append(line("total", amount=yuan(report.total_fen)))
    if report.by_method:
        out.append(line("by_method"))
        out.extend(
            line("method", method=method_name(method, lang), amount=yuan(fen))
            for method, fen in report.by_method.items()
        )
    if report.by_operator:
        out.append(line("by_operator"))
        for person in report.by_operator:
            out.append(line("operator", name=operator_name(person, lang), n=person.sales,
                            amount=yuan(person.taken_fen)))  # fmt: skip
    if report.shifts:
        out.append(line("shifts"))
        out.extend(shift_line(shift, lang) for shift in report.shifts)
    if report.plus:
        out.append(line("by_plu"))
    for plu in report.plus:
        values = {"plu": plu.plu, "name": plu.name, "lines": plu.lines, "amount": yuan(plu.amount_fen)}
        if plu.net_g:
            out.append(line("plu_weight", kg=texts.kg_text(plu.net_g, e_g), **values))
        else:
            out.append(line("plu_piece", qty=plu.quantity, **values))
    return out


def operator_name(person: OperatorTotal, lang: str) -> str:
    """王建国（W01）, the id alone when no shift named it, 未登录 for sales without sign-in."""
    if not person.operator:
        return texts.pick(lang, _LABELS["nobody"])
    return f"{person.name}（{person.operator}）" if person.name else person.operator


def shifts_title(lang: str) -> str:
    return texts.pick(lang, _LABELS["shifts"])


def shift_line(shift: Shift, lang: str) -> str:
    """``  王建国  07:30–在岗``: who was signed in from when to when (在岗: still signed in)."""
    end = _clock(shift.ended_ms) if shift.ended_ms is not None else texts.pick(lang, _LABELS["on_duty"])
    return texts.pick(lang, _LABELS["shift"]).format(name=shift.name, start=_clock(shift.started_ms), end=end)


def method_name(method: str, lang: str) -> str:
    return texts.pick(lang, texts.METHOD_NAMES.get(method, (method, method)))


def _clock(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, MARKET_TZ).strftime("%H:%M")
