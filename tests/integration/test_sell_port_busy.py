"""The weighing-module port belongs to one process: `edge sell` next to the running app is
refused at once with a clear message, and the app keeps its link (it used to report
称重模块已断开 while both read the same pty)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from edge.scale_driver.protocols.base import SerialSettings
from edge.scale_driver.transport import PortBusyError, SerialTransport
from simulator.scale import PtyLink, VirtualScale
from tests.integration.test_headless_app import ROOT, HeadlessScale

pytestmark = pytest.mark.integration


def test_a_second_open_of_the_port_is_refused_until_the_first_closes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    link = PtyLink(VirtualScale("mt-sics", seed=1), directory=tmp_path).start()
    try:
        first = SerialTransport(link.path, SerialSettings(9600))
        first.open()
        second = SerialTransport(link.path, SerialSettings(9600))
        with pytest.raises(PortBusyError, match="已被其他程序占用"):
            second.open()
        assert first.is_open and not second.is_open
        first.close()
        second.open()  # the lock went with the first process's port
        assert second.is_open
        second.close()
    finally:
        link.stop()


def test_edge_sell_next_to_the_running_app_is_refused_and_the_app_keeps_selling(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = HeadlessScale(tmp_path)
    try:
        app.scale.put(1235)
        assert app.ask("wait 10")[-1] == "ok: 1.235 kg stable"
        started = time.monotonic()
        sell = subprocess.run(
            [sys.executable, "-m", "edge", "sell", "--config", str(app.config), "--plu", "1001", "--wait", "20"],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
        )  # fmt: skip
        assert sell.returncode == 3, sell.stderr
        assert "已被其他程序占用" in sell.stderr and "stop the app" in sell.stderr, sell.stderr
        assert time.monotonic() - started < 15  # refused at once, not after --wait
        app.ask("plu 1001")
        assert app.ask("checkout cash")[-1].startswith("ok: 已结算 4.92 元")
        assert not any("断开" in note for note in app.notes), app.notes
        assert app.stop() == 0
    finally:
        app.kill()
