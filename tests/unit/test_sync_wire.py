"""Sync wire formats: the sales batch, the ack, status, topics, broker URLs, backoff."""

from __future__ import annotations

import json

import pytest

from edge.sync.client import BrokerAddress, backoff_delay, parse_broker_url
from edge.sync.topics import Topics
from edge.sync.wire import MAX_BYTES, OutboxRow, offline_status, pack_sales, parse_ack

SALE = json.dumps({"sale_id": "s", "name": "白菜", "lines": []}, ensure_ascii=False)


def rows(n: int, start: int = 1, payload: str = SALE) -> list[OutboxRow]:
    return [OutboxRow(start + i, "sale" if i % 2 else "sale_update", payload) for i in range(n)]


def test_pack_sales_is_the_documented_shape() -> None:
    msg = pack_sales("620102-007", rows(3, start=41))
    doc = json.loads(msg.body)
    assert (msg.first, msg.last, msg.count) == (41, 43, 3)
    assert doc["schema"] == "sales/1" and doc["scale_id"] == "620102-007"
    assert (doc["first"], doc["last"]) == (41, 43)
    assert [i["oseq"] for i in doc["items"]] == [41, 42, 43]
    assert [i["kind"] for i in doc["items"]] == ["sale_update", "sale", "sale_update"]
    assert doc["items"][0]["sale"]["name"] == "白菜"  # UTF-8 kept, not re-escaped


def test_pack_sales_respects_item_and_byte_limits() -> None:
    assert pack_sales("S", rows(300), max_items=200).count == 200
    big = "x" * 10_000
    payload = json.dumps({"blob": big})
    msg = pack_sales("S", rows(100, payload=payload), max_bytes=MAX_BYTES)
    assert len(msg.body) <= MAX_BYTES
    assert msg.count == MAX_BYTES // (len(payload) + 40)
    # A single sale above the limit still goes (alone) instead of blocking the outbox.
    huge = pack_sales("S", rows(2, payload=json.dumps({"blob": "y" * 300_000})))
    assert huge.count == 1 and len(huge.body) > MAX_BYTES


def test_pack_sales_refuses_unknown_kinds_and_empty_input() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        pack_sales("S", [OutboxRow(1, "refund", SALE)])
    with pytest.raises(ValueError):
        pack_sales("S", [])


@pytest.mark.parametrize(
    ("payload", "ok"),
    [(b'{"acked_through": 43}', 43), (b'{"acked_through": 0}', 0), (b"{}", None), (b'{"acked_through": -1}', None),
     (b'{"acked_through": true}', None), (b'{"acked_through": "4"}', None), (b"[1]", None), (b"\xff", None)],
)
def test_parse_ack(payload: bytes, ok: int | None) -> None:
    if ok is None:
        with pytest.raises(ValueError):
            parse_ack(payload)
    else:
        assert parse_ack(payload) == ok


def test_offline_status_is_the_documented_will() -> None:
    assert json.loads(offline_status("S")) == {"schema": "status/1", "scale_id": "S", "online": False}


def test_topics() -> None:
    t = Topics("lz", "620102-007")
    assert t.sales == "trace/v1/lz/620102-007/sales"
    assert t.ack == "trace/v1/lz/620102-007/ack"
    assert t.status == "trace/v1/lz/620102-007/status"
    assert t.catalog == "trace/v1/lz/catalog"
    assert t.batches == "trace/v1/lz/620102-007/batches"
    assert t.config == "trace/v1/lz/620102-007/config"
    for bad in ("", "a/b", "+", "#"):
        with pytest.raises(ValueError, match="identity"):
            Topics("lz", bad)


def test_parse_broker_url() -> None:
    assert parse_broker_url("mqtt://10.0.0.5:1884") == BrokerAddress("10.0.0.5", 1884, False)
    a = parse_broker_url("mqtts://central.example.cn")
    assert (a.host, a.port, a.tls) == ("central.example.cn", 8883, True)
    assert parse_broker_url("mqtt://h").port == 1883
    for bad in ("http://h:1", "h:1883", "mqtt://", "mqtt://h:99999"):
        with pytest.raises(ValueError, match=r"mqtt://HOST:PORT|port"):
            parse_broker_url(bad)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    assert backoff_delay(0, 0.5, 30, rand=lambda: 0.0) == 0.25
    assert backoff_delay(0, 0.5, 30, rand=lambda: 1.0) == 0.5
    assert backoff_delay(3, 0.5, 30, rand=lambda: 1.0) == 4.0
    assert backoff_delay(50, 0.5, 30, rand=lambda: 1.0) == 30.0
    assert 15.0 <= backoff_delay(50, 0.5, 30) <= 30.0


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        (b'{"acked_through": 4}', ("sales", 4)),
        (b'{"events_acked_through": 0}', ("events", 0)),
        (b'{"events_acked_through": -1}', None),
        (b'{"events_acked_through": true}', None),
        (b"[]", None),
    ],
)
def test_parse_any_ack(payload: bytes, ok: tuple[str, int] | None) -> None:
    from edge.sync.wire import parse_any_ack

    if ok is None:
        with pytest.raises(ValueError):
            parse_any_ack(payload)
    else:
        assert parse_any_ack(payload) == ok
    if ok is not None and ok[0] == "events":
        with pytest.raises(ValueError):
            parse_ack(payload)  # the sales publisher never mistakes an events ack for its own
