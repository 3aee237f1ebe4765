"""≥ 10,000 fuzzed, oversized and malformed payloads on every upload topic; central keeps working.

Most go straight into ``Receiver.handle`` (the code every MQTT message runs through, minus
the network) on the running receiver, a few thousand through the real broker. Afterwards
a genuine sale is still stored and acked, the receiver's threads are alive, every refusal
is in ``rejects`` (the same bytes counted on one row), no fuzzed sale was stored, and the
process did not balloon.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import pytest

from central.receiver import Receiver
from edge.core.eventlog import make_entry
from edge.core.payment import PaymentRequest, RequestType
from edge.core.records import Sale
from tests.integration.central_support import ScaleReg, paid_later, sales_message, wait_for
from tests.security.conftest import Central, receiver_alive
from tests.security.fuzz import MiB, Mutator, fuzzed

pytestmark = pytest.mark.integration

DIRECT, THROUGH_BROKER = 10_000, 3_000


def _bases(scale: ScaleReg) -> dict[str, list[dict[str, Any]]]:
    """Valid documents of every upload kind for one scale, to mutate."""
    s1, s2, _ = _genuine(scale)
    first = make_entry(None, "setting.changed", {"division_g": 5}, 1000)
    second = make_entry(first, "software.updated", {"to": "0.1.1"}, 2000)
    return {
        "sales": [
            json.loads(sales_message(scale.scale_id, 1, [("sale", s1), ("sale", s2)])),
            json.loads(sales_message(scale.scale_id, 3, [("sale_update", paid_later(s1, scale))])),
        ],
        "status": [
            {
                "schema": "status/1",
                "scale_id": scale.scale_id,
                "online": True,
                "software_id": "0.1.0",
                "backlog": 3,
                "oldest_unacked_ms": None,
                "printer": "ok",
                "last_sale_ms": 1,
                "last_event_id": 2,
                "last_event_hash": second.hash,
                "sent_ms": 5,
            },
            {"schema": "status/1", "scale_id": scale.scale_id, "online": False},
        ],
        "events": [{"schema": "events/1", "scale_id": scale.scale_id, "events": [first.to_dict(), second.to_dict()]}],
        "payment": [
            PaymentRequest(RequestType.CREATE, "r-1", s1.sale_id, "wechat", s1.to_dict(), sent_ms=5).to_dict(),
            PaymentRequest(
                RequestType.MICROPAY, "r-2", s2.sale_id, sale=s2.to_dict(), auth_code="134567890123456789", sent_ms=6
            ).to_dict(),
            PaymentRequest(RequestType.CLOSE, "r-3", s1.sale_id, reason="cancel", sent_ms=7).to_dict(),
        ],
    }


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def _rejected_total(central: Central) -> int:
    return central.count("SELECT SUM(count) FROM rejects")


def _genuine(scale: ScaleReg) -> list[Sale]:
    """The sales the fuzz starts from (1, 2) and the one sent after it (3)."""
    return [scale.sale(1), scale.sale(2, lines=3), scale.sale(3)]


def _only_genuine_sales_stored(central: Central, scale: ScaleReg) -> None:
    stored = [
        tuple(r.values()) for r in central.rows("SELECT sale_id, signature, total_fen FROM sales ORDER BY sale_id")
    ]
    assert stored == sorted((s.sale_id, s.signature, s.total_fen) for s in _genuine(scale))
    assert central.count("SELECT COUNT(*) FROM sale_lines") == sum(len(s.lines) for s in _genuine(scale))


def _handle_all(receiver: Receiver, central: Central, seed: int, count: int) -> Counter[str]:
    scale = central.setup.scales[0]
    mutations: Counter[str] = Counter()
    for item in fuzzed(seed, count, _bases(scale)):
        receiver.handle(central.topic(0, item.kind), item.payload)  # raises only for database trouble
        mutations[item.mutation] += 1
    return mutations


def test_ten_thousand_fuzzed_payloads_leave_central_working(central: Central, caplog) -> None:  # type: ignore[no-untyped-def]
    # pytest would keep every warning record, with the exception's frames and their 1 MiB payloads:
    # that is the test harness's memory, not central's (a real log handler formats and drops records)
    caplog.set_level(logging.ERROR, logger="central")
    receiver, scale = central.receiver, central.setup.scales[0]
    client = central.scale_client(0)
    assert central.send_sales(client, 0, 1, _genuine(scale)[:2]) == 2
    rss_before = _rss_kib()

    mutations = _handle_all(receiver, central, seed=20261126, count=DIRECT)
    assert sum(mutations.values()) == DIRECT and len(mutations) == len(Mutator(0).ops)  # every kind of damage
    assert receiver.stats.db_errors == 0
    # nearly every payload is refused (a few mutations leave a valid message, e.g. an optional field dropped)
    assert _rejected_total(central) >= 0.9 * DIRECT
    # every refusal the receiver counted is on record (the payment service also records the requests it refuses)
    assert _rejected_total(central) >= receiver.stats.rejected >= 0.8 * DIRECT
    reasons = {r["reason"] for r in central.rows("SELECT DISTINCT reason FROM rejects")}
    expected = {"not_json", "too_large", "bad_schema", "bad_sale", "bad_signature", "scale_mismatch", "bad_payment"}
    assert expected <= reasons
    # the same junk again is counted on its row, not stored again
    rows = central.count("SELECT COUNT(*) FROM rejects")
    junk = b'{"schema": "sales/1", "items": NaN}'
    for _ in range(50):
        receiver.handle(central.topic(0, "sales"), junk)
    assert central.count("SELECT COUNT(*) FROM rejects") == rows + 1
    assert central.count("SELECT count FROM rejects WHERE payload = ?", (junk.decode(),)) == 50
    # memory: the junk is not kept (10,000 messages, ~600 of them > 1 MiB)
    assert _rss_kib() - rss_before < 64 * 1024, f"RSS grew {(_rss_kib() - rss_before) // 1024} MiB"

    # central still works: a genuine sale is stored and acked, the receiver is alive
    assert receiver_alive(receiver)
    assert central.send_sales(client, 0, 3, _genuine(scale)[2:]) >= 3
    _only_genuine_sales_stored(central, scale)


def test_fuzzed_payloads_through_the_broker(central: Central) -> None:
    receiver, scale = central.receiver, central.setup.scales[0]
    client = central.scale_client(0)
    sent: Counter[str] = Counter()
    oversized = 0
    for item in fuzzed(7, THROUGH_BROKER, _bases(scale)):
        client.publish(central.topic(0, item.kind), item.payload)
        sent[item.kind] += 1
        oversized += len(item.payload) > MiB
    assert oversized > 50
    # genuine sales last: when they are acked, everything before them on the shared subscription was handled
    assert central.send_sales(client, 0, 1, _genuine(scale)[:2]) >= 2  # a valid fuzzed sale_update may be oseq 3
    handled = sent["sales"] + sent["events"] + sent["status"]  # the receiver's subscriptions
    wait_for(lambda: receiver.stats.messages >= handled + 1, 30, f"{handled} messages handled")
    assert receiver.stats.db_errors == 0 and receiver_alive(receiver)
    assert _rejected_total(central) >= 0.9 * handled
    assert central.count("SELECT COUNT(*) FROM rejects WHERE reason = 'too_large'") > 0
    # a fuzzed message may have carried a valid item at oseq 3 (exactly once: that oseq is then taken),
    # so the genuine sale goes out after central's watermark, as the scale's outbox would send it
    watermark = central.count("SELECT acked_through FROM scale_sync WHERE scale_id = ?", (scale.scale_id,))
    assert central.send_sales(client, 0, watermark + 1, _genuine(scale)[2:]) >= watermark + 1
    _only_genuine_sales_stored(central, scale)
