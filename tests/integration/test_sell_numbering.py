"""`python -m edge sell` on a wiped store asks central for its last numbers, as the app does.

Every part real: ``central serve`` behind Mosquitto, the headless scale app to put two
sales at central, the virtual weighing module and the printer simulator. The store is
deleted; ``edge sell`` then continues after central's numbers, and with central down it
refuses (bilingual, nothing sold) until the store knows central's numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge.core.tracecode import parse_trace_code
from edge.store import Store
from tests.integration.central_support import wait_for
from tests.integration.payment_support import PaymentSystem
from tests.integration.test_trace_code_unique import central_rows, scale_app, sell, wipe_store

pytestmark = pytest.mark.integration


def edge_sell(system: PaymentSystem, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge", "sell", "--config", str(config), "--plu", "1001",
         "--json", "--wait", "10", *extra],
        capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=system.tmp,
    )  # fmt: skip


def test_edge_sell_after_a_wipe_continues_after_central_and_refuses_when_central_is_down(
    tmp_path: Path, mosquitto
) -> None:
    system = PaymentSystem(tmp_path, mosquitto)
    config = system.edge_config()
    try:
        with scale_app(system) as console:
            sold = [sell(console), sell(console)]
        wait_for(lambda: len(central_rows(system)) == 2, 30, "the app's two sales at central")
        assert [parse_trace_code(code).daily_seq for code, _ in sold] == [1, 2]

        wipe_store(system)  # central reachable: edge sell goes on after central's numbers
        done = edge_sell(system, config)
        assert done.returncode == 0, done.stdout + done.stderr
        sale = json.loads(done.stdout)
        assert (sale["seq"], parse_trace_code(sale["trace_code"]).daily_seq) == (3, 3)
        assert sale["trace_code"] not in {code for code, _ in sold}

        assert system.central is not None
        system.central.stop()
        # the store now knows central's numbers: not a wiped store, it sells without central
        done = edge_sell(system, config)
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["seq"] == 4

        wipe_store(system)  # wiped again, central down: refused, nothing sold
        refused = edge_sell(system, config, "--central-wait", "3")
        assert refused.returncode == 5, refused.stdout + refused.stderr
        assert refused.stdout == ""
        message = refused.stderr.strip().splitlines()[-1]
        assert "未收到中心答复" in message and "central did not answer" in message
        assert message.index("未收到中心答复") < message.index("central did not answer")  # Chinese first
        assert "python -m edge run" in message
        store = Store.open(tmp_path / "edge.db")
        try:
            assert store.last_sale() is None and not store.numbering_known()
        finally:
            store.close()
    finally:
        system.close()
