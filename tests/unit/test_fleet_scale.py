"""The fleet's virtual scale follows docs/sync.md: window, acks, resend from the watermark."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.core.records import Sale
from edge.core.tracecode import parse_trace_code
from simulator.fleet.scale import VirtualScale

T0 = 1_764_130_000_000  # 2025-11-26 12:06 in Shanghai


def scale(**kw: int) -> tuple[VirtualScale, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    return VirtualScale("700001-001", 1, "fleet-m001", "700001", "v1", key, **kw), key


def ack(n: int) -> bytes:
    return json.dumps({"acked_through": n}).encode()


def test_sales_are_signed_priced_in_fen_and_carry_valid_trace_codes() -> None:
    s, key = scale()
    sales = [s.sell(T0 + i, lines=3) for i in range(3)]
    for sale in sales:
        key.public_key().verify(base64.b64decode(sale.signature), sale.signing_payload())
        assert sale.total_fen == sum(line.amount_fen for line in sale.lines)
        for line in sale.lines:  # round half up of g x fen/kg / 1000, in integers
            assert line.amount_fen == (line.net_g * line.unit_price_fen + 500) // 1000
        code = parse_trace_code(sale.trace_code)
        assert code.code == sale.trace_code
    assert [parse_trace_code(x.trace_code).daily_seq for x in sales] == [1, 2, 3]


def test_window_limits_batches_in_flight_and_acks_free_it() -> None:
    s, _ = scale(batch_size=2, window=2)
    for i in range(9):
        s.sell(T0 + i)
    first = s.batches_due(T0 + 10)
    assert [json.loads(b)["first"] for b in first] == [1, 3]  # two batches of two, then the window is full
    assert s.batches_due(T0 + 11) == []
    s.on_ack(ack(2), T0 + 12)
    nxt = s.batches_due(T0 + 13)
    assert [(json.loads(b)["first"], json.loads(b)["last"]) for b in nxt] == [(5, 6)]
    assert s.backlog == 7 and s.stats.latencies_ms == [12, 11]


def test_ack_beyond_what_was_sent_or_garbage_changes_nothing() -> None:
    s, _ = scale(batch_size=5)
    for i in range(3):
        s.sell(T0 + i)
    s.batches_due(T0)
    s.on_ack(ack(99), T0 + 1)  # a watermark left over from another copy must not delete rows
    s.on_ack(b"not json", T0 + 1)
    s.on_ack(b'{"acked_through": "3"}', T0 + 1)
    assert s.backlog == 3


def test_missing_ack_resends_from_the_watermark() -> None:
    s, _ = scale(batch_size=2, window=4, ack_timeout_ms=1_000)
    for i in range(4):
        s.sell(T0 + i)
    assert len(s.batches_due(T0 + 5)) == 2
    s.on_ack(ack(2), T0 + 100)
    assert s.batches_due(T0 + 500) == []  # still within the timeout
    again = s.batches_due(T0 + 1_200)
    assert [json.loads(b)["first"] for b in again] == [3] and s.stats.resends == 1
    items = json.loads(again[0])["items"]
    assert [Sale.from_dict(i["sale"]).seq for i in items] == [3, 4]


def test_heartbeat_is_status_1_with_backlog_and_is_spread() -> None:
    s, _ = scale(heartbeat_ms=30_000)
    s.first_heartbeat_at(T0 + 5_000)
    assert s.heartbeat_due(T0) is None
    s.sell(T0)
    doc = json.loads(s.heartbeat_due(T0 + 5_000) or b"")
    assert doc["schema"] == "status/1" and doc["online"] is True and doc["backlog"] == 1
    assert s.heartbeat_due(T0 + 6_000) is None
    assert json.loads(s.will()) == {"schema": "status/1", "scale_id": "700001-001", "online": False}


def test_prepared_sales_keep_their_planned_time_and_order_and_sign_their_state() -> None:
    s, key = scale(batch_size=10)
    s.prepare([(T0 + 100, 1), (T0 + 250, 3)])
    first, second = s.sell(T0 + 180), s.sell(T0 + 260)  # sold a little after their planned times
    assert (first.created_ms, len(first.lines), first.seq) == (T0 + 100, 1, 1)
    assert (second.created_ms, len(second.lines), second.seq) == (T0 + 250, 3, 2)
    live = s.sell(T0 + 300)  # nothing prepared is left: built now
    assert (live.created_ms, live.seq) == (T0 + 300, 3)
    [body] = s.batches_due(T0 + 300)
    doc = json.loads(body)
    assert (doc["schema"], doc["first"], doc["last"]) == ("sales/1", 1, 3)
    for item, sale in zip(doc["items"], (first, second, live), strict=True):
        assert Sale.from_dict(item["sale"]) == sale
        key.public_key().verify(base64.b64decode(sale.state_signature), sale.state_payload())
