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
        "交易已保存；小票已排队，打印机恢复后自动打印：{why}（可按“电子小票”让顾客扫码取票）",
        "The sale is saved; the ticket is queued and prints when the printer is back: {why} "
        "(or press e-ticket: the customer scans it)",
    ),
    "no_printer": ("交易已保存；未配置打印机", "The sale is saved; no printer is configured."),
    "ticket_paperless": ("电子小票：请顾客扫顾客屏上的二维码", "e-ticket: the customer scans the customer screen's QR"),
    "paperless_on": ("下一笔为电子小票（不打印）", "Next sale: e-ticket (no paper)"),
    "paperless_off": ("下一笔打印纸质小票", "Next sale: paper ticket"),
    "no_paper_offer": ("没有等待打印的小票", "No ticket is waiting for the printer."),
    "reprint_queued": ("已排队重打小票 {code}", "Reprint of ticket {code} queued"),
    "no_sale_yet": ("还没有交易，无法重打", "There is no sale yet to reprint."),
    "busy": ("正在结算，请稍候", "Checking out, please wait."),
    "bad_page": ("没有第 {n} 页", "There is no page {n}."),
    "bad_hotkey": ("快捷键 {n} 未设置商品", "Hotkey {n} has no item."),
    "bad_result": ("没有第 {n} 个搜索结果", "There is no search result {n}."),
    "bad_category": ("没有分类“{name}”", "There is no category {name!r}."),
    "bad_quantity": ("数量必须是 1 到 {most} 的整数", "The quantity must be a whole number from 1 to {most}."),
    "quantity_weighed": (
        "{name}按重量计价，不能输入数量：请放上秤盘称重",
        "{name} is sold by weight; a quantity is for piece items only. Weigh it on the platter.",
    ),
    "quantity_set": ("{name} {n} 件，金额 {amount} 元", "{name}: {n} pieces, {amount} CNY"),
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
    # --- QR payment (edge.payment.flow notices; {amount} and {method} are filled by the model)
    "sold_waiting_payment": (
        "已结算 {total} 元，票号 {code}；收款后打印小票",
        "Sold: {total} CNY, ticket {code}; the ticket prints once paid",
    ),
    "pay_waiting": ("正在向中心申请收款码，请稍候…", "Asking central for the payment QR, please wait…"),
    "pay_micropay_sent": ("付款码已提交，等待支付结果…", "Payment code sent; waiting for the result…"),
    "pay_show_qr": ("请顾客用{method}扫描顾客屏上的二维码", "Ask the customer to scan the QR with {method}"),
    "pay_customer_paying": (
        "顾客正在手机上输入密码确认，请稍候",
        "The customer is entering the password on the phone; please wait.",
    ),
    "pay_paid": ("已收款 {amount} 元，小票打印中", "Paid: {amount} CNY; printing the ticket"),
    "pay_paid_no_cash": (
        "顾客已扫码付款 {amount} 元，请勿再收现金",
        "The customer has already paid {amount} CNY by QR: do NOT take cash.",
    ),
    "pay_paid_after_settled": (
        "注意：本笔已按现金/静态码收款，顾客又通过扫码付了 {amount} 元，请退还顾客现金",
        "Note: this sale was settled by cash/static code, and the customer also paid {amount} CNY by QR; "
        "give the cash back.",
    ),
    "pay_qr_expired": (
        "收款码已过期，正在向中心确认是否已付款…",
        "The QR expired; checking with central whether it was paid…",
    ),
    "pay_closed": (
        "订单已关闭，顾客未付款：可改收现金或使用静态码",
        "The order was closed unpaid: take cash or use the static code.",
    ),
    "pay_failed": (
        "无法发起扫码收款（{why_zh}）：请改收现金或使用静态码",
        "QR payment could not start ({why_en}): take cash or use the static code.",
    ),
    "pay_close_failed": (
        "中心未能关闭订单（{why_zh}），顾客可能仍在付款：请稍后再改收现金",
        "Central could not close the order ({why_en}); the customer may still pay: try cash again shortly.",
    ),
    "pay_offline": (
        "未连上中心（离线或无应答）：请收现金或出示静态收款码",
        "No answer from central (offline): take cash or show the static payment code.",
    ),
    "pay_closing": (
        "正在关闭扫码订单，确认后改收现金，请稍候…",
        "Closing the QR order before taking cash, please wait…",
    ),
    "pay_cash": ("已改收现金 {amount} 元，小票打印中", "Cash {amount} CNY taken; printing the ticket"),
    "pay_cash_offline": (
        "已改收现金 {amount} 元（离线，已记录备查），小票打印中",
        "Cash {amount} CNY taken (offline; logged for reconciliation); printing the ticket",
    ),
    "pay_settled": ("本笔已收款，无需再操作", "This sale is already settled; nothing more to do."),
    "pay_no_static": (
        "未配置静态收款码：请收现金，或请技术人员在 edge.toml [payment].static_qr 中设置",
        "No static payment code is configured: take cash, or have the technician set [payment].static_qr.",
    ),
    "pay_static_shown": (
        "顾客屏显示静态码，请顾客输入 {amount} 元；确认到账后按“已收款”",
        "The static code is shown: the customer enters {amount} CNY; press Received once the money is there.",
    ),
    "pay_not_static": ("当前没有显示静态码，无需确认", "No static code is shown; there is nothing to confirm."),
    "pay_static_confirmed": (
        "已确认静态码收款 {amount} 元（待对账），小票打印中",
        "Static-code payment of {amount} CNY confirmed (to be reconciled); printing the ticket",
    ),
    "pay_bad_code": (
        "付款码无效（{n} 位）：请让顾客刷新付款码后重新扫描",
        "Not a valid payment code ({n} digits): ask the customer to refresh it and scan again.",
    ),
    "pay_busy": (
        "正在处理本笔付款，请等结果或改收现金",
        "A payment for this sale is under way: wait for the result or switch to cash.",
    ),
    "pay_cancelled": (
        "已取消收款；交易已保存为未付款，可在日结中查看",
        "Payment cancelled; the sale stays recorded as unpaid (see the daily report).",
    ),
    "pay_none": ("当前没有待收款的交易", "There is no payment in progress."),
    "pay_method_off": (
        "本秤未开通{method}收款（[payment].methods）",
        "{method} is not enabled on this scale ([payment].methods).",
    ),
    "pay_record_failed": (
        "付款结果暂未保存（{why}），稍后自动重试",
        "The payment result could not be saved yet ({why}); retrying.",
    ),
}

# How a payment method is named to the vendor and the customer.
METHOD_NAMES: dict[str, tuple[str, str]] = {
    "cash": ("现金", "cash"),
    "wechat": ("微信", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
    "unionpay": ("云闪付", "UnionPay"),
    "static_qr": ("静态码", "static code"),
}

# Why the customer's weight is greyed: metrology's refusal codes (edge.core.refusals), said briefly.
CUSTOMER_BLOCKED: dict[str, tuple[str, str]] = {
    "unstable": ("未稳定", "Not stable"),
    "below_min": ("低于最小称量", "Below minimum"),
    "negative": ("负值", "Negative"),
    "overload": ("超载", "Overload"),
    "underload": ("欠载", "Underload"),
    "no_weight": ("无称重数据", "No weight"),
    "not_zeroed": ("未置零", "Not zeroed"),
    "power_on_zero": ("开机置零失败", "Not zeroed"),
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
