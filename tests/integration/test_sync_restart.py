"""The scale process is SIGKILLed mid-sync (while selling) and restarted: nothing is lost.

Duplicates at central are allowed only as resends of the same sale (central dedups on
sale_id); every sale the store committed must arrive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from edge.store import Store
from edge.store.samples import sale_builder
from tests.integration.sync_support import SCALE, Broker, FakeCentral, wait_for

pytestmark = pytest.mark.integration

DAY = "2024-05-12"
REPO = Path(__file__).resolve().parents[2]


class Child:
    def __init__(self, db: Path, broker: Broker, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.sync_child", str(db), broker.url,
             "--password", broker.scale_password, *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.committed: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("READY"):
                self.ready.set()
            elif line.startswith("COMMITTED") and len(line.split()) == 2:  # SIGKILL can tear the last line
                self.committed.append(line.split()[1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def test_sigkill_mid_sync_then_restart_loses_nothing(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker")
    broker.start()
    db = tmp_path / "scale.db"
    with Store.open(db) as store:
        for _ in range(1500):
            store.commit_sale(DAY, sale_builder(DAY))
    # A slow central, so the kill lands while messages and acks are in flight.
    central = FakeCentral(broker, delay_s=0.02)
    children: list[Child] = []
    try:
        first = Child(db, broker, "--sell", "400", "--batch", "50")
        children.append(first)
        wait_for(lambda: central.acked.get(SCALE, 0) >= 400, 120, "central to ack a few hundred rows")
        first.kill()
        killed_at = central.acked.get(SCALE, 0)
        with Store.open(db) as store:
            assert store.backlog() > 0, "the kill came too late to test anything"
        second = Child(db, broker, "--batch", "50")
        children.append(second)
        with Store.open(db) as store:
            wait_for(lambda: store.backlog() == 0, 180, "the restarted scale to drain its outbox")
            committed = {row[0] for row in store.db.execute("SELECT sale_id FROM sales")}
            assert store.integrity_check() == []
        assert set(first.committed) <= committed  # every sale the child reported is stored
        assert central.unique_sales() == committed
        assert central.bad == []
        assert central.acked[SCALE] > killed_at
        resent = sum(n - 1 for n in central.sale_ids.values())
        print(f"killed at ack {killed_at}; {len(committed)} sales; {resent} resent items deduplicated")
    finally:
        for child in children:
            child.kill()
        central.close()
        broker.stop()
