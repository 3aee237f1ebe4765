"""The console's words, Chinese first (简体中文), English with ``?lang=en``."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "app": "市场管理处控制台", "motto": "来源可溯 · 流向可追 · 问题可查", "other_lang": "English",
        "nav_overview": "概览", "nav_merchants": "商户与摊位", "nav_batches": "进货批次", "nav_prices": "价格与目录",
        "nav_fleet": "设备状态", "nav_search": "问题可查", "nav_reports": "日报", "nav_monthly": "月报",
        "logout": "退出登录", "login": "登录", "username": "用户名", "password": "密码",
        "login_title": "登录控制台", "login_failed": "用户名或密码错误。",
        "login_blocked": "登录失败次数过多，请 5 分钟后再试。", "login_expired": "登录表单已过期，请重新提交。",
        "role_office": "市场管理处", "role_regulator": "市场监管（全市，只读，可停售）",
        "market": "市场", "all_markets": "全部市场", "choose": "选择", "show": "查看", "save": "保存",
        "search": "查询", "export_csv": "导出 CSV", "export_xlsx": "导出 Excel", "none": "暂无记录",
        "merchant": "商户", "merchant_id": "商户编号", "stall": "摊位号", "display_name": "公开名称",
        "real_name": "真实姓名", "id_number": "身份证号", "phone": "手机号", "private_note":
        "实名信息仅市场管理处可见，不会出现在公开溯源页或接口中。", "register_merchant": "登记商户（实名）",
        "merchant_added": "商户已登记。", "scales": "秤", "assign_scale": "分配秤给商户", "scale": "秤编号",
        "scale_assigned": "秤已分配。",
        "batch": "批次", "batch_id": "批次号", "plu": "商品编号 (PLU)", "product": "商品", "supplier": "供货方",
        "supplier_node": "供货方节点编码", "upstream_code": "上游追溯码/票号", "origin": "产地",
        "certificate": "检疫证号", "inspection_cert": "肉品品质检验合格证号", "arrival_date": "进货日期",
        "weight_kg": "进货重量 (kg)", "price_yuan": "进货单价 (元/kg)", "test_result": "检测结果",
        "test_detail": "检测说明", "test_pass": "合格", "test_fail": "不合格", "test_pending": "待检",
        "status": "状态", "on_sale": "在售", "stopped": "已停售", "goods_in": "进货登记（批次、证照与检测）",
        "batch_added": "批次已登记。", "published_to": "已下发到秤", "not_published":
        "未下发：本中心未配置 MQTT 和签名密钥（serve --mqtt --key）。", "publish_failed": "下发失败",
        "stop_sale": "停售该批次", "stop_sale_confirm": "停售后，秤将拒绝再销售该批次。确定停售？",
        "stop_sale_reason": "停售原因", "stopped_ok": "批次已停售。", "already_stopped": "该批次已停售。",
        "flow": "流向可追：该批次的全部销售与小票", "trace_code": "溯源码", "time": "时间", "weight": "重量",
        "qty": "数量", "unit_price": "单价", "amount": "金额", "tickets": "小票数", "lines": "明细数",
        "total": "合计", "refunds": "退货", "truncated": "只显示前 1000 条，请导出或缩小范围。",
        "guide_price": "指导价", "price_bounds": "限价范围", "pricing": "计价", "by_weight": "按重量",
        "by_piece": "按件", "goods_code": "商品编码", "set_price": "修改指导价", "price_saved": "指导价已保存。",
        "push_catalog": "下发目录到本市场全部秤", "catalog_pushed": "目录已下发", "per_piece": "件",
        "bounds_missing": "本中心尚无限价功能；显示指导价。",
        "set_bounds": "修改限价 (元，空 = 指导价 ±50%)", "price_min": "最低价", "price_max": "最高价",
        "default_bound": "默认", "bounds_saved": "限价已保存；请下发目录到秤。",
        "online": "在线", "offline": "离线", "backlog": "待上传", "last_sale": "最近销售", "last_seen": "最近通信",
        "software_id": "软件标识", "printer": "打印机", "rejects": "拒收消息", "lock": "锁定状态",
        "lock_unlocked": "未锁定", "lock_locked-by-change": "参数已变更锁定",
        "lock_locked-remotely": "远程锁定", "legal_changes": "法制参数变更计数", "live":
        "实时更新（每 5 秒）", "chain_broken": "事件日志校验失败",
        "date_from": "起始日期", "date_to": "截止日期", "results": "查询结果", "search_hint":
        "按商品、批次、产地、供货方、商户和日期查询销售明细；点批次号查看其全部流向。", "give_one":
        "请至少填写一个查询条件。",
        "date": "日期", "month": "月份", "per_hour": "按小时销售额", "per_day": "按日销售额", "per_product":
        "按商品", "per_stall": "按摊位", "net_kg": "净重 (kg)",
        "today": "今日", "scales_online": "在线秤", "batches_on_sale": "在售批次", "batches_stopped": "已停售批次",
        "recent_actions": "最近操作", "who": "操作人", "action": "操作", "target": "对象",
        "forbidden": "无权访问", "forbidden_hint": "您的账号不能查看或修改这里的内容。", "not_found": "未找到",
        "bad_input": "输入有误", "back": "返回",
        "prev_page": "上一页", "next_page": "下一页",
        "trace_batch_id": "追溯批次码", "refusals": "秤已拒售该批次", "operator_id": "经营者编码",
        "batches_more": "只显示最新的 200 个批次；按状态筛选，或在「问题可查」中按批次号查询。",
    },
    "en": {
        "app": "Market office console", "motto": "Source traced · flow followed · problems investigated",
        "other_lang": "中文",
        "nav_overview": "Overview", "nav_merchants": "Merchants & stalls", "nav_batches": "Goods-in & batches",
        "nav_prices": "Prices & catalog", "nav_fleet": "Fleet", "nav_search": "Investigate", "nav_reports": "Daily",
        "nav_monthly": "Monthly", "logout": "Log out", "login": "Log in", "username": "User name",
        "password": "Password", "login_title": "Log in to the console",
        "login_failed": "Wrong user name or password.", "login_blocked": "Too many failed logins; try again in 5 "
        "minutes.", "login_expired": "The login form expired; please send it again.",
        "role_office": "Market office", "role_regulator": "City regulator (all markets, read-only, stop-sale)",
        "market": "Market", "all_markets": "All markets", "choose": "Choose", "show": "Show", "save": "Save",
        "search": "Search", "export_csv": "Export CSV", "export_xlsx": "Export Excel", "none": "Nothing yet",
        "merchant": "Merchant", "merchant_id": "Merchant id", "stall": "Stall", "display_name": "Public name",
        "real_name": "Real name", "id_number": "ID number", "phone": "Phone",
        "private_note": "Real-name data is visible to the market office only, never on the public trace page or "
        "the API.", "register_merchant": "Register a merchant (real name)", "merchant_added": "Merchant registered.",
        "scales": "Scales", "assign_scale": "Assign a scale to a merchant", "scale": "Scale id",
        "scale_assigned": "Scale assigned.",
        "batch": "Batch", "batch_id": "Batch id", "plu": "PLU", "product": "Product", "supplier": "Supplier",
        "supplier_node": "Supplier node code", "upstream_code": "Upstream trace code / ticket",
        "origin": "Origin", "certificate": "Quarantine certificate", "inspection_cert": "Meat inspection certificate",
        "arrival_date": "Arrival date", "weight_kg": "Weight in (kg)", "price_yuan": "Purchase price (yuan/kg)",
        "test_result": "Test result", "test_detail": "Test notes", "test_pass": "Passed", "test_fail": "Failed",
        "test_pending": "Pending", "status": "Status", "on_sale": "On sale", "stopped": "Stopped",
        "goods_in": "Goods-in (batch, certificates, tests)", "batch_added": "Batch registered.",
        "published_to": "Sent to scales", "not_published": "Not sent: this central has no MQTT and signing key "
        "(serve --mqtt --key).", "publish_failed": "Sending failed",
        "stop_sale": "Stop sale of this batch", "stop_sale_confirm": "After a stop-sale the scales refuse to sell "
        "this batch. Stop it?", "stop_sale_reason": "Reason", "stopped_ok": "Batch stopped.",
        "already_stopped": "This batch is already stopped.",
        "flow": "Flow: every sale and ticket of this batch", "trace_code": "Trace code", "time": "Time",
        "weight": "Weight", "qty": "Qty", "unit_price": "Unit price", "amount": "Amount", "tickets": "Tickets",
        "lines": "Lines", "total": "Total", "refunds": "Refunds",
        "truncated": "Only the first 1000 rows are shown; export or narrow the search.",
        "guide_price": "Guide price", "price_bounds": "Price bounds", "pricing": "Pricing", "by_weight": "by weight",
        "by_piece": "by piece", "goods_code": "Goods code", "set_price": "Change the guide price",
        "price_saved": "Guide price saved.", "push_catalog": "Send the catalog to every scale of the market",
        "catalog_pushed": "Catalog sent", "per_piece": "pc",
        "bounds_missing": "This central has no price bounds yet; showing guide prices.",
        "set_bounds": "Change the price bounds (yuan; empty = guide price ±50%)", "price_min": "Lowest price",
        "price_max": "Highest price", "default_bound": "default",
        "bounds_saved": "Price bounds saved; send the catalog to the scales.",
        "online": "online", "offline": "offline", "backlog": "Backlog", "last_sale": "Last sale",
        "last_seen": "Last seen", "software_id": "Software id", "printer": "Printer", "rejects": "Refused",
        "lock": "Lock", "lock_unlocked": "unlocked", "lock_locked-by-change": "locked by a change",
        "lock_locked-remotely": "locked remotely", "legal_changes": "legal changes", "live": "Live (every 5 s)",
        "chain_broken": "event log failed to verify",
        "date_from": "From", "date_to": "To", "results": "Results",
        "search_hint": "Sale lines by product, batch, origin, supplier, merchant and date; a batch id opens its "
        "whole flow.", "give_one": "Fill in at least one field.",
        "date": "Date", "month": "Month", "per_hour": "Sales per hour", "per_day": "Sales per day",
        "per_product": "Per product", "per_stall": "Per stall", "net_kg": "Net (kg)",
        "today": "Today", "scales_online": "Scales online", "batches_on_sale": "Batches on sale",
        "batches_stopped": "Batches stopped", "recent_actions": "Recent actions", "who": "Who", "action": "Action",
        "target": "Target", "forbidden": "Not allowed", "forbidden_hint": "Your account cannot see or change this.",
        "not_found": "Not found", "bad_input": "Please check the input", "back": "Back",
        "prev_page": "Previous", "next_page": "Next",
        "trace_batch_id": "National batch id", "refusals": "Scales refused this batch",
        "operator_id": "Operator id",
        "batches_more": "Only the newest 200 batches are shown; filter by status, or search a batch id under "
        "Investigate.",
    },
}  # fmt: skip


def texts(lang: str) -> dict[str, str]:
    return TEXTS["en" if lang == "en" else "zh"]
