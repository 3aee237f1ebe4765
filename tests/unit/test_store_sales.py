"""Store: committing sales and refunds, numbering, reads, payment and printed updates."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.core.records import Payment, PaymentMethod, PaymentStatus, Sale
from edge.store import NotFoundError, RefundError, Store, StoreError
from edge.store.samples import sale_builder

DAY = "2024-05-12"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "scale.db") as s:
        yield s


def test_open_sets_durable_pragmas(store: Store) -> None:
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_commit_sale_records_everything_in_one_go(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY))
    assert sale.seq == 1
    assert store.get_sale(sale.sale_id) == sale
    assert store.sale_by_trace_code(sale.trace_code) == sale
    assert store.last_sale() == sale
    [(seq, text)] = store.outbox_batch(10)
    assert seq == 1 and json.loads(text) == sale.to_dict()
    assert Sale.from_dict(json.loads(text)) == sale
    [job] = store.pending_print_jobs()
    assert (job.sale_id, job.kind, job.attempts) == (sale.sale_id, "ticket", 0)


def test_seq_and_daily_seq(store: Store) -> None:
    seen: list[tuple[int, int]] = []

    def numbers(day: str):
        inner = sale_builder(day)

        def build(seq: int, daily: int) -> Sale:
            seen.append((seq, daily))
            return inner(seq, daily)

        return build

    for day in ("2024-05-12", "2024-05-12", "2024-05-13", "2024-05-12", "2024-05-13"):
        store.commit_sale(day, numbers(day))
    # seq runs on across days; the daily sequence restarts at 1 for each date
    assert seen == [(1, 1), (2, 2), (3, 1), (4, 3), (5, 2)]
    assert store.sale_by_trace_code(store.last_sale().trace_code).seq == 5  # type: ignore[union-attr]


def test_failed_build_uses_up_no_number_and_records_nothing(store: Store) -> None:
    def boom(seq: int, daily: int) -> Sale:
        raise RuntimeError("signing key missing")

    with pytest.raises(RuntimeError, match="signing key"):
        store.commit_sale(DAY, boom)
    assert store.last_sale() is None and store.backlog() == 0 and store.pending_print_jobs() == []
    assert store.commit_sale(DAY, sale_builder(DAY)).seq == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda s: dataclasses.replace(s, seq=s.seq + 1), ValueError),
        (lambda s: dataclasses.replace(s, total_fen=s.total_fen + 1), ValueError),
        (lambda s: dataclasses.replace(s, lines=()), ValueError),
        (lambda s: dataclasses.replace(s, trace_code=""), ValueError),
        (lambda s: dataclasses.replace(s, refund_of="x"), ValueError),
        (lambda s: dataclasses.replace(s, created_ms=1.5), TypeError),
        (lambda s: dataclasses.replace(s, lines=(dataclasses.replace(s.lines[0], net_g=1.2),)), TypeError),
    ],
)
def test_inconsistent_sale_is_refused(store: Store, change, error) -> None:
    build = sale_builder(DAY)
    with pytest.raises(error):
        store.commit_sale(DAY, lambda seq, daily: change(build(seq, daily)))
    assert store.last_sale() is None


def test_bad_local_date_is_refused(store: Store) -> None:
    for bad in ("20240512", "2024-5-12", "", "2024-05-12T00:00"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            store.commit_sale(bad, sale_builder(DAY))


def test_duplicate_trace_code_is_a_store_error(store: Store) -> None:
    first = store.commit_sale(DAY, sale_builder(DAY))
    build = sale_builder(DAY)
    with pytest.raises(StoreError) as info:
        store.commit_sale(DAY, lambda seq, daily: dataclasses.replace(build(seq, daily), trace_code=first.trace_code))
    assert "NOT recorded" in info.value.en and "未保存" in info.value.zh
    assert store.recent_sales(10) == [first]


def test_recent_sales_newest_first(store: Store) -> None:
    sales = [store.commit_sale(DAY, sale_builder(DAY, lines=n)) for n in (1, 2, 3)]
    assert store.recent_sales(2) == [sales[2], sales[1]]
    assert [len(s.lines) for s in store.recent_sales(10)] == [3, 2, 1]
    assert store.get_sale("nope") is None and store.sale_by_trace_code("0" * 20) is None


def test_a_recorded_sale_cannot_be_rewritten_by_sql(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY))
    with pytest.raises(sqlite3.IntegrityError, match="cannot be changed"):
        store.db.execute("UPDATE sales SET total_fen = 1 WHERE sale_id = ?", (sale.sale_id,))
    with pytest.raises(sqlite3.IntegrityError, match="cannot be changed"):
        store.db.execute("UPDATE sale_lines SET amount_fen = 1 WHERE sale_id = ?", (sale.sale_id,))
    assert store.get_sale(sale.sale_id) == sale


def test_set_payment_updates_and_queues_the_new_state(store: Store) -> None:
    pending = Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, "")
    sale = store.commit_sale(DAY, sale_builder(DAY, payment=pending))
    store.ack_through(store.outbox_batch(10)[-1][0])  # central already has the pending version
    paid = Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-4200001")
    updated = store.set_payment(sale.sale_id, paid)
    # state_no counts the updates (docs/sync.md, "Signed sale state"); no signer here: unsigned
    assert updated == dataclasses.replace(sale, payment=paid, state_no=1) == store.get_sale(sale.sale_id)
    [(seq, text)] = store.outbox_batch(10)
    assert seq == 2 and Sale.from_dict(json.loads(text)) == updated
    store.set_payment(sale.sale_id, paid)  # unchanged: nothing new to send
    assert store.backlog() == 1
    with pytest.raises(NotFoundError):
        store.set_payment("nope", paid)


def test_mark_printed_closes_the_ticket_job(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY))
    store.mark_printed(sale.sale_id)
    assert store.get_sale(sale.sale_id).printed  # type: ignore[union-attr]
    assert store.pending_print_jobs() == []
    with pytest.raises(NotFoundError):
        store.mark_printed("nope")


def _raw_refund(original: Sale):
    """A full refund record built by hand (negative amounts), bypassing the core's checks."""

    def build(seq: int, daily_seq: int) -> Sale:
        base = sale_builder(DAY)(seq, daily_seq)
        lines = tuple(dataclasses.replace(line, amount_fen=-abs(line.amount_fen)) for line in original.lines)
        total = sum(line.amount_fen for line in lines) + original.rounding_fen
        return dataclasses.replace(base, lines=lines, total_fen=total, rounding_fen=original.rounding_fen,
                                   refund_of=original.sale_id)

    return build


def test_refunds(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY))
    refund = store.commit_refund(DAY, sale_builder(DAY, refund_of=sale))
    assert refund.seq == 2 and refund.refund_of == sale.sale_id
    assert store.refunds_of(sale.sale_id) == [refund]
    assert store.get_sale(sale.sale_id) == sale  # the original is not changed
    assert [p[0] for p in store.outbox_batch(10)] == [1, 2]
    # The store defends its invariants even against records the core would not build.
    with pytest.raises(RefundError, match="exceeds"):
        store.commit_refund(DAY, _raw_refund(sale))
    with pytest.raises(RefundError, match="itself a refund"):
        store.commit_refund(DAY, _raw_refund(refund))
    ghost = dataclasses.replace(sale, sale_id="ghost")
    with pytest.raises(RefundError, match="No sale"):
        store.commit_refund(DAY, _raw_refund(ghost))
    with pytest.raises(ValueError, match="refund_of"):
        store.commit_refund(DAY, sale_builder(DAY))
    assert store.last_sale() == refund  # refused refunds left no trace


def test_sold_counts_ignores_refunds(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY, lines=3))
    store.commit_sale(DAY, sale_builder(DAY, lines=1))
    store.commit_refund(DAY, sale_builder(DAY, refund_of=sale))
    assert store.sold_counts() == {"1001": 2, "1002": 1, "2001": 1}


def test_closed_store_says_so(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "scale.db")
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.last_sale()
    with pytest.raises(StoreError, match="closed"):
        store.commit_sale(DAY, sale_builder(DAY))


def test_two_stores_on_one_file_share_the_numbers(tmp_path: Path) -> None:
    with Store.open(tmp_path / "scale.db") as a, Store.open(tmp_path / "scale.db") as b:
        seqs = [s.commit_sale(DAY, sale_builder(DAY)).seq for s in (a, b, a, b)]
        assert seqs == [1, 2, 3, 4]
        assert [s.seq for s in a.recent_sales(10)] == [4, 3, 2, 1]


def test_one_store_shared_by_threads(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        sales = list(pool.map(lambda _: store.commit_sale(DAY, sale_builder(DAY)), range(40)))
        list(pool.map(lambda _: store.recent_sales(5), range(40)))
    assert sorted(s.seq for s in sales) == list(range(1, 41))
    assert sorted(int(s.trace_code[15:19]) for s in sales) == list(range(1, 41))
    assert store.backlog() == 40


@pytest.mark.parametrize("lines", [1, 4])
@pytest.mark.parametrize("refund", [False, True])
def test_payload_is_the_json_of_to_dict(lines: int, refund: bool) -> None:
    from dataclasses import asdict

    from edge.store.rows import payload

    sale = sale_builder(DAY, lines=lines, payment=Payment(PaymentMethod.ALIPAY, PaymentStatus.UNCONFIRMED, "a-1"))(3, 3)
    if refund:
        sale = sale_builder(DAY, refund_of=sale)(4, 4)
    assert sale.to_dict() == asdict(sale) | {"lines": [asdict(line) for line in sale.lines]}
    assert json.loads(payload(sale)) == json.loads(json.dumps(sale.to_dict()))


def _ticket_jobs(store: Store, sale_id: str) -> list[int]:
    rows = store.db.execute("SELECT job_id FROM print_jobs WHERE sale_id = ? AND kind = 'ticket'", (sale_id,))
    return [r[0] for r in rows.fetchall()]


def test_a_pending_sale_gets_its_ticket_only_when_the_money_arrives(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING)))
    assert store.pending_print_jobs() == []
    store.set_payment(sale.sale_id, Payment(PaymentMethod.WECHAT, PaymentStatus.FAILED))
    assert store.pending_print_jobs() == []
    store.set_payment(sale.sale_id, Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-1"))
    [job] = store.pending_print_jobs()
    assert (job.sale_id, job.kind) == (sale.sale_id, "ticket")
    # a second "paid" (another ref, then cash) never queues a second ticket, printed or not
    store.set_payment(sale.sale_id, Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-2"))
    store.mark_print_done(job.job_id, 5)
    store.set_payment(sale.sale_id, Payment(PaymentMethod.CASH, PaymentStatus.PAID))
    assert store.pending_print_jobs() == [] and len(_ticket_jobs(store, sale.sale_id)) == 1


def test_a_confirmed_static_qr_sale_gets_one_ticket(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING)))
    store.set_payment(sale.sale_id, Payment(PaymentMethod.STATIC_QR, PaymentStatus.UNCONFIRMED))
    store.set_payment(sale.sale_id, Payment(PaymentMethod.STATIC_QR, PaymentStatus.PAID, "late"))
    assert [j.kind for j in store.pending_print_jobs()] == ["ticket"]


def test_a_cash_sale_paid_again_does_not_print_twice(store: Store) -> None:
    sale = store.commit_sale(DAY, sale_builder(DAY))  # cash, paid: ticket queued at commit
    store.set_payment(sale.sale_id, Payment(PaymentMethod.CASH, PaymentStatus.PAID, "again"))
    assert len(_ticket_jobs(store, sale.sale_id)) == 1
