"""The customer display process on its own, fed by a real `CustomerPublisher`.

Every mode is drawn at every screen size and checked for clipped or overlapping text;
the payment QR on the screenshot is decoded; the display waits for and reconnects to
a restarted merchant app.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from edge.ui.customer_link import CustomerPublisher
from edge.ui.model.views import CartLineView, CustomerView

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SIZES = ("1024x600", "800x480", "1920x1080")
PAY_URL = "https://pay.example.cn/qr/2026112600015?amount=3492"

LINES = (
    CartLineView(0, "白菜", "1.235 kg × 3.98 元/kg", "4.92"),
    CartLineView(1, "鸡蛋（盒装10枚）", "2 件 × 15.00 元/件", "30.00"),
    CartLineView(2, "猪五花肉", "0.755 kg × 32.80 元/kg", "24.76"),
)
BASE = {"market_name": "兰州市城关区张掖路农贸市场", "stall": "A-12", "merchant_name": "老王蔬菜"}
TICKET_URL = "https://trace.example.cn/t/62010200126120300012"
WEIGH = {"mode": "weighing", "item_name": "白菜", "origin": "甘肃榆中", "unit_price_text": "3.98 元/kg",
         "price_per_500g_text": "1.99 元/500g", "stable": True, "sellable": True, **BASE}  # fmt: skip
VIEWS = {
    "idle": CustomerView(**BASE),
    "weighing": CustomerView(weight_text="1.235", amount_text="4.92", **WEIGH),
    "weighing-cart": CustomerView(mode="weighing", weight_text="12.345", item_name="牛腱子（精选）",
                                  origin="甘肃张掖市甘州区", unit_price_text="86.00 元/kg", amount_text="1061.67",
                                  price_per_500g_text="43.00 元/500g", stable=True, sellable=True,
                                  lines=LINES, total_text="59.68", **BASE),
    # the vendor saw yellow "重量不稳定": the customer sees the same, greyed, with the reason
    "weighing-unstable": CustomerView(weight_text="0.005", amount_text="0.02",
                                      **{**WEIGH, "stable": False, "sellable": False, "blocked_text": "未稳定"}),
    "weighing-below-min": CustomerView(weight_text="0.050", amount_text="0.20",
                                       **{**WEIGH, "sellable": False, "blocked_text": "低于最小称量"}),
    "weighing-tare": CustomerView(weight_text="1.235", amount_text="4.92", net=True, tare_text="0.120", **WEIGH),
    "weighing-zero": CustomerView(weight_text="0.000", zero=True, **{**WEIGH, "sellable": False}),
    "weighing-piece": CustomerView(mode="weighing", item_name="鸡蛋（盒装10枚）", unit_price_text="15.00 元/件",
                                   pricing="piece", quantity_text="2 件", amount_text="30.00", weight_text="0.000",
                                   zero=True, stable=True, sellable=True, **BASE),
    "cart": CustomerView(mode="cart", lines=LINES, total_text="59.68", **BASE),
    "payment": CustomerView(mode="payment", lines=LINES, total_text="59.68", qr_content=PAY_URL,
                            qr_amount_text="59.68", countdown_s=87, pay_method="wechat", pay_method_name="微信",
                            **BASE),
    "payment-alipay": CustomerView(mode="payment", lines=LINES, total_text="59.68", qr_content=PAY_URL,
                                   qr_amount_text="59.68", countdown_s=87, pay_method="alipay",
                                   pay_method_name="支付宝", **BASE),
    "payment-unionpay": CustomerView(mode="payment", qr_content=PAY_URL, qr_amount_text="4.92", countdown_s=30,
                                     pay_method="unionpay", pay_method_name="云闪付", **BASE),
    "paid": CustomerView(mode="paid", lines=LINES, total_text="59.68", **BASE),
    "paid-e-ticket": CustomerView(mode="paid", lines=LINES, total_text="59.68", ticket_url=TICKET_URL,
                                  ticket_code_text="620102 001 261203 0001 2", ticket_s=28, **BASE),
    "weighing-en": CustomerView(mode="weighing", weight_text="0.480", item_name="Tomato", origin="Wuwei, Gansu",
                                unit_price_text="6.98 CNY/kg", amount_text="3.35", lang="en", stable=True,
                                sellable=True, **BASE),
    "weighing-en-unstable": CustomerView(mode="weighing", weight_text="0.480", item_name="Tomato",
                                         unit_price_text="6.98 CNY/kg", amount_text="3.35", lang="en",
                                         blocked_text="Not stable", **BASE),
}  # fmt: skip
WALLET_RGB = {"wechat": (7, 193, 96), "alipay": (22, 119, 255), "unionpay": (230, 0, 18)}
GREEN_RGB = (89, 255, 115)  # widgets.WEIGHT_STABLE: a sellable weight and amount


def _pixels_near(png: str, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    image = Image.open(png).convert("RGB")
    return sum(1 for p in image.getdata() if all(abs(a - b) <= tolerance for a, b in zip(p, rgb, strict=True)))


class Display:
    """The customer-display process and the publisher it follows."""

    def __init__(self, env: dict[str, str], out: Path, size: str) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.probe = out / "probe"
        run_dir = Path(tempfile.mkdtemp(prefix="ts-cd-"))  # short path for the Unix socket
        self.socket = run_dir / "customer.sock"
        config = out / "edge.toml"
        config.write_text(
            f'[display]\ncustomer_size = "{size}"\ncustomer_position = "0,0"\ncustomer_socket = "{self.socket}"\n',
            encoding="utf-8",
        )
        self.publisher = CustomerPublisher(self.socket).start()
        self.seq = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge", "customer-display", "--config", str(config)],
            env={**env, "TRACE_UI_PROBE": str(self.probe)}, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

    def events(self) -> list[dict[str, Any]]:
        path = self.probe / "customer.jsonl"
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):  # a line being written
                out.append(json.loads(line))
        return out

    def wait(self, what: str, predicate: Callable[[], bool], timeout: float = 60) -> None:
        """Generous: a loaded 2-core CI machine draws slowly; a met condition returns at once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                pytest.fail(f"the customer display exited ({self.proc.returncode}): {self.proc.stdout.read()}")
            time.sleep(0.05)
        pytest.fail(f"timed out waiting for {what}")

    def show(self, view: CustomerView) -> dict[str, Any]:
        self.seq += 1
        seq = self.seq
        before = len(self.events())  # a restarted publisher counts seq from 1 again: look at new lines only

        def drawn() -> list[dict[str, Any]]:
            return [e for e in self.events()[before:] if e.get("event") == "render" and e.get("seq") == seq]

        self.publisher.publish(CustomerView(**{**view.__dict__, "seq": seq}))
        self.wait(f"snapshot {seq} drawn", lambda: bool(drawn()))
        return drawn()[0]

    def shot(self, name: str) -> dict[str, Any]:
        report = self.probe / f"{name}.layout.json"
        (self.probe / f"customer.cmd-{name}").write_text("shot", encoding="utf-8")
        self.wait(f"screenshot {name}", report.exists)  # written whole (renamed into place)
        return json.loads(report.read_text(encoding="utf-8"))

    def close(self) -> None:
        (self.probe / "customer.cmd-quit").write_text("quit", encoding="utf-8")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.publisher.stop()
        shutil.rmtree(self.socket.parent, ignore_errors=True)


@pytest.fixture
def display(xdisplay: dict[str, str], ui_artifacts: Path) -> Iterator[Callable[[str], Display]]:
    opened: list[Display] = []

    def open_display(size: str) -> Display:
        out = Path(tempfile.mkdtemp(prefix=f"customer-{size}-", dir=ui_artifacts))
        opened.append(Display(xdisplay, out, size))
        return opened[-1]

    yield open_display
    for d in opened:
        d.close()


@pytest.mark.parametrize("size", SIZES)
def test_every_mode_is_drawn_without_clipped_or_overlapping_text(display: Callable[[str], Display], size: str) -> None:
    d = display(size)
    d.wait("connected to the publisher", lambda: d.publisher.client_count == 1)
    for name, view in VIEWS.items():
        d.show(view)
        shot = d.shot(f"customer-{name}")
        assert shot["problems"] == [], f"{name}: " + "\n".join(shot["problems"])
        assert shot["size"] == [int(x) for x in size.split("x")]
        _check_drawn(name, view, shot["texts"], shot["png"])


def _check_drawn(name: str, view: CustomerView, texts: dict[str, str], png: str) -> None:
    if view.mode == "weighing":
        if view.pricing == "piece":
            assert texts["customer_weight"] == view.quantity_text  # not 重量 0.000 kg
        else:
            assert texts["customer_weight"] == f"{view.weight_text} kg"
        assert texts["customer_amount"] == (f"¥ {view.amount_text}" if view.amount_text else "")
        assert texts["customer_price"] == view.unit_price_text
        assert texts["customer_price_500g"] == view.price_per_500g_text
        assert texts["customer_blocked"] == ("" if view.sellable else view.blocked_text)
        assert texts["customer_tare"] == (f"皮重 {view.tare_text} kg" if view.tare_text else "")
        green = _pixels_near(png, GREEN_RGB)
        if view.sellable and view.amount_text:
            assert green > 2000, f"{name}: a sellable weight is drawn green ({green} px)"
        elif not view.lines:
            assert green < 50, f"{name}: an unsellable weight must be grey, {green} green px"
    if view.mode == "payment":
        [qr] = zxingcpp.read_barcodes(Image.open(png))
        assert qr.text == PAY_URL
        assert texts["customer_pay_amount"] == f"¥ {view.qr_amount_text}"
        assert str(view.countdown_s) in texts["customer_countdown"]
        assert texts["customer_wallet"] == view.pay_method_name
        assert texts["customer_pay_prompt"] == f"请用{view.pay_method_name}扫码支付"
        wallet = _pixels_near(png, WALLET_RGB[view.pay_method])
        assert wallet > 3000, f"{name}: the wallet's colour frames the QR ({wallet} px)"
    if view.mode == "paid":
        assert "支付成功" in texts["customer_paid"]
        codes = zxingcpp.read_barcodes(Image.open(png))
        if view.ticket_url:
            assert [c.text for c in codes] == [TICKET_URL]  # the 电子小票: the paper ticket's URL
            assert texts["customer_e_ticket"] == "扫码取电子小票"
            assert texts["customer_ticket_code"] == view.ticket_code_text and "28" in texts["customer_ticket_left"]
        else:
            assert codes == []


def test_the_display_waits_for_the_scale_and_reconnects(display: Callable[[str], Display]) -> None:
    d = display("800x480")
    d.wait("connected", lambda: d.publisher.client_count == 1)
    d.show(VIEWS["weighing"])
    d.publisher.stop()  # the merchant app goes away
    d.wait("link down drawn", lambda: any(e.get("event") == "link" and not e["connected"] for e in d.events()))
    waiting = d.shot("customer-waiting")
    assert waiting["problems"] == []
    assert "等待" in waiting["texts"]["customer_welcome"] and waiting["texts"]["customer_stall"] == "A-12"
    d.publisher = CustomerPublisher(d.socket).start()  # the merchant app restarts: seq counts from 1 again
    d.seq = 0
    d.wait("reconnected", lambda: d.publisher.client_count == 1)
    drawn = d.show(VIEWS["weighing-en"])
    assert drawn["weight"] == "0.480 kg" and drawn["amount"] == "¥ 3.35"
