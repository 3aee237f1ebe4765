"""Central's payment provider clients against the payment gateway simulator, over real HTTP.

Each client is built from the ``config_json`` the simulator hands out (as central would
import it); notifications reach a small stdlib HTTP server standing in for central's
``/pay/notify/{provider}/{merchant}``, which hands the raw headers and body to
``parse_notification`` and answers with ``notification_answer``.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from central.payment.providers import (
    Notification,
    NotificationRejected,
    OrderRequest,
    OrderState,
    Provider,
    ProviderError,
    ProviderOrder,
    make_provider,
)
from central.payment.providers.signing import load_private_key
from edge.core.emvco import parse
from simulator.payment import PaymentGateway, SimError

pytestmark = pytest.mark.integration
WAIT_S = 10.0
MERCHANT = "M001"


@dataclass
class NotifyEndpoint:
    """Central's notification URL in miniature: verify, record, answer."""

    providers: dict[str, Provider]
    # by merchant path segment: each test has its own, so a late re-send of an earlier
    # test's notification never lands in the next test's queue
    received: dict[str, queue.Queue[Notification | ProviderError]] = field(default_factory=dict)
    merchant: str = MERCHANT
    tamper: bool = False  # flip one body byte on arrival, as a forger or a broken proxy would
    server: ThreadingHTTPServer | None = None

    def queue_for(self, merchant: str) -> queue.Queue[Notification | ProviderError]:
        return self.received.setdefault(merchant, queue.Queue())

    def url(self, provider: str) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/pay/notify/{provider}/{self.merchant}"

    def next(self, timeout: float = WAIT_S) -> Notification | ProviderError:
        return self.queue_for(self.merchant).get(timeout=timeout)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.queue_for(self.merchant).get(timeout=seconds)
        except queue.Empty:
            return True
        return False


def _handler(endpoint: NotifyEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            _, _, name, merchant = self.path.strip("/").split("/")  # pay/notify/{provider}/{merchant}
            provider, received = endpoint.providers[name], endpoint.queue_for(merchant)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if endpoint.tamper:
                body = body[:-3] + bytes([body[-3] ^ 0x01]) + body[-2:]
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                received.put(provider.parse_notification(headers, body))
                ok = True
            except ProviderError as exc:
                received.put(exc)
                ok = False
            status, content_type, answer = provider.notification_answer(ok)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaymentGateway]:
    gw = PaymentGateway(tmp_path_factory.mktemp("gateway"), host="127.0.0.1", port=0)
    gw.start()
    yield gw
    gw.stop()


@pytest.fixture(scope="module")
def providers(gateway: PaymentGateway) -> dict[str, Provider]:
    return {name: make_provider(name, gateway.accounts[name]) for name in ("wechat", "alipay", "unionpay")}


@pytest.fixture(scope="module")
def endpoint(providers: dict[str, Provider]) -> Iterator[NotifyEndpoint]:
    ep = NotifyEndpoint(providers)
    ep.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ep))
    ep.server.daemon_threads = True
    thread = threading.Thread(target=ep.server.serve_forever, daemon=True)
    thread.start()
    yield ep
    ep.server.shutdown()
    ep.server.server_close()


@pytest.fixture(autouse=True)
def _fresh(gateway: PaymentGateway, endpoint: NotifyEndpoint) -> Iterator[None]:
    gateway.set_behaviour(micropay="pay", notify=True)
    endpoint.tamper, endpoint.merchant = False, f"{MERCHANT}-{uuid.uuid4().hex[:8]}"
    yield
    endpoint.tamper = False


def _order_id() -> str:
    return str(uuid.uuid4().int)[:20] + "01"  # trace code digits + attempt, 22 digits


def _request(endpoint: NotifyEndpoint, provider: str, amount_fen: int = 1234) -> OrderRequest:
    now_ms = int(time.time() * 1000)
    return OrderRequest(_order_id(), amount_fen, "溯源秤 A12 张记蔬菜", endpoint.url(provider), now_ms + 120_000)


def _poll(provider: Provider, order_id: str, until: Callable[[ProviderOrder], bool]) -> ProviderOrder:
    deadline = time.monotonic() + WAIT_S
    while True:
        order = provider.query(order_id)
        if until(order) or time.monotonic() > deadline:
            return order
        time.sleep(0.1)


QR_PROVIDERS = ["wechat", "alipay", "unionpay"]
MICROPAY = [("wechat", "134567890123456789"), ("alipay", "286123456789012345")]


@pytest.mark.parametrize("name", QR_PROVIDERS)
def test_qr_order_paid_by_scan_is_notified_and_queried(gateway, providers, endpoint, name):
    provider = providers[name]
    req = _request(endpoint, name, 2372)
    created = provider.create_qr(req)
    assert created.state is OrderState.OPEN and created.qr_content and created.order_id == req.order_id
    if name == "unionpay":
        qr = parse(created.qr_content)
        assert (qr.amount_fen, qr.bill_number) == (2372, req.order_id)
    assert provider.query(req.order_id).state is OrderState.OPEN

    gateway.scan(created.qr_content, action="pay")
    note = endpoint.next()
    assert isinstance(note, Notification), note
    assert (note.order_id, note.state, note.paid_amount_fen) == (req.order_id, OrderState.PAID, 2372)
    assert note.provider_ref and note.notification_id and note.paid_ms is not None

    queried = provider.query(req.order_id)
    assert (queried.state, queried.paid_amount_fen, queried.provider_ref) == (OrderState.PAID, 2372, note.provider_ref)
    assert queried.paid_ms is not None and abs(queried.paid_ms - note.paid_ms) < 1000


@pytest.mark.parametrize("name", QR_PROVIDERS)
def test_closing_an_unpaid_order_closes_it_and_a_paid_one_says_paid(gateway, providers, endpoint, name):
    provider = providers[name]
    unpaid = provider.create_qr(_request(endpoint, name))
    assert provider.close(unpaid.order_id).state is OrderState.CLOSED
    assert gateway.order(unpaid.order_id)["state"] == "closed"
    with pytest.raises(SimError):  # the customer scanning the old code afterwards cannot pay it
        gateway.scan(unpaid.qr_content, action="pay")
    assert endpoint.nothing_within(0.3)

    paid = provider.create_qr(_request(endpoint, name, 500))
    gateway.set_behaviour(notify=False)  # money arrived, notification not yet: the vendor must not take cash
    gateway.scan(paid.qr_content, action="pay")
    closed = provider.close(paid.order_id)
    assert (closed.state, closed.paid_amount_fen) == (OrderState.PAID, 500)
    assert endpoint.nothing_within(0.5)


@pytest.mark.parametrize("name", QR_PROVIDERS)
def test_duplicate_and_replayed_notifications_carry_the_same_id(gateway, providers, endpoint, name):
    provider = providers[name]
    created = provider.create_qr(_request(endpoint, name))
    gateway.scan(created.qr_content, action="pay_twice")
    first, second = endpoint.next(), endpoint.next()
    assert isinstance(first, Notification) and isinstance(second, Notification)
    assert first.notification_id == second.notification_id and first.state is second.state is OrderState.PAID
    gateway.act(created.order_id, "replay")
    replayed = endpoint.next()
    assert isinstance(replayed, Notification) and replayed.notification_id == first.notification_id


@pytest.mark.parametrize("name", QR_PROVIDERS)
def test_customer_cancelling_leaves_the_order_unpaid(gateway, providers, endpoint, name):
    provider = providers[name]
    created = provider.create_qr(_request(endpoint, name))
    gateway.scan(created.qr_content, action="cancel")
    assert provider.query(created.order_id).state in (OrderState.OPEN, OrderState.PAYING, OrderState.CLOSED)
    assert provider.close(created.order_id).state is OrderState.CLOSED


@pytest.mark.parametrize("name", QR_PROVIDERS)
def test_a_tampered_notification_is_refused_and_answered_as_failure(gateway, providers, endpoint, name):
    created = providers[name].create_qr(_request(endpoint, name))
    endpoint.tamper = True
    gateway.scan(created.qr_content, action="pay")
    refused = endpoint.next()
    assert isinstance(refused, NotificationRejected), refused
    assert refused.message_zh and refused.message
    endpoint.tamper = False  # the provider keeps re-sending an unacknowledged notification
    gateway.act(created.order_id, "replay")
    note = endpoint.next()
    while isinstance(note, ProviderError):  # a retry that was already on its way when tamper was lifted
        note = endpoint.next()
    assert note.order_id == created.order_id and note.state is OrderState.PAID


@pytest.mark.parametrize(("name", "code"), MICROPAY)
def test_micropay_paid_at_once(gateway, providers, endpoint, name, code):
    req = _request(endpoint, name, 888)
    paid = providers[name].micropay(req, code)
    assert (paid.state, paid.paid_amount_fen) == (OrderState.PAID, 888) and paid.provider_ref


@pytest.mark.parametrize(("name", "code"), MICROPAY)
def test_micropay_while_the_customer_enters_a_password_is_polled_to_paid(gateway, providers, endpoint, name, code):
    gateway.set_behaviour(micropay="userpaying_then_pay")
    req = _request(endpoint, name, 999)
    assert providers[name].micropay(req, code).state is OrderState.PAYING
    final = _poll(providers[name], req.order_id, lambda o: o.state not in (OrderState.OPEN, OrderState.PAYING))
    assert (final.state, final.paid_amount_fen) == (OrderState.PAID, 999)


@pytest.mark.parametrize(("name", "code"), MICROPAY)
def test_micropay_never_confirmed_is_reversed(gateway, providers, endpoint, name, code):
    gateway.set_behaviour(micropay="userpaying")
    req = _request(endpoint, name)
    assert providers[name].micropay(req, code).state is OrderState.PAYING
    assert providers[name].reverse(req.order_id).state is OrderState.REVERSED
    assert providers[name].query(req.order_id).state in (OrderState.REVERSED, OrderState.CLOSED)


@pytest.mark.parametrize(("name", "code"), MICROPAY)
def test_micropay_refused_is_failed_with_the_providers_reason(gateway, providers, endpoint, name, code):
    gateway.set_behaviour(micropay="fail")
    failed = providers[name].micropay(_request(endpoint, name), code)
    assert failed.state is OrderState.FAILED and failed.detail


def test_unionpay_has_no_micropay(providers, endpoint):
    with pytest.raises(ProviderError) as err:
        providers["unionpay"].micropay(_request(endpoint, "unionpay"), "6222021234567890123")
    assert not err.value.retryable


def _wrong_key_pem(config: dict[str, str]) -> str:
    """A public key that is not the provider's: our own, taken from our private key."""
    from cryptography.hazmat.primitives import serialization

    public = load_private_key(config["private_key_pem"]).public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize(
    ("name", "key"), [("alipay", "alipay_public_key_pem"), ("unionpay", "acquirer_public_key_pem")]
)
def test_answers_not_signed_by_the_provider_are_not_believed(gateway, providers, endpoint, name, key):
    created = providers[name].create_qr(_request(endpoint, name))
    config = dict(gateway.accounts[name])
    config[key] = _wrong_key_pem(config)
    with pytest.raises(NotificationRejected):
        make_provider(name, config).query(created.order_id)


def test_wechat_answers_from_an_unknown_platform_certificate_are_not_believed(gateway, providers, endpoint):
    created = providers["wechat"].create_qr(_request(endpoint, "wechat"))
    config = {**gateway.accounts["wechat"], "platform_serial": "0123456789ABCDEF"}
    with pytest.raises(NotificationRejected, match="platform certificate"):
        make_provider("wechat", config).query(created.order_id)


@pytest.mark.parametrize("name", QR_PROVIDERS)
def test_an_unreachable_provider_is_a_retryable_error(gateway, endpoint, name):
    config = dict(gateway.accounts[name])
    base_key = {"wechat": "api_base", "alipay": "gateway", "unionpay": "acquirer_base"}[name]
    config[base_key] = "http://127.0.0.1:9/gateway.do"  # discard port: nothing listens
    with pytest.raises(ProviderError) as err:
        make_provider(name, config).create_qr(_request(endpoint, name))
    assert err.value.retryable and "127.0.0.1:9" in err.value.message
