"""The forwarder against the city platform simulator: the platform down for an hour of
sales, the forwarder SIGKILLed mid-forward, and every record arrives exactly once.

Time is compressed two ways. A burst: an hour's worth of sales (20 scales, one a minute each,
their created_ms spread over 15:00-16:00) is stored while the platform is down, first
answering 503 and then refusing connections, so the forwarder meets everything an hour's
outage leaves behind: the whole hour queued, its retries failing, then the catch-up. The
backoff cap is 0.5 s here instead of 300 s so the test does not wait for it. And a
simulated clock: the forwarder's real backoff (1 s doubling to 300 s) waits on a clock the
test advances, and the platform, refusing connections, comes back after 3,600 simulated s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from central import admin
from central.forwarder import outbox
from simulator.cityplatform.server import CityPlatform
from tests.integration.central_support import wait_for
from tests.integration.city_support import register, store_hour

SCALES, PER_SCALE = 20, 60  # an hour at one sale a minute per scale: 1,200 sales, 2,400 sale lines


def _forwarder(db_url: str, url: str, log: Path, fmt: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-m", "central", "forward", "--db", db_url, "--upstream", url, "--format", fmt,
           "--batch", "40", "--max-backoff", "0.5"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def test_platform_down_for_an_hour_and_forwarder_killed_every_record_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/central.db"
    db = register(db_url, tmp_path, SCALES)
    platform = CityPlatform(tmp_path / "city.db").start()
    platform.down("503")
    log = tmp_path / "forward.log"
    proc = _forwarder(db_url, platform.url, log, "xml")
    try:
        half = PER_SCALE // 2
        sales = store_hour(db, SCALES, PER_SCALE, range(1, half + 1))  # the first half hour: 503
        platform.down("refuse")  # then it is gone altogether
        with db.connection() as conn:
            admin.stop_sale(conn, "B-2001-01", "瘦肉精快检不合格")
        sales += store_hour(db, SCALES, PER_SCALE, range(half + 1, PER_SCALE + 1))
        with db.connection() as conn:
            wait_for(lambda: _attempted(conn), 20, "the forwarder trying the platform while it is down")
            queued = conn.all("SELECT kind, record_key, body FROM forward_outbox")
        assert platform.store.stats()["records"] == 0
        assert proc.poll() is None, log.read_text()

        platform.up()
        total_records = 2 * len(sales) + sum(1 for q in queued if q["kind"] != "sale")
        for share in (0.25, 0.6):  # SIGKILL mid-forward, twice, and start again
            wait_for(lambda s=share: platform.store.stats()["records"] >= s * total_records, 60, f"{share:.0%} sent")
            _kill(proc)
            proc = _forwarder(db_url, platform.url, log, "xml")
        with db.connection() as conn:
            wait_for(lambda: outbox.status(conn)["pending"] == 0, 120, "the outbox drained")
            state = outbox.status(conn)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        platform.stop()

    assert state["rejected"] == 0, state["recent_rejects"]
    stored = CityPlatform(tmp_path / "city.db").store  # what the platform kept, read back from its file
    records = stored.records()
    keys = [r["key"] for r in records]
    expected = {f"sale:{s.sale_id}:{n}" for s in sales for n in (1, 2)}
    expected |= {q["record_key"] for q in queued if q["kind"] != "sale"}
    assert len(keys) == len(set(keys)) == len(expected) == total_records
    assert set(keys) == expected
    by_key = {r["key"]: r["data"] for r in records}
    for sale in sales:  # each line reached the city with the ticket's trace code as the scale's transaction id
        for n, line in enumerate(sale.lines, start=1):
            data = by_key[f"sale:{sale.sale_id}:{n}"]
            assert data["sale_tran_id"] == sale.trace_code and data["retailer_id"] == "3302123330001"
            assert data["weight"] == f"{line.net_g // 1000}.{line.net_g % 1000:03d}"
    stops = stored.records("retail_market_stop_sale")
    assert [s["data"]["reason"] for s in stops] == ["瘦肉精快检不合格"]
    print(f"records {len(keys)}, duplicates reported after the kills: {stored.stats()['duplicates']}")


class SimulatedHour:
    """The forwarder's stop flag on a simulated clock: its waits (the backoff) advance the
    clock instead of sleeping; the platform comes back once an hour has passed, and the
    flag is raised when the outbox is empty."""

    def __init__(self, platform: CityPlatform, db, outage_s: float) -> None:  # type: ignore[no-untyped-def]
        self.platform, self.db, self.outage_s = platform, db, outage_s
        self.now_s, self.waits = 0.0, 0

    def wait(self, seconds: float | None = None) -> bool:
        self.now_s += seconds or 0.0
        self.waits += 1
        if self.now_s >= self.outage_s and self.platform.mode:
            self.platform.up()
        return bool(self)

    def __bool__(self) -> bool:
        with self.db.connection() as conn:
            return outbox.status(conn)["pending"] == 0


def test_an_hour_on_a_simulated_clock_costs_about_twenty_tries(tmp_path: Path) -> None:
    """The same outage with an injected clock: the backoff's real schedule (1 s doubling to
    300 s) runs against the real platform, and simulated time stands in for the hour."""
    from central.forwarder.sender import Backoff, Forwarder

    db = register(f"sqlite:///{tmp_path}/central.db", tmp_path, 4)
    platform = CityPlatform(tmp_path / "city.db").start()
    platform.down("refuse")
    try:
        sales = store_hour(db, 4, 60)
        clock = SimulatedHour(platform, db, outage_s=3600)
        forwarder = Forwarder(db, platform.url, backoff=Backoff(base_s=1, cap_s=300), timeout_s=5)
        forwarder.run(clock)
        assert clock.now_s >= 3600 and forwarder.stats.failures < 25, (clock.now_s, forwarder.stats)
        stats = forwarder.stats
        print(f"simulated {clock.now_s:.0f} s down: {stats.failures} failed tries, then {stats.sent} rows sent")
        assert platform.store.stats()["by_view"]["retail_market_tran_info_summ"] == 2 * len(sales)
    finally:
        platform.stop()


def _attempted(conn) -> bool:  # type: ignore[no-untyped-def]
    return bool(conn.scalar("SELECT COUNT(*) FROM forward_outbox WHERE attempts > 0 AND state = 'pending'"))
