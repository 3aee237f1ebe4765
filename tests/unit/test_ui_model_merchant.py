"""MerchantModel without a window: readings in, keys pressed, snapshots and messages checked.

Sales are committed to a real SQLite file and queue a real print job.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge import runtime
from edge.core.pricing import format_yuan, weight_amount_fen
from edge.printer.status import PrinterStatus, parse_status
from edge.scale_driver.driver import LinkState, LinkStatus
from edge.store.errors import StoreFullError
from edge.ui.model.merchant import MAX_QUANTITY
from edge.ui.model.views import CustomerView
from tests.unit.ui_model_support import Rig

PAPER_OUT = parse_status(0x12 | 0x08, 0x12 | 0x20, None, 0x12 | 0x60)


@pytest.fixture
def rig(tmp_path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def test_idle_screen_shows_market_stall_and_the_hotkey_page(rig):
    rig.power_on()
    m, c = rig.model.snapshot()
    assert c.mode == "idle" and c.market_name == "示范农贸市场" and c.stall == "A-01"
    assert m.weight.weight_text == "0.000" and m.weight.zero and m.weight.stable
    assert m.weight.blocked_text == ""  # an empty platter is not a problem
    assert [k.plu for k in m.keys[:8]] == ["1001", "1002", "1003", "1004", "2001", "2002", "3001", "4001"]
    assert m.keys[0].price_text == "3.98 元/kg" and m.keys[7].price_text == "15.00 元/件"
    assert m.page_count == 2 and m.categories == ("蔬菜", "肉类", "水果", "蛋类")
    assert m.item is None and m.cart == () and m.total_text == "0.00"


def test_weighing_shows_the_same_numbers_to_merchant_and_customer(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    m, c = rig.model.snapshot()
    assert m.weight.weight_text == "1.235" and m.weight.stable
    assert m.item is not None
    assert (m.item.name, m.item.unit_price_text, m.item.price_per_500g_text) == ("白菜", "3.98 元/kg", "1.99 元/500g")
    assert m.item.amount_text == format_yuan(weight_amount_fen(1235, 398)) == "4.92"
    assert (m.item.batch_id, m.item.origin) == ("B20261125-1001", "甘肃榆中")
    assert c.mode == "weighing"
    assert (c.weight_text, c.unit_price_text, c.amount_text) == (
        m.weight.weight_text,
        m.item.unit_price_text,
        m.item.amount_text,
    )
    assert (c.item_name, c.origin) == ("白菜", "甘肃榆中")


def test_live_amount_follows_an_unstable_weight_but_adding_is_refused(rig):
    rig.power_on()
    rig.model.select_plu("1001")
    rig.weigh(1240, stable=False)
    m = rig.merchant
    assert not m.weight.stable and m.item.amount_text == "4.94"  # 1.240 x 3.98 = 4.9352
    assert "不稳定" in m.weight.blocked_text
    rig.model.add_line()
    m = rig.merchant
    assert m.message_kind == "error" and "重量不稳定" in m.message and m.cart == ()


def test_added_line_amount_comes_from_the_sellable_weight(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    rig.model.add_line()
    m, c = rig.model.snapshot()
    assert [(line.name, line.detail, line.amount_text) for line in m.cart] == [
        ("白菜", "1.235 kg × 3.98 元/kg", "4.92")
    ]
    assert m.message_kind == "info" and "已累计" in m.message
    assert m.item is None  # 累计 clears the item: the same goods cannot be added twice by accident
    assert m.total_text == "4.92" and c.lines == m.cart and c.total_text == "4.92"
    assert c.mode == "weighing"  # goods still on the platter
    rig.weigh(0)
    assert rig.customer.mode == "cart"


def test_checkout_commits_to_the_store_and_queues_the_ticket(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    rig.model.add_line()
    rig.model.select_plu("4001")
    rig.model.set_quantity(2)
    assert rig.merchant.item.amount_text == "30.00"
    sale = rig.model.checkout("cash")  # the selected piece item is added first
    assert sale is not None and sale.total_fen == 492 + 3000
    stored = rig.store.get_sale(sale.sale_id)
    assert stored is not None and stored.signature and [line.plu for line in stored.lines] == ["1001", "4001"]
    [job] = rig.store.pending_print_jobs()
    assert job.sale_id == sale.sale_id and job.kind == "ticket"
    m, c = rig.model.snapshot()
    assert m.cart == () and m.item is None and not m.busy
    assert "34.92" in m.message and sale.trace_code[:6] in m.message.replace(" ", "")
    assert c.mode == "paid" and c.total_text == "34.92" and len(c.lines) == 2
    assert rig.printer.run_once(force=True) == 1  # the queued ticket prints
    assert c.ticket_url.endswith(f"/t/{sale.trace_code}") and c.ticket_s == 30  # the 电子小票 QR, [ticket] default
    rig.clock.now += 31
    rig.model.tick()
    assert rig.customer.mode == "weighing"  # the goods are still on the platter
    rig.weigh(0)
    assert rig.customer.mode == "idle"


def test_checkout_of_a_weighed_item_without_adding_first(rig):
    rig.power_on()
    rig.weigh(480)
    rig.model.select_plu("1002")
    sale = rig.model.checkout()
    assert sale is not None and sale.lines[0].net_g == 480 and sale.total_fen == weight_amount_fen(480, 698)


@pytest.mark.parametrize(
    ("grams", "flags", "plu", "zh", "en"),
    [
        pytest.param(60, {}, "1001", "最小称量", "minimum capacity", id="below-min"),
        pytest.param(20000, {"overload": True}, "1001", "超出最大称量", "maximum capacity", id="overload"),
        pytest.param(1235, {}, "5001", "没有可用的进货批次", "no active incoming batch", id="no-batch"),
    ],
)
def test_refused_add_says_why_in_both_languages(rig, grams, flags, plu, zh, en):
    rig.power_on()
    rig.weigh(grams, **flags)
    rig.model.select_plu(plu)
    rig.model.add_line()
    m = rig.merchant
    assert m.message_kind == "error" and zh in m.message and m.cart == ()
    rig.model.set_lang("en")
    rig.model.add_line()
    assert en in rig.merchant.message
    assert rig.store.last_sale() is None


def test_unknown_plu_is_refused_with_its_number(rig):
    rig.model.select_plu("9999")
    m = rig.merchant
    assert m.message_kind == "error" and "9999" in m.message and "不存在" in m.message and m.item is None


def test_no_item_chosen(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.add_line()
    assert rig.merchant.message_kind == "error" and "请先选择商品" in rig.merchant.message


def test_printer_out_of_paper_keeps_the_sale_and_queues_the_ticket(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.on_printer_status(PAPER_OUT)
    assert "缺纸" in rig.merchant.printer_text
    rig.model.select_plu("1001")
    sale = rig.model.checkout()
    assert sale is not None and rig.store.get_sale(sale.sale_id) is not None
    m = rig.merchant
    assert m.message_kind == "error" and "交易已保存" in m.message and "缺纸" in m.message
    assert len(rig.store.pending_print_jobs()) == 1


def test_full_disk_refuses_the_sale_and_keeps_the_cart(rig, monkeypatch):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    rig.model.add_line()

    def full(*_args, **_kwargs):
        raise StoreFullError.for_sale()

    monkeypatch.setattr(rig.store, "commit_sale", full)
    assert rig.model.checkout() is None
    m = rig.merchant
    assert m.message_kind == "error" and "存储空间已满" in m.message and not m.busy
    assert len(m.cart) == 1  # nothing lost: the vendor can try again once space is freed
    assert rig.store.last_sale() is None


def test_disconnected_module_blanks_the_weight_and_refuses(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    rig.model.on_link_status(LinkStatus(LinkState.DISCONNECTED, "gone"))
    m = rig.merchant
    assert m.weight.weight_text == "" and "称重模块已断开" in m.link_text
    assert m.item.amount_text == ""
    rig.model.add_line()
    assert "暂无重量数据" in rig.merchant.message


def test_zero_and_tare_keys_and_the_kept_zero(rig):
    rig.power_on()
    assert rig.store.get_setting(runtime.ZERO_STATE_KEY) == [0, 0]
    rig.weigh(10)
    rig.model.press_zero()
    assert rig.merchant.message == "已置零" and rig.merchant.weight.weight_text == "0.000"
    assert rig.store.get_setting(runtime.ZERO_STATE_KEY) == [0, 10]
    rig.weigh(510)
    rig.model.press_tare()
    m = rig.merchant
    assert m.weight.net and m.weight.tare_text == "0.500" and m.weight.weight_text == "0.000"
    rig.model.press_zero()
    assert rig.merchant.message_kind == "error" and "清除皮重" in rig.merchant.message
    rig.model.clear_tare()
    assert not rig.merchant.weight.net and rig.merchant.weight.weight_text == "0.500"
    rig.weigh(700, stable=False)
    rig.model.press_tare()
    assert "不稳定" in rig.merchant.message


def test_search_hotkeys_pages_and_categories(rig):
    rig.model.type_text("b")
    rig.model.type_text("c")
    m = rig.merchant
    assert m.query == "bc" and m.results[0].name == "白菜"
    rig.model.backspace()
    assert rig.merchant.query == "b"
    rig.model.clear_query()
    rig.model.type_text("xhs")
    rig.model.pick_result(0)
    m = rig.merchant
    assert m.item.name == "西红柿" and m.query == "" and m.results == ()
    rig.model.pick_result(5)
    assert rig.merchant.message_kind == "error"
    rig.model.press_hotkey(5)
    assert rig.merchant.item.plu == "2001"
    rig.model.press_hotkey(24)
    assert "快捷键 24" in rig.merchant.message
    rig.model.show_page(1)
    m = rig.merchant
    assert m.page == 1 and m.keys[5] is not None and m.keys[5].plu == "5001" and m.keys[5].position == 30
    rig.model.show_page(7)
    assert rig.merchant.message_kind == "error" and rig.merchant.page == 1
    rig.model.show_category("肉类")
    m = rig.merchant
    assert m.category == "肉类" and m.page == 0 and [k.name for k in m.keys if k] == ["猪五花肉", "牛腱子"]
    rig.model.press_hotkey(2)
    assert rig.merchant.item.name == "牛腱子"
    rig.model.show_category("")
    assert rig.merchant.keys[0].plu == "1001"


def test_batches_can_be_chosen_and_a_wrong_one_is_refused(rig):
    rig.model.select_plu("1001")
    assert [b.batch_id for b in rig.model.batches_for_item()] == ["B20261125-1001"]
    rig.model.choose_batch("B20261125-1001")
    assert rig.merchant.message_kind == "info" and rig.merchant.item.batch_id == "B20261125-1001"
    rig.model.choose_batch("B20261125-1002")  # a tomato batch
    assert rig.merchant.message_kind == "error" and "批次" in rig.merchant.message


def test_void_cancel_reprint_and_daily_report(rig):
    rig.power_on()
    rig.weigh(1235)
    for plu in ("1001", "1003"):
        rig.model.select_plu(plu)
        rig.model.add_line()
    rig.model.void_line(0)
    assert [line.name for line in rig.merchant.cart] == ["土豆"]
    rig.model.void_line(3)
    assert "没有第 4 行" in rig.merchant.message
    rig.model.cancel_sale()
    assert rig.merchant.cart == () and rig.merchant.message == "已取消本笔交易"
    rig.model.reprint_last()
    assert "还没有交易" in rig.merchant.message
    rig.model.select_plu("1001")
    sale = rig.model.checkout()
    rig.model.reprint_last()
    assert [job.kind for job in rig.store.pending_print_jobs()] == ["ticket", "reprint"]
    report = rig.model.daily_report()
    assert report.sales_count == 1 and report.total_fen == sale.total_fen == 492


def test_rounding_shows_on_both_screens(tmp_path):
    r = Rig(tmp_path, ticket={"rounding": "jiao"})
    try:
        r.power_on()
        r.weigh(1235)
        r.model.select_plu("1001")
        r.model.add_line()
        m, c = r.model.snapshot()
        assert (m.subtotal_text, m.rounding_text, m.total_text) == ("4.92", "0.02", "4.90")
        assert c.total_text == "4.90"
    finally:
        r.close()


def test_payment_mode_counts_down_and_times_out(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    sale = rig.model.checkout("wechat")
    assert sale is not None and sale.payment.status == "pending"
    rig.weigh(0)
    assert rig.customer.mode == "idle"  # not paid: the payment flow decides what the customer sees next
    rig.model.show_payment("weixin://wxpay/bizpayurl?pr=abc", sale.total_fen, 60)
    c = rig.customer
    assert (c.mode, c.qr_content, c.qr_amount_text, c.countdown_s) == (
        "payment",
        "weixin://wxpay/bizpayurl?pr=abc",
        "4.92",
        60,
    )
    assert c.total_text == "4.92" and len(c.lines) == 1
    rig.clock.now += 10.2
    rig.model.tick()
    assert rig.customer.countdown_s == 50
    rig.model.payment_done()
    assert rig.customer.mode == "paid" and rig.customer.total_text == "4.92" and "已收款" in rig.merchant.message
    rig.model.show_payment("qr", 100, 5)
    rig.clock.now += 6
    rig.model.tick()
    assert rig.customer.mode != "payment" and "支付超时" in rig.merchant.message


def test_language_switch_changes_texts_but_not_numbers(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    rig.model.set_lang("en")
    m, c = rig.model.snapshot()
    assert m.lang == c.lang == "en" and m.message == "Language: English"
    assert m.item.unit_price_text == "3.98 CNY/kg" and m.item.amount_text == "4.92" and c.weight_text == "1.235"
    rig.model.set_lang("fr")
    assert rig.merchant.message_kind == "error"


def test_snapshots_reach_subscribers_in_order_and_survive_json(rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    seqs = [c.seq for _, c in rig.seen]
    assert seqs == sorted(seqs)
    last = rig.seen[-1][1]
    assert CustomerView.from_json(last.to_json()) == last
    before = len(rig.seen)
    rig.weigh(1235)  # the same stable weight again: nothing changed, nothing sent
    assert len(rig.seen) == before


def test_messages_expire(rig):
    rig.model.select_plu("9999")
    assert rig.merchant.message
    rig.clock.now += 10
    rig.model.tick()
    assert rig.merchant.message == ""


def test_printer_status_text_follows_the_language(rig):
    rig.model.on_printer_status(PrinterStatus(online=True))
    assert rig.merchant.printer_text == "打印机正常"
    rig.model.set_lang("en")
    assert rig.merchant.printer_text == "Printer ready"


def test_sync_indicator(rig):
    class State:
        connected = False
        backlog = 3

    assert rig.merchant.sync_text == "未配置联网"
    rig.model.on_sync_state(State())
    assert "离线" in rig.merchant.sync_text
    State.connected = True
    rig.model.on_sync_state(State())
    assert rig.merchant.sync_text == "待上传 3 笔"


def test_the_window_sets_the_page_size(rig):
    rig.model.show_page(1)
    rig.model.set_page_size(6)
    m = rig.merchant
    assert m.page == 0 and len(m.keys) == 6 and m.page_count == 5  # hotkey 30 is on page 5
    with pytest.raises(ValueError):
        rig.model.set_page_size(0)


def test_quantity_of_a_piece_item_by_keys_and_number(rig):
    rig.power_on()
    rig.model.select_plu("4001")  # 鸡蛋（盒装10枚）, 15.00 元/件
    rig.model.step_quantity(+1)
    rig.model.step_quantity(+1)
    m = rig.merchant
    assert (m.item.quantity, m.item.amount_text) == (3, "45.00") and "3 件" in m.message
    rig.model.step_quantity(-1)
    assert rig.merchant.item.quantity == 2
    rig.model.set_quantity(MAX_QUANTITY)
    rig.model.step_quantity(+1)  # past the limit: refused, the quantity stays
    m = rig.merchant
    assert m.item.quantity == MAX_QUANTITY and m.message_kind == "error" and f"1 到 {MAX_QUANTITY}" in m.message
    rig.model.set_quantity(0)
    assert rig.merchant.message_kind == "error" and rig.merchant.item.quantity == MAX_QUANTITY
    rig.model.set_quantity(3)
    rig.model.add_line()
    [line] = rig.merchant.cart
    assert line.detail.startswith("3 件") and line.amount_text == "45.00"
    assert rig.merchant.item is None  # the next item starts at 1 again
    rig.model.select_plu("4001")
    assert rig.merchant.item.quantity == 1


def test_a_quantity_for_a_weighed_item_or_no_item_is_refused(rig):
    rig.power_on()
    rig.model.set_quantity(3)
    assert rig.merchant.message_kind == "error" and "请先选择商品" in rig.merchant.message
    rig.model.select_plu("1001")  # 白菜, by weight
    rig.model.set_quantity(3)
    m = rig.merchant
    assert m.message_kind == "error" and "白菜按重量计价" in m.message and m.item.quantity == 1
    rig.model.set_lang("en")
    rig.model.step_quantity(+1)
    assert rig.merchant.message_kind == "error" and "sold by weight" in rig.merchant.message
