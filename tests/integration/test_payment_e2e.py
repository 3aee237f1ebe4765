"""Payment as a product, end to end with every part real (docs/payment.md).

Central (`central serve` with its key, HTTP and public URL) behind Mosquitto with the
project's ACL, the payment gateway simulator, the simulated weighing module and ticket
printer, and the scale app: the Kivy windows under Xvfb driven by touch, or
``edge run --headless`` driven by its console. The customer pays by scanning what the
customer screen shows; the ticket prints once, its QR leads to the trace page, central's
sales row ends paid by the provider, and the day's reconciliation finds nothing wrong.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.core.records import Payment, PaymentMethod, PaymentStatus
from edge.store import Store
from tests.integration.central_support import wait_for
from tests.integration.payment_support import ORIGIN_1001, PaymentSystem, decode_qr
from tests.integration.payment_ui_driver import PAYCODE_OPEN, RELEASE, VENDOR_SAW_QR
from tests.integration.test_headless_app import HeadlessScale
from tests.ui.conftest import ui_artifacts, xdisplay  # noqa: F401  (fixtures: Xvfb display, screenshot folder)
from tests.ui.targets import small_selling_keys

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
WECHAT_PAYCODE = "134567890123456789"  # a customer's WeChat 付款码: 18 digits starting 13
TOTAL_FEN = 492  # every sale here: 1.235 kg of 白菜 at 3.98 元/kg = 4.9153 → 4.92 元


@pytest.fixture
def system(tmp_path: Path, mosquitto: Callable[..., Any]) -> Iterator[PaymentSystem]:
    s = PaymentSystem(tmp_path, mosquitto)
    try:
        yield s
    finally:
        s.close()


def check_ticket_and_central(system: PaymentSystem, sale_id: str, trace_code: str, method: str, n: int) -> dict:
    """The n-th ticket is this sale's and leads to its trace page; central ends with the sale paid."""
    ticket = system.printer.wait_for_ticket(n, timeout=60)
    url = decode_qr(ticket.png)
    assert url == f"{system.central.url}/t/{trace_code}"
    row = system.central.wait_sale(sale_id, method, "paid")
    assert row["trace_code"] == trace_code and row["provider_ref"] and row["total_fen"] == TOTAL_FEN
    status, page = system.central.get(f"/t/{trace_code}")  # the customer's phone opens the ticket's QR
    assert status == 200 and ORIGIN_1001 in page and "白菜" in page
    return row


def assert_reconciled(system: PaymentSystem, day: str, sales: dict[str, tuple[str, int]]) -> None:
    """``payments reconcile`` lists nothing wrong; each provider's paid orders add up to our sales."""
    report = system.central.reconcile(day)
    assert report["mismatches"] == [] and report["clean"], report
    totals = {t["method"]: t for t in report["totals"]}
    for method in {m for m, _ in sales.values()}:
        fen = sum(total for m, total in sales.values() if m == method)
        count = sum(1 for m, _ in sales.values() if m == method)
        assert (totals[method]["orders_paid"], totals[method]["paid_fen"], totals[method]["sales_fen"]) == (
            count, fen, fen), totals[method]  # fmt: skip


# --- the windowed scale -------------------------------------------------------------------------------


class CustomerProbe:
    """The customer display's probe files: what it drew, and screenshots on request."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def renders(self) -> list[dict[str, Any]]:
        path = self.dir / "customer.jsonl"
        records = []
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
            with contextlib.suppress(ValueError):  # a line being written
                records.append(json.loads(line))
        return [r for r in records if r.get("event") == "render"]

    def mode(self) -> str:
        renders = self.renders()
        return renders[-1]["mode"] if renders else ""

    def shot(self, name: str) -> dict[str, Any]:
        report = self.dir / f"{name}.layout.json"
        (self.dir / f"customer.cmd-{name}").write_text("shot", encoding="utf-8")

        def written() -> bool:
            with contextlib.suppress(OSError, ValueError):
                return bool(json.loads(report.read_text(encoding="utf-8")))
            return False

        wait_for(written, 60, f"customer screenshot {name}")
        return json.loads(report.read_text(encoding="utf-8"))


def test_vendor_taps_wechat_customer_scans_the_screen_and_the_ticket_prints(
    system: PaymentSystem,
    xdisplay: dict[str, str],  # noqa: F811
    ui_artifacts: Path,  # noqa: F811
) -> None:
    out = ui_artifacts / "payment-e2e"
    print(f"\npayment screenshots: {out / 'probe'}")
    config = system.edge_config('size = "800x480"\ncustomer_size = "800x480"\ncustomer_position = "0,0"', scanner=True)
    driver = subprocess.Popen(
        [sys.executable, str(HERE / "payment_ui_driver.py"), "--config", str(config), "--out", str(out)],
        env=xdisplay, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(driver.stdout or ()), daemon=True).start()
    probe = CustomerProbe(out / "probe")

    def showing_qr() -> bool:
        if driver.poll() is not None:
            result = out / "result.json"
            said = result.read_text(encoding="utf-8") if result.exists() else "".join(log[-40:])
            raise AssertionError(f"the UI driver stopped before the QR was shown:\n{said}")
        return probe.mode() == "payment"

    try:
        wait_for(showing_qr, 60, "the payment QR on the customer display")
        shot = probe.shot("customer-qr")
        assert shot["problems"] == [], shot["problems"]
        texts = shot["texts"]
        assert texts["customer_pay_amount"] == "¥ 4.92"
        assert any(ch.isdigit() for ch in texts["customer_countdown"]), texts["customer_countdown"]
        qr_content = decode_qr(shot["png"])
        assert qr_content.startswith("weixin://wxpay/bizpayurl?pr="), qr_content
        [order] = system.gw.orders()  # the order central opened at the provider for this sale
        assert (order["state"], order["amount_fen"], order["qr_content"]) == ("open", TOTAL_FEN, qr_content)

        wait_for((out / VENDOR_SAW_QR).exists, 60, "the merchant screen shot with the QR up")
        system.gw.scan(qr_content, action="pay")  # the customer's phone

        wait_for(lambda: probe.mode() == "paid", 60, "支付成功 on the customer display")
        assert "支付成功" in probe.shot("customer-paid")["texts"]["customer_paid"]
        system.printer.wait_for_ticket(1, timeout=60)

        # the next customer shows a 付款码: the vendor's serial scanner reads it into the open entry
        wait_for((out / PAYCODE_OPEN).exists, 60, "the 付款码 entry open on the merchant screen")
        system.serial_scan(WECHAT_PAYCODE)
        system.printer.wait_for_ticket(2, timeout=60)
        micropays = [o for o in system.gw.orders() if o["kind"] == "micropay"]
        assert [(o["state"], o["amount_fen"]) for o in micropays] == [("paid", TOTAL_FEN)], micropays
        (out / RELEASE).touch()
        assert driver.wait(60) == 0, "".join(log[-40:])
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait(10)
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["error"] is None, f"{result['error']}\nsteps: {result['steps'][-5:]}\n" + "".join(log[-40:])
    assert result["item_amount_text"] == "4.92" and "showing_qr" in result["stages"]
    assert "4.92" in result["message_paid"] and "已收款" in result["message_paid"]
    assert result["goodsin_popups"] == [] and "已收款" in result["message_paycode"], result["message_paycode"]
    assert all(result["shots"][name]["problems"] == [] for name in ("merchant-qr", "merchant-paid"))
    # while the QR is up the vendor still sees the sale being paid and the seconds left
    shown = result["shots"]["merchant-qr"]["texts"]
    assert shown["cart_count"] == "1 件" and shown["cart_amount:0"] == "4.92" and shown["total"] == "¥ 4.92"
    assert shown["payment_title"].startswith("剩余 ") and shown["payment_title"].endswith(" 秒")  # the QR's seconds
    targets = result["shots"]["merchant-qr"]["targets"]
    small = small_selling_keys(targets)
    assert small == [], small

    with Store.open(system.tmp / "edge.db") as store:
        by_paycode, by_qr = store.recent_sales(2)  # newest first
        assert store.pending_print_jobs() == []
    for n, sale in enumerate((by_qr, by_paycode), 1):
        assert sale.total_fen == TOTAL_FEN and sale.printed
        assert sale.payment.method is PaymentMethod.WECHAT and sale.payment.status is PaymentStatus.PAID
        row = check_ticket_and_central(system, sale.sale_id, sale.trace_code, "wechat", n)
        assert row["provider_ref"] == sale.payment.provider_ref
    [micropay] = [o for o in system.gw.orders() if o["kind"] == "micropay"]
    assert micropay["order_id"].startswith(by_paycode.trace_code)
    assert_reconciled(system, row["local_date"], {s.sale_id: ("wechat", TOTAL_FEN) for s in (by_qr, by_paycode)})
    assert len(system.printer.printed) == 2  # the app has stopped: exactly one ticket for each sale


# --- the headless scale ---------------------------------------------------------------------------------


class PayingConsole(HeadlessScale):
    """`edge run --headless` on the system's edge.toml, driven through HeadlessScale's console."""

    def __init__(self, system: PaymentSystem) -> None:  # the hardware is the system's; not super().__init__
        self.tmp, self.scale, self.link = system.tmp, system.scale, system.link
        self.printer, self.server = system.printer, system.printer_server
        self.config = system.edge_config()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge", "run", "--config", str(self.config), "--headless"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            cwd=self.tmp, bufsize=1,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.notes: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True).start()

    def customer(self) -> dict[str, Any]:
        return self.snapshot()["customer"]

    def sold(self, answer: list[str]) -> tuple[str, str]:
        """(trace_code, sale_id) from a ``sale: CODE seq N total_fen F id ID`` line."""
        words = next(line for line in answer if line.startswith("sale: ")).split()
        return words[1], words[-1]


@pytest.fixture
def console(system: PaymentSystem) -> Iterator[PayingConsole]:
    app = PayingConsole(system)
    try:
        # a payment asked for before the link is up would go the offline way (cash / static code)
        wait_for(lambda: app.snapshot()["merchant"]["sync_text"] == "已联网", 60, "the scale to connect to the broker")
        yield app
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.wait(5)


def test_headless_wechat_and_alipay_qr_and_a_paycode_each_print_once_and_reconcile(
    system: PaymentSystem, console: PayingConsole
) -> None:
    assert console.ask("wait 10")[-1] == "ok: 1.235 kg stable"
    sales: dict[str, tuple[str, int]] = {}
    for n, (method, prefix) in enumerate((("wechat", "weixin://wxpay/"), ("alipay", "https://qr.alipay.com/")), 1):
        assert console.ask("plu 1001")[-1].startswith("ok: 1001 白菜")
        answer = console.ask(f"pay {method}")
        trace_code, sale_id = console.sold(answer)
        wait_for(lambda: console.customer()["mode"] == "payment", 60, f"the {method} QR on the customer screen")
        shown = console.customer()
        assert shown["qr_amount_text"] == "4.92" and shown["qr_content"].startswith(prefix), shown
        assert len(system.printer.printed) == n - 1  # no ticket before the money arrives
        system.gw.scan(shown["qr_content"], action="pay")
        # "paid" stays on the customer screen for a few seconds only: look first
        wait_for(lambda: console.customer()["mode"] == "paid", 60, "paid on the customer screen")
        check_ticket_and_central(system, sale_id, trace_code, method, n)
        # the console said so by itself: the QR, the money, the ticket
        assert console.wait_note("note: payment showing_qr").startswith(f"note: payment showing_qr {method} 4.92")
        assert console.wait_note("小票打印中") == "note: 已收款 4.92 元，小票打印中"
        assert console.wait_note("ticket printed") == f"note: 1 ticket printed ({n} since start)"
        console.notes.clear()
        sales[sale_id] = (method, TOTAL_FEN)

    # the customer shows a 付款码 that asks for a password first (central polls until paid)
    system.gw.set_behaviour(micropay="userpaying_then_pay")
    console.ask("plu 1001")
    answer = console.ask(f"paycode {WECHAT_PAYCODE}")
    trace_code, sale_id = console.sold(answer)
    row = check_ticket_and_central(system, sale_id, trace_code, "wechat", 3)
    sales[sale_id] = ("wechat", TOTAL_FEN)
    [micropay] = [o for o in system.gw.orders() if o["order_id"].startswith(trace_code)]
    assert (micropay["kind"], micropay["state"], micropay["amount_fen"]) == ("micropay", "paid", TOTAL_FEN)
    assert micropay["queries"] >= 2  # still paying on the first query, paid on the second

    assert_reconciled(system, row["local_date"], sales)
    assert console.ask("quit")[-1] == "ok: stopping" and console.proc.wait(60) == 0
    assert len(system.printer.printed) == 3  # one ticket per sale, none twice
    with Store.open(system.tmp / "edge.db") as store:
        for sale_id, (method, total) in sales.items():
            sale = store.get_sale(sale_id)
            assert sale is not None and sale.printed and sale.total_fen == total
            assert (sale.payment.method.value, sale.payment.status) == (method, PaymentStatus.PAID)
            assert sale.payment == Payment(PaymentMethod(method), PaymentStatus.PAID, sale.payment.provider_ref)
