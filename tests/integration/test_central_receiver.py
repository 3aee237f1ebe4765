"""Central's receiver against a real Mosquitto with the project's passwords and ACL (SQLite)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from central.mqtt import MqttUrl
from central.receiver import Receiver
from edge.core.records import Payment, PaymentMethod, PaymentStatus
from tests.integration.central_support import MARKET, ScaleClient, Setup, paid_later, register, sales_message, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def env(tmp_path: Path, mosquitto):  # type: ignore[no-untyped-def]
    setup = register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path)
    broker = mosquitto(setup.db)
    receiver = Receiver(setup.db, MqttUrl.parse(broker.url("central", setup.central_password)), client_id="central-t")
    receiver.start()
    wait_for(receiver.connected.is_set, 10, "receiver to connect")
    clients: list[ScaleClient] = []

    def scale_client(i: int = 0) -> ScaleClient:
        reg = setup.scales[i]
        client = ScaleClient(broker.port, reg.scale_id, reg.password, f"scale-{reg.scale_id}-{len(clients)}")
        assert not client.refused
        client.subscribe(f"trace/v1/{MARKET}/{reg.scale_id}/ack")
        clients.append(client)
        return client

    yield setup, broker, receiver, scale_client
    for client in clients:
        client.close()
    receiver.stop()
    setup.db.close()


def _count(setup: Setup, sql: str, params: tuple = ()) -> int:
    with setup.db.connection() as conn:
        return int(conn.scalar(sql, params))


def _topic(setup: Setup, i: int, kind: str) -> str:
    return f"trace/v1/{MARKET}/{setup.scales[i].scale_id}/{kind}"


def test_stores_a_signed_batch_and_acks_after_commit(env) -> None:  # type: ignore[no-untyped-def]
    setup, _broker, _receiver, scale_client = env
    scale = setup.scales[0]
    client = scale_client()
    pending = Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, "")
    sales = [scale.sale(1), scale.sale(2, payment=pending), scale.sale(3)]
    client.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 1, [("sale", s) for s in sales]))
    client.wait_ack(3)
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 3
    assert _count(setup, "SELECT COUNT(*) FROM sale_lines") == 6
    # the same message again changes nothing and is acked again
    client.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 1, [("sale", s) for s in sales]))
    wait_for(lambda: client.acks().count(3) == 2, 10, "second ack")
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 3
    # the payment settles: a sale_update replaces payment and printed only
    paid = paid_later(sales[1], scale)
    client.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 4, [("sale_update", paid)]))
    client.wait_ack(4)
    with setup.db.connection() as conn:
        row = conn.one("SELECT payment_status, provider_ref, printed, total_fen FROM sales WHERE seq = 2")
    assert row == {"payment_status": "paid", "provider_ref": "wx-123", "printed": 1, "total_fen": sales[1].total_fen}
    assert _count(setup, "SELECT COUNT(*) FROM rejects") == 0


def test_forged_signature_is_rejected_recorded_and_holds_the_watermark(env) -> None:  # type: ignore[no-untyped-def]
    setup, _broker, _receiver, scale_client = env
    scale = setup.scales[0]
    client = scale_client()
    good1, good3 = scale.sale(1), scale.sale(3)
    forged = dataclasses.replace(scale.sale(2), total_fen=1)  # changed after signing
    items = [("sale", good1), ("sale", forged), ("sale", good3)]
    client.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 1, items))
    client.wait_ack(1)  # stored around the forgery, but the watermark stops before it
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 2
    with setup.db.connection() as conn:
        reject = conn.one("SELECT reason, scale_id, detail FROM rejects")
    assert reject is not None and reject["reason"] == "bad_signature" and reject["scale_id"] == scale.scale_id
    assert "oseq 2" in reject["detail"]
    # another scale's key cannot sign for this one either
    other = setup.scales[1].key.sign(dataclasses.replace(scale.sale(2), signature=""))
    client.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 2, [("sale", other)]))
    wait_for(lambda: _count(setup, "SELECT COUNT(*) FROM rejects") == 2, 10, "second reject")
    # the genuine resend fills the gap; the watermark jumps over the run already held
    client.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 2, [("sale", scale.sale(2))]))
    client.wait_ack(3)
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 3


def test_malformed_messages_are_recorded_and_the_receiver_keeps_going(env) -> None:  # type: ignore[no-untyped-def]
    setup, _broker, receiver, scale_client = env
    scale = setup.scales[0]
    client = scale_client()
    topic = _topic(setup, 0, "sales")
    good = sales_message(scale.scale_id, 1, [("sale", scale.sale(1))])
    bad_payloads = [
        b"\xff\xfe not json",
        b"[1, 2, 3]",
        json.dumps({"schema": "sales/9", "scale_id": scale.scale_id}).encode(),
        json.dumps({"schema": "sales/1", "scale_id": scale.scale_id, "first": 1, "last": 2, "items": []}).encode(),
        b'{"schema": "sales/1", "pad": "' + b"x" * (1_200_000) + b'"}',  # huge
        good.replace(scale.scale_id.encode(), setup.scales[1].scale_id.encode()),  # says it is the other scale
        json.dumps({"schema": "status/1", "scale_id": scale.scale_id, "online": "yes"}).encode(),
    ]
    for payload in bad_payloads[:-1]:
        client.publish(topic, payload)
    client.publish(_topic(setup, 0, "status"), bad_payloads[-1])
    client.publish(topic, good)
    client.wait_ack(1)
    wait_for(lambda: _count(setup, "SELECT COUNT(*) FROM rejects") == len(bad_payloads), 10, "all rejects")
    with setup.db.connection() as conn:
        reasons = sorted(r["reason"] for r in conn.all("SELECT reason FROM rejects"))
    assert reasons == sorted(["not_json", "bad_schema", "bad_schema", "bad_schema", "too_large", "scale_mismatch",
                              "bad_schema"])  # fmt: skip
    assert receiver.stats.db_errors == 0
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 1


def test_gap_keeps_the_old_watermark_until_the_resend(env) -> None:  # type: ignore[no-untyped-def]
    setup, _broker, _receiver, scale_client = env
    scale = setup.scales[0]
    client = scale_client()
    topic = _topic(setup, 0, "sales")
    batch = {n: ("sale", scale.sale(n)) for n in range(1, 10)}
    client.publish(topic, sales_message(scale.scale_id, 1, [batch[n] for n in (1, 2, 3)]))
    client.wait_ack(3)
    client.publish(topic, sales_message(scale.scale_id, 7, [batch[n] for n in (7, 8, 9)]))  # 4..6 lost
    wait_for(lambda: client.acks().count(3) == 2, 10, "the old watermark repeated")
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 6  # stored anyway
    client.publish(topic, sales_message(scale.scale_id, 4, [batch[n] for n in (4, 5, 6)]))
    client.wait_ack(9)
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 9
    assert _count(setup, "SELECT COUNT(*) FROM oseq_runs") == 0


def test_status_and_event_log_are_stored(env) -> None:  # type: ignore[no-untyped-def]
    from edge.core.eventlog import make_entry

    setup, _broker, _receiver, scale_client = env
    scale = setup.scales[0]
    client = scale_client()
    status = {"schema": "status/1", "scale_id": scale.scale_id, "online": True, "software_id": "0.1.0+abc",
              "backlog": 12, "oldest_unacked_ms": None, "printer": "ok", "last_sale_ms": 1, "last_event_id": 2,
              "last_event_hash": "h", "sent_ms": 5}  # fmt: skip
    client.publish(_topic(setup, 0, "status"), json.dumps(status).encode(), retain=True)
    first = make_entry(None, "setting.changed", {"division_g": 5}, 1000)
    second = make_entry(first, "software.updated", {"to": "0.1.1"}, 2000)
    events = {"schema": "events/1", "scale_id": scale.scale_id, "events": [first.to_dict(), second.to_dict()]}
    client.publish(_topic(setup, 0, "events"), json.dumps(events).encode())
    wait_for(lambda: _count(setup, "SELECT COUNT(*) FROM events") == 2, 10, "events")
    wait_for(lambda: _count(setup, "SELECT COUNT(*) FROM scale_status WHERE backlog = 12") == 1, 10, "status")
    # a tampered resend of entry 2 is a chain break, recorded
    tampered = {**second.to_dict(), "data": {"to": "9.9.9"}}
    client.publish(_topic(setup, 0, "events"), json.dumps({**events, "events": [tampered]}).encode())
    wait_for(lambda: _count(setup, "SELECT COUNT(*) FROM event_chain_breaks WHERE bad_event_id = 2") == 1, 10, "break")
    # the will: offline, details kept
    will = {"schema": "status/1", "scale_id": scale.scale_id, "online": False}
    client.publish(_topic(setup, 0, "status"), json.dumps(will).encode(), retain=True)
    wait_for(lambda: _count(setup, "SELECT COUNT(*) FROM scale_status WHERE online = 0 AND backlog = 12") == 1)


def test_receiver_comes_back_after_a_broker_restart(env) -> None:  # type: ignore[no-untyped-def]
    setup, broker, receiver, scale_client = env
    scale = setup.scales[0]
    client = scale_client()
    client.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 1, [("sale", scale.sale(1))]))
    client.wait_ack(1)
    client.close()
    broker.restart()
    wait_for(lambda: not receiver.connected.is_set(), 10, "the receiver to notice")  # reconnect waits >= 1 s
    wait_for(receiver.connected.is_set, 30, "the receiver to reconnect")
    again = scale_client()
    again.publish(_topic(setup, 0, "sales"), sales_message(scale.scale_id, 2, [("sale", scale.sale(2))]))
    again.wait_ack(2)
    assert _count(setup, "SELECT COUNT(*) FROM sales") == 2
