"""Central's side of a vendor's day on a real SQLite file: goods-in from the scales,
vendor prices from signed events, stop-sale into the batches document, the ACL."""

from __future__ import annotations

from pathlib import Path

import pytest

from central import admin
from central.admin import AdminError
from central.goodsin import parse_goodsin, store_goodsin
from central.ingest import store_events
from central.keys import CentralKey, load_public_key
from central.mosquitto import acl_file
from central.prices import apply_price_events, vendor_prices
from central.publish import catalog_document
from central.queries import batch_flow
from central.stopsale import stop_sale
from central.validate import Rejected, Topic
from edge.core.eventlog import make_entry
from edge.core.prices import price_bounds
from edge.core.records import Batch, Plu
from edge.store import Store
from tests.integration.central_support import MARKET, MERCHANT, Setup, register


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path)


def goods_in_record(setup: Setup, batch_id: str = "620102001-261203-1", **changes: object) -> dict:
    scale = setup.scales[0]
    batch = Batch(batch_id, "1001", "兰州高原夏菜批发市场", "620100", "6201000052612030042", "甘肃榆中",
                  "GS-JY-2026-300042", "2026-12-03", weight_g=25000, rapid_test="pass")  # fmt: skip
    record = batch.to_dict() | {"scale_id": scale.scale_id, "merchant_id": MERCHANT, "operator": "W01",
                                "registered_ms": 1_796_310_746_000} | changes  # fmt: skip
    return scale.key.sign_record(record)


def store(setup: Setup, items: list[tuple[int, dict]]):  # type: ignore[no-untyped-def]
    scale = setup.scales[0]
    topic = Topic(MARKET, scale.scale_id, "goodsin")
    doc = {"schema": "goodsin/1", "scale_id": scale.scale_id, "items": [{"seq": s, "batch": b} for s, b in items]}
    with setup.db.connection() as conn:
        return store_goodsin(conn, topic, parse_goodsin(doc, topic), load_public_key(scale.key.public_key_b64()))


def batch_row(setup: Setup, batch_id: str) -> dict:
    with setup.db.connection() as conn:
        return conn.one("SELECT * FROM batches WHERE batch_id = ?", (batch_id,))


def test_goods_in_is_stored_under_the_scales_merchant_and_acked(setup: Setup) -> None:
    good = goods_in_record(setup)
    forged = dict(goods_in_record(setup, "620102001-261203-2"), origin="别处")  # changed after signing
    result = store(setup, [(1, good), (2, forged)])
    assert result.acked_through == 2 and result.stored == ["620102001-261203-1"]
    assert [reason for reason, _ in result.bad] == ["bad_signature"]
    row = batch_row(setup, "620102001-261203-1")
    assert (row["merchant_id"], row["source"], row["scale_id"], row["operator"], row["weight_g"], row["active"]) == (
        MERCHANT, "scale", setup.scales[0].scale_id, "W01", 25000, 1)  # fmt: skip
    assert batch_row(setup, "620102001-261203-2") is None
    assert store(setup, [(1, good)]).stored == ["620102001-261203-1"]  # a resend changes nothing
    with pytest.raises(Rejected):
        parse_goodsin({"schema": "goodsin/1", "scale_id": "other", "items": [{"seq": 1}]},
                      Topic(MARKET, setup.scales[0].scale_id, "goodsin"))  # fmt: skip


def test_stop_sale_puts_the_reason_into_the_batches_document_and_survives_a_resend(setup: Setup, tmp_path) -> None:
    good = goods_in_record(setup)
    store(setup, [(1, good)])
    key = CentralKey.load_or_create(tmp_path / "central.pem")
    with setup.db.connection() as conn:
        with pytest.raises(AdminError, match="reason"):
            stop_sale(conn, key, "620102001-261203-1", "  ")
        with pytest.raises(AdminError, match="not known"):
            stop_sale(conn, key, "nope", "快检不合格")
        done = stop_sale(conn, key, "620102001-261203-1", "快检不合格（农药残留超标）")
    assert done.merchant_id == MERCHANT and len(done.documents) == len(setup.scales)
    entries = [Batch.from_dict(b) for b in done.documents[0].doc["body"]["batches"]]
    [stopped] = [b for b in entries if b.batch_id == "620102001-261203-1"]
    assert stopped.stopped and not stopped.active and stopped.stop_reason == "快检不合格（农药残留超标）"
    assert any(b.active for b in entries)  # the merchant's other batches stay on sale
    store(setup, [(1, good)])  # the scale resends its goods-in: the stop stands
    assert (
        batch_row(setup, "620102001-261203-1")["active"],
        batch_row(setup, "620102001-261203-1")["stop_reason"],
    ) == (0, "快检不合格（农药残留超标）")


def price_event(setup: Setup, prev, event_id_data: dict, *, forge: bool = False):  # type: ignore[no-untyped-def]
    scale = setup.scales[0]
    data = scale.key.sign_record({"scale_id": scale.scale_id, "merchant_id": MERCHANT, "plu": "1001",
                                  "name": "白菜", "pricing": "weight", "previous_fen": 398, "guide_fen": 398,
                                  "vendor_price": True, "operator": "W01", **event_id_data})  # fmt: skip
    if forge:
        data["unit_price_fen"] = 1
    return make_entry(prev, "price.changed", data, event_id_data["changed_ms"])


def test_vendor_prices_from_signed_events_newest_wins_forged_refused(setup: Setup) -> None:
    scale = setup.scales[0]
    first = price_event(setup, None, {"unit_price_fen": 450, "changed_ms": 1000})
    second = price_event(setup, first, {"unit_price_fen": 350, "changed_ms": 2000})
    forged = price_event(setup, second, {"unit_price_fen": 300, "changed_ms": 3000}, forge=True)
    key = load_public_key(scale.key.public_key_b64())
    with setup.db.connection() as conn:
        assert apply_price_events(conn, scale.scale_id, MARKET, [first, second, forged], key) == [forged.id]
        assert apply_price_events(conn, scale.scale_id, MARKET, [first], key) == []  # a late resend of the older
        rows = vendor_prices(conn, MARKET)
    assert [(r["plu"], r["unit_price_fen"], r["guide_fen"], r["operator"]) for r in rows] == [("1001", 350, 398, "W01")]


def test_the_acl_lets_a_scale_write_only_its_own_goodsin(setup: Setup) -> None:
    with setup.db.connection() as conn:
        acl = acl_file(conn)
    a, b = setup.scales[0].scale_id, setup.scales[1].scale_id
    block = acl.split(f"user {a}\n")[1].split("\nuser ")[0]
    assert f"topic write trace/v1/{MARKET}/{a}/goodsin" in block and b not in block


def test_price_bounds_travel_in_the_catalog_document_and_are_kept_by_the_scale(setup: Setup, tmp_path) -> None:
    entries = [
        {"plu": "1001", "name": "白菜", "goods_code": "0101001", "pricing": "weight", "unit_price_fen": 398,
         "price_min_fen": 300, "price_max_fen": 500},
        {"plu": "4001", "name": "鸡蛋", "goods_code": "0401001", "pricing": "piece", "unit_price_fen": 1500},
    ]  # fmt: skip
    with setup.db.connection() as conn:
        admin.set_catalog(conn, MARKET, entries)
        doc = catalog_document(conn, CentralKey.load_or_create(tmp_path / "central.pem"), MARKET).doc
    plus = doc["body"]["plus"]
    assert (plus[0]["price_min_fen"], plus[0]["price_max_fen"]) == (300, 500)
    assert "price_min_fen" not in plus[1]  # no bounds set: left out, the scale's default applies
    with Store.open(tmp_path / "edge.db") as store:
        store.replace_catalog([Plu.from_dict(p) for p in plus], doc["version"])
        held = {p.plu: p for p in store.catalog()}
    assert price_bounds(held["1001"]) == (300, 500) and price_bounds(held["4001"]) == (750, 2250)


def test_the_batch_flow_lists_the_scales_refusals_after_a_stop(setup: Setup) -> None:

    store(setup, [(1, goods_in_record(setup))])
    scale = setup.scales[0]
    refusal = make_entry(None, "sale.refused_stopped_batch", {"batch_id": "620102001-261203-1", "plu": "1001",
                         "reason": "召回", "offered": "B2", "operator": "W01"}, 5000)  # fmt: skip
    with setup.db.connection() as conn:
        store_events(conn, scale.scale_id, [refusal])
        flow = batch_flow(conn, "620102001-261203-1")
    assert flow["batch"]["source"] == "scale" and flow["batch"]["operator"] == "W01"
    [seen] = flow["stop_refusals"]
    assert (seen["scale_id"], seen["reason"], seen["offered"]) == (scale.scale_id, "召回", "B2")
