"""Who may connect to the broker, and what a logged-in scale can reach (the generated passwd + ACL).

tests/integration/test_central_acl.py checks the basic fence with central's watcher; here
the attacks go further: every central-only topic, every one of B's topics in both
directions, retained documents, wildcards, and what the receiver stores for B afterwards.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.central_support import MARKET, ScaleClient, sales_message, wait_for
from tests.security.conftest import Central

pytestmark = pytest.mark.integration

NOT_AUTHORIZED, BAD_LOGIN = 135, 134  # MQTT v5 CONNACK reason codes


def _reason(client: ScaleClient) -> int:
    return int(client.connack[0].value)  # type: ignore[attr-defined]


def test_strangers_and_wrong_passwords_are_refused_with_the_connack_reason(central: Central) -> None:
    a, b = central.setup.scales
    port = central.broker.port
    attempts = {
        "anonymous": ScaleClient(port, None, None, "anon"),
        "wrong password": ScaleClient(port, a.scale_id, a.password[:-1] + chr(ord(a.password[-1]) ^ 1), "wrong"),
        "empty password": ScaleClient(port, a.scale_id, "", "empty-pass"),
        "A's password as B": ScaleClient(port, b.scale_id, a.password, "a-as-b"),
        "B's password as A": ScaleClient(port, a.scale_id, b.password, "b-as-a"),
        "central's name, A's password": ScaleClient(port, "central", a.password, "a-as-central"),
        "unknown user": ScaleClient(port, "620102-999", a.password, "unknown"),
    }
    for what, client in attempts.items():
        assert client.refused, f"{what} was let in"
        assert _reason(client) in (NOT_AUTHORIZED, BAD_LOGIN), f"{what}: {client.connack[0]}"
        client.close()
    # anonymous is "not authorized"; a known or unknown name with a wrong password "bad user name or password"
    assert _reason(attempts["anonymous"]) == NOT_AUTHORIZED
    own = central.scale_client(0)  # the genuine login still works
    assert not own.refused


def test_a_scale_cannot_write_anywhere_but_its_own_upload_topics(central: Central) -> None:
    a, b = central.setup.scales
    watch = central.central_client()
    watch.subscribe("trace/v1/#")
    scale_b = central.scale_client(1)
    scale_b.subscribe(*(central.topic(1, k) for k in ("batches", "config", "payment", "firmware", "command")),
                      f"trace/v1/{MARKET}/catalog")  # fmt: skip
    scale_a = central.scale_client(0)
    scale_a.subscribe(*(central.topic(0, k) for k in ("batches", "config", "payment", "firmware", "command")))

    marker = b"forged-by-A"
    forged_sale = central.setup.scales[1].sale(1)  # a genuine-looking sale of B (A learnt B's data)
    # as B: upload topics
    scale_a.publish(central.topic(1, "sales"), sales_message(b.scale_id, 1, [("sale", forged_sale)]))
    scale_a.publish(central.topic(1, "status"), json.dumps({"schema": "status/1", "scale_id": b.scale_id,
                                                            "online": False, "backlog": 999}).encode())  # fmt: skip
    scale_a.publish(central.topic(1, "events"), json.dumps({"schema": "events/1", "scale_id": b.scale_id,
                                                            "events": []}).encode())  # fmt: skip
    scale_a.publish(central.topic(1, "payment"), marker)
    # central-only topics, B's and its own: acks, documents, firmware, the market catalog
    for i in (0, 1):
        for kind in ("ack", "batches", "config", "firmware", "command"):  # command: a scale unlocking itself
            scale_a.publish(central.topic(i, kind), marker, retain=True)
    scale_a.publish(f"trace/v1/{MARKET}/catalog", marker, retain=True)
    scale_a.publish(f"trace/v1/{MARKET}/{a.scale_id}/anything", marker)
    scale_a.publish("trace/v1/other-market/620102-001/sales", marker)
    scale_a.publish("$SYS/broker/forged", marker)

    # a genuine sale of A afterwards: once it is acked, everything A sent before has been handled
    central.send_sales(scale_a, 0, 1, [a.sale(1)])
    time.sleep(0.3)

    watched = [(t, p) for t, p in watch.received]
    assert not any(p == marker for _, p in watched), [t for t, p in watched if p == marker]
    assert not any(t.startswith(central.topic(1, "")[:-1]) for t, _ in watched)
    assert not any(p == marker for _, p in scale_b.received + scale_a.received)
    # nothing of B's changed at central: no sale, no status, no event, no reject filed under B
    assert central.count("SELECT COUNT(*) FROM sales WHERE scale_id = ?", (b.scale_id,)) == 0
    assert central.count("SELECT COUNT(*) FROM scale_status WHERE scale_id = ?", (b.scale_id,)) == 0
    assert central.count("SELECT COUNT(*) FROM events WHERE scale_id = ?", (b.scale_id,)) == 0
    assert central.count("SELECT COUNT(*) FROM rejects WHERE scale_id = ?", (b.scale_id,)) == 0
    assert central.count("SELECT COUNT(*) FROM sales WHERE scale_id = ?", (a.scale_id,)) == 1
    # and A's forged acks did not move any watermark
    assert central.count("SELECT acked_through FROM scale_sync WHERE scale_id = ?", (a.scale_id,)) == 1


def test_a_scale_cannot_read_another_scales_topics_or_retained_documents(central: Central) -> None:
    b = central.setup.scales[1]
    centre = central.central_client("central-docs")
    # central's retained documents for each scale, and B's retained heartbeat
    for i in (0, 1):
        for kind in ("batches", "config", "firmware"):
            centre.publish(central.topic(i, kind), f"{kind}-of-{i}".encode(), retain=True)
    scale_b = central.scale_client(1)
    scale_b.publish(
        central.topic(1, "status"),
        json.dumps({"schema": "status/1", "scale_id": b.scale_id, "online": True, "backlog": 5}).encode(),
        retain=True,
    )
    wait_for(lambda: central.count("SELECT COUNT(*) FROM scale_status WHERE scale_id = ?", (b.scale_id,)) == 1)

    # A subscribes to everything it can name: B's topics one by one, wildcards, the broker's $SYS
    scale_a = central.scale_client(0)
    b_topics = [central.topic(1, k) for k in ("ack", "batches", "config", "payment", "firmware", "sales", "status",
                                               "events")]  # fmt: skip
    scale_a.subscribe(*b_topics, f"trace/v1/{MARKET}/{b.scale_id}/#", f"trace/v1/{MARKET}/+/config", "trace/v1/#",
                      "#", "$SYS/#")  # fmt: skip
    # live traffic for B while A listens
    centre.publish(central.topic(1, "ack"), json.dumps({"acked_through": 3}).encode())
    centre.publish(central.topic(1, "payment"), b'{"schema":"payment/1","type":"result"}')
    centre.publish(central.topic(1, "config"), b"config-of-1-live", retain=True)
    scale_b.subscribe(*(central.topic(1, k) for k in ("ack", "config", "batches", "firmware")))
    wait_for(lambda: {t for t, _ in scale_b.received} >= {central.topic(1, k) for k in
                                                          ("ack", "config", "batches", "firmware")},
             10, "B's own documents (the positive control)")  # fmt: skip
    # A still gets its own retained documents through the same wildcard subscriptions
    wait_for(lambda: {p for _, p in scale_a.received} >= {b"batches-of-0", b"config-of-0", b"firmware-of-0"},
             10, "A's own documents")  # fmt: skip
    time.sleep(0.5)  # anything wrongly delivered would have arrived by now
    leaked = [t for t, _ in scale_a.received if b.scale_id in t or t.startswith("$SYS")]
    assert leaked == []
    assert {t for t, _ in scale_a.received} <= {central.topic(0, k) for k in ("batches", "config", "firmware")}
