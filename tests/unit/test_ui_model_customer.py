"""The customer screen's snapshot from MerchantModel: lamps, greyed weights, wallet, 电子小票, voice.

Over a real store file and the demo catalog; readings by hand (tests/unit/ui_model_support.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.core.payment import ResultStatus
from edge.printer.status import MESSAGES, PrinterStatus
from edge.voice.announce import Voice
from edge.voice.player import Announcer
from tests.unit.test_ui_model_payment import PayRig
from tests.unit.ui_model_support import Rig

PAPER_OUT = PrinterStatus(online=True, paper_out=True, code="paper_out", message=MESSAGES["paper_out"])


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


class Heard:
    """A voice whose speaker writes down what it would say."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.announcer = Announcer(self.texts.append)

    def said(self) -> list[str]:
        assert self.announcer.idle(5)
        return self.texts


def test_unsellable_weights_are_greyed_with_metrology_s_reason(rig: Rig) -> None:
    rig.power_on()
    c = rig.customer
    assert c.zero and c.stable and not c.net  # the lamps follow the vendor's
    rig.model.select_plu("1001")
    rig.weigh(1235, stable=False)
    c, m = rig.customer, rig.merchant
    assert (c.weight_text, c.amount_text) == (m.weight.weight_text, m.item.amount_text) == ("1.235", "4.92")
    assert not c.stable and not c.sellable and c.blocked_text == "未稳定"
    rig.weigh(1235)
    c = rig.customer
    assert c.stable and c.sellable and c.blocked_text == "" and not c.zero
    rig.weigh(50)  # Min is 20 e = 100 g
    assert not rig.customer.sellable and rig.customer.blocked_text == "低于最小称量"
    rig.model.set_lang("en")
    assert rig.customer.blocked_text == "Below minimum"
    rig.weigh(0)
    assert not rig.customer.sellable and rig.customer.blocked_text == ""  # an empty platter needs no reason


def test_tare_lamp_prices_per_500g_and_piece_quantities(rig: Rig) -> None:
    rig.power_on()
    rig.weigh(120)
    rig.model.press_tare()
    rig.weigh(1355)
    rig.model.select_plu("1001")
    c = rig.customer
    assert c.net and c.tare_text == "0.120" and c.weight_text == "1.235" and c.sellable
    assert (c.unit_price_text, c.price_per_500g_text) == ("3.98 元/kg", "1.99 元/500g")
    rig.model.select_plu("4001")
    rig.model.set_quantity(2)
    c = rig.customer
    assert (c.pricing, c.quantity_text, c.amount_text, c.price_per_500g_text) == ("piece", "2 件", "30.00", "")
    assert c.sellable and c.blocked_text == ""  # a piece item is not weighed


def test_the_payment_qr_names_its_wallet(tmp_path: Path) -> None:
    rig = PayRig(tmp_path)
    try:
        sale = rig.sell("alipay")
        [create] = rig.sent
        qr = "https://qr.alipay.com/bax00001"
        rig.answer(ResultStatus.QR, create, method="alipay", qr_content=qr, expires_ms=rig.ms + 60_000)
        c = rig.customer
        assert (c.mode, c.pay_method, c.pay_method_name) == ("payment", "alipay", "支付宝")
        assert c.lines and c.total_text == "4.92"  # the cart and its total while paying
        heard = Heard()
        rig.model.attach_voice(Voice(heard.announcer))
        rig.answer(ResultStatus.PAID, method="alipay", provider_ref="2026")
        assert heard.said() == ["收款四点九二元"]
        assert rig.customer.mode == "paid" and rig.customer.ticket_url.endswith(sale.trace_code)
    finally:
        rig.close()


def test_after_a_sale_the_customer_screen_shows_the_e_ticket_then_idles(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ticket={"trace_base_url": "https://trace.example.cn/", "e_ticket_show_s": 12})
    try:
        rig.power_on()
        rig.weigh(1235)
        rig.model.select_plu("1001")
        sale = rig.model.checkout("cash")
        assert sale is not None
        c = rig.customer
        assert c.mode == "paid" and c.ticket_url == f"https://trace.example.cn/t/{sale.trace_code}"
        assert c.ticket_code_text.replace(" ", "") == sale.trace_code and c.ticket_s == 12
        rig.clock.now += 5
        rig.model.tick()
        assert rig.customer.ticket_s == 7
        rig.weigh(0)
        rig.clock.now += 8
        rig.model.tick()
        assert rig.customer.mode == "idle"
    finally:
        rig.close()


def test_no_e_ticket_when_switched_off(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ticket={"e_ticket_show_s": 0})
    try:
        rig.power_on()
        rig.weigh(1235)
        rig.model.select_plu("1001")
        rig.model.checkout("cash")
        assert rig.customer.mode == "paid" and rig.customer.ticket_url == ""
    finally:
        rig.close()


def test_paperless_by_setting_and_per_sale(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ticket={"paperless": True})
    try:
        rig.power_on()
        rig.weigh(1235)
        assert rig.merchant.paperless
        rig.model.select_plu("1001")
        sale = rig.model.checkout("cash")
        assert sale is not None and rig.store.pending_print_jobs() == []  # nothing to print
        assert "电子小票" in rig.merchant.message and rig.customer.ticket_url.endswith(sale.trace_code)
        rig.model.toggle_paperless()  # this once on paper
        assert not rig.merchant.paperless
        rig.model.select_plu("1001")
        paper = rig.model.checkout("cash")
        assert [j.sale_id for j in rig.store.pending_print_jobs()] == [paper.sale_id]
        assert rig.merchant.paperless  # back to the setting
        assert not rig.store.get_sale(sale.sale_id).printed
    finally:
        rig.close()


def test_a_printer_out_of_paper_offers_the_e_ticket_and_says_so(rig: Rig) -> None:
    heard = Heard()
    rig.model.attach_voice(Voice(heard.announcer))
    rig.power_on()
    rig.model.on_printer_status(PAPER_OUT)
    rig.model.on_printer_status(PAPER_OUT)  # every poll: said once
    rig.weigh(1235)
    rig.model.select_plu("1001")
    rig.model.add_line()
    sale = rig.model.checkout("cash")
    m = rig.merchant
    assert m.paper_offer and "电子小票" in m.message and m.message_kind == "error"
    assert [j.sale_id for j in rig.store.pending_print_jobs()] == [sale.sale_id]  # queued, not lost
    rig.model.paperless_instead()
    assert rig.store.pending_print_jobs() == [] and not rig.merchant.paper_offer
    assert rig.customer.mode == "paid" and rig.customer.ticket_url.endswith(sale.trace_code)
    rig.model.paperless_instead()
    assert "没有等待打印的小票" in rig.merchant.message
    assert heard.said() == ["打印机缺纸", "白菜，一点二三五公斤，四点九二元"]
