"""The payment state machine of one sale (edge.payment.flow): no threads, no broker, no clock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edge.core import emvco
from edge.core.payment import PaymentRequest, PaymentResult, RequestType, ResultStatus
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from edge.payment import flow as flow_module
from edge.payment.flow import CASH_OFFLINE_EVENT, PAID_AFTER_SETTLED_EVENT, PaymentFlow, Stage, Step
from edge.store.samples import sale_builder
from edge.ui.model import texts

T0 = 1_764_149_880_000
TIMEOUT_MS = 5_000
WX_CODE = "134567890123456789"  # 18 digits, 13…: WeChat
STATIC = emvco.MerchantQr("ZHANG JI", "LANZHOU", "5411", network_accounts=(("15", "123456789012345"),)).payload()


def pending_sale() -> Sale:
    return sale_builder("2025-11-26", payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING))(17, 3)


def flow(static_qr: str = STATIC) -> PaymentFlow:
    return PaymentFlow(pending_sale(), answer_timeout_ms=TIMEOUT_MS, static_qr=static_qr)


def result(f: PaymentFlow, status: ResultStatus, request: PaymentRequest | None = None, **kw: object) -> PaymentResult:
    fields = {
        "request_id": request.request_id if request else "",
        "sale_id": f.sale_id,
        "order_id": f.sale.trace_code + "01",
        "method": f.method,
        "status": status,
        "amount_fen": f.amount_fen,
        **kw,
    }
    return PaymentResult(**fields)  # type: ignore[arg-type]


def showing_qr(f: PaymentFlow) -> PaymentRequest:
    [create] = f.start_qr("wechat", T0).send
    f.on_result(
        result(f, ResultStatus.QR, create, qr_content="weixin://wxpay/bizpayurl?pr=x", expires_ms=T0 + 120_000),
        T0 + 300,
    )
    assert f.stage is Stage.SHOWING_QR
    return create


def test_qr_paid_records_the_provider_payment_once() -> None:
    f = flow()
    step = f.start_qr("wechat", T0)
    [create] = step.send
    assert (create.type, create.method, create.sale_id) == (RequestType.CREATE, "wechat", f.sale_id)
    assert create.sale == f.sale.to_dict() and create.sent_ms == T0
    assert step.record is None and step.screen.kind == "none" and step.notice.code == "pay_waiting"
    qr = f.on_result(result(f, ResultStatus.QR, create, qr_content="weixin://x", expires_ms=T0 + 120_000), T0 + 200)
    assert (qr.screen.kind, qr.screen.qr_content, qr.screen.amount_fen) == ("qr", "weixin://x", f.amount_fen)
    assert f.actions() == {"cash", "static", "paycode"}
    paid = f.on_result(result(f, ResultStatus.PAID, provider_ref="4200001"), T0 + 30_000)
    assert paid.record == Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "4200001")
    assert paid.stage is Stage.PAID and paid.screen.kind == "none" and f.actions() == frozenset()
    again = f.on_result(result(f, ResultStatus.PAID, provider_ref="4200001"), T0 + 31_000)
    assert again.record is None and again.notice is None and again.send == ()


def test_no_answer_within_the_timeout_offers_cash_or_static() -> None:
    f = flow()
    f.start_qr("alipay", T0)
    assert f.tick(T0 + TIMEOUT_MS - 1).notice is None
    step = f.tick(T0 + TIMEOUT_MS)
    assert step.stage is Stage.OFFLINE and step.notice.code == "pay_offline" and step.notice.error
    [close] = step.send  # the create may have reached central: close what it opened
    assert (close.type, close.reason) == (RequestType.CLOSE, "timeout")
    assert {"cash", "static"} <= f.actions()
    # central's late QR for the order being closed is not shown any more
    assert f.on_result(result(f, ResultStatus.QR, qr_content="late"), T0 + 6000).screen.kind == "none"


def test_static_code_confirmed_by_the_vendor_is_recorded_unconfirmed() -> None:
    f = flow()
    [create] = f.start_qr("unionpay", T0).send
    f.not_sent(create, T0)  # no broker: central never saw it
    assert f.stage is Stage.OFFLINE
    shown = f.use_static(T0 + 1000)
    assert (shown.screen.kind, shown.screen.qr_content, shown.screen.amount_fen, shown.screen.expires_ms) == (
        "static",
        STATIC,
        f.amount_fen,
        0,
    )
    assert shown.send == () and f.actions() == {"cash", "confirm"}
    done = f.confirm_static(T0 + 20_000)
    assert done.record == Payment(PaymentMethod.STATIC_QR, PaymentStatus.UNCONFIRMED, "")
    assert done.stage is Stage.STATIC_UNCONFIRMED and done.screen.kind == "none"


def test_cash_while_the_qr_is_shown_waits_for_central_to_close() -> None:
    f = flow()
    showing_qr(f)
    step = f.cash(T0 + 10_000)
    [close] = step.send
    assert (close.type, close.reason, step.record) == (RequestType.CLOSE, "cash", None)
    assert step.stage is Stage.CLOSING and step.screen.kind == "none"
    closed = f.on_result(result(f, ResultStatus.CLOSED, close), T0 + 10_300)
    assert closed.record == Payment(PaymentMethod.CASH, PaymentStatus.PAID, "") and closed.event is None
    assert closed.stage is Stage.CASH and closed.notice.code == "pay_cash"


def test_cash_switch_answered_paid_means_do_not_take_cash() -> None:
    f = flow()
    showing_qr(f)
    [close] = f.cash(T0 + 10_000).send
    paid = f.on_result(result(f, ResultStatus.PAID, close, provider_ref="wx-9"), T0 + 10_200)
    assert paid.record == Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-9")
    assert paid.notice.code == "pay_paid_no_cash" and paid.notice.error
    assert f.cash(T0 + 11_000).notice.code == "pay_paid_no_cash"  # pressing again still says so
    assert f.stage is Stage.PAID


def test_cash_with_central_unreachable_is_taken_at_once_and_flagged() -> None:
    f = flow()
    showing_qr(f)
    f.cash(T0 + 10_000)
    step = f.tick(T0 + 10_000 + TIMEOUT_MS)
    assert step.record == Payment(PaymentMethod.CASH, PaymentStatus.PAID, "")
    kind, data = step.event
    assert kind == CASH_OFFLINE_EVENT and data["sale_id"] == f.sale_id and data["amount_fen"] == f.amount_fen
    # the provider's money arriving after that is a double collection: told, logged, not recorded
    late = f.on_result(result(f, ResultStatus.PAID, provider_ref="wx-late"), T0 + 60_000)
    assert late.record is None and late.notice.code == "pay_paid_after_settled"
    assert late.event[0] == PAID_AFTER_SETTLED_EVENT and late.event[1]["provider_ref"] == "wx-late"


def test_cash_before_central_ever_saw_the_order_needs_no_event() -> None:
    f = flow()
    [create] = f.start_qr("wechat", T0).send
    f.not_sent(create, T0)
    step = f.cash(T0 + 100)
    assert step.record == Payment(PaymentMethod.CASH, PaymentStatus.PAID, "") and step.event is None
    assert step.send == ()


def test_cash_after_an_unanswered_create_is_flagged_and_closes_best_effort() -> None:
    f = flow()
    f.start_qr("wechat", T0)
    [timeout_close] = f.tick(T0 + TIMEOUT_MS).send
    step = f.cash(T0 + 7000)
    assert step.event[0] == CASH_OFFLINE_EVENT and step.stage is Stage.CASH
    [close] = step.send
    assert close.reason == "cash"
    # answers to those best-effort closes change nothing
    assert f.on_result(result(f, ResultStatus.CLOSED, timeout_close), T0 + 8000).notice is None


def test_qr_expiry_closes_the_order_and_a_closed_answer_frees_the_vendor() -> None:
    f = flow()
    showing_qr(f)
    step = f.tick(T0 + 120_000)
    [close] = step.send
    assert (close.reason, step.stage, step.screen.kind, step.notice.code) == (
        "timeout",
        Stage.CLOSING,
        "none",
        "pay_qr_expired",
    )
    closed = f.on_result(result(f, ResultStatus.CLOSED, close), T0 + 120_500)
    assert closed.stage is Stage.CLOSED and closed.record is None and "cash" in f.actions()
    assert f.cash(T0 + 121_000).record == Payment(PaymentMethod.CASH, PaymentStatus.PAID, "")


def test_failed_create_shows_centrals_reason() -> None:
    f = flow()
    [create] = f.start_qr("wechat", T0).send
    answer = result(f, ResultStatus.FAILED, create, message_zh="商户未开通微信支付", message="no account")
    step = f.on_result(answer, T0 + 99)
    assert step.stage is Stage.FAILED and step.notice.values == {"why_zh": "商户未开通微信支付", "why_en": "no account"}
    assert f.cash(T0 + 200).event is None  # no order was opened


def test_micropay_validates_the_code_then_handles_paying() -> None:
    f = flow()
    bad = f.start_micropay("99123", T0)
    assert bad.send == () and bad.notice.code == "pay_bad_code" and bad.notice.error
    [micropay] = f.start_micropay(f" {WX_CODE}\n", T0).send
    assert (micropay.type, micropay.auth_code, f.method) == (RequestType.MICROPAY, WX_CODE, "wechat")
    paying = f.on_result(result(f, ResultStatus.PAYING, micropay), T0 + 500)
    assert paying.notice.code == "pay_customer_paying" and paying.stage is Stage.PAYING
    assert f.tick(T0 + 60_000).send == ()  # central polls the provider; no local timeout
    assert f.start_micropay(WX_CODE, T0 + 61_000).notice.code == "pay_busy"
    paid = f.on_result(result(f, ResultStatus.PAID, provider_ref="wx-mp"), T0 + 62_000)
    assert paid.record == Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-mp")


def test_paycode_instead_of_the_shown_qr_closes_the_qr_order_first() -> None:
    f = flow()
    showing_qr(f)
    step = f.start_micropay("28" + "1" * 16, T0 + 5000)  # Alipay 18 digits
    close, micropay = step.send
    assert (close.type, close.reason, micropay.type, f.method) == (
        RequestType.CLOSE,
        "cancel",
        RequestType.MICROPAY,
        "alipay",
    )
    assert f.on_result(result(f, ResultStatus.CLOSED, close), T0 + 5100).stage is Stage.REQUESTED


def test_static_code_not_configured_or_not_shown() -> None:
    f = flow(static_qr="")
    f.start_qr("wechat", T0)
    assert f.use_static(T0).notice.code == "pay_no_static" and "static" not in f.actions()
    assert f.confirm_static(T0).notice.code == "pay_not_static"
    assert f.stage is Stage.REQUESTED


def test_a_result_for_another_sale_changes_nothing() -> None:
    f = flow()
    showing_qr(f)
    other = PaymentResult("", "someone-else", "x", "wechat", ResultStatus.PAID, 1)
    assert f.on_result(other, T0 + 1000) == Step(Stage.SHOWING_QR, f.screen())


def test_every_notice_the_flow_gives_has_both_languages() -> None:
    codes = {
        "pay_waiting",
        "pay_show_qr",
        "pay_customer_paying",
        "pay_closed",
        "pay_close_failed",
        "pay_failed",
        "pay_qr_expired",
        "pay_offline",
        "pay_closing",
        "pay_paid_no_cash",
        "pay_settled",
        "pay_no_static",
        "pay_static_shown",
        "pay_not_static",
        "pay_static_confirmed",
        "pay_paid",
        "pay_paid_after_settled",
        "pay_cash",
        "pay_cash_offline",
        "pay_bad_code",
        "pay_busy",
        "pay_micropay_sent",
        "pay_cancelled",
    }
    used = set(re.findall(r'Notice\("(\w+)"', Path(flow_module.__file__).read_text(encoding="utf-8")))
    assert used == codes  # a new notice in the flow needs its words in texts.MESSAGES (and here)
    for code in codes:
        zh, en = texts.MESSAGES[code]
        assert zh and en and zh != en


@pytest.mark.parametrize("method", ["cash", "static_qr", "visa"])
def test_only_qr_methods_start_a_qr_order(method: str) -> None:
    with pytest.raises(ValueError):
        flow().start_qr(method, T0)


def test_cancel_closes_an_open_order_and_a_late_payment_still_counts() -> None:
    f = flow()
    showing_qr(f)
    step = f.cancel(T0 + 3000)
    [close] = step.send
    assert (close.reason, step.stage, step.record, step.screen.kind) == ("cancel", Stage.CANCELLED, None, "none")
    assert f.done and not f.settled and f.actions() == frozenset()
    late = f.on_result(result(f, ResultStatus.PAID, provider_ref="wx-7"), T0 + 4000)
    assert late.record == Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-7")
