"""Forged and replayed sales through the real broker and receiver: detected, recorded, never stored twice.

tests/integration/test_central_receiver.py covers an amount changed after signing and a
sale signed by another scale's key in the middle of a batch; here every forgery a scale
owner or a thief of one scale's password could try, and every replay, one after another
against the same central.
"""

from __future__ import annotations

import dataclasses

import pytest

from edge.core.records import Payment, PaymentMethod, PaymentStatus
from edge.device_key import DeviceKey
from tests.integration.central_support import paid_later, wait_for
from tests.security.conftest import Central

pytestmark = pytest.mark.integration


def _rejects(central: Central) -> list[dict]:  # type: ignore[type-arg]
    return central.rows("SELECT reason, scale_id, detail, count FROM rejects ORDER BY first_ms, digest")


def _sales_snapshot(central: Central) -> list[tuple]:  # type: ignore[type-arg]
    rows = central.rows("SELECT sale_id, scale_id, seq, trace_code, total_fen, signature, payment_status FROM sales "
                        "ORDER BY sale_id")  # fmt: skip
    lines = central.rows("SELECT sale_id, line_no, net_g, amount_fen FROM sale_lines ORDER BY sale_id, line_no")
    return [tuple(r.values()) for r in rows + lines]


def test_forged_sales_are_rejected_recorded_and_not_stored(central: Central, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = central.setup.scales
    client = central.scale_client(0)
    central.send_sales(client, 0, 1, [a.sale(1)])
    before = _sales_snapshot(central)

    stranger = DeviceKey.load_or_create(tmp_path / "stranger.pem")
    genuine = a.sale(2)
    unsigned = dataclasses.replace(genuine, signature="")
    line0 = genuine.lines[0]
    forgeries = {
        "signed by a key central never saw": stranger.sign(unsigned),
        "signed by scale B's key": b.key.sign(unsigned),
        "total changed after signing": dataclasses.replace(genuine, total_fen=genuine.total_fen - 100),
        "a line's amount changed": dataclasses.replace(
            genuine, lines=(dataclasses.replace(line0, amount_fen=1), *genuine.lines[1:])),
        "a line's weight changed": dataclasses.replace(
            genuine, lines=(dataclasses.replace(line0, net_g=line0.net_g * 2), *genuine.lines[1:])),
        "no signature": unsigned,
        "garbage signature": dataclasses.replace(genuine, signature="!!not-base64!!"),
        "signature of another sale": dataclasses.replace(genuine, signature=a.sale(3).signature),
    }  # fmt: skip
    for n, (what, forged) in enumerate(forgeries.items(), start=1):
        central.send_sales(client, 0, 2, [forged])  # acked at the old watermark: nothing new held
        assert client.acks()[-1] == 1, what
        assert len(_rejects(central)) == n, what
        assert _rejects(central)[-1]["reason"] == "bad_signature", what
    # B's sale signed with A's own key, sent on A's topic: A cannot upload on B's behalf
    for n, forged in enumerate((a.key.sign(dataclasses.replace(b.sale(2), signature="")), b.sale(2)), start=1):
        central.send_sales(client, 0, 2, [forged])
        assert _rejects(central)[-1]["reason"] == "scale_mismatch" and "came on" in _rejects(central)[-1]["detail"]
        assert len(_rejects(central)) == len(forgeries) + n
    assert _sales_snapshot(central) == before
    assert all(r["scale_id"] == a.scale_id for r in _rejects(central))
    # the genuine sale still goes through afterwards
    central.send_sales(client, 0, 2, [genuine])
    assert client.acks()[-1] == 2
    assert central.count("SELECT total_fen FROM sales WHERE sale_id = ?", (genuine.sale_id,)) == genuine.total_fen


def test_replays_change_nothing_and_conflicts_are_recorded(central: Central) -> None:
    a, _b = central.setup.scales
    client = central.scale_client(0)
    pending = Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, "")
    sales = [a.sale(1), a.sale(2, payment=pending), a.sale(3)]
    central.send_sales(client, 0, 1, sales)
    central.send_sales(client, 0, 4, [paid_later(sales[1], a)], kind="sale_update")  # the payment settles
    assert client.acks()[-1] == 4
    settled = _sales_snapshot(central)

    # the same batch again, and again: acked, nothing changes
    for _ in range(3):
        central.send_sales(client, 0, 1, sales)
    # old sales re-sent long after their ack, under their old oseq and under new ones
    central.send_sales(client, 0, 2, [sales[1]])
    central.send_sales(client, 0, 5, [sales[0], sales[2]])
    # the stale pending state replayed after "paid": newest oseq wins, an old one cannot roll it back
    central.send_sales(client, 0, 2, [sales[1]], kind="sale_update")
    assert _sales_snapshot(central) == settled
    assert central.rows("SELECT payment_status FROM sales WHERE sale_id = ?", (sales[1].sale_id,)) == [
        {"payment_status": "paid"}
    ]
    assert _rejects(central) == []

    # a sale_id reused with different (validly signed) content, and a seq reused by another sale_id
    reused_id = a.key.sign(dataclasses.replace(a.sale(4), sale_id=sales[0].sale_id, signature=""))
    reused_seq = a.key.sign(dataclasses.replace(a.sale(4), seq=sales[2].seq, signature=""))
    central.send_sales(client, 0, 7, [reused_id])
    central.send_sales(client, 0, 7, [reused_seq])
    wait_for(lambda: len(_rejects(central)) == 2, 10, "two conflicts")
    assert [r["reason"] for r in _rejects(central)] == ["conflict", "conflict"]
    assert "already sale" in _rejects(central)[1]["detail"] or "already sale" in _rejects(central)[0]["detail"]
    assert client.acks()[-1] == 6  # the watermark never covers a conflicting oseq
    assert _sales_snapshot(central) == settled
    # the same conflict replayed is one reject row counted twice
    central.send_sales(client, 0, 7, [reused_seq])
    assert len(_rejects(central)) == 2 and sorted(r["count"] for r in _rejects(central)) == [1, 2]
    assert central.count("SELECT COUNT(*) FROM sales") == 3
