"""The goods-in upload (goodsin/1) against a real store: send, ack, resend, reconnect."""

from __future__ import annotations

import json
from pathlib import Path

from edge.core.records import Batch
from edge.store import Store
from edge.sync.goodsin import GoodsInUploader
from edge.sync.wire import parse_any_ack

TOPIC = "trace/v1/m/s/goodsin"


def batch(n: int) -> Batch:
    return Batch(f"b{n}", "1001", "批发", "620100", f"U{n}", "榆中", f"C{n}", "2026-12-03")


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_rows_go_until_central_acks_them(tmp_path: Path) -> None:
    sent: list[dict] = []
    clock = Clock()
    with Store.open(tmp_path / "edge.db") as store:
        for n in (1, 2):
            store.register_goods_in(batch(n), batch(n).to_dict() | {"signature": f"sig{n}"}, 1000 + n)
        up = GoodsInUploader(store, TOPIC, "s", resend_after_s=5, clock=clock)

        def publish(topic: str, body: bytes) -> object:
            sent.append(json.loads(body))
            return object()

        assert up.step(False, publish) is False and sent == []  # offline: nothing goes
        assert up.step(True, publish) is True
        assert [i["batch"]["batch_id"] for i in sent[0]["items"]] == ["b1", "b2"]
        assert sent[0]["schema"] == "goodsin/1" and [i["seq"] for i in sent[0]["items"]] == [1, 2]
        assert up.step(True, publish) is False  # waiting for the ack
        clock.t = 6
        assert up.step(True, publish) is True and len(sent) == 2  # no ack in 5 s: again
        up.on_ack(parse_any_ack(b'{"goodsin_acked_through": 2}')[1])
        assert up.step(True, publish) is False and store.goodsin_unacked() == []
        store.register_goods_in(batch(3), batch(3).to_dict(), 2000)
        up.poke = True
        assert up.step(True, publish) is True and [i["seq"] for i in sent[-1]["items"]] == [3]
        up.step(False, publish)  # the connection dropped before the ack
        assert up.step(True, publish) is True and [i["seq"] for i in sent[-1]["items"]] == [3]  # resent at once


def test_a_registration_is_one_transaction_with_its_event(tmp_path: Path) -> None:
    with Store.open(tmp_path / "edge.db") as store:
        seq = store.register_goods_in(batch(1), {"operator": "W01"}, 1000)
        assert store.get_batch("b1") == batch(1)
        [entry] = [e for e in store.events(0, 10) if e.kind == "goodsin.registered"]
        assert entry.data == {"batch_id": "b1", "plu": "1001", "upstream_code": "U1", "certificate": "C1",
                              "operator": "W01"}  # fmt: skip
        assert store.goodsin_unacked() == [(seq, {"operator": "W01"})]
        assert store.batch_with_certificate("C1") == batch(1)
