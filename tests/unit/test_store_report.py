"""Store: the daily report (日结)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.core.records import Payment, PaymentMethod, PaymentStatus
from edge.core.report import DailyReport, PluTotal
from edge.store import Store
from edge.store.samples import sale_builder

DAY, NEXT = "2024-05-12", "2024-05-13"
WECHAT_PAID = Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "scale.db") as s:
        yield s


def test_empty_day(store: Store) -> None:
    assert store.daily_report(DAY) == DailyReport(local_date=DAY)


def test_daily_report_adds_up(store: Store) -> None:
    cash = store.commit_sale(DAY, sale_builder(DAY, lines=3, rounding_fen=9))  # 199 + 247 + 1883 - 9
    wechat = store.commit_sale(DAY, sale_builder(DAY, lines=1, payment=WECHAT_PAID))  # 199
    pending = store.commit_sale(
        DAY, sale_builder(DAY, lines=1, payment=Payment(PaymentMethod.ALIPAY, PaymentStatus.PENDING))
    )
    store.commit_sale(NEXT, sale_builder(NEXT, lines=4))  # another day: not in the report
    store.commit_refund(DAY, sale_builder(DAY, refund_of=wechat))
    eggs = store.commit_sale(DAY, sale_builder(DAY, lines=4))  # 1001, 1002, 2001, 3001 (piece)
    report = store.daily_report(DAY)

    assert report.plus == (
        PluTotal("1001", "白菜", 4, 2000, 4, 4 * 199),
        PluTotal("1002", "土豆", 2, 1074, 2, 2 * 247),
        PluTotal("2001", "猪肉", 2, 1148, 2, 2 * 1883),
        PluTotal("3001", "鸡蛋（盒）", 1, 0, 1, 1500),
    )
    assert (report.sales_count, report.refunds_count, report.unpaid_count) == (4, 1, 1)
    assert report.sales_fen == cash.total_fen + wechat.total_fen + pending.total_fen + eggs.total_fen
    assert report.unpaid_fen == pending.total_fen == 199
    assert report.refunds_fen == wechat.total_fen
    assert report.rounding_fen == 9
    assert report.by_method == {"cash": cash.total_fen + eggs.total_fen, "wechat": 0}
    assert report.total_fen == sum(report.by_method.values()) == cash.total_fen + eggs.total_fen


def test_paid_later_moves_out_of_unpaid(store: Store) -> None:
    sale = store.commit_sale(
        DAY, sale_builder(DAY, lines=1, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING))
    )
    assert store.daily_report(DAY).total_fen == 0
    store.set_payment(sale.sale_id, WECHAT_PAID)
    report = store.daily_report(DAY)
    assert (report.unpaid_fen, report.total_fen, report.by_method) == (0, 199, {"wechat": 199})


def test_a_shift_across_midnight_is_in_both_days(store: Store) -> None:
    """Signed in at 23:50, signed out at 00:10: the shift sold on both days, so both 日结 list it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def ms(text: str) -> int:
        return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() * 1000)

    store.start_shift("W01", "王建国", "merchant", "pin", ms("2024-05-11 20:00"))
    store.end_shift(ms("2024-05-11 21:00"))  # the day before: not listed
    store.start_shift("W01", "王建国", "merchant", "pin", ms("2024-05-12 23:50"))
    store.end_shift(ms("2024-05-13 00:10"))
    store.start_shift("L02", "李小红", "helper", "pin", ms("2024-05-13 00:10"))  # still open
    assert [s.operator for s in store.daily_report(DAY).shifts] == ["W01"]
    assert [s.operator for s in store.daily_report(NEXT).shifts] == ["W01", "L02"]
