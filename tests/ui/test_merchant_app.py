"""The windowed scale app, end to end under Xvfb, at the three supported screen sizes.

Each size runs `ui_driver.py` once (a subprocess: the real merchant window, the real
customer-display process it spawns, a virtual weighing module on a pty, the printer
simulator on TCP) and the tests below assert on what it saw and saved.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from tests.ui.targets import NOT_SELLING, small_selling_keys

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SIZES = ("1024x600", "800x480", "1920x1080")
MERCHANT_SHOTS = (
    "merchant-weighing", "merchant-quantity", "merchant-quantity-pad",
    "merchant-cart", "merchant-search", "merchant-sold", "merchant-report",
    "merchant-batches", "merchant-en", "merchant-idle", "technician-pin", "technician-scale", "technician-software",
)
CUSTOMER_SHOTS = ("customer-weighing", "customer-cart", "customer-paid", "customer-idle")


class ScenarioResult(dict):
    """What the driver saw; a value it never recorded fails with the scenario's own error, not a bare KeyError."""

    def __init__(self, values: dict[str, Any], error: str | None = None, steps: list[str] | None = None) -> None:
        super().__init__(values)
        self.error = values.get("error", error)
        self.steps = values.get("steps", steps or [])

    def __missing__(self, key: str) -> Any:
        pytest.fail(f"the UI scenario recorded no {key!r}; it stopped with: {self.error}\n"
                    f"last steps: {self.steps[-5:]}")


def run_driver(env: dict[str, str], out: Path, size: str, scenario: str = "sale",
               script: str = "ui_driver.py") -> dict[str, Any]:  # fmt: skip
    done = subprocess.run(
        [sys.executable, str(HERE / script), "--out", str(out), "--size", size, "--scenario", scenario],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,  # a loaded CI machine draws slowly
    )
    (out / "driver.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    result_file = out / "result.json"
    if not result_file.exists():
        pytest.fail(f"the UI driver wrote no result (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result = ScenarioResult(json.loads(result_file.read_text(encoding="utf-8")))
    result["shots"] = ScenarioResult(result["shots"], error=result["error"], steps=result["steps"])
    result["_log"] = (done.stdout + done.stderr)[-4000:]
    result["_out"] = str(out)
    return result


@pytest.fixture(scope="module", params=SIZES)
def sale(request: pytest.FixtureRequest, xdisplay: dict[str, str], ui_artifacts: Path) -> dict[str, Any]:
    size = request.param
    result = run_driver(xdisplay, ui_artifacts / f"sale-{size}", size)
    result["_size"] = size
    print(f"\nUI screenshots ({size}): {ui_artifacts / f'sale-{size}' / 'probe'}")
    return result


def test_the_scenario_runs_to_the_end(sale: dict[str, Any]) -> None:
    assert sale["error"] is None, f"{sale['error']}\nsteps: {sale['steps'][-5:]}\n{sale['_log']}"


def test_the_live_weight_of_the_simulator_is_on_screen(sale: dict[str, Any]) -> None:
    assert sale["weight_label"] == "1.235"


def test_a_sale_made_by_touch_prints_its_ticket(sale: dict[str, Any]) -> None:
    assert [line[0] for line in sale["cart"]] == ["白菜", "鸡蛋（盒装10枚）", "猪五花肉"]
    # 1.235 kg x 3.98 = 4.9153 -> 4.92; 3 x 15.00 (the + key twice); 0.755 kg x 32.80 = 24.764 -> 24.76
    assert [line[2] for line in sale["cart"]] == ["4.92", "45.00", "24.76"]
    assert sale["cart"][1][1].startswith("3 件")
    assert sale["total_text"] == "74.68" and sale["total_label"] == "¥ 74.68"
    text = sale["ticket"]["txt"]
    for expected in ("白菜", "1.235kg", "鸡蛋", "猪五花肉", "0.755kg", "74.68", "甘肃榆中"):
        assert expected in text
    assert "西红柿" not in text  # voided
    assert "重打" in sale["reprint"]
    [qr] = zxingcpp.read_barcodes(Image.open(sale["ticket"]["png"]))
    assert qr.text.startswith("http://127.0.0.1:8080/t/620102001")
    assert "74.68" in sale["message_after_sale"]


def test_search_by_pinyin_initials_on_the_screen_keyboard(sale: dict[str, Any]) -> None:
    assert sale["search"][0] == "白菜"


def test_the_daily_report_shows_the_day(sale: dict[str, Any]) -> None:
    assert sale["report_total"] == "74.68"


def test_the_customer_display_shows_the_merchants_numbers(sale: dict[str, Any]) -> None:
    follow = sale["follow"]
    assert follow["customer_weight"] == f"{follow['merchant_weight']} kg"
    assert follow["customer_amount"] == follow["merchant_amount"] == f"¥ {follow['item_amount_text']}"
    assert sale["customer_paid_total"] == sale["total_label"]


def test_the_technician_screen_shows_software_id_and_raw_frames(sale: dict[str, Any]) -> None:
    from edge.software_id import software_id

    assert sale["technician"]["software_id"] == str(software_id())
    frame = bytes.fromhex(sale["technician"]["frames"].replace(" ", ""))
    assert frame.endswith(b"kg\r\n")  # an MT-SICS weight reply, as the module sent it


@pytest.mark.parametrize("name", MERCHANT_SHOTS + CUSTOMER_SHOTS)
def test_screenshots_have_no_clipped_or_overlapping_text(sale: dict[str, Any], name: str) -> None:
    shot = sale["shots"].get(name)
    assert shot is not None, f"no screenshot {name} (scenario stopped early: {sale['error']})"
    assert shot["problems"] == [], "\n".join(shot["problems"])
    image = Image.open(shot["png"])
    assert image.size == tuple(int(x) for x in sale["_size"].split("x"))
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the screenshot is (nearly) blank"


def test_piece_quantities_by_plus_key_and_number_pad(sale: dict[str, Any]) -> None:
    assert sale["quantity_label"] == "3 件" and sale["quantity_amount"] == "¥ 45.00"
    assert sale["pad_quantity"] == [12, "180.00"]  # 12 x 15.00 (JSON: a list)
    quantity, message = sale["pad_refused"]
    assert quantity == 12 and "1 到 999" in message  # 1000 typed: refused, the count stays


def test_the_cart_counts_lines_in_pieces_not_as_a_total(sale: dict[str, Any]) -> None:
    texts = sale["shots"]["merchant-cart"]["texts"]
    assert texts["cart_count"] == "3 件" and texts["total"] == "¥ 74.68"


SELLING_SHOTS = ("merchant-weighing", "merchant-quantity", "merchant-quantity-pad", "merchant-cart",
                 "merchant-search", "merchant-sold", "merchant-batches", "merchant-en")


@pytest.mark.parametrize("name", SELLING_SHOTS)
def test_every_selling_key_is_at_least_48_px_tall(sale: dict[str, Any], name: str) -> None:
    targets = [k for k in sale["shots"][name]["targets"] if k["action"] not in NOT_SELLING]
    assert len(targets) >= 10, targets  # the check saw the keys
    small = small_selling_keys(targets)
    assert small == [], f"keys under 48 px tall at {sale['_size']}: {small}"


def test_payment_keys_are_as_tall_as_the_cash_key_and_cart_text_is_readable(sale: dict[str, Any]) -> None:
    shot = sale["shots"]["merchant-cart"]
    height = {k["action"]: k["h"] for k in shot["targets"]}
    for key in ("pay:wechat", "pay:alipay", "pay:unionpay", "paycode"):
        assert height[key] >= height["checkout"], (key, height)
    assert not any(k["disabled"] for k in shot["targets"] if k["action"].startswith("pay"))  # a cart: all usable
    caption = {k["action"]: k["text"] for k in shot["targets"]}
    assert caption["checkout"] == "现金" and caption["pay:wechat"] == "微信"  # as the README names them
    details = {k: v for k, v in shot["fonts"].items() if k.startswith("cart_detail:")}
    assert len(details) == 3 and min(details.values()) >= 14, details
