"""The consumer trace page (扫码溯源): mobile-first HTML, Chinese by default, ``?lang=en``.

Shows only public data: market, stall, the merchant's display name, time, items with
weight, price, amount, origin, supplier, certificate and batch arrival date. Money is
formatted from integer fen and weight from integer grams, never through floats.

The page of a code is the ticket itself (电子小票, a paperless sale has no paper one): it
shows everything the paper ticket prints (edge/printer/ticket.py): stall, merchant, time,
sale number, every line's weight or quantity, unit price and amount, rounding, total,
payment method and status, and the grouped trace code. Its footer names the market
office's phone and the national consumer hotline 12315 (全国12315平台, the State
Administration for Market Regulation's complaint line) for complaints.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from central.localtime import local_text
from edge.core.tracecode import format_trace_code, looks_like_trace_code
from edge.core.units import format_kg

_TEXT = {
    "zh": {
        "title": "溯源查询", "market": "市场", "stall": "摊位", "merchant": "商户", "time": "交易时间",
        "code": "溯源码", "item": "商品", "weight": "重量", "qty": "数量", "price": "单价", "amount": "金额",
        "origin": "产地", "supplier": "供货方", "cert": "检疫/检验证号", "arrival": "进货日期", "batch": "批次",
        "total": "合计", "rounding": "抹零", "refund": "退货单", "piece": "件", "lookup": "查询",
        "prompt": "请输入小票上的 20 位溯源码", "not_found": "未找到该溯源码",
        "not_found_hint": "溯源码格式正确，但系统中没有这笔交易。"
        "小票刚打印时可能还在上传，请稍后再试；如仍查不到，请联系市场管理处。",
        "bad_code": "溯源码有误", "error": "服务暂时不可用", "error_hint": "请稍后再试。",
        "other": "English", "unknown": "—", "motto": "来源可溯 · 流向可追 · 问题可查",
        "page_not_found": "页面不存在", "seq": "流水号", "payment": "支付方式",
        "complaints": "投诉举报", "office": "市场管理处", "hotline": "全国消费者投诉举报电话 12315",
        "typed": "您输入的是",
        "stopped": "该批次已被市场停售", "stopped_hint": "原因：{reason}。如有疑问，请联系市场管理处。",
    },
    "en": {
        "title": "Trace lookup", "market": "Market", "stall": "Stall", "merchant": "Merchant", "time": "Time",
        "code": "Trace code", "item": "Item", "weight": "Weight", "qty": "Qty", "price": "Unit price",
        "amount": "Amount", "origin": "Origin", "supplier": "Supplier", "cert": "Certificate",
        "arrival": "Arrived", "batch": "Batch", "total": "Total", "rounding": "Rounded off", "refund": "Refund",
        "piece": "pc", "lookup": "Look up", "prompt": "Enter the 20-digit trace code from the ticket",
        "not_found": "Trace code not found",
        "not_found_hint": "The code is well formed but no such sale is on record. A ticket printed just now may "
        "still be uploading; try again in a few minutes, or ask the market office.",
        "bad_code": "This trace code is wrong", "error": "Service unavailable", "error_hint": "Please try later.",
        "other": "中文", "unknown": "—", "motto": "Source traced · flow followed · problems investigated",
        "stopped": "The market has withdrawn this batch", "stopped_hint": "Reason: {reason}. Ask the market office.",
        "page_not_found": "Page not found", "seq": "Sale no.", "payment": "Payment",
        "complaints": "Complaints", "office": "market office", "hotline": "national consumer hotline 12315",
        "typed": "You typed",
    },
}  # fmt: skip
# As the paper ticket names them (edge/printer/ticket.py METHODS, STATUSES).
_METHODS = {
    "zh": {"cash": "现金", "wechat": "微信支付", "alipay": "支付宝", "unionpay": "云闪付", "static_qr": "收款码"},
    "en": {"cash": "Cash", "wechat": "WeChat Pay", "alipay": "Alipay", "unionpay": "UnionPay", "static_qr": "QR code"},
}
_STATUSES = {
    "zh": {"paid": "已支付", "pending": "待支付", "unconfirmed": "待确认", "failed": "支付失败", "refunded": "已退款"},
    "en": {"paid": "paid", "pending": "pending", "unconfirmed": "to be confirmed", "failed": "failed",
           "refunded": "refunded"},
}  # fmt: skip

_CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:0;background:#f4f6f4;color:#1b1b1b;font-size:16px;line-height:1.45}
main{max-width:40rem;margin:0 auto;padding:1rem}
header{background:#1f7a3a;color:#fff;padding:.8rem 1rem}header h1{margin:0;font-size:1.2rem}
header p{margin:.2rem 0 0;font-size:.85rem;opacity:.9}
.card{background:#fff;border-radius:.6rem;padding:.9rem 1rem;margin:.8rem 0;box-shadow:0 1px 3px #0002}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .8rem;margin:0}dt{color:#666}dd{margin:0}
h2{font-size:1.05rem;margin:0 0 .4rem}.amount{font-weight:600}.total{font-size:1.2rem;font-weight:700}
.err{border-left:4px solid #b3261e}.code{font-family:ui-monospace,monospace;letter-spacing:.05em}
.code .g{white-space:nowrap}.codeblock{margin:0 0 .6rem;text-align:center}.codeblock .label{color:#666;font-size:.85rem}
.codeblock .code{display:block;font-size:min(1.2rem,4.6vw);font-weight:700;white-space:nowrap}
form{display:flex;flex-wrap:wrap;gap:.5rem}input{flex:1 1 15rem;min-width:0;font-size:1.1rem;padding:.5rem;
border:1px solid #999;border-radius:.4rem}
button{font-size:1rem;padding:.5rem 1rem;border:0;border-radius:.4rem;background:#1f7a3a;color:#fff}
.lang{float:right;color:#fff}footer{text-align:center;color:#555;font-size:.85rem;margin:1rem;line-height:1.6}
footer p{margin:.2rem 0}
.stop{color:#b3261e;margin:0 0 .5rem}
"""


def lang_of(query: dict[str, list[str]]) -> str:
    return "en" if query.get("lang", [""])[0].lower().startswith("en") else "zh"


def yuan(fen: int) -> str:
    """Integer fen as yuan text: 1234 -> '¥12.34', -50 -> '-¥0.50'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole}.{cents:02d}"


def _page(lang: str, title: str, body: str, *, switch_to: str = "/", contact: dict[str, Any] | None = None) -> str:
    """The page around ``body``; ``switch_to`` is this page's own address (the language link keeps it)."""
    t = _TEXT[lang]
    other = "zh" if lang == "en" else "en"
    sep = "&" if "?" in switch_to else "?"
    link = f"{switch_to}{sep}lang={other}" if other == "en" else switch_to
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<header><a class="lang" href="{escape(link)}">{t["other"]}</a><h1>{escape(t["title"])}</h1>'
        f"<p>{escape(t['motto'])}</p></header><main>{body}</main>{_footer(lang, contact or {})}</body></html>"
    )


def _footer(lang: str, contact: dict[str, Any]) -> str:
    """Where to complain: the market office (name, phone when registered) and 12315."""
    t = _TEXT[lang]
    market = contact.get("market_name") or ""
    if lang == "en":
        office = f"{market} {t['office']}"
    else:  # 东方红综合市场 + 管理处, not 市场市场管理处
        office = market + (t["office"][2:] if market.endswith("市场") else t["office"])
    phone = contact.get("office_phone") or ""
    office_line = f"{office.strip()} {phone}".strip()
    colon = ": " if lang == "en" else "："
    return (
        f'<footer><p>{escape(t["complaints"])}{colon}<span class="office">{escape(office_line)}</span></p>'
        f'<p class="hotline">{escape(t["hotline"])}</p></footer>'
    )


def _code_block(label: str, code: str) -> str:
    """A label over the grouped code, on a line of its own (one line even at 360 px)."""
    return f'<div class="codeblock"><div class="label">{escape(label)}</div>{grouped_code_html(code)}</div>'


def grouped_code_html(code: str) -> str:
    """The trace code in its reading groups, each unbreakable: a line may wrap between groups only."""
    groups = format_trace_code(code).split(" ") if looks_like_trace_code(code) else [code]
    return '<span class="code">' + " ".join(f'<span class="g">{escape(g)}</span>' for g in groups) + "</span>"


def _form(lang: str, value: str = "") -> str:
    t = _TEXT[lang]
    hidden = '<input type="hidden" name="lang" value="en">' if lang == "en" else ""
    return (
        f'<div class="card"><form method="get" action="/lookup">{hidden}'
        f'<input name="code" inputmode="numeric" autocomplete="off" placeholder="{escape(t["prompt"])}" '
        f'aria-label="{escape(t["prompt"])}" value="{escape(value)}"><button>{escape(t["lookup"])}</button>'
        "</form></div>"
    )


def home(lang: str) -> str:
    return _page(lang, _TEXT[lang]["title"], _form(lang))


def bad_code(lang: str, typed: str, message: str) -> str:
    """A mistyped code: what was typed (grouped when it has 20 digits) and why it is wrong."""
    t = _TEXT[lang]
    shown = _code_block(t["typed"], typed) if typed.strip() else ""
    body = (
        f'<div class="card err"><h2>{escape(t["bad_code"])}</h2>{shown}<p>{escape(message)}</p></div>'
        f"{_form(lang, typed)}"
    )
    return _page(lang, t["bad_code"], body, switch_to=f"/lookup?code={quote(typed)}")


def not_found(lang: str, code: str) -> str:
    t = _TEXT[lang]
    body = (
        f'<div class="card err"><h2>{escape(t["not_found"])}</h2>'
        f"{_code_block(t['code'], code)}<p>{escape(t['not_found_hint'])}</p></div>{_form(lang)}"
    )
    return _page(lang, t["not_found"], body, switch_to=f"/t/{code}")


def error(lang: str, status: int) -> str:
    t = _TEXT[lang]
    title = t["page_not_found"] if status == 404 else t["error"]
    hint = "" if status == 404 else f"<p>{escape(t['error_hint'])}</p>"
    return _page(lang, title, f'<div class="card err"><h2>{escape(title)}</h2>{hint}</div>{_form(lang)}')


def sale(lang: str, s: dict[str, Any]) -> str:
    """The ticket of one sale (电子小票): everything the paper ticket prints, plus the batch data."""
    t = _TEXT[lang]
    dash = t["unknown"]
    head = [
        (t["market"], escape(s.get("market_name") or s["market_id"])),
        (t["stall"], escape(s["stall"])),
        (t["merchant"], escape(s.get("merchant_name") or dash)),
        (t["time"], escape(local_text(s["created_ms"]))),
        (t["seq"], escape(str(s["seq"]))),
    ]
    refund = f"<h2>{escape(t['refund'])}</h2>" if s.get("refund_of") else ""
    parts = [f'<div class="card">{refund}{_code_block(t["code"], s["trace_code"])}<dl>{_dl(head)}</dl></div>']
    for line in s["lines"]:
        if line["pricing"] == "piece":
            qty = (t["qty"], f"{line['quantity']} {t['piece']}")
            price = f"{yuan(line['unit_price_fen'])}/{t['piece']}"
        else:
            qty = (t["weight"], f"{format_kg(line['net_g'])} kg")
            price = f"{yuan(line['unit_price_fen'])}/kg"
        rows = [
            qty,
            (t["price"], price),
            (t["amount"], f'<span class="amount">{yuan(line["amount_fen"])}</span>'),
            (t["origin"], escape(line.get("batch_origin") or line["origin"] or dash)),
            (t["supplier"], escape(line.get("supplier") or dash)),
            (t["cert"], escape(line.get("certificate") or dash)),
            (t["arrival"], escape(line.get("arrival_date") or dash)),
            (t["batch"], escape(line["batch_id"] or dash)),
        ]
        name = (line.get("name_en") or line["name"]) if lang == "en" else line["name"]
        stopped = ""  # 问题可查: a batch stopped after the sale (a failed test, a recall) is said first
        if line.get("batch_stop_reason"):
            hint = t["stopped_hint"].format(reason=line["batch_stop_reason"])
            stopped = f'<p class="stop"><strong>{escape(t["stopped"])}</strong><br>{escape(hint)}</p>'
        card = "card err" if stopped else "card"
        parts.append(f'<div class="{card}"><h2>{escape(name)}</h2>{stopped}<dl>{_dl(rows)}</dl></div>')
    totals = []
    if s["rounding_fen"]:
        totals.append((t["rounding"], yuan(s["rounding_fen"])))
    totals.append((t["total"], f'<span class="total">{yuan(s["total_fen"])}</span>'))
    method = _METHODS[lang].get(s["payment_method"], s["payment_method"])
    status = _STATUSES[lang].get(s["payment_status"], s["payment_status"])
    totals.append((t["payment"], f'<span class="payment">{escape(method)} {escape(status)}</span>'))
    parts.append(f'<div class="card"><dl>{_dl(totals)}</dl></div>')
    return _page(lang, f"{t['title']} {s['trace_code']}", "".join(parts), switch_to=f"/t/{s['trace_code']}",
                 contact=s)  # fmt: skip


def _dl(rows: list[tuple[str, str]]) -> str:
    """Rows of (label, already-escaped HTML)."""
    return "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in rows)
