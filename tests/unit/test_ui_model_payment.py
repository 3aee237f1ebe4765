"""The vendor's QR payment through MerchantModel + PaymentService, over a real store file.

Central is played by hand: the requests the service publishes are collected, and results
are handed to the service as central would send them (signature checking is the sync
layer's, tested in tests/integration/test_payment_edge.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.core import emvco
from edge.core.payment import PaymentRequest, PaymentResult, RequestType, ResultStatus
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from edge.payment.flow import CASH_OFFLINE_EVENT
from edge.payment.service import PaymentService
from tests.unit.ui_model_support import Rig

STATIC = emvco.MerchantQr("ZHANG JI", "LANZHOU", "5411", network_accounts=(("15", "123456789012345"),)).payload()
WX_CODE = "134567890123456789"


class PayRig(Rig):
    def __init__(self, tmp: Path, static_qr: str = STATIC) -> None:
        super().__init__(tmp, payment={"static_qr": static_qr, "methods": ["wechat", "alipay"]})
        self.sent: list[PaymentRequest] = []
        self.online = True
        self.ms = 1_764_149_880_000
        self.payments = PaymentService(
            self.config.payment, self.store, self.model, publish=self._publish, clock_ms=lambda: self.ms
        )
        self.model.attach_payments(self.payments)

    def _publish(self, request: PaymentRequest) -> bool:
        if self.online:
            self.sent.append(request)
        return self.online

    def sell(self, method: str = "wechat") -> Sale:
        self.power_on()
        self.weigh(1235)
        self.model.select_plu("1001")
        sale = self.model.checkout(method)
        assert sale is not None
        return sale

    def answer(self, status: ResultStatus, request: PaymentRequest | None = None, **kw: object) -> None:
        sale = self.store.get_sale(self.sent[-1].sale_id)
        assert sale is not None
        self.payments.handle_result(
            PaymentResult(
                request_id=request.request_id if request else "",
                sale_id=sale.sale_id,
                order_id=sale.trace_code + "01",
                method=kw.pop("method", "wechat"),  # type: ignore[arg-type]
                status=status,
                amount_fen=sale.total_fen,
                **kw,  # type: ignore[arg-type]
            )
        )

    def tickets(self, sale: Sale) -> int:
        return len([j for j in self.store.pending_print_jobs(100) if j.sale_id == sale.sale_id and j.kind == "ticket"])


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[PayRig]:
    r = PayRig(tmp_path)
    yield r
    r.close()


def test_qr_shown_then_paid_prints_the_ticket_once(rig: PayRig) -> None:
    sale = rig.sell("wechat")
    [create] = rig.sent
    assert (create.type, create.method, create.sale["sale_id"]) == (RequestType.CREATE, "wechat", sale.sale_id)
    assert create.sale["signature"]  # central checks the device signature
    assert sale.payment == Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING) and rig.tickets(sale) == 0
    assert "正在向中心申请收款码" in rig.merchant.message and rig.merchant.payment.stage == "requested"
    rig.answer(ResultStatus.QR, create, qr_content="weixin://wxpay/bizpayurl?pr=abc", expires_ms=rig.ms + 120_000)
    c, m = rig.customer, rig.merchant
    assert (c.mode, c.qr_content, c.qr_amount_text, c.countdown_s) == (
        "payment",
        "weixin://wxpay/bizpayurl?pr=abc",
        "4.92",
        120,
    )
    assert "微信" in m.message and m.payment.actions == ("cash", "paycode", "static")
    # the vendor keeps seeing what is being paid and how long the QR lasts
    assert [(line.name, line.amount_text) for line in m.payment.lines] == [("白菜", "4.92")]
    assert m.payment.countdown_s == 120
    rig.clock.now += 30
    rig.model.tick()
    assert rig.merchant.payment.countdown_s == rig.customer.countdown_s == 90
    rig.answer(ResultStatus.PAID, provider_ref="4200001")
    rig.answer(ResultStatus.PAID, provider_ref="4200001")  # the notification delivered twice
    assert rig.store.get_sale(sale.sale_id).payment == Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "4200001")
    assert rig.tickets(sale) == 1
    assert rig.customer.mode == "paid" and "已收款 4.92 元" in rig.merchant.message
    assert rig.merchant.payment is None


def test_offline_offers_cash_or_the_static_code_which_the_vendor_confirms(rig: PayRig) -> None:
    rig.online = False
    sale = rig.sell("alipay")
    m = rig.merchant
    assert "静态收款码" in m.message and m.message_kind == "error"
    assert m.payment.stage == "offline" and "static" in m.payment.actions
    rig.model.use_static_qr()
    c = rig.customer
    assert (c.mode, c.qr_content, c.qr_amount_text, c.countdown_s) == ("payment", STATIC, "4.92", 0)
    assert "4.92" in rig.merchant.message and rig.merchant.payment.actions == ("cash", "confirm")
    rig.model.confirm_static_paid()
    assert rig.store.get_sale(sale.sale_id).payment == Payment(PaymentMethod.STATIC_QR, PaymentStatus.UNCONFIRMED)
    assert rig.tickets(sale) == 1 and rig.customer.mode == "paid"


def test_cash_switch_answered_paid_tells_the_vendor_not_to_take_cash(rig: PayRig) -> None:
    sale = rig.sell()
    rig.answer(ResultStatus.QR, rig.sent[0], qr_content="weixin://x", expires_ms=rig.ms + 120_000)
    rig.model.pay_cash_instead()
    close = rig.sent[-1]
    assert (close.type, close.reason) == (RequestType.CLOSE, "cash") and rig.tickets(sale) == 0
    assert rig.customer.mode != "payment"  # the QR is gone while central closes the order
    rig.answer(ResultStatus.PAID, close, provider_ref="wx-9")
    assert "请勿再收现金" in rig.merchant.message and rig.merchant.message_kind == "error"
    assert rig.store.get_sale(sale.sale_id).payment.method == PaymentMethod.WECHAT and rig.tickets(sale) == 1


def test_cash_switch_closed_by_central_records_cash(rig: PayRig) -> None:
    sale = rig.sell()
    rig.answer(ResultStatus.QR, rig.sent[0], qr_content="weixin://x", expires_ms=rig.ms + 120_000)
    rig.model.pay_cash_instead()
    rig.answer(ResultStatus.CLOSED, rig.sent[-1])
    assert rig.store.get_sale(sale.sale_id).payment == Payment(PaymentMethod.CASH, PaymentStatus.PAID)
    assert rig.tickets(sale) == 1 and "已改收现金 4.92 元" in rig.merchant.message


def test_cash_with_no_answer_is_taken_and_logged_for_reconciliation(rig: PayRig) -> None:
    sale = rig.sell()
    rig.answer(ResultStatus.QR, rig.sent[0], qr_content="weixin://x", expires_ms=rig.ms + 120_000)
    rig.model.pay_cash_instead()
    rig.ms += 5_000
    rig.payments.tick()
    assert rig.store.get_sale(sale.sale_id).payment == Payment(PaymentMethod.CASH, PaymentStatus.PAID)
    assert [e.kind for e in rig.store.events()][-1] == CASH_OFFLINE_EVENT
    assert "离线" in rig.merchant.message and rig.tickets(sale) == 1


def test_no_answer_within_five_seconds(rig: PayRig) -> None:
    rig.sell()
    rig.ms += 4_999
    rig.payments.tick()
    assert rig.merchant.payment.stage == "requested"
    rig.ms += 1
    rig.payments.tick()
    assert rig.merchant.payment.stage == "offline" and "未连上中心" in rig.merchant.message


def test_paycode_checks_out_the_cart_and_waits_for_the_password(rig: PayRig) -> None:
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    assert rig.model.micropay("1234") is None
    assert "付款码无效" in rig.merchant.message and rig.store.last_sale() is None and rig.sent == []
    sale = rig.model.micropay(WX_CODE + "\n")
    assert sale is not None and sale.payment == Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING)
    [micropay] = rig.sent
    assert (micropay.type, micropay.auth_code) == (RequestType.MICROPAY, WX_CODE)
    rig.answer(ResultStatus.PAYING, micropay)
    assert "输入密码" in rig.merchant.message
    rig.answer(ResultStatus.PAID, provider_ref="wx-mp")
    assert rig.tickets(sale) == 1


def test_a_method_not_enabled_or_a_second_sale_during_a_payment_is_refused(rig: PayRig) -> None:
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    assert rig.model.checkout("unionpay") is None
    assert "未开通云闪付" in rig.merchant.message and rig.store.last_sale() is None
    assert rig.merchant.pay_methods == ("wechat", "alipay")
    rig.model.checkout("wechat")
    rig.weigh(500)
    rig.model.select_plu("1001")
    assert rig.model.checkout("cash") is None and "正在处理本笔付款" in rig.merchant.message
    rig.model.cancel_sale()  # the customer walked away
    assert rig.merchant.payment is None and "未付款" in rig.merchant.message
    assert rig.model.checkout("cash") is not None


def test_messages_follow_the_language(rig: PayRig) -> None:
    rig.model.set_lang("en")
    rig.online = False
    rig.sell()
    assert rig.merchant.message == "No answer from central (offline): take cash or show the static payment code."
    rig.model.confirm_static_paid()
    assert rig.merchant.message == "No static code is shown; there is nothing to confirm."


def test_actions_without_a_payment_say_so(rig: PayRig) -> None:
    rig.model.pay_cash_instead()
    assert "没有待收款" in rig.merchant.message


def test_checkout_with_the_static_code_shows_it_at_once(rig: PayRig) -> None:
    sale = rig.sell("static_qr")
    assert rig.sent == [] and (rig.customer.qr_content, rig.customer.countdown_s) == (STATIC, 0)
    rig.model.confirm_static_paid()
    assert rig.store.get_sale(sale.sale_id).payment == Payment(PaymentMethod.STATIC_QR, PaymentStatus.UNCONFIRMED)
    assert rig.tickets(sale) == 1


def test_checkout_with_the_static_code_needs_one_configured(tmp_path: Path) -> None:
    rig = PayRig(tmp_path, static_qr="")
    try:
        rig.power_on()
        rig.weigh(1235)
        rig.model.select_plu("1001")
        assert rig.model.checkout("static_qr") is None and "未配置静态收款码" in rig.merchant.message
        assert rig.store.last_sale() is None
    finally:
        rig.close()
