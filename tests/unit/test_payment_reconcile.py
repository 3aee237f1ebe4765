"""The daily payment reconciliation on a real SQLite central database: every mismatch kind of
docs/payment.md is listed, a clean day lists none, and the totals per method add up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from central.http import App
from central.ingest import check_signatures, store_sales
from central.keys import load_public_key
from central.payment.orders import Order, insert_order
from central.payment.providers.base import OrderState
from central.payment.reconcile import KINDS, format_report, reconcile
from central.validate import Topic, load_json, parse_sales
from edge.core.payment import order_id
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from tests.integration.central_support import DAY, MARKET, MERCHANT, Setup, register, sales_message

W, A, U = PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.UNIONPAY
PAID, PENDING = PaymentStatus.PAID, PaymentStatus.PENDING


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path, n_scales=1)


class Day:
    """Sales stored through central's ingest, orders written as the payment service writes them."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.scale = setup.scales[0]
        self.seq = 0

    def sale(self, method: PaymentMethod, status: PaymentStatus) -> Sale:
        self.seq += 1
        sale = self.scale.sale(self.seq, payment=Payment(method, status, "ref" if status is PAID else ""))
        topic = Topic(MARKET, self.scale.scale_id, "sales")
        batch = parse_sales(load_json(sales_message(self.scale.scale_id, self.seq, [("sale", sale)])), topic)
        with self.setup.db.connection() as conn:
            assert store_sales(conn, check_signatures(batch, load_public_key(self.scale.key.public_key_b64()))).stored
        return sale

    def order(
        self, sale: Sale, attempt: int, provider: str, status: OrderState, paid_fen: int | None = None,
        *, trace_code: str = "", sale_id: str = "",
    ) -> Order:  # fmt: skip
        created = sale.created_ms + 1000 * attempt
        order = Order(
            order_id=order_id(trace_code or sale.trace_code, attempt), sale_id=sale_id or sale.sale_id,
            scale_id=sale.scale_id, market_id=MARKET, merchant_id=MERCHANT, provider=provider, kind="qr",
            amount_fen=sale.total_fen, status=status, created_ms=created, expires_ms=created + 120_000,
            updated_ms=created,
            paid_amount_fen=(sale.total_fen if paid_fen is None else paid_fen) if status is OrderState.PAID else None,
            paid_ms=created + 5000 if status is OrderState.PAID else None,
        )  # fmt: skip
        with self.setup.db.connection() as conn:
            insert_order(conn, order)
        return order


def _report(setup: Setup, day: str = DAY, market: str = ""):  # type: ignore[no-untyped-def]
    with setup.db.connection() as conn:
        return reconcile(conn, day, market)


def test_a_clean_day_lists_no_mismatch_and_totals_per_method(setup: Setup) -> None:
    d = Day(setup)
    wx = d.sale(W, PAID)
    d.order(wx, 1, "wechat", OrderState.CLOSED)  # first QR timed out, second was paid
    d.order(wx, 2, "wechat", OrderState.PAID)
    ali = d.sale(A, PAID)
    d.order(ali, 1, "alipay", OrderState.PAID)
    cash = d.sale(PaymentMethod.CASH, PAID)
    d.order(cash, 1, "wechat", OrderState.CLOSED)  # vendor switched to cash: order closed, nothing paid
    static = d.sale(PaymentMethod.STATIC_QR, PAID)  # static QR the vendor confirmed

    report = _report(setup)

    assert report.mismatches == []
    totals = {t.method: (t.sales, t.sales_fen, t.orders_paid, t.paid_fen) for t in report.totals}
    assert totals == {
        "wechat": (1, wx.total_fen, 1, wx.total_fen),
        "alipay": (1, ali.total_fen, 1, ali.total_fen),
        "cash": (1, cash.total_fen, 0, 0),
        "static_qr": (1, static.total_fen, 0, 0),
    }
    assert report.to_dict()["clean"] is True
    assert "没有差异" in format_report(report)


def test_every_mismatch_kind_is_listed_with_sale_order_and_amounts(setup: Setup) -> None:
    d = Day(setup)
    pending = d.sale(W, PENDING)
    unpaid_order = d.order(pending, 1, "wechat", OrderState.PAID)
    cash = d.sale(PaymentMethod.CASH, PAID)  # offline cash, then the customer's payment arrived too
    twice = d.order(cash, 1, "alipay", OrderState.PAID)
    short = d.sale(W, PAID)
    short_order = d.order(short, 1, "wechat", OrderState.PAID, paid_fen=short.total_fen - 100)
    double = d.sale(A, PAID)
    first, second = d.order(double, 1, "alipay", OrderState.PAID), d.order(double, 2, "alipay", OrderState.PAID)
    ghost_code = d.scale.sale(99).trace_code  # a sale that never reached central
    ghost = d.order(double, 3, "wechat", OrderState.PAID, trace_code=ghost_code, sale_id="never-uploaded")
    no_order = d.sale(U, PAID)
    unconfirmed = d.sale(PaymentMethod.STATIC_QR, PaymentStatus.UNCONFIRMED)
    d.order(d.sale(W, PAID), 1, "wechat", OrderState.PAID)  # one correct sale among them

    report = _report(setup)

    found = {(m.kind, m.trace_code, m.order_id) for m in report.mismatches}
    assert found == {
        ("paid_but_sale_unpaid", pending.trace_code, unpaid_order.order_id),
        ("collected_twice", cash.trace_code, twice.order_id),
        ("amount_mismatch", short.trace_code, short_order.order_id),
        ("multiple_paid_orders", double.trace_code, first.order_id),
        ("multiple_paid_orders", double.trace_code, second.order_id),
        ("order_without_sale", ghost_code, ghost.order_id),
        ("sale_without_order", no_order.trace_code, ""),
        ("static_qr_unconfirmed", unconfirmed.trace_code, ""),
    }
    assert {m.kind for m in report.mismatches} == set(KINDS)
    amounts = next(m for m in report.mismatches if m.kind == "amount_mismatch")
    assert (amounts.sale_total_fen, amounts.paid_amount_fen) == (short.total_fen, short.total_fen - 100)
    text = format_report(report)
    for kind, (zh, _en) in KINDS.items():
        assert zh in text, kind
    assert short.trace_code in text and short_order.order_id in text


def test_the_report_is_per_local_day_and_market(setup: Setup) -> None:
    d = Day(setup)
    d.sale(U, PAID)  # sale_without_order on DAY
    assert len(_report(setup).mismatches) == 1
    assert _report(setup, "2024-05-13").mismatches == []
    assert _report(setup, DAY, "another-market").mismatches == []
    assert len(_report(setup, DAY, MARKET).mismatches) == 1


def test_the_api_answers_the_report_behind_the_token(setup: Setup) -> None:
    d = Day(setup)
    sale = d.sale(PaymentMethod.STATIC_QR, PaymentStatus.UNCONFIRMED)
    app = App(setup.db, "secret")
    auth = {"authorization": "Bearer secret"}

    ok = app.handle("GET", f"/api/v1/payments/reconcile?date={DAY}&market={MARKET}", auth)
    assert ok.status == 200
    doc = json.loads(ok.body)
    assert [(m["kind"], m["trace_code"]) for m in doc["mismatches"]] == [("static_qr_unconfirmed", sale.trace_code)]
    assert app.handle("GET", f"/api/v1/payments/reconcile?date={DAY}", {}).status == 401
    bad = app.handle("GET", "/api/v1/payments/reconcile?date=12.5.2024", auth)
    assert bad.status == 400 and "YYYY-MM-DD" in json.loads(bad.body)["message"]
    assert app.handle("GET", "/api/v1/payments/reconcile", auth).status == 400
