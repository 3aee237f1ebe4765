"""A whole central for the security suite: real Mosquitto (project passwd + ACL), Receiver, HTTP server.

``central`` gives a :class:`Central` with two registered scales (``tests.integration.central_support``),
wired as ``python -m central serve`` wires it: the receiver (with the payment service and
central's signing key) subscribed, and the trace page / regulator API / payment notify
endpoint listening on a free 127.0.0.1 port. No provider accounts: payment requests are
answered "failed", which is all the hostile messages here need.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from central.http import App, HttpServer
from central.keys import CentralKey
from central.mqtt import MqttUrl
from central.payment.service import PaymentService, PaymentSettings
from central.receiver import Receiver
from edge.core.records import Sale
from tests.broker import Broker, free_port
from tests.integration.central_support import MARKET, ScaleClient, Setup, register, sales_message, wait_for

TOKEN = "regulator-token-7f3a"


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Central:
    setup: Setup
    broker: Broker
    receiver: Receiver
    http_port: int
    clients: list[ScaleClient] = field(default_factory=list)

    def topic(self, i: int, kind: str) -> str:
        return f"trace/v1/{MARKET}/{self.setup.scales[i].scale_id}/{kind}"

    def scale_client(self, i: int, *, subscribe_ack: bool = True) -> ScaleClient:
        """Scale ``i`` logged in with its own password (subscribed to its own ack)."""
        reg = self.setup.scales[i]
        client = ScaleClient(self.broker.port, reg.scale_id, reg.password, f"scale-{reg.scale_id}-{len(self.clients)}")
        assert not client.refused, f"scale {reg.scale_id} was refused: {client.connack}"
        if subscribe_ack:
            client.subscribe(self.topic(i, "ack"))
        self.clients.append(client)
        return client

    def central_client(self, name: str = "central-watch") -> ScaleClient:
        """Central's own login (readwrite trace/v1/#), to publish what only central may and to watch."""
        client = ScaleClient(self.broker.port, "central", self.setup.central_password, name)
        assert not client.refused
        self.clients.append(client)
        return client

    def send_sales(self, client: ScaleClient, i: int, first: int, sales: list[Sale], kind: str = "sale") -> int:
        """Publish a sales/1 message on scale ``i``'s topic; wait for central's answer and return its watermark."""
        before = len(client.acks())
        client.publish(self.topic(i, "sales"), sales_message(self.setup.scales[i].scale_id, first,
                                                              [(kind, s) for s in sales]))  # fmt: skip
        wait_for(lambda: len(client.acks()) > before, 20, f"an ack for oseq {first}..")
        last = first + len(sales) - 1
        deadline = time.monotonic() + 5  # an earlier message's ack may come first: wait for the one covering ours
        while client.acks()[-1] < last and time.monotonic() < deadline:
            time.sleep(0.02)
        return client.acks()[-1]

    def count(self, sql: str, params: tuple = ()) -> int:  # type: ignore[type-arg]
        with self.setup.db.connection() as conn:
            return int(conn.scalar(sql, params) or 0)

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:  # type: ignore[type-arg]
        with self.setup.db.connection() as conn:
            return conn.all(sql, params)

    def http(self, method: str, target: str, headers: dict[str, str] | None = None) -> HttpAnswer:
        """One raw HTTP request (the target is sent as given, no quoting)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read().decode("utf-8", errors="replace")
            return HttpAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            conn.close()

    def api(self, target: str, token: str | None = TOKEN) -> tuple[int, dict]:  # type: ignore[type-arg]
        answer = self.http("GET", target, {"Authorization": f"Bearer {token}"} if token else {})
        return answer.status, json.loads(answer.body)


@pytest.fixture
def central(tmp_path: Path, mosquitto) -> Iterator[Central]:  # type: ignore[no-untyped-def]
    setup = register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path)
    broker = mosquitto(setup.db)
    http_port = free_port()
    payments = PaymentService(setup.db, PaymentSettings(f"http://127.0.0.1:{http_port}"))
    key = CentralKey.load_or_create(tmp_path / "central-key.pem")
    url = MqttUrl.parse(broker.url("central", setup.central_password))
    receiver = Receiver(setup.db, url, client_id="central-r", central_key=key, payments=payments)
    receiver.start()
    wait_for(receiver.connected.is_set, 10, "the receiver to subscribe")
    server = HttpServer(App(setup.db, TOKEN, payments=payments, publish=receiver.publish_payment), "127.0.0.1",
                        http_port)  # fmt: skip
    server.start()
    env = Central(setup, broker, receiver, server.port)
    yield env
    for client in env.clients:
        client.close()
    server.stop()
    receiver.stop()
    setup.db.close()


def receiver_alive(receiver: Receiver) -> bool:
    """Every worker thread (sales/status/events and payments) still running and the MQTT session up."""
    threads = [*receiver._workers, receiver._pay_worker]
    return all(t.is_alive() for t in threads) and receiver.connected.is_set()
