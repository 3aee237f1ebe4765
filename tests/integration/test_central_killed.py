"""Central killed with SIGKILL in the middle of a drain: after its restart every sale the
scale committed is at central exactly once, and the scale's outbox is empty."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edge.config import IdentityConfig, SyncConfig
from edge.device_key import DeviceKey
from edge.store import Store
from edge.store.samples import sale_builder
from edge.sync import SyncService
from tests.integration.sync_support import MARKET, SCALE, Broker, wait_for

pytestmark = pytest.mark.integration
DAY = "2024-05-12"
SALES = 3000


def _central_count(db: Path) -> tuple[int, int]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows, unique = conn.execute("SELECT COUNT(*), COUNT(DISTINCT sale_id) FROM sales").fetchone()
    except sqlite3.Error:
        return 0, 0
    return rows, unique


def test_central_killed_mid_drain_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "central")
    central_db = tmp_path / "central" / "central.db"
    key = DeviceKey.load_or_create(tmp_path / "central" / "scale_key.pem")  # the key central registered
    with Store.open(tmp_path / "scale.db") as store:
        build = sale_builder(DAY)
        ids = {store.commit_sale(DAY, lambda seq, daily: key.sign(build(seq, daily))).sale_id for _ in range(SALES)}

        def serve() -> subprocess.Popen[bytes]:
            mqtt = f"mqtt://central:{broker.central_password}@127.0.0.1:{broker.port}"
            return subprocess.Popen(
                [sys.executable, "-m", "central", "serve", "--db", f"sqlite:///{central_db}", "--mqtt", mqtt],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        broker.start()
        config = SyncConfig(broker_url=broker.url, password=broker.scale_password, batch_size=50, window=2)
        sync = SyncService(config, IdentityConfig(market_id=MARKET, scale_id=SCALE), store, software_id="test",
                           backoff_s=(0.2, 1.0))  # fmt: skip
        central = serve()
        sync.start()
        try:
            wait_for(lambda: _central_count(central_db)[0] > 0, 60, "central to commit the first sales")
            os.kill(central.pid, signal.SIGKILL)  # mid-drain: the scale still holds a backlog
            central.wait(timeout=10)
            killed_at = _central_count(central_db)[0]
            assert 0 < killed_at < SALES and store.backlog() > 0
            central = serve()
            wait_for(lambda: store.backlog() == 0, 120, "the outbox to drain after central's restart")
            assert _central_count(central_db) == (SALES, SALES)
            with sqlite3.connect(central_db) as conn:
                assert {row[0] for row in conn.execute("SELECT sale_id FROM sales")} == ids
        finally:
            sync.stop()
            central.terminate()
            central.wait(timeout=10)
            broker.stop()
