"""Signed payment/printed state (docs/sync.md, "Signed sale state"), through the real broker and receiver.

A thief of one scale's MQTT password (or the scale's owner) replays an older state of a
paid sale, sends it unsigned, signs it with another key or edits it: central refuses
every one, keeps it in ``rejects``, and the sale stays paid. The genuine states come from
the edge's own store (real SQLite file, device key as ``edge.runtime.open_store`` wires it)
over the edge's own wire format.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from edge.device_key import DeviceKey
from edge.store import Store
from edge.sync.wire import OutboxRow, pack_sales
from tests.integration.central_support import DAY, ScaleClient, ScaleReg, sales_message, wait_for
from tests.security.conftest import Central

pytestmark = pytest.mark.integration

PENDING = Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, "")
PAID = Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-4200001")


def _rejects(central: Central) -> list[dict]:  # type: ignore[type-arg]
    return central.rows("SELECT reason, scale_id, detail, count FROM rejects ORDER BY last_ms, digest")


def _state(central: Central, sale_id: str) -> dict:  # type: ignore[type-arg]
    [row] = central.rows("SELECT payment_status, provider_ref, printed, state_no FROM sales WHERE sale_id = ?",
                         (sale_id,))  # fmt: skip
    return row


def _send(central: Central, client: ScaleClient, i: int, body: bytes, last: int) -> None:
    before = len(client.acks())
    client.publish(central.topic(i, "sales"), body)
    wait_for(lambda: len(client.acks()) > before, 20, f"an answer to oseq ..{last}")


def _edge_sale(tmp_path: Path, scale: ScaleReg) -> tuple[Store, list[OutboxRow]]:
    """A pending QR sale on the scale's own store, then paid, then printed: three signed states."""
    store = Store.open(tmp_path / "edge.db")
    store.state_signer = scale.key.sign_state  # what edge.runtime.open_store installs
    sale = store.commit_sale(DAY, lambda seq, _daily: scale.sale(seq, payment=PENDING))
    store.set_payment(sale.sale_id, PAID)
    store.mark_printed(sale.sale_id)
    rows = store.db.execute("SELECT seq, kind, payload FROM outbox ORDER BY seq").fetchall()
    return store, [OutboxRow(int(seq), kind, payload) for seq, kind, payload in rows]


def _sale(row: OutboxRow) -> Sale:
    return Sale.from_dict(json.loads(row.payload))


def test_replayed_unsigned_and_forged_states_are_refused_and_logged(central: Central, tmp_path: Path) -> None:
    a, b = central.setup.scales
    client = central.scale_client(0)
    store, rows = _edge_sale(tmp_path, a)
    store.close()
    assert [(r.kind, _sale(r).state_no, _sale(r).payment.status) for r in rows] == [
        ("sale", 0, "pending"), ("sale_update", 1, "paid"), ("sale_update", 2, "paid"),
    ]  # fmt: skip
    _send(central, client, 0, pack_sales(a.scale_id, rows).body, 3)
    assert client.acks()[-1] == 3
    sale_id = _sale(rows[0]).sale_id
    settled = {"payment_status": "paid", "provider_ref": "wx-4200001", "printed": 1, "state_no": 2}
    assert _state(central, sale_id) == settled and _rejects(central) == []

    pending, paid, printed = (_sale(r) for r in rows)
    stranger = DeviceKey.load_or_create(tmp_path / "stranger.pem")
    rolled_back = dataclasses.replace(printed, payment=PENDING, printed=False, state_no=3)
    attacks = [
        # the old states, re-sent as new messages (oseq beyond what the scale has used)
        ("stale_state", pending, "sale"),
        ("stale_state", pending, "sale_update"),
        ("stale_state", paid, "sale_update"),
        # "pending" with no state signature at all
        ("unsigned_state", dataclasses.replace(pending, state_signature="", state_no=3), "sale_update"),
        ("unsigned_state", dataclasses.replace(pending, state_signature=""), "sale_update"),
        # the latest state edited, its signature kept
        ("bad_state_signature", dataclasses.replace(printed, payment=PENDING), "sale_update"),
        ("bad_state_signature", dataclasses.replace(printed, state_no=9), "sale_update"),
        # a newer "pending" state signed by another scale's key, and by a key central never saw
        ("bad_state_signature", b.key.sign_state(rolled_back), "sale_update"),
        ("bad_state_signature", stranger.sign_state(rolled_back), "sale_update"),
    ]
    for n, (reason, forged, kind) in enumerate(attacks, start=1):
        oseq = 3 + n
        _send(central, client, 0, sales_message(a.scale_id, oseq, [(kind, forged)]), oseq)
        assert client.acks()[-1] == 3, reason  # nothing new accepted: the watermark holds
        assert _state(central, sale_id) == settled, reason
        logged = _rejects(central)
        # the same refused bytes again count up their row (reject rows are per distinct payload)
        assert sum(r["count"] for r in logged) == n and logged[-1]["reason"] == reason, (reason, logged[-1])
        assert logged[-1]["scale_id"] == a.scale_id and sale_id in logged[-1]["detail"]

    # resends of states central holds (their own oseqs) are acked and change nothing, unlogged
    _send(central, client, 0, pack_sales(a.scale_id, rows).body, 3)
    assert _state(central, sale_id) == settled and sum(r["count"] for r in _rejects(central)) == len(attacks)

    # the scale's real next state still goes through (a refund, state 3)
    refunded = a.update(printed, payment=dataclasses.replace(PAID, status=PaymentStatus.REFUNDED))
    _send(central, client, 0, sales_message(a.scale_id, 4, [("sale_update", refunded)]), 4)
    assert client.acks()[-1] == 4
    assert _state(central, sale_id) == {**settled, "payment_status": "refunded", "state_no": 3}


def test_scales_before_signed_states_keep_working_until_they_sign(central: Central) -> None:
    """An old scale's unsigned updates still apply (newest oseq wins); from its first signed
    state on, unsigned ones are refused, while unsigned rows queued before the upgrade pass."""
    a, _b = central.setup.scales
    client = central.scale_client(0)

    def legacy(sale: Sale, **change: object) -> Sale:
        return dataclasses.replace(sale, **change, state_no=0, state_signature="")  # type: ignore[arg-type]

    old = [legacy(a.sale(1, payment=PENDING)), legacy(a.sale(2, payment=PENDING))]
    central.send_sales(client, 0, 1, old)
    central.send_sales(client, 0, 3, [legacy(old[0], payment=PAID)], kind="sale_update")
    assert _state(central, old[0].sale_id)["payment_status"] == "paid"  # unsigned, applied as before

    # the scale is upgraded: oseq 4 is its first signed state; oseq 5 was queued before (unsigned)
    upgraded = a.update(a.sale(2, payment=PENDING), payment=PAID)
    _send(central, client, 0, sales_message(a.scale_id, 4, [("sale_update", upgraded)]), 4)
    assert client.acks()[-1] == 4 and _state(central, old[1].sale_id)["state_no"] == 1
    _send(central, client, 0, sales_message(a.scale_id, 6, [("sale_update", legacy(old[0], payment=PENDING))]), 6)
    assert client.acks()[-1] == 4 and _state(central, old[0].sale_id)["payment_status"] == "paid"
    assert [r["reason"] for r in _rejects(central)] == ["unsigned_state"]
    # below the first signed oseq an unsigned row is still one from before the upgrade
    _send(central, client, 0, sales_message(a.scale_id, 2, [("sale", old[1])]), 2)
    assert client.acks()[-1] == 4 and len(_rejects(central)) == 1
