"""Outages while the scale keeps selling: the broker down for 60 s, central SIGKILLed and
restarted mid-drain, one scale's uplink cut for a whole (simulated) day of sales."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.chaos.check import check_everything
from tests.chaos.harness import Site, edge_backlog, wait_drained
from tests.chaos.netcut import NetCut
from tests.integration.sync_support import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(400)]

BROKER_DOWN_S = 60
MARKET_TZ = ZoneInfo("Asia/Shanghai")


def _reported(site: Site) -> list[str]:
    return [sale_id for child in site.children for sale_id, *_ in child.log.committed]


def test_broker_down_for_60_s_while_the_scale_sells(site: Site, tmp_path: Path) -> None:
    db = tmp_path / "scale.db"
    child = site.child(db, "--sell", "800", "--interval", "0.1", "--ack-timeout", "2")
    wait_for(lambda: site.central.sales() >= 30, 60, "central to store the first sales")
    site.broker.stop()
    at_stop = len(child.log.committed)
    time.sleep(BROKER_DOWN_S)
    sold_offline = len(child.log.committed) - at_stop
    assert sold_offline >= 200, "the scale stopped selling while the broker was down"
    assert edge_backlog(db) >= sold_offline  # queued on the scale, nothing dropped
    site.broker.start()  # same port, no persistence: central and the scale log in afresh
    child.wait_done(120)
    wait_drained(site, db, 180)
    child.kill()
    checked = check_everything(db, site.central_db, site.central.base_url, reported=_reported(site))
    assert checked.sales == 800
    print(f"sold {sold_offline} while the broker was down {BROKER_DOWN_S} s; {checked}")


def test_central_killed_and_restarted_mid_drain(site: Site, tmp_path: Path) -> None:
    db = tmp_path / "scale.db"
    # small messages and a narrow window: the drain takes long enough to be interrupted
    child = site.child(db, "--sell", "1500", "--batch", "10", "--window", "2", "--ack-timeout", "2")
    kills = []
    for threshold in (100, 500, 900):
        wait_for(lambda t=threshold: site.central.sales() >= t, 120, f"central to store {threshold} sales")
        site.central.kill()
        kills.append((site.central.sales(), edge_backlog(db)))
        time.sleep(1)
        site.central.start()
    assert all(backlog > 0 for _, backlog in kills), f"a kill came after the drain: {kills}"
    child.wait_done(120)
    wait_drained(site, db, 180)
    child.kill()
    checked = check_everything(db, site.central_db, site.central.base_url, reported=_reported(site))
    assert checked.sales == 1500
    print(f"central killed at (stored, scale backlog) {kills}; {checked}")


def test_scale_cut_off_for_a_day_of_sales_then_reconnected(site: Site, tmp_path: Path) -> None:
    db = tmp_path / "scale.db"
    relay = NetCut(site.broker.port)
    relay.start()
    opening = int(datetime(2024, 5, 12, 6, 0, tzinfo=MARKET_TZ).timestamp() * 1000)
    try:
        # 1,500 sales a simulated minute apart: 06:00 on the 12th to 07:00 on the 13th
        child = site.child(db, "--sell", "1500", "--interval", "0.002", "--clock-start", str(opening),
                           "--clock-step", "60000", broker_url=f"mqtt://127.0.0.1:{relay.port}")  # fmt: skip
        wait_for(lambda: site.central.sales() >= 20, 60, "the scale's first sales at central")
        relay.cut()
        child.wait_done(180)
        at_central = site.central.sales()
        assert edge_backlog(db) >= 1000 and at_central < 500  # the day waits on the scale
        relay.restore()
        wait_drained(site, db, 180)
        child.kill()
    finally:
        relay.close()
    checked = check_everything(db, site.central_db, site.central.base_url, reported=_reported(site))
    assert checked.sales == 1500 and checked.days == ("240512", "240513")
    # the daily sequence restarts at local midnight: 06:00-23:59 is 1080 sales, then 420
    daily: dict[str, list[int]] = {}
    for _, _, code, _ in child.log.committed:
        daily.setdefault(code[9:15], []).append(int(code[15:19]))
    assert daily == {"240512": list(range(1, 1081)), "240513": list(range(1, 421))}
    print(f"{at_central} sales at central when the day ended cut off; {checked}")


def test_events_logged_while_central_is_down_reach_central(site: Site, tmp_path: Path) -> None:
    db = tmp_path / "scale.db"
    first = site.child(db, "--sell", "60", "--interval", "0.05", "--event-every", "20")
    wait_for(lambda: site.central.sales() >= 5, 60, "central to store the first sales")
    site.central.kill()
    first.wait_done(60)  # entries made while central is down, uploaded to the broker alone
    first.kill()
    site.central.start()
    site.child(db)  # the next life logs its test.restart entry and drains
    # central answers the gap with its events ack; the scale goes back and sends the lost entries again
    wait_drained(site, db, 60)
    check_everything(db, site.central_db, site.central.base_url, reported=_reported(site))
