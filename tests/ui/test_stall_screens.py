"""The vendor's-day popups on the real Kivy window under Xvfb, driven by touches (and a USB
HID scanner typing real X key events), at 800x480 and 1024x600; every screenshot passes
the text-fit check."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from edge.checkout import MARKET_TZ
from edge.store import Store
from tests.ui.targets import small_selling_keys

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHOTS = ("stall-menu", "stall-signin", "stall-price", "stall-goodsin", "stall-report", "customer-own-price",
         "stall-stopped")  # fmt: skip


@pytest.fixture(scope="module", params=("800x480", "1024x600"))
def day(request: pytest.FixtureRequest, xdisplay: dict[str, str], ui_artifacts: Path) -> dict[str, Any]:
    out = ui_artifacts / f"stall-{request.param}"
    done = subprocess.run([sys.executable, str(HERE / "stall_driver.py"), "--out", str(out), "--size", request.param],
                          env=xdisplay, cwd=ROOT, capture_output=True, text=True, timeout=900)  # fmt: skip
    result_file = out / "result.json"
    if not result_file.exists():
        pytest.fail(f"the stall driver wrote no result (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    result["_log"], result["_out"] = (done.stdout + done.stderr)[-4000:], out
    print(f"\nstall screenshots ({request.param}): {out / 'probe'}")
    return result


def test_the_scenario_runs_to_the_end(day: dict[str, Any]) -> None:
    assert day["error"] is None, f"{day['error']}\nsteps: {day['steps'][-6:]}\n{day['_log']}"


def test_every_popup_fits_its_text(day: dict[str, Any]) -> None:
    for name in SHOTS:
        shot = day["shots"][name]
        assert shot["problems"] == [], (name, shot["problems"])


def test_sign_in_by_touch(day: dict[str, Any]) -> None:
    assert day["pin_dots"] == "●●●●"
    assert day["signed_in_message"] == "已登录：王建国（店主）"


def test_own_price_on_both_screens(day: dict[str, Any]) -> None:
    assert day["price_entry"] == "4.50" and day["price_message"] == "白菜 单价改为 4.50 元"
    assert "4.50" in day["shots"]["customer-own-price"]["texts"]["customer_price"]


def test_a_serial_scan_opens_goods_in_with_the_vouchers_code(day: dict[str, Any]) -> None:
    assert day["serial_scan_code"] == "6201000052612030088"  # taken out of the voucher QR's URL


def test_a_hid_scan_with_no_field_focused_reaches_the_scan_handler(day: dict[str, Any]) -> None:
    assert day["typed_slowly_popup"] is False  # a person typing the same keys: not a scan
    assert day["wedge_scan_code"] == "6201000052612030099"  # goods-in opened with the code, as a serial scan
    assert day["wedge_signin_message"] == "已登录：李小红（帮工）"  # an operator card signs in


def test_goods_in_by_the_hid_scanner(day: dict[str, Any]) -> None:
    fields = day["goodsin_fields"]
    assert day["rapid"] == "pass"
    assert (fields["origin"], fields["supplier"]) == ("甘肃榆中", "兰州高原夏菜批发市场")  # from the item's batch
    assert (fields["code"], fields["certificate"], fields["weight"]) == (
        "6201000052612030077", "GS-JY-2026-400077", "20.5")  # fmt: skip
    assert day["goodsin_message"].startswith("进货已登记：批次 620102001-")
    with Store.open(day["_out"] / "edge.db") as store:
        batch = store.get_batch(day["goodsin_message"].split()[-1])
        assert (batch.upstream_code, batch.weight_g, batch.rapid_test) == ("6201000052612030077", 20500, "pass")
        sale = store.last_sale()
        assert sale.operator == "W01" and sale.lines[0].unit_price_fen == 450


def test_day_report_by_method_and_operator(day: dict[str, Any]) -> None:
    assert day["report_methods"].startswith("现金 ")
    assert day["report_operators"].startswith("王建国（W01） 1笔 ")


def test_day_report_shows_the_shift_of_whoever_is_signed_in(day: dict[str, Any]) -> None:
    # 王建国 signed in at the start of the scenario and was still signed in at the 日结
    start = datetime.fromtimestamp(day["shift_started_ms"] / 1000, MARKET_TZ).strftime("%H:%M")
    assert day["report_shifts"] == f"班次  王建国  {start}–在岗"


def test_stop_sale_refuses_the_next_add_and_offers_the_goods_in_batch(day: dict[str, Any]) -> None:
    assert day["stop_message"].startswith(
        "批次 B20261125-1001（白菜）已被市场停售：快检不合格（农药残留超标）。不能再从该批次销售"
    )
    assert day["stop_refusal"].startswith("批次 B20261125-1001（白菜）已被市场停售") and "已改选批次 620102001-" in day[
        "stop_refusal"]  # fmt: skip
    assert day["offered_batch"].startswith("620102001-")  # the batch registered at the scale
    with Store.open(day["_out"] / "edge.db") as store:
        kinds = [e.kind for e in store.events(0, 1000)]
    assert "sale.refused_stopped_batch" in kinds


STALL_KEYS = ("stall_", "op:", "pad:", "signin_", "signout", "price_", "goodsin_")


def test_the_popups_keys_are_at_least_48_px_tall(day: dict[str, Any]) -> None:
    for name in ("stall-menu", "stall-signin", "stall-price", "stall-goodsin"):
        keys = [k for k in day["shots"][name]["targets"] if k["action"].startswith(STALL_KEYS)]
        assert len(keys) >= 3, (name, keys)
        small = [f"{k['action']} {k['w']:.0f}x{k['h']:.0f}" for k in keys if k["h"] < 48]
        assert small == [], f"{name}: keys under 48 px tall: {small}"


def test_the_day_report_popup_keys_are_at_least_48_px_tall(day: dict[str, Any]) -> None:
    targets = day["shots"]["stall-report"]["targets"]
    assert any(k["action"] == "report_close" for k in targets)
    assert small_selling_keys(targets) == []
