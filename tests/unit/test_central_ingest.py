"""Central's upsert and ack-watermark rules on a real SQLite file (no broker)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from central.ingest import check_signatures, runs, store_sales, store_sales_group
from central.keys import load_public_key
from central.queries import last_numbers
from central.validate import BadItem, Topic, load_json, parse_sales
from edge.core.records import Payment, PaymentMethod, PaymentStatus
from tests.integration.central_support import MARKET, Setup, paid_later, register, sales_message


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    """Each rule on a SQLite file and on PostgreSQL (month-partitioned sales, multi-row writes)."""
    url = f"sqlite:///{tmp_path / 'central.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    made = register(url, tmp_path)
    yield made
    made.db.close()


def _batch(setup: Setup, first: int, items: list, i: int = 0):  # type: ignore[no-untyped-def, type-arg]
    scale = setup.scales[i]
    batch = parse_sales(load_json(sales_message(scale.scale_id, first, items)), Topic(MARKET, scale.scale_id, "sales"))
    return check_signatures(batch, load_public_key(scale.key.public_key_b64()))


def _store(setup: Setup, first: int, items: list, i: int = 0):  # type: ignore[no-untyped-def, type-arg]
    with setup.db.connection() as conn:
        return store_sales(conn, _batch(setup, first, items, i))


def _one(setup: Setup, sql: str):  # type: ignore[no-untyped-def]
    with setup.db.connection() as conn:
        return conn.scalar(sql)


def test_runs() -> None:
    assert runs([5, 1, 2, 3, 6, 9]) == [(1, 3), (5, 6), (9, 9)]
    assert runs([]) == []


def test_watermark_with_gaps_and_resends(setup: Setup) -> None:
    s = setup.scales[0]
    sale = {n: ("sale", s.sale(n)) for n in range(1, 12)}
    assert _store(setup, 1, [sale[1], sale[2]]).acked_through == 2
    assert _store(setup, 5, [sale[5], sale[6]]).acked_through == 2  # gap 3..4
    assert _store(setup, 9, [sale[9]]).acked_through == 2  # second gap
    assert _store(setup, 3, [sale[3], sale[4]]).acked_through == 6  # first gap filled, stops at 7
    assert _store(setup, 7, [sale[7], sale[8]]).acked_through == 9
    resent = _store(setup, 1, [sale[1], sale[2]])
    assert resent.acked_through == 9 and resent.unchanged == 2 and resent.stored == 0
    assert _one(setup, "SELECT COUNT(*) FROM sales") == 9
    assert _one(setup, "SELECT COUNT(*) FROM oseq_runs") == 0


def test_sale_update_applies_the_newest_payment_only(setup: Setup) -> None:
    s = setup.scales[0]
    pending = s.sale(1, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, ""))
    paid = paid_later(pending, s)
    # the update and its original in one message: the newest state is stored
    result = _store(setup, 1, [("sale", pending), ("sale_update", paid)])
    assert result.acked_through == 2 and result.stored == 1
    assert _one(setup, "SELECT payment_status FROM sales") == "paid"
    # an older oseq arriving late (a resend of oseq 1) does not undo it
    _store(setup, 1, [("sale", pending)])
    assert _one(setup, "SELECT payment_status || ':' || printed || ':' || oseq FROM sales") == "paid:1:2"
    refunded = s.update(paid, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.REFUNDED, "wx-123"))
    assert _store(setup, 3, [("sale_update", refunded)]).updated == 1
    assert _one(setup, "SELECT payment_status FROM sales") == "refunded"


def test_update_before_its_sale_inserts_the_whole_sale(setup: Setup) -> None:
    s = setup.scales[0]
    paid = paid_later(s.sale(1), s)
    assert _store(setup, 2, [("sale_update", paid)]).stored == 1
    assert _one(setup, "SELECT COUNT(*) FROM sale_lines") == 2


def test_conflicting_seq_or_content_is_refused_not_overwritten(setup: Setup) -> None:
    s = setup.scales[0]
    original = s.sale(1)
    _store(setup, 1, [("sale", original)])
    other_id = s.key.sign(dataclasses.replace(original, sale_id="another-uuid", signature=""))
    result = _store(setup, 2, [("sale", other_id)])
    assert result.acked_through == 1 and [b.reason for b in result.bad] == ["conflict"]
    changed = s.key.sign(dataclasses.replace(original, total_fen=original.total_fen + 1, signature=""))
    result = _store(setup, 2, [("sale", changed)])
    assert result.acked_through == 1 and [b.reason for b in result.bad] == ["conflict"]
    assert _one(setup, "SELECT total_fen FROM sales") == original.total_fen


def test_a_trace_code_belongs_to_one_sale_only(setup: Setup) -> None:
    """A wiped scale that numbered a day again would reuse codes: central refuses the second sale."""
    s = setup.scales[0]
    first = s.sale(1)
    assert _store(setup, 1, [("sale", first)]).stored == 1
    # another sale (new id, new seq) under the same code, as a scale restarted from an empty store would make
    again = s.key.sign(dataclasses.replace(s.sale(2), trace_code=first.trace_code, signature=""))
    twin = s.key.sign(dataclasses.replace(s.sale(4), trace_code=s.sale(3).trace_code, signature=""))
    result = _store(setup, 2, [("sale", again), ("sale", s.sale(3)), ("sale", twin)])
    assert [b.reason for b in result.bad] == ["conflict", "conflict"] and result.stored == 1
    assert f"trace code {first.trace_code} already belongs to sale {first.sale_id}" in result.bad[0].detail
    assert "same message" in result.bad[1].detail
    assert result.acked_through == 1  # the refused sale stops the watermark: the scale keeps it, nothing is lost
    assert _one(setup, f"SELECT COUNT(*) FROM sales WHERE trace_code = '{first.trace_code}'") == 1
    assert _one(setup, f"SELECT sale_id FROM sales WHERE trace_code = '{first.trace_code}'") == first.sale_id


def test_items_with_bad_content_are_marked_individually(setup: Setup) -> None:
    s = setup.scales[0]
    good = s.sale(1).to_dict()
    bad_types = {**s.sale(2).to_dict(), "total_fen": "12.50"}
    other_scale = setup.scales[1].sale(3).to_dict()
    bad_code = {**s.sale(4).to_dict(), "trace_code": "123"}
    items = [{"oseq": n, "kind": "sale", "sale": d} for n, d in enumerate([good, bad_types, other_scale, bad_code], 1)]
    items.append({"oseq": 5, "kind": "refund?", "sale": good})
    payload = json.dumps({"schema": "sales/1", "scale_id": s.scale_id, "first": 1, "last": 5, "items": items})
    batch = parse_sales(load_json(payload.encode()), Topic(MARKET, s.scale_id, "sales"))
    reasons = [(i.oseq, i.reason) for i in batch.items if isinstance(i, BadItem)]
    assert reasons == [(2, "bad_sale"), (3, "scale_mismatch"), (4, "bad_sale"), (5, "bad_schema")]


def test_events_gap_is_held_back_not_a_break_and_the_ack_says_where_central_is(setup: Setup) -> None:
    from central.ingest import events_held, store_events
    from edge.core.eventlog import make_entry

    chain = []
    for n in range(6):
        chain.append(make_entry(chain[-1] if chain else None, "test", {"n": n}, 1_000 + n))
    scale = setup.scales[0].scale_id
    with setup.db.connection() as conn:
        assert store_events(conn, scale, chain[:2]).held == 2
        lost_then_later = store_events(conn, scale, chain[4:])  # entries 3-4 never reached central
        assert (lost_then_later.stored, lost_then_later.broken_at, lost_then_later.held) == (0, None, 2)
        assert events_held(conn, scale) == 2
        resent = store_events(conn, scale, chain[2:])  # the scale went back to 2 and sent 3-6 again
        assert (resent.stored, resent.broken_at, resent.held) == (4, None, 6)
        assert conn.scalar("SELECT COUNT(*) FROM event_chain_breaks") == 0
        forged = dataclasses.replace(chain[5], data={"n": 99})
        assert store_events(conn, scale, [forged]).broken_at == 6  # a changed resend is still a break


def test_a_group_with_resends_gaps_and_updates_stores_each_sale_once(setup: Setup) -> None:
    """One transaction holding what a busy receiver groups: two scales' batches out of order,
    a resend racing its original, a later payment state of a sale stored in the same group."""
    a, b = setup.scales
    sale_a = {n: ("sale", a.sale(n)) for n in range(1, 7)}
    sale_b = {n: ("sale", b.sale(n)) for n in range(1, 4)}
    paid_a2 = ("sale_update", paid_later(a.sale(2), a))
    group = [
        _batch(setup, 4, [sale_a[4], sale_a[5]]),  # ahead of a gap until oseq 3 arrives below
        _batch(setup, 1, [sale_b[1], sale_b[2]], i=1),
        _batch(setup, 1, [sale_a[1], sale_a[2]]),
        _batch(setup, 1, [sale_b[1], sale_b[2]], i=1),  # the resend
        _batch(setup, 3, [sale_a[3]]),
        _batch(setup, 6, [paid_a2]),  # sale 2 paid: stored in this very group
    ]
    with setup.db.connection() as conn:
        results = store_sales_group(conn, group)
    assert [r.acked_through for r in results] == [0, 2, 2, 2, 5, 6]
    assert [r.stored for r in results] == [2, 2, 2, 0, 1, 0]
    assert results[3].unchanged == 2
    assert _one(setup, "SELECT COUNT(*) FROM sales") == 7
    assert _one(setup, "SELECT COUNT(*) FROM sale_lines") == 14
    assert _one(setup, "SELECT COUNT(*) FROM oseq_runs") == 0  # every run merged into the watermarks
    assert _one(setup, f"SELECT payment_status || ':' || oseq FROM sales WHERE sale_id = '{a.scale_id}-000002'") == (
        "paid:6"
    )
    # the whole group again (a receiver restarted before its acks went out): nothing changes
    with setup.db.connection() as conn:
        again = store_sales_group(conn, group)
    assert sum(r.stored for r in again) == 0 and [r.acked_through for r in again][-1] == 6
    assert _one(setup, "SELECT COUNT(*) FROM sales") == 7
    assert _one(setup, "SELECT COUNT(*) FROM forward_outbox WHERE kind = 'sale'") == 7  # queued for the city once each
    assert _one(setup, f"SELECT acked_through FROM scale_sync WHERE scale_id = '{b.scale_id}'") == 2


def test_a_gap_left_open_by_a_group_is_kept_for_the_next(setup: Setup) -> None:
    a = setup.scales[0]
    sale = {n: ("sale", a.sale(n)) for n in range(1, 8)}
    with setup.db.connection() as conn:
        first = store_sales_group(conn, [_batch(setup, 1, [sale[1]]), _batch(setup, 5, [sale[5], sale[6]])])
    assert [r.acked_through for r in first] == [1, 1]
    assert _one(setup, "SELECT COUNT(*) FROM oseq_runs") == 1  # 5..6 waits above the gap
    with setup.db.connection() as conn:
        second = store_sales_group(conn, [_batch(setup, 7, [sale[7]]), _batch(setup, 2, [sale[2], sale[3], sale[4]])])
    assert [r.acked_through for r in second] == [1, 7]
    assert _one(setup, "SELECT COUNT(*) FROM oseq_runs") == 0
    assert _one(setup, "SELECT COUNT(*) FROM sales") == 7


def test_last_numbers_are_what_a_wiped_scale_continues_after(setup: Setup) -> None:
    s = setup.scales[0]
    with setup.db.connection() as conn:
        assert last_numbers(conn, s.scale_id) == {"seq": 0, "local_date": "", "daily_seq": 0, "acked_through": 0}
    _store(setup, 1, [("sale", s.sale(n)) for n in (1, 2, 3)])
    with setup.db.connection() as conn:
        numbers = last_numbers(conn, s.scale_id)
    assert numbers == {"seq": 3, "local_date": "2024-05-12", "daily_seq": 3, "acked_through": 3}
