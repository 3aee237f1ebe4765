"""The vendor's day on the headless console (`python -m edge run --headless`): real-name
sign-in, the vendor's own price, goods-in by a voucher scanned on a serial scanner (the
virtual scanner over a pty, CR-terminated), sales carrying who sold them, and the 日结
split by payment method and by operator, in Chinese."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from edge.store import Store
from tests.integration.test_headless_app import HeadlessScale

pytestmark = pytest.mark.integration


@pytest.fixture
def scanner(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "scanner", "--dir", str(tmp_path / "dev"), "--name", "scanner0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    path = proc.stdout.readline().strip()
    yield proc, path
    proc.stdin.close()
    proc.wait(5)


@pytest.fixture
def stall_app(tmp_path, scanner):
    _, port = scanner
    app = HeadlessScale(tmp_path, extra_toml=f'scanner_port = "{port}"\n')
    yield app
    app.stop()


def wait_line(app: HeadlessScale, prefix: str, timeout_s: float = 60.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = app.lines.get(timeout=0.1)
        except Exception:
            continue
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting {prefix!r}")


def test_sign_in_price_goods_in_by_scan_and_report(stall_app, scanner, tmp_path):
    app = stall_app
    assert app.ask("whoami")[-1] == "ok: 未登录 not signed in"
    assert app.ask("login W01 9999")[-1].startswith("error: 登录失败")
    assert app.ask("login W01 1234")[-1] == "ok: 已登录 王建国 (W01, 店主)"

    # 调价 within central's bounds (none set: guide 3.98 +-50 % = 1.99..5.97)
    assert "单价须在 1.99–5.97" in app.ask("price 1001 6.50")[-1]
    assert app.ask("price 1001 4.50")[-1] == "ok: 1001 白菜 4.50 元/kg"
    assert "4.50" in app.ask("plu 1001")[-1]

    # goods-in: the voucher arrives on the serial scanner, CR-terminated
    proc, _ = scanner
    proc.stdin.write("https://trace.example.cn/q?code=6201000052611250099\n")
    proc.stdin.flush()
    assert wait_line(app, "scan:") == "scan: 进货凭证 voucher 6201000052611250099 — goodsin PLU cert=NUMBER ..."
    assert "检疫证明或产地证明" in app.ask("goodsin 1001 kg=20")[-1]
    answer = app.ask("goodsin 1001 cert=GS-JY-2026-200001 kg=20.5 origin=甘肃榆中 supplier=兰州高原夏菜批发市场")
    assert answer[-1].startswith("ok: 进货已登记 batch 620102001-")
    batch_id = answer[-1].split()[-1]
    assert "一张证明只能登记一个批次" in app.ask("goodsin 1001 cert=GS-JY-2026-200001 code=X1")[-1]
    # or the vendor types the voucher's code with `scan` (README: "scan (or type `scan CODE`)")
    assert app.ask("scan 6201000052611250100")[-1] == "ok: voucher 6201000052611250100"
    answer = app.ask("goodsin 1001 cert=GS-JY-2026-200002 kg=5")
    assert answer[-1].startswith("ok: 进货已登记 batch 620102001-")
    typed_id = answer[-1].split()[-1]
    assert app.ask("price 1001 abc")[-1].startswith("error: 单价请填元数，例如 3.50")

    # the helper signs in with a card typed by a HID scanner into the console
    assert app.ask("8613000000002")[-1] == "ok: 已登录 李小红 (L02)"
    app.ask("key 8")  # eggs, a piece item
    app.ask("checkout cash")
    report = app.ask("report")
    assert "按收款方式" in report and "  现金  15.00 元" in report
    assert "按售货人" in report and "  李小红（L02）  1 笔  15.00 元" in report
    shifts = report[report.index("班次") + 1 : report.index("班次") + 3]
    assert shifts[0].startswith("  王建国  ") and shifts[1].startswith("  李小红  ") and shifts[1].endswith("在岗")
    app.ask("quit")
    app.proc.wait(60)

    with Store.open(tmp_path / "edge.db") as store:
        sale = store.last_sale()
        assert sale.operator == "L02"
        batch = store.get_batch(batch_id)
        assert (batch.weight_g, batch.origin, batch.upstream_code) == (20500, "甘肃榆中", "6201000052611250099")
        typed = store.get_batch(typed_id)  # origin and supplier left out: those of the item's current batch
        assert (typed.upstream_code, typed.origin, typed.supplier) == (
            "6201000052611250100", "甘肃榆中", "兰州高原夏菜批发市场"
        )  # fmt: skip
        kinds = [e.kind for e in store.events(0, 1000)]
        assert {"operator.signed_in", "operator.signed_out", "price.changed", "goodsin.registered"} <= set(kinds)
        assert store.goodsin_unacked() and store.goodsin_unacked()[0][1]["signature"]
