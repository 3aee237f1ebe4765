"""A vendor's day end to end with every part real: central (`central serve`) behind Mosquitto
with the project's ACL, the simulated weighing module and printer, a virtual barcode
scanner on a pty, and `edge run --headless` driven by its console.

Goods-in by a scanned voucher -> a sale bound to that batch -> central shows the batch
(registered at the scale) and the sale line -> central stops the batch (`central batch
stop-sale`) -> the next 累计 from it is refused with the reason, and the one after binds to
the next batch; the refusal and the vendor's price change reach central too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.central_support import wait_for
from tests.integration.payment_support import PaymentSystem, central_cli
from tests.integration.test_headless_app import HeadlessScale

pytestmark = pytest.mark.integration

VOUCHER = "https://trace.lzpfsc.example.cn/q?code=6201000052612030042"
REASON = "快检不合格（农药残留超标）"
SEED_BATCH = "B20261125-1001"  # the next batch of 白菜 (examples/catalog.json)


class Console(HeadlessScale):
    """Only the console process (the system owns the hardware simulators)."""

    def __init__(self, config: Path, cwd: Path) -> None:
        self.start(config, cwd)

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(15)


@pytest.fixture
def system(tmp_path: Path, mosquitto: Callable[..., Any]) -> Iterator[PaymentSystem]:
    s = PaymentSystem(tmp_path, mosquitto)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def scanner(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "scanner", "--dir", str(tmp_path / "dev")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    yield proc, (proc.stdout.readline().strip() if proc.stdout else "")
    if proc.stdin:
        proc.stdin.close()
    proc.wait(5)


def rows(system: PaymentSystem, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    assert system.central is not None
    return system.central.rows(sql, params)


def test_goods_in_by_scan_sale_bound_stop_sale_refused_then_next_batch(system, scanner, tmp_path):
    config = system.edge_config()
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("signin_required = false", f'signin_required = true\nscanner_port = "{scanner[1]}"'),
                      encoding="utf-8")  # fmt: skip
    # the office's morning publish: version 1, like the scale's seed file, and still applied
    published = central_cli("publish", "batches", "--merchant", "M0001", "--db", system.db_url,
                            "--mqtt", system.central_mqtt, "--key", str(system.key_path))  # fmt: skip
    assert published.returncode == 0, published.stderr
    app = Console(config, tmp_path)
    try:
        wait_for(lambda: "已联网" in app.snapshot()["merchant"]["sync_text"], 30, "the scale online")
        # the seed file's version 1 did not make it "already applied" (the scale says so in its log)
        wait_for(lambda: any("applied batches version 1" in line for line in app.stderr), 20, "the first batches")
        app.ask("plu 1001")
        assert "请先登录" in app.ask("checkout cash")[-1]  # sign-in required: nobody sells anonymously
        app.ask("cancel")
        assert app.ask("login W01 1234")[-1].startswith("ok: 已登录 王建国")
        assert app.ask("price 1001 3.50")[-1] == "ok: 1001 白菜 3.50 元/kg"

        # goods-in: the wholesale market's voucher QR, scanned on the serial scanner
        scanner[0].stdin.write(VOUCHER + "\n")
        scanner[0].stdin.flush()
        wait_for(lambda: any("6201000052612030042" in line for line in _drain(app)), 10, "the scan announced")
        answer = app.ask("goodsin 1001 cert=GS-JY-2026-300042 kg=25 origin=甘肃榆中 supplier=兰州高原夏菜批发市场")
        assert answer[-1].startswith("ok: 进货已登记 batch ")
        batch_id = answer[-1].split()[-1]

        # central shows the batch, registered at the scale under the scale's merchant
        wait_for(lambda: rows(system, "SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)), 20, "batch at central")
        listed = central_cli("batch", "list", "--db", system.db_url, "--json")
        [row] = [b for b in json.loads(listed.stdout) if b["batch_id"] == batch_id]
        assert (row["source"], row["upstream_code"], row["certificate"], row["weight_g"], row["operator"]) == (
            "scale", "6201000052612030042", "GS-JY-2026-300042", 25000, "W01")  # fmt: skip

        # a sale bound to the new batch, at the vendor's own price, sold by W01
        app.ask("plu 1001")
        assert app.ask(f"batch {batch_id}")[-1].startswith("ok:")
        assert app.ask("wait 10")[-1].endswith("stable")
        app.ask("add")
        first = app.ask("checkout cash")
        sale_id = next(line for line in first if line.startswith("sale:")).split()[-1]
        wait_for(lambda: rows(system, "SELECT 1 FROM sale_lines WHERE sale_id = ?", (sale_id,)), 20, "sale")
        [line] = rows(system, "SELECT l.batch_id, l.unit_price_fen, s.operator FROM sale_lines l "
                              "JOIN sales s ON s.sale_id = l.sale_id WHERE l.sale_id = ?", (sale_id,))  # fmt: skip
        assert line == {"batch_id": batch_id, "unit_price_fen": 350, "operator": "W01"}
        wait_for(lambda: rows(system, "SELECT 1 FROM vendor_prices WHERE plu = '1001' AND unit_price_fen = 350"),
                 20, "the vendor price at central")  # fmt: skip
        prices = json.loads(central_cli("prices", "--db", system.db_url, "--json").stdout)
        assert [(p["plu"], p["unit_price_fen"], p["guide_fen"]) for p in prices] == [("1001", 350, 398)]

        # the vendor puts the next 白菜 from that batch on the scale; then central stops the batch
        app.ask("plu 1001")
        app.ask(f"batch {batch_id}")
        stopped = central_cli("batch", "stop-sale", "--batch", batch_id, "--reason", REASON, "--db", system.db_url,
                              "--mqtt", system.central_mqtt, "--key", str(system.key_path))  # fmt: skip
        assert stopped.returncode == 0, stopped.stderr
        wait_for(lambda: "停售" in app.snapshot()["merchant"]["message"], 20, "the stop-sale shown at once")
        refused = app.ask("add")[-1]
        assert refused.startswith("error: 批次 " + batch_id) and REASON in refused and SEED_BATCH in refused
        assert app.ask("add")[-1].startswith("ok:")  # the offered next batch
        second = app.ask("checkout cash")
        sale2 = next(line for line in second if line.startswith("sale:")).split()[-1]
        wait_for(lambda: rows(system, "SELECT 1 FROM sale_lines WHERE sale_id = ?", (sale2,)), 20, "second sale")
        assert rows(system, "SELECT batch_id FROM sale_lines WHERE sale_id = ?", (sale2,)) == [{"batch_id": SEED_BATCH}]

        # the customer of the first sale, bought before the stop, is told on the ticket's trace page
        code = next(line for line in first if line.startswith("sale:")).split()[1]
        page = urllib.request.urlopen(f"{system.central.url}/t/{code}", timeout=10).read().decode()
        assert "该批次已被市场停售" in page and REASON in page
        code2 = next(line for line in second if line.startswith("sale:")).split()[1]
        page2 = urllib.request.urlopen(f"{system.central.url}/t/{code2}", timeout=10).read().decode()
        assert "停售" not in page2  # the next batch's sale is not flagged

        # the refusal is logged at the scale and uploaded: central's batch flow lists it
        def refusal_at_central() -> list[dict[str, Any]]:
            return rows(system, "SELECT data FROM events WHERE kind = 'sale.refused_stopped_batch'")

        wait_for(refusal_at_central, 20, "the refusal event at central")
        data = json.loads(refusal_at_central()[0]["data"])
        assert (data["batch_id"], data["reason"], data["offered"], data["operator"]) == (
            batch_id, REASON, SEED_BATCH, "W01")  # fmt: skip
    finally:
        app.stop()


def _wait_said(app: HeadlessScale, word: str, timeout_s: float) -> list[str]:
    """The console's lines up to the first that holds ``word``."""
    said: list[str] = []

    def seen() -> bool:
        said.extend(_drain(app))
        return any(word in line for line in said)

    try:
        wait_for(seen, timeout_s, f"the console to say {word}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; it said {said}; its log ends {app.stderr[-10:]}") from None
    return said


def _drain(app: HeadlessScale) -> list[str]:
    out = []
    while not app.lines.empty():
        out.append(app.lines.get())
    return out


WECHAT_PAYCODE = "134567890123456789"  # a customer's WeChat 付款码: 18 digits starting 13


def test_a_paycode_read_by_the_serial_scanner_while_the_qr_shows_pays_the_sale_not_goods_in(system, tmp_path):
    """At the checkout the vendor's one scanner reads the customer's phone: while a payment
    is under way the scan is the 付款码 (the QR order is closed, the sale paid by micropay,
    one ticket), never a goods-in voucher."""
    app = Console(system.edge_config(scanner=True), tmp_path)
    try:
        wait_for(lambda: app.snapshot()["merchant"]["sync_text"] == "已联网", 60, "the scale online")
        assert app.ask("wait 10")[-1].endswith("stable")
        app.ask("plu 1001")
        answer = app.ask("pay wechat")
        words = next(line for line in answer if line.startswith("sale: ")).split()
        trace_code, sale_id = words[1], words[-1]
        _wait_said(app, "showing_qr", 60)

        system.serial_scan(WECHAT_PAYCODE)
        said = _wait_said(app, "付款码", 10)
        assert not any("voucher" in line for line in said), said
        row = system.central.wait_sale(sale_id, "wechat", "paid", timeout_s=60)
        assert row["trace_code"] == trace_code and row["provider_ref"]
        orders = {o["kind"]: o for o in system.gw.orders() if o["order_id"].startswith(trace_code)}
        assert orders["micropay"]["state"] == "paid" and orders["qr"]["state"] != "paid", orders
        system.printer.wait_for_ticket(1, timeout=60)
        wait_for(lambda: app.snapshot()["customer"]["mode"] != "payment", 30, "the payment over")
        # the scan was not kept as a voucher: goods-in still asks for the upstream code
        refused = app.ask("goodsin 1001 cert=GS-JY-2026-300043 kg=5 origin=甘肃榆中 supplier=兰州高原夏菜批发市场")
        assert refused[-1] == "error: 请扫描或输入上游溯源码（进货单或批发市场小票上的追溯码）", refused
        assert app.ask("quit")[-1] == "ok: stopping" and app.proc.wait(60) == 0
        assert len(system.printer.printed) == 1
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.wait(5)
