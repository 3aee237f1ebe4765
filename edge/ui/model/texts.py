"""The view models' words and number texts, in one place (中文 first, English option).

Numbers become text only here, from integers: weights with ``edge.core.units.format_kg``
at the scale's division, money with ``edge.core.pricing.format_yuan``. Merchant screen,
customer screen and pole display all take these texts, so they can never disagree.
Weight and amount texts are bare numbers (kg, 元: the screens label them); unit prices
carry their unit because it differs per item (per kg or per piece).
"""

from __future__ import annotations

from edge.core.pricing import format_yuan, price_per_500g_fen
from edge.core.records import Pricing, SaleLine
from edge.core.refusals import Refusal
from edge.core.units import format_kg

LANGS = ("zh", "en")

UNITS: dict[str, dict[str, str]] = {
    "zh": {"per_kg": "元/kg", "per_piece": "元/件", "per_500g": "元/500g", "pieces": "件", "kg": "kg", "times": "×"},
    "en": {
        "per_kg": "CNY/kg",
        "per_piece": "CNY/pc",
        "per_500g": "CNY/500g",
        "pieces": "pcs",
        "kg": "kg",
        "times": "×",
    },
}

# code -> (zh, en); ``{placeholders}`` are filled by :func:`message`.
MESSAGES: dict[str, tuple[str, str]] = {
    "no_item": (
        "请先选择商品（快捷键、编号或拼音搜索）",
        "Choose an item first (hotkey, PLU number or pinyin search).",
    ),
    "added": ("已累计：{name} {detail}，{amount} 元", "Added: {name} {detail}, {amount} CNY"),
    "voided": ("已删除第 {n} 行", "Line {n} removed"),
    "no_line": ("没有第 {n} 行", "There is no line {n}."),
    "cancelled": ("已取消本笔交易", "Sale cancelled"),
    "nothing_to_cancel": ("没有要取消的交易", "There is no sale to cancel."),
    "zeroed": ("已置零", "Zero set"),
    "tared": ("已去皮 {tare} kg", "Tare {tare} kg set"),
    "tare_cleared": ("已清除皮重", "Tare cleared"),
    "sold": ("已结算 {total} 元，票号 {code}", "Sold: {total} CNY, ticket {code}"),
    "ticket_printing": ("小票打印中", "printing the ticket"),
    "ticket_queued": (
        "交易已保存；小票已排队，打印机恢复后自动打印：{why}",
        "The sale is saved; the ticket is queued and prints when the printer is back: {why}",
    ),
    "no_printer": ("交易已保存；未配置打印机", "The sale is saved; no printer is configured."),
    "reprint_queued": ("已排队重打小票 {code}", "Reprint of ticket {code} queued"),
    "no_sale_yet": ("还没有交易，无法重打", "There is no sale yet to reprint."),
    "busy": ("正在结算，请稍候", "Checking out, please wait."),
    "bad_page": ("没有第 {n} 页", "There is no page {n}."),
    "bad_hotkey": ("快捷键 {n} 未设置商品", "Hotkey {n} has no item."),
    "bad_result": ("没有第 {n} 个搜索结果", "There is no search result {n}."),
    "bad_category": ("没有分类“{name}”", "There is no category {name!r}."),
    "bad_quantity": ("数量必须是 1 到 999 的整数", "The quantity must be a whole number from 1 to 999."),
    "batch_chosen": ("已选择批次 {batch}（{origin}）", "Batch {batch} ({origin}) chosen"),
    "payment_timeout": (
        "支付超时，请重新收款或选择其他方式",
        "Payment timed out; collect again or choose another method.",
    ),
    "paid": ("已收款 {total} 元", "Paid: {total} CNY"),
    "lang": ("已切换为中文", "Language: English"),
    "bad_lang": ("不支持的语言：{lang}（可选 zh、en）", "Unsupported language {lang!r} (use zh or en)."),
    "sale_failed": (
        "本笔交易未保存（内部错误：{why}），请联系技术人员",
        "This sale was NOT recorded (internal error: {why}); call the technician.",
    ),
}

STATUS: dict[str, tuple[str, str]] = {
    "sync_off": ("未配置联网", "Sync not configured"),
    "sync_online": ("已联网", "Online"),
    "sync_offline": ("离线（交易照常，恢复后自动上传）", "Offline (selling goes on; uploads when back)"),
    "sync_backlog": ("待上传 {n} 笔", "{n} to upload"),
    "printer_unknown": ("打印机状态未知", "Printer status unknown"),
}


def pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


def message(code: str, lang: str, **values: object) -> str:
    return pick(lang, MESSAGES[code]).format(**values)


def status(code: str, lang: str, **values: object) -> str:
    return pick(lang, STATUS[code]).format(**values)


def refusal_text(refusal: Refusal, lang: str) -> str:
    return refusal.text(lang)


def split_bilingual(text: str, lang: str) -> str:
    """Messages such as the printer's ``"打印机缺纸，请装纸 / Printer out of paper"``: one side."""
    zh, sep, en = text.partition(" / ")
    return (en if lang == "en" else zh) if sep else text


# --- numbers -------------------------------------------------------------------------------


def kg_text(grams: int, e_g: int) -> str:
    return format_kg(grams, e_g)


def amount_text(fen: int) -> str:
    return format_yuan(fen)


def unit_price_text(pricing: Pricing | str, price_fen: int, lang: str) -> str:
    unit = UNITS[lang]["per_kg" if Pricing(pricing) is Pricing.WEIGHT else "per_piece"]
    return f"{format_yuan(price_fen)} {unit}"


def per_500g_text(pricing: Pricing | str, price_fen: int, lang: str) -> str:
    if Pricing(pricing) is not Pricing.WEIGHT:
        return ""
    return f"{format_yuan(price_per_500g_fen(price_fen))} {UNITS[lang]['per_500g']}"


def line_detail(line: SaleLine, e_g: int, lang: str) -> str:
    """``1.235 kg × 3.98 元/kg`` or ``2 件 × 15.00 元/件``."""
    u = UNITS[lang]
    price = unit_price_text(line.pricing, line.unit_price_fen, lang)
    if Pricing(line.pricing) is Pricing.WEIGHT:
        return f"{format_kg(line.net_g, e_g)} {u['kg']} {u['times']} {price}"
    return f"{line.quantity} {u['pieces']} {u['times']} {price}"
