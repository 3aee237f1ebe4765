"""The vendor's-day scenario on the real Kivy window (see ui_driver.py for the rig).

    python tests/ui/stall_driver.py --out DIR --size 800x480

店务 -> 登录 (tap the name, the PIN on the pad) -> 调价 on the pad (the customer screen
shows the new price) -> 进货登记 with the voucher code typed by a USB HID scanner (real X
key events, xdotool) -> a sale -> 日结 by payment method, by operator and the shifts (班次). Screenshots of
every popup go through the layout check. Last, the HID scanner with no field focused
(a voucher opens goods-in, a card signs in; the same code typed slowly does nothing); DIR/result.json has what was seen.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulator.pty import LinkedPty  # noqa: E402
from simulator.scanner.device import hid_type, serial_frame  # noqa: E402
from tests.ui.ui_driver import Driver, Rig, Wait, _label  # noqa: E402

VOUCHER = "6201000052612030077"
SERIAL_VOUCHER = "https://trace.example.cn/q?code=6201000052612030088"
WEDGE_VOUCHER = "6201000052612030099"  # scanned with no field focused
HELPER_CARD = "8613000000002"  # 李小红's card (examples/operators.json)
SEED_BATCH = "B20261125-1001"  # examples/catalog.json's batch of 白菜
STOP_REASON = "快检不合格（农药残留超标）"


class StallDriver(Driver):
    scanner: LinkedPty  # the serial scanner's pty (set by main)

    def hid(self, text: str, delay_ms: int = 4) -> Iterator[Any]:
        """The HID scanner types ``text`` + Enter (on a thread: the Kivy loop must keep running);
        ``delay_ms=300``: a person typing it."""
        done = threading.Event()
        threading.Thread(target=lambda: (hid_type(text, focus_pid=os.getpid(), delay_ms=delay_ms), done.set()),
                         daemon=True).start()  # fmt: skip
        yield Wait(f"scanner typed {text}", done.is_set, 20)
        yield 0.2

    def central_stops(self, batch_id: str, reason: str) -> Iterator[Any]:
        """What the sync service does with central's stop-sale document: store it, reload."""
        model = self.app.model
        store = model.store
        batches = [b for b in store.active_batches() if b.batch_id.startswith("B")]  # central's (the seed's)
        stopped = [dataclasses.replace(b, active=False, stop_reason=reason) if b.batch_id == batch_id else b
                   for b in batches]  # fmt: skip
        self.app.runner.run(lambda: (store.replace_batches(stopped, store.batches_version() + 1),
                                     model.reload_catalog()))  # fmt: skip
        yield from self.settle()

    def popup_text(self, test_id: str) -> str | None:
        popup = self.app.merchant.popup
        return _label(popup, test_id) if popup is not None else None

    def sale(self) -> Iterator[Any]:  # the scenario this driver runs
        app, r = self.app, self.result
        screen = app.merchant
        yield Wait("live weight 1.235", lambda: screen.weight.weight.text == "1.235", 20)

        # 实名登录: 店务 -> 登录 -> tap the name, PIN on the pad, 登录
        yield from self.tap("stall")
        yield Wait("the stall menu", lambda: self.find("stall_signin") is not None)
        yield from self.shoot("stall-menu")
        yield from self.tap("stall_signin")
        yield Wait("the sign-in form", lambda: self.find("signin_ok") is not None)
        yield from self.tap("op:W01")
        for digit in "1234":
            yield from self.tap(f"pad:{digit}")
        r["pin_dots"] = self.popup_text("pin_dots")
        yield from self.shoot("stall-signin")
        yield from self.tap("signin_ok")
        yield Wait("signed in: the stall key names 王建国", lambda: screen.status.stall.text == "王建国")
        r["signed_in_message"] = self.view.message
        r["shift_started_ms"] = app.model.store.open_shift()["started_ms"]

        # 调价: the selected item's own price on the pad; the customer screen follows
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 selected", lambda: self.view.item is not None and self.view.item.plu == "1001")
        yield from self.tap("stall")
        yield from self.tap("stall_price")
        yield Wait("the price form", lambda: self.find("price_ok") is not None)
        for ch in "4.50":
            yield from self.tap(f"pad:{ch}")
        r["price_entry"] = self.popup_text("price_entry")
        yield from self.shoot("stall-price")
        yield from self.tap("price_ok")
        yield Wait("白菜 at 4.50", lambda: self.view.item is not None and "4.50" in self.view.item.unit_price_text)
        r["price_message"] = self.view.message
        yield from self.shoot_customer("customer-own-price")

        # 进货登记: the HID scanner types the voucher code into the focused field, Enter moves on
        yield from self.tap("stall")
        yield from self.tap("stall_goodsin")
        yield Wait("the goods-in form", lambda: self.find("goodsin_ok") is not None)
        form = screen.popup.children[0]
        yield from self.hid(VOUCHER)
        yield Wait(
            "the code typed in, the certificate field focused",
            lambda: form.inputs["code"].text == VOUCHER and form.inputs["certificate"].focus,
        )
        yield from self.hid("GS-JY-2026-400077")
        yield from self.hid("20.5")
        yield from self.tap("goodsin_rapid")
        r["goodsin_fields"] = {name: field.text for name, field in form.inputs.items()}
        yield from self.shoot("stall-goodsin")
        r["rapid"] = form.rapid
        yield from self.tap("goodsin_ok")
        yield Wait("goods-in registered", lambda: "进货已登记" in self.view.message)
        r["goodsin_message"] = self.view.message

        # a sale by the signed-in vendor, then 日结 with the per-method and per-operator split
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 with an amount", lambda: self.view.item is not None and self.view.item.amount_text
                   and self.view.weight.stable)  # fmt: skip
        yield from self.tap("add")
        yield Wait("one line", lambda: len(self.view.cart) == 1)
        yield from self.tap("checkout")
        yield Wait("sold", lambda: not self.view.cart and "已结算" in self.view.message)
        yield from self.settle()
        yield from self.tap("report")
        yield Wait("the report", lambda: self.popup_text("report_total") is not None)
        r["report_methods"] = self.popup_text("report_methods")
        r["report_operators"] = self.popup_text("report_operators")
        r["report_shifts"] = self.popup_text("report_shifts")
        yield from self.shoot("stall-report")
        yield from self.tap("report_close")
        yield from self.settle()

        # stop-sale: 白菜 on the scale from the seed batch; central's document stops that batch
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 from the seed batch", lambda: self.view.item is not None
                   and self.view.item.batch_id == SEED_BATCH and self.view.weight.stable)  # fmt: skip
        yield from self.central_stops(SEED_BATCH, STOP_REASON)
        yield Wait("the stop-sale said at once", lambda: "停售" in self.view.message)
        r["stop_message"] = self.view.message
        yield from self.shoot("stall-stopped")
        yield from self.tap("add")
        yield Wait("累计 refused", lambda: self.view.message.startswith(f"批次 {SEED_BATCH}") and not self.view.cart)
        r["stop_refusal"] = self.view.message
        r["offered_batch"] = self.view.item.batch_id if self.view.item else ""
        yield from self.tap("add")
        yield Wait("累计 from the next batch", lambda: len(self.view.cart) == 1)
        yield from self.tap("cancel")
        yield from self.settle()

        # a serial scanner's voucher opens the goods-in form with its code
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 selected", lambda: self.view.item is not None and self.view.item.plu == "1001")
        os.write(self.scanner.master, serial_frame(SERIAL_VOUCHER, "cr"))
        yield Wait("the goods-in form opened by the scan", lambda: self.find("goodsin_ok") is not None)
        r["serial_scan_code"] = screen.popup.children[0].inputs["code"].text
        yield from self.tap("goodsin_close")
        yield from self.settle()

        # the HID scanner with no field focused: the keys reach only the window, and a burst
        # ending in Enter is a scan, handed to the serial scanner's handler; a person's typing is not
        yield from self.hid(WEDGE_VOUCHER, delay_ms=300)  # xdotool: ~170 ms a key
        yield from self.settle()
        yield 0.5
        r["typed_slowly_popup"] = screen.popup is not None
        yield from self.hid(WEDGE_VOUCHER)
        yield Wait("the goods-in form opened by the HID scan", lambda: self.find("goodsin_ok") is not None)
        r["wedge_scan_code"] = screen.popup.children[0].inputs["code"].text
        yield from self.tap("goodsin_close")
        yield from self.settle()
        yield from self.hid(HELPER_CARD)
        yield Wait("signed in by the card: the stall key names 李小红", lambda: screen.status.stall.text == "李小红")
        r["wedge_signin_message"] = self.view.message


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--size", default="1024x600")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["TRACE_UI_PROBE"] = str(out / "probe")
    rig = Rig(out, args.size)
    scanner = LinkedPty(rig.run_dir, "scanner0")
    scanner.plug()
    with rig.config.open("a", encoding="utf-8") as f:
        f.write(f'\n[stall]\noperators_file = "{ROOT / "examples" / "operators.json"}"\n'
                f'scanner_port = "{scanner.path}"\n')  # fmt: skip
    driver = StallDriver(rig, out, "sale")
    driver.scanner = scanner
    try:
        from edge.ui.kivy import app as kivy_app

        code = kivy_app.main(str(rig.config), hook=driver.start)
    finally:
        scanner.unplug()
        rig.close()
    if not (out / "result.json").exists():
        (out / "result.json").write_text(json.dumps({"error": f"app exited ({code}) before the scenario ended"}),
                                         encoding="utf-8")  # fmt: skip
    return code


if __name__ == "__main__":
    raise SystemExit(main())
