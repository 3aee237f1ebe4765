"""A wiped store continues after central's numbers: seq, daily number, outbox (docs/sync.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.core.tracecode import parse_trace_code
from edge.store import Store
from edge.store.samples import sale_builder
from edge.sync import wire
from tests.unit.ui_model_support import Rig

DAY = "2024-05-12"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    now = iter(range(1_000, 10**9, 1_000))
    with Store.open(tmp_path / "scale.db", clock=lambda: next(now)) as s:
        yield s


def test_central_s_numbers_are_continued_never_lowered(store: Store) -> None:
    assert not store.numbering_known()
    store.raise_numbering(41, DAY, 17, 5, acked_through=0)
    assert store.numbering_known()
    days: list[int] = []

    def build(seq: int, daily: int):  # type: ignore[no-untyped-def]
        days.append(daily)
        return sale_builder(DAY)(seq, daily)

    assert store.commit_sale(DAY, build).seq == 42
    assert store.commit_sale("2024-05-13", sale_builder("2024-05-13")).seq == 43  # another day: from 1 again
    assert days == [18]
    store.raise_numbering(3, DAY, 2, 6)  # an older answer: nothing goes back
    assert store.commit_sale(DAY, build).seq == 44 and days == [18, 19]


def test_floors_start_numbering_above_them_once(store: Store) -> None:
    days: list[int] = []

    def build(seq: int, daily: int):  # type: ignore[no-untyped-def]
        days.append(daily)
        return sale_builder(DAY)(seq, daily)

    assert store.commit_sale(DAY, build, floors=(1_000_000, 5000)).seq == 1_000_001
    assert store.commit_sale(DAY, build, floors=(1_000_000, 5000)).seq == 1_000_002
    assert store.commit_sale(DAY, build).seq == 1_000_003  # the counters stay where they got to
    assert days == [5001, 5002, 5003]


def test_outbox_rows_below_central_s_watermark_move_above_it_in_order(store: Store) -> None:
    for _ in range(3):
        store.commit_sale(DAY, sale_builder(DAY))
    before = [payload for _, payload in store.outbox_batch(10)]
    assert [seq for seq, _ in store.outbox_batch(10)] == [1, 2, 3]
    assert store.raise_numbering(0, "", 0, 7, acked_through=40) is True
    assert [seq for seq, _ in store.outbox_batch(10)] == [41, 42, 43]
    assert [payload for _, payload in store.outbox_batch(10)] == before  # same rows, same order
    store.commit_sale(DAY, sale_builder(DAY))
    assert [seq for seq, _ in store.outbox_batch(10)][-1] == 44
    assert store.raise_numbering(0, "", 0, 8, acked_through=40) is False  # already above: nothing moves


def test_an_empty_outbox_numbers_its_next_row_above_the_watermark(store: Store) -> None:
    assert store.raise_numbering(0, "", 0, 7, acked_through=12) is True
    store.commit_sale(DAY, sale_builder(DAY))
    assert [seq for seq, _ in store.outbox_batch(10)] == [13]


def test_the_numbering_answer_on_the_ack_topic() -> None:
    doc = b'{"numbering":{"seq":7,"local_date":"2024-05-12","daily_seq":3,"acked_through":9}}'
    assert wire.parse_numbering(doc) == wire.Numbering(7, "2024-05-12", 3, 9)
    assert wire.parse_numbering(b'{"acked_through":5}') is None  # an ordinary ack
    with pytest.raises(ValueError, match="numbering needs"):
        wire.parse_numbering(b'{"numbering":{"seq":-1,"local_date":"2024-05-12","daily_seq":3}}')


def test_the_scale_app_numbers_apart_until_central_answers(tmp_path: Path) -> None:
    rig = Rig(tmp_path, sync={"broker_url": "mqtt://127.0.0.1:1"})  # a scale with sync that has not heard central
    try:
        rig.power_on()
        rig.weigh(1235)
        rig.model.select_plu("1001")
        sale = rig.model.checkout("cash")
        assert sale is not None and (sale.seq, parse_trace_code(sale.trace_code).daily_seq) == (1_000_001, 5001)
        rig.store.raise_numbering(7, "2020-01-01", 3, 9)  # central answers: the floors are not needed any more
        rig.model.select_plu("1001")
        assert rig.model.checkout("cash").seq == 1_000_002  # the counters never go back
    finally:
        rig.close()
    (tmp_path / "alone").mkdir()
    alone = Rig(tmp_path / "alone")  # no [sync]: numbered from 1
    try:
        alone.power_on()
        alone.weigh(1235)
        alone.model.select_plu("1001")
        assert alone.model.checkout("cash").seq == 1
    finally:
        alone.close()
