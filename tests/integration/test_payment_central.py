"""Central's payment service end to end: a real Mosquitto, central's Receiver and HTTP server, the
payment gateway simulator, and a paho client playing the scale on its payment topic."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from central.http import App, HttpServer
from central.keys import CentralKey
from central.mqtt import MqttUrl
from central.payment.accounts import import_accounts
from central.payment.service import PaymentService, PaymentSettings, Sweeper
from central.receiver import Receiver
from edge.core.payment import PaymentRequest, PaymentResult, RequestType, ResultStatus
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from edge.sync.signing import load_public_key, verify_document
from simulator.payment import PaymentGateway
from tests.broker import free_port
from tests.integration.central_support import MARKET, MERCHANT, ScaleClient, ScaleReg, register, wait_for

WECHAT_CODE = "134567890123456789"  # a customer's WeChat 付款码: 18 digits starting 13


@dataclass
class Central:
    db: Any
    gw: PaymentGateway
    service: PaymentService
    receiver: Receiver
    http_port: int
    scale: ScaleReg
    client: ScaleClient
    key: CentralKey
    topic: str
    seq: int = 0

    def new_sale(self, **changes: Any) -> Sale:
        self.seq += 1
        sale = self.scale.sale(self.seq, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, ""))
        return dataclasses.replace(sale, **changes) if changes else sale

    def send(self, kind: RequestType, sale: Sale, **fields: Any) -> str:
        request_id = f"r-{kind}-{sale.seq}-{len(self.client.received)}"
        with_sale = kind in (RequestType.CREATE, RequestType.MICROPAY)
        req = PaymentRequest(kind, request_id, sale.sale_id, sale=sale.to_dict() if with_sale else None,
                             sent_ms=sale.created_ms, **fields)  # fmt: skip
        self.client.publish(self.topic, json.dumps(req.to_dict(), ensure_ascii=False).encode())
        return request_id

    def results(self, sale_id: str) -> list[PaymentResult]:
        """Every result central sent for the sale, each checked against central's signature."""
        public = load_public_key(self.key.public_key_b64())
        with self.client.lock:
            docs = [json.loads(p) for t, p in self.client.received if t == self.topic]
        out = []
        for doc in docs:
            if doc.get("type") == "result" and doc.get("sale_id") == sale_id:
                verify_document(doc, public)
                out.append(PaymentResult.from_dict(doc))
        return out

    def answer(self, request_id: str, sale_id: str) -> PaymentResult:
        found: list[PaymentResult] = []

        def arrived() -> bool:
            found[:] = [r for r in self.results(sale_id) if r.request_id == request_id]
            return bool(found)

        wait_for(arrived, 30, f"central's answer to {request_id}")
        assert len(found) == 1, found
        return found[0]

    def pushed(self, sale_id: str, status: ResultStatus, timeout_s: float = 30) -> PaymentResult:
        """A result central sent on its own (request_id "")."""
        wait_for(lambda: any(r.status is status and not r.request_id for r in self.results(sale_id)), timeout_s,
                 f"a {status} result for {sale_id}")  # fmt: skip
        return next(r for r in self.results(sale_id) if r.status is status and not r.request_id)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.db.connection() as conn:
            return conn.all(sql, params)


@pytest.fixture
def central(tmp_path: Path, mosquitto: Callable[..., Any]) -> Iterator[Central]:
    setup = register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path, n_scales=1)
    broker = mosquitto(setup.db)
    gw = PaymentGateway(tmp_path / "gateway", host="127.0.0.1", port=0).start()
    with setup.db.connection() as conn:
        import_accounts(conn, MERCHANT, gw.accounts)
    http_port = free_port()
    service = PaymentService(setup.db, PaymentSettings(f"http://127.0.0.1:{http_port}"))
    key = CentralKey.load_or_create(tmp_path / "central-key.pem")
    receiver = Receiver(setup.db, MqttUrl.parse(broker.url("central", setup.central_password)), central_key=key,
                        payments=service)  # fmt: skip
    receiver.start()
    server = HttpServer(App(setup.db, "tok", payments=service, publish=receiver.publish_payment), "127.0.0.1",
                        http_port)  # fmt: skip
    server.start()
    sweeper = Sweeper(service, receiver.publish_payment, interval_s=0.2)
    sweeper.start()
    scale = setup.scales[0]
    client = ScaleClient(broker.port, scale.scale_id, scale.password, f"edge-{scale.scale_id}")
    topic = f"trace/v1/{MARKET}/{scale.scale_id}/payment"
    try:
        wait_for(receiver.connected.is_set, 20, "central's receiver to subscribe")
        client.subscribe(topic)
        yield Central(setup.db, gw, service, receiver, http_port, scale, client, key, topic)
    finally:
        client.close()
        sweeper.stop()
        server.stop()
        receiver.stop()
        gw.stop()
        setup.db.close()


def test_qr_payment_is_signed_paid_once_and_duplicates_change_nothing(central: Central) -> None:
    sale = central.new_sale()
    qr = central.answer(central.send(RequestType.CREATE, sale, method="wechat"), sale.sale_id)
    assert qr.status is ResultStatus.QR and qr.qr_content.startswith("weixin://")
    assert qr.amount_fen == sale.total_fen and qr.order_id == sale.trace_code + "01"

    # the same create again (the scale retried): the same open order and QR, no second order
    again = central.answer(central.send(RequestType.CREATE, sale, method="wechat"), sale.sale_id)
    assert (again.order_id, again.qr_content) == (qr.order_id, qr.qr_content)

    central.gw.scan(qr.qr_content, "pay_twice")  # the paid notification is delivered twice
    paid = central.pushed(sale.sale_id, ResultStatus.PAID)
    assert paid.order_id == qr.order_id and paid.amount_fen == sale.total_fen and paid.provider_ref

    central.gw.act(qr.order_id, "replay")  # the last notification again, byte for byte
    wait_for(lambda: len(central.rows("SELECT id FROM payment_notifications")) >= 3, 30, "three notifications")
    notes = central.rows("SELECT verified, outcome FROM payment_notifications ORDER BY id")
    assert [n["outcome"] for n in notes].count("applied") == 1 and all(n["verified"] for n in notes)
    orders = central.rows("SELECT order_id, status, paid_amount_fen FROM payment_orders")
    assert orders == [{"order_id": qr.order_id, "status": "paid", "paid_amount_fen": sale.total_fen}]
    assert [r.status for r in central.results(sale.sale_id) if not r.request_id] == [ResultStatus.PAID]

    # the vendor presses cash after the money arrived: central says paid, do not take cash
    closing = central.answer(central.send(RequestType.CLOSE, sale, reason="cash"), sale.sale_id)
    assert closing.status is ResultStatus.PAID
    asked = central.answer(central.send(RequestType.QUERY, sale), sale.sale_id)
    assert asked.status is ResultStatus.PAID


def test_a_forged_sale_signature_is_refused_and_nothing_is_ordered(central: Central) -> None:
    genuine = central.new_sale()
    forged = dataclasses.replace(genuine, total_fen=1)  # altered after signing: the signature no longer fits
    answer = central.answer(central.send(RequestType.CREATE, forged, method="wechat"), forged.sale_id)
    assert answer.status is ResultStatus.FAILED and "签名" in answer.message_zh and answer.message
    assert central.rows("SELECT order_id FROM payment_orders") == []
    assert central.gw.orders() == []
    rejects = central.rows("SELECT reason, scale_id FROM rejects")
    assert rejects == [{"reason": "bad_signature", "scale_id": central.scale.scale_id}]


def test_an_unpaid_qr_order_expires_closed_and_a_new_create_opens_a_new_order(central: Central) -> None:
    sale = central.new_sale()
    qr = central.answer(central.send(RequestType.CREATE, sale, method="wechat"), sale.sale_id)
    assert qr.status is ResultStatus.QR
    with central.db.connection() as conn:  # the customer never pays: let the order's time run out
        conn.execute("UPDATE payment_orders SET expires_ms = expires_ms - 200000 WHERE order_id = ?", (qr.order_id,))
    closed = central.pushed(sale.sale_id, ResultStatus.CLOSED)
    assert closed.order_id == qr.order_id and closed.message_zh
    assert central.gw.order(qr.order_id)["state"] == "closed"  # closed at WeChat too: it can no longer be paid
    assert central.rows("SELECT status FROM payment_orders") == [{"status": "closed"}]

    retry = central.answer(central.send(RequestType.CREATE, sale, method="wechat"), sale.sale_id)
    assert retry.status is ResultStatus.QR and retry.order_id == sale.trace_code + "02"
    assert retry.qr_content != qr.qr_content


def test_close_for_cash_closes_an_unpaid_order(central: Central) -> None:
    sale = central.new_sale()
    qr = central.answer(central.send(RequestType.CREATE, sale, method="unionpay"), sale.sale_id)
    assert qr.status is ResultStatus.QR and qr.qr_content.startswith("000201")
    closed = central.answer(central.send(RequestType.CLOSE, sale, reason="cash"), sale.sale_id)
    assert closed.status is ResultStatus.CLOSED
    assert central.rows("SELECT status FROM payment_orders") == [{"status": "closed"}]


def test_micropay_with_the_customer_confirming_ends_paid(central: Central) -> None:
    central.gw.set_behaviour(micropay="userpaying_then_pay")
    sale = central.new_sale()
    first = central.answer(central.send(RequestType.MICROPAY, sale, auth_code=WECHAT_CODE), sale.sale_id)
    assert first.status is ResultStatus.PAYING
    paid = central.pushed(sale.sale_id, ResultStatus.PAID)  # central polls the provider until it is paid
    assert paid.amount_fen == sale.total_fen and paid.order_id == first.order_id
    assert central.rows("SELECT kind, status FROM payment_orders") == [{"kind": "micropay", "status": "paid"}]


def test_a_notification_with_a_bad_signature_is_refused_and_changes_nothing(central: Central) -> None:
    sale = central.new_sale()
    qr = central.answer(central.send(RequestType.CREATE, sale, method="unionpay"), sale.sale_id)
    body = json.dumps({"order_id": qr.order_id, "amount_fen": sale.total_fen, "status": "paid",
                       "trade_no": "FORGED", "paid_ms": sale.created_ms}).encode()  # fmt: skip
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = base64.b64encode(attacker.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()
    url = f"http://127.0.0.1:{central.http_port}/pay/notify/unionpay/{MERCHANT}"
    status = _post(url, body, {"Content-Type": "application/json", "X-Acquirer-Signature": signature})
    assert status != 200
    status = _post(url.replace("unionpay", "wechat"), b'{"id":"x","resource":{}}', {"Wechatpay-Signature": "AAAA"})
    assert status >= 400
    assert central.rows("SELECT status, provider_ref FROM payment_orders") == [{"status": "open", "provider_ref": ""}]
    notes = central.rows("SELECT verified, outcome FROM payment_notifications")
    assert notes == [{"verified": 0, "outcome": "rejected"}] * 2
    assert [r.status for r in central.results(sale.sale_id)] == [ResultStatus.QR]


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    try:
        with urlopen(Request(url, data=body, headers=headers, method="POST"), timeout=10) as resp:
            return int(resp.status)
    except HTTPError as exc:
        return int(exc.code)


@pytest.mark.parametrize("method", ["alipay", "unionpay"])
def test_alipay_and_unionpay_qr_payments_arrive_paid(central: Central, method: str) -> None:
    sale = central.new_sale()
    qr = central.answer(central.send(RequestType.CREATE, sale, method=method), sale.sale_id)
    assert qr.status is ResultStatus.QR and qr.method == method
    central.gw.scan(qr.qr_content, "pay")
    paid = central.pushed(sale.sale_id, ResultStatus.PAID)
    assert (paid.order_id, paid.amount_fen, paid.method) == (qr.order_id, sale.total_fen, method)


def test_a_malformed_request_is_recorded_and_the_receiver_carries_on(central: Central) -> None:
    central.client.publish(central.topic, b'{"schema": "payment/1", "type": "create", "request_id": "x"}')
    wait_for(lambda: bool(central.rows("SELECT reason FROM rejects")), 30, "the reject")
    assert central.rows("SELECT reason FROM rejects") == [{"reason": "bad_payment"}]
    sale = central.new_sale()
    answer = central.answer(central.send(RequestType.CREATE, sale, method="wechat"), sale.sale_id)
    assert answer.status is ResultStatus.QR


def test_a_micropay_never_confirmed_is_reversed_by_the_sweeper(central: Central) -> None:
    central.gw.set_behaviour(micropay="userpaying")  # the customer never enters the password
    sale = central.new_sale()
    first = central.answer(central.send(RequestType.MICROPAY, sale, auth_code=WECHAT_CODE), sale.sale_id)
    assert first.status is ResultStatus.PAYING
    with central.db.connection() as conn:  # its 30 s are up
        conn.execute("UPDATE payment_orders SET expires_ms = expires_ms - 60000 WHERE order_id = ?", (first.order_id,))
    closed = central.pushed(sale.sale_id, ResultStatus.CLOSED)
    assert closed.order_id == first.order_id
    assert central.rows("SELECT status FROM payment_orders") == [{"status": "reversed"}]
    assert central.gw.order(first.order_id)["state"] == "reversed"


def test_cash_while_the_customer_is_confirming_reverses_the_micropay(central: Central) -> None:
    central.gw.set_behaviour(micropay="userpaying")
    sale = central.new_sale()
    first = central.answer(central.send(RequestType.MICROPAY, sale, auth_code=WECHAT_CODE), sale.sale_id)
    assert first.status is ResultStatus.PAYING
    closed = central.answer(central.send(RequestType.CLOSE, sale, reason="cash"), sale.sale_id)
    assert closed.status is ResultStatus.CLOSED
    assert central.gw.order(first.order_id)["state"] == "reversed"
