"""A scale whose legal parameters changed while it was off starts locked: the headless console
shows the extended display (`info`), refuses the checkout with the bilingual reason, and
sells again once `python -m edge seal` (another process, the same SQLite file) is done."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from edge.core import protection
from edge.store import Store
from tests.integration.test_headless_app import ROOT, HeadlessScale

pytestmark = pytest.mark.integration


def test_locked_scale_refuses_until_sealed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with Store.open(tmp_path / "edge.db") as store:  # a technician changed e, then the power went off
        store.append_event(protection.SETTING_CHANGED, {"key": "scale.e_g", "old": 5, "new": 2, "by": "configure"}, 1)
    app = HeadlessScale(tmp_path)
    try:
        info = app.ask("info")
        assert info[-1] == "error: locked-by-change"
        assert any("事件计数器" in line and line.endswith(": 1") for line in info)
        assert any(line.strip().startswith("软件标识: ") for line in info)
        app.scale.put(1235)
        assert app.ask("wait 10")[-1] == "ok: 1.235 kg stable"
        app.ask("plu 1001")
        refused = app.ask("checkout cash")
        assert refused[-1] == "error: 计量参数已更改，暂停销售：请技术人员完成铅封程序", refused

        env = {**os.environ, "PYTHONPATH": str(ROOT), "TRACE_TECHNICIAN_PIN": "0000"}
        done = subprocess.run(
            [sys.executable, "-m", "edge", "seal", "--config", str(app.config), "--technician", "张师傅",
             "--reason", "分度值改为 2 g，复检合格"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert app.ask("legal")[-1] == "ok: unlocked"
        sold = app.ask("checkout cash")
        # the console said so by itself (the notes of a command come after its answer), as the banner clears
        time.sleep(1.5)
        app.ask("legal")
        assert "note: 可以销售 selling unlocked" in app.notes, app.notes
        assert sold[-1].startswith("ok: 已结算 4.92 元"), sold
        assert app.stop() == 0
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.wait(5)
            app.server.stop()
            app.link.stop()
    with Store.open(tmp_path / "edge.db") as store:
        kinds = [e.kind for e in store.events()]
        assert kinds[0] == protection.SETTING_CHANGED and protection.SEALED in kinds
        assert store.protection().legal_changes == 1 and store.last_sale() is not None
