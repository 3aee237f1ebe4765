"""Store: outbox ack semantics and the print queue."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core.records import Payment, PaymentMethod, PaymentStatus
from edge.store import NotFoundError, Store
from edge.store.samples import sale_builder

DAY = "2024-05-12"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    now = iter(range(1_000, 10**9, 1_000))
    with Store.open(tmp_path / "scale.db", clock=lambda: next(now)) as s:
        yield s


def commit(store: Store, n: int = 1) -> None:
    for _ in range(n):
        store.commit_sale(DAY, sale_builder(DAY))


# --- outbox


def test_batches_are_ascending_and_page_with_after_seq(store: Store) -> None:
    commit(store, 5)
    assert [s for s, _ in store.outbox_batch(3)] == [1, 2, 3]
    assert [s for s, _ in store.outbox_batch(3, after_seq=3)] == [4, 5]
    assert store.outbox_batch(3, after_seq=5) == []
    with pytest.raises(ValueError):
        store.outbox_batch(0)


def test_ack_through_is_idempotent_and_never_touches_higher_seqs(store: Store) -> None:
    commit(store, 5)
    assert store.ack_through(3) == 3
    assert store.ack_through(3) == 0  # the same ack again (at-least-once delivery)
    assert store.ack_through(1) == 0  # an old ack arriving late
    assert [s for s, _ in store.outbox_batch(10)] == [4, 5]
    assert store.backlog() == 2


def test_seqs_are_never_reused_after_everything_is_acked(store: Store) -> None:
    commit(store, 2)
    assert store.ack_through(2) == 2 and store.backlog() == 0
    commit(store, 1)
    # a reused seq 1 would be swallowed by a late "acked_through 2"
    assert [s for s, _ in store.outbox_batch(10)] == [3]
    assert store.ack_through(2) == 0 and store.backlog() == 1


def test_oldest_unacked_ms(store: Store) -> None:
    assert store.oldest_unacked_ms() is None
    commit(store, 2)
    first = store.oldest_unacked_ms()
    assert first is not None
    store.ack_through(1)
    later = store.oldest_unacked_ms()
    assert later is not None and later > first
    store.ack_through(2)
    assert store.oldest_unacked_ms() is None


def test_payment_update_gets_a_new_outbox_seq_beyond_the_sales(store: Store) -> None:
    pending = Payment(PaymentMethod.STATIC_QR, PaymentStatus.PENDING, "")
    sale = store.commit_sale(DAY, sale_builder(DAY, payment=pending))
    commit(store, 1)
    store.set_payment(sale.sale_id, Payment(PaymentMethod.STATIC_QR, PaymentStatus.PAID, "vendor"))
    commit(store, 1)
    assert [s for s, _ in store.outbox_batch(10)] == [1, 2, 3, 4]
    # the update (outbox seq 3) survives an ack for what was sent before it
    store.ack_through(2)
    assert [s for s, _ in store.outbox_batch(10)] == [3, 4]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.tuples(st.just("sale"), st.integers(1, 3)), st.tuples(st.just("ack"), st.integers(-1, 12))),
        max_size=8,
    )
)
def test_outbox_matches_a_model(ops: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "scale.db") as store:
        model: list[int] = []
        issued = 0
        for op, n in ops:
            if op == "sale":
                commit(store, n)
                model += range(issued + 1, issued + n + 1)
                issued += n
            else:
                removed = [s for s in model if s <= n]
                assert store.ack_through(n) == len(removed)
                model = [s for s in model if s > n]
            assert [s for s, _ in store.outbox_batch(100)] == model
            assert store.backlog() == len(model)


# --- print queue


def test_print_done_marks_ticket_printed(store: Store) -> None:
    commit(store, 2)
    jobs = store.pending_print_jobs()
    assert [j.job_id for j in jobs] == [1, 2]  # oldest first
    store.mark_print_done(jobs[0].job_id, 5_000)
    assert store.get_sale(jobs[0].sale_id).printed  # type: ignore[union-attr]
    assert not store.get_sale(jobs[1].sale_id).printed  # type: ignore[union-attr]
    assert [j.job_id for j in store.pending_print_jobs()] == [2]
    store.mark_print_done(jobs[0].job_id, 6_000)  # repeated: no-op
    assert store.db.execute("SELECT done_ms FROM print_jobs WHERE job_id = 1").fetchone()[0] == 5_000


def test_print_failure_keeps_the_job_pending(store: Store) -> None:
    commit(store, 1)
    [job] = store.pending_print_jobs()
    store.mark_print_failed(job.job_id, "缺纸 / paper out", 2_000)
    store.mark_print_failed(job.job_id, "printer offline", 3_000)
    [again] = store.pending_print_jobs()
    assert (again.job_id, again.attempts, again.last_error) == (job.job_id, 2, "printer offline")
    store.mark_print_done(job.job_id, 4_000)
    assert store.pending_print_jobs() == []
    store.mark_print_failed(job.job_id, "late report", 5_000)  # ignored for a done job
    assert store.pending_print_jobs() == []


def test_reprint_does_not_touch_printed_flag(store: Store) -> None:
    commit(store, 1)
    [ticket] = store.pending_print_jobs()
    job_id = store.enqueue_print(ticket.sale_id)
    [_, reprint] = store.pending_print_jobs()
    assert (reprint.job_id, reprint.kind) == (job_id, "reprint")
    store.mark_print_done(job_id, 1)
    assert not store.get_sale(ticket.sale_id).printed  # type: ignore[union-attr]
    assert store.pending_print_jobs(limit=1) == [ticket]


def test_print_queue_errors(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.enqueue_print("no-such-sale")
    with pytest.raises(NotFoundError):
        store.mark_print_done(99, 1)
    with pytest.raises(NotFoundError):
        store.mark_print_failed(99, "x", 1)
    commit(store, 1)
    with pytest.raises(ValueError, match="kind"):
        store.enqueue_print(store.last_sale().sale_id, kind="label")  # type: ignore[union-attr]
