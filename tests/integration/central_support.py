"""Helpers for central's tests: a registered market, signed sales, a paho client as "the scale".

Tests may use edge (they are not central code): sales come from edge.store.samples and
are signed with edge.device_key, exactly as a scale would.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from central import admin
from central.db import Database
from central.schema import migrate
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from edge.core.tracecode import make_trace_code
from edge.device_key import DeviceKey
from edge.store.samples import BATCHES, sale_builder

MARKET, NODE = "lz-dfh", "620102"
MERCHANT = "m-0042"
DAY = "2024-05-12"
REAL_NAME, ID_NUMBER, PHONE = "王小明", "620102199001011234", "13912345678"
OPERATOR = "张三丰"  # a staff name: on record, never on the public page


def wait_for(condition: Callable[[], bool], timeout_s: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


@dataclass
class ScaleReg:
    scale_id: str
    scale_no: int
    key: DeviceKey
    password: str

    def sale(self, seq: int, *, lines: int = 2, payment: Payment | None = None) -> Sale:
        """A consistent, signed sale of this scale (seq doubles as the daily sequence, wrapping past 9999)."""
        daily = (seq - 1) % 9999 + 1
        base = sale_builder(DAY, lines=lines, payment=payment)(seq, daily)
        code = make_trace_code(NODE, self.scale_no, date.fromisoformat(DAY), daily)
        sale = dataclasses.replace(
            base, scale_id=self.scale_id, market_id=MARKET, merchant_id=MERCHANT, trace_code=code,
            sale_id=f"{self.scale_id}-{seq:06d}", operator=OPERATOR,
        )  # fmt: skip
        return self.key.sign(sale)

    def update(self, sale: Sale, **change: Any) -> Sale:
        """The sale's next state (payment/printed), signed by this scale as its store does."""
        return self.key.sign_state(dataclasses.replace(sale, **change, state_no=sale.state_no + 1))


@dataclass
class Setup:
    db: Database
    central_password: str
    scales: list[ScaleReg] = field(default_factory=list)


def register(db_url: str, workdir: Path, n_scales: int = 2) -> Setup:
    """Market, merchant (real-name data), ``n_scales`` scales with device keys, central's login, batches."""
    db = Database(db_url)
    migrate(db)
    with db.connection() as conn:
        admin.add_market(conn, MARKET, NODE, "东方红综合市场", "兰州")
        admin.add_merchant(conn, MERCHANT, MARKET, stall="A-17", display_name="老王蔬菜",
                           real_name=REAL_NAME, id_number=ID_NUMBER, phone=PHONE)  # fmt: skip
        for batch in BATCHES:
            admin.add_batch(conn, MERCHANT, batch.to_dict())
        central = admin.add_central_account(conn)
        setup = Setup(db, central.password)
        for i in range(1, n_scales + 1):
            key = DeviceKey.load_or_create(workdir / f"scale{i}.pem")
            creds = admin.add_scale(conn, f"{NODE}-{i:03d}", MARKET, i, key.public_key_b64(), MERCHANT)
            setup.scales.append(ScaleReg(creds.username, i, key, creds.password))
    return setup


def sales_message(scale_id: str, first: int, items: list[tuple[str, Sale]]) -> bytes:
    """A sales/1 message; items are (kind, sale) with oseq first, first+1, ..."""
    body = [{"oseq": first + i, "kind": kind, "sale": sale.to_dict()} for i, (kind, sale) in enumerate(items)]
    doc = {"schema": "sales/1", "scale_id": scale_id, "first": first, "last": first + len(items) - 1, "items": body}
    return json.dumps(doc, ensure_ascii=False).encode()


class ScaleClient:
    """A paho v5 client logged in as a scale (or anyone): publishes, collects what it reads."""

    def __init__(self, port: int, username: str | None, password: str | None, client_id: str) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.lock = threading.Lock()
        self.received: list[tuple[str, bytes]] = []
        self.connack: list[object] = []
        self.client.on_message = self._on_message
        self.client.on_connect = lambda _c, _u, _f, reason, _p: self.connack.append(reason)
        self.client.connect("127.0.0.1", port, keepalive=10, clean_start=True)
        self.client.loop_start()
        wait_for(lambda: bool(self.connack), 10, f"{client_id} CONNACK")

    @property
    def refused(self) -> bool:
        return bool(self.connack) and getattr(self.connack[0], "is_failure", True)

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self.lock:
            self.received.append((msg.topic, msg.payload))

    def subscribe(self, *topics: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_: done.set()
        self.client.subscribe([(t, 1) for t in topics])
        assert done.wait(10), "no SUBACK"

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(10)

    def acks(self) -> list[int]:
        """The sales acks (``acked_through``); events acks share the topic and are left out."""
        with self.lock:
            docs = [json.loads(p) for t, p in self.received if t.endswith("/ack")]
        return [d["acked_through"] for d in docs if "acked_through" in d]

    def wait_ack(self, value: int, timeout_s: float = 20.0) -> None:
        wait_for(lambda: value in self.acks(), timeout_s, f"ack {value} (got {self.acks()})")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def paid_later(sale: Sale, scale: ScaleReg) -> Sale:
    """The same sale after its payment settled (a sale_update): sale signature unchanged,
    the new state signed by the scale."""
    return scale.update(sale, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-123"), printed=True)


def drain_scales(setup: Setup, port: int, *, messages: int, per_message: int, lines: int, resend_every: int) -> int:
    """Each registered scale sends ``messages`` sales/1 messages of ``per_message`` sales
    (every ``resend_every``-th message twice, a resend racing the original) and waits until
    central has acked them all; returns how many messages were published in all."""
    clients = []
    published = 0
    try:
        for scale in setup.scales:
            client = ScaleClient(port, scale.scale_id, scale.password, f"s-{scale.scale_id}")
            client.subscribe(f"trace/v1/{MARKET}/{scale.scale_id}/ack")
            clients.append(client)
        for m in range(messages):
            for scale, client in zip(setup.scales, clients, strict=True):
                first = m * per_message + 1
                sales = [("sale", scale.sale(first + k, lines=lines)) for k in range(per_message)]
                payload = sales_message(scale.scale_id, first, sales)
                topic = f"trace/v1/{MARKET}/{scale.scale_id}/sales"
                for _ in range(2 if m % resend_every == 0 else 1):
                    client.publish(topic, payload)
                    published += 1
        for client in clients:
            client.wait_ack(messages * per_message, 60)
    finally:
        for client in clients:
            client.close()
    return published
