"""Fixed captions of the Kivy screens (Chinese first, English option).

Everything that depends on data (weights, amounts, refusals, statuses) comes already
translated in the model's snapshots; only the widgets' own captions live here.
"""

from __future__ import annotations

CAPTIONS: dict[str, tuple[str, str]] = {
    # merchant keys
    "zero": ("置零", "Zero"),
    "tare": ("去皮", "Tare"),
    "clear_tare": ("清皮", "Clear tare"),
    "add": ("累计", "Add"),
    "checkout": ("现金", "Cash"),  # cash checkout; the QR methods sit beside it
    "reprint": ("重打", "Reprint"),
    "paper_ticket": ("纸质小票", "Paper"),
    "e_ticket_key": ("电子小票", "E-ticket"),
    "report": ("日结", "Day report"),
    "cancel": ("取消", "Cancel"),
    "void": ("删", "Del"),
    "search": ("搜索", "Search"),
    "search_hint": ("拼音首字母 / 编号", "Pinyin / PLU no."),
    "close": ("关闭", "Close"),
    "clear": ("清空", "Clear"),
    "back": ("退格", "Back"),
    "all": ("全部", "All"),
    "switch_batch": ("换批次", "Batch"),
    "choose_batch": ("选择进货批次", "Choose the batch"),
    "no_batch": ("无批次", "No batch"),
    "origin": ("产地", "Origin"),
    "batch": ("批次", "Batch"),
    "supplier": ("供货", "Supplier"),
    "stable": ("稳定", "Stable"),
    "zero_flag": ("零位", "Zero"),
    "net": ("净重", "Net"),
    "tare_flag": ("皮重", "Tare"),
    "range_flag": ("量程", "Range"),
    "kg": ("kg", "kg"),
    "amount": ("金额", "Amount"),
    "unit_price": ("单价", "Price"),
    "total": ("合计", "Total"),
    "subtotal": ("小计", "Subtotal"),
    "rounding": ("抹零", "Rounding"),
    "cart_empty": ("尚未累计商品", "Cart is empty"),
    "cart_count": ("{n} 件", "{n} items"),  # lines in the cart (not money: no 合计 here)
    "qty_minus": ("−", "−"),
    "qty_plus": ("+", "+"),
    "qty_key": ("{n} 件", "{n} pcs"),
    "qty_title": ("数量（1–{most} 件）", "Quantity (1–{most} pcs)"),
    "no_item": ("请选择商品", "Choose an item"),
    "page": ("页", "page"),
    "settings": ("设置", "Setup"),
    "lang": ("EN", "中文"),
    "busy": ("正在结算…", "Checking out…"),
    "no_results": ("没有找到商品", "No item found"),
    # QR payment (the checkout row, and the keys while a payment is under way)
    "pay_wechat": ("微信", "WeChat"),
    "pay_alipay": ("支付宝", "Alipay"),
    "pay_unionpay": ("云闪付", "UnionPay"),
    "paycode": ("付款码", "Pay code"),
    "paycode_prompt": ("请扫描顾客的付款码（或输入数字后按回车）", "Scan the customer's pay code (or type it, Enter)"),
    "paycode_hint": ("扫付款码", "Scan pay code"),  # the narrow field on the payment panel
    "pay_cash": ("改收现金", "Take cash"),
    "pay_static": ("静态码", "Static code"),
    "pay_confirm": ("已收款", "Received"),
    "pay_cancel": ("取消收款", "Cancel"),
    "paying_title": ("收款 ¥ {amount}", "Payment ¥ {amount}"),
    "paying_left": ("剩余 {n} 秒", "{n} s left"),  # the amount is the cart's total above
    # daily report
    "report_title": ("日结报表", "Daily report"),
    "report_date": ("日期", "Date"),
    "report_sales": ("交易笔数", "Sales"),
    "report_amount": ("销售额", "Sales amount"),
    "report_unpaid": ("未付", "Unpaid"),
    "report_refunds": ("退款", "Refunds"),
    "report_total": ("实收", "Taken"),
    "report_item": ("商品", "Item"),
    "report_weight": ("重量 kg", "Weight kg"),
    "report_count": ("笔/件", "Lines/pcs"),
    # customer display
    "welcome": ("欢迎光临", "Welcome"),
    "trace_motto": ("来源可溯 · 流向可追 · 问题可查", "Traceable source · followed flow · answerable"),
    "weight": ("重量", "Weight"),
    "item": ("商品", "Item"),
    "scan_to_pay": ("请扫码支付", "Scan to pay"),
    "seconds_left": ("剩余 {n} 秒", "{n} s left"),
    "paid": ("支付成功", "Paid"),
    "thanks": ("谢谢惠顾，请取小票", "Thank you, take your ticket"),
    "waiting_link": ("等待秤主机…", "Waiting for the scale…"),
    "quantity": ("数量", "Quantity"),
    "tare_weight": ("皮重", "Tare"),
    "scan_with": ("请用{wallet}扫码支付", "Scan with {wallet} to pay"),
    "e_ticket": ("扫码取电子小票", "Scan for your e-ticket"),
    "thank_you": ("谢谢惠顾", "Thank you"),
    # technician
    "tech_title": ("技术人员设置", "Technician settings"),
    "pin_prompt": ("请输入技术人员密码", "Enter the technician PIN"),
    "ok": ("确定", "OK"),
    "exit": ("退出", "Exit"),
    "save": ("保存", "Save"),
    "probe": ("自动检测", "Probe"),
    "test_print": ("打印测试页", "Test print"),
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    zh, en = CAPTIONS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text
