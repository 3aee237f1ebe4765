"""The vendor's hands in the windowed payment end-to-end test, in a process of its own
(Kivy has one window and one event loop per process).

    python tests/integration/payment_ui_driver.py --config edge.toml --out DIR

Runs the real Kivy scale app (`edge.ui.kivy.app.main`, which spawns the real customer
display) on an edge.toml the test wired to its simulators, central and broker, and taps
its real keys through the window: 白菜 on the hotkey grid at the weight on the platter,
then 微信. It then waits, as the vendor does, until the payment is settled; the test
meanwhile screenshots the customer display, reads the QR and pays it. Then a second sale
by 付款码: 白菜 again, the 付款码 key, and once its entry is open (``DIR/paycode-open``)
the test's serial scanner reads the customer's code. Once the test creates
``DIR/release`` it writes ``DIR/result.json`` and stops; the customer display's probe
(renders, screenshots) is in ``DIR/probe``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.ui.ui_driver import Driver, Wait  # noqa: E402

RELEASE = "release"  # the test creates DIR/release when the app may stop
VENDOR_SAW_QR = "vendor-saw-qr"  # the driver creates it once the merchant screen was shot with the QR up
PAYCODE_OPEN = "paycode-open"  # the driver creates it once the 付款码 entry waits for the scanner
PAY_WAIT_S = 90  # the test pays within seconds; central closes an unpaid order after 120 s


class PayDriver(Driver):
    """The tests/ui driver with the payment scenario as its sale."""

    def sale(self) -> Iterator[Any]:
        app, r = self.app, self.result
        yield Wait("live weight 1.235 on the merchant screen", lambda: app.merchant.weight.weight.text == "1.235", 30)
        # as a vendor reads 已联网 in the status bar: a QR asked for before the link is up goes the offline way
        yield Wait("online", lambda: self.view is not None and self.view.sync_text == "已联网", 30)
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 selected with a stable amount",
                   lambda: self.view.item is not None and self.view.item.plu == "1001" and self.view.item.amount_text
                   and self.view.weight.stable)  # fmt: skip
        r["item_amount_text"] = self.view.item.amount_text
        stages: list[str] = []
        r["stages"] = stages

        def note_stage() -> bool:
            stage = self.view.payment.stage if self.view.payment is not None else ""
            if stage and (not stages or stages[-1] != stage):
                stages.append(stage)
            return stage == "showing_qr"

        yield from self.tap("pay:wechat")
        yield Wait("the QR is up (central answered)", note_stage, 40)
        r["message_qr"] = self.view.message
        yield from self.shoot("merchant-qr")
        # the customer pays only now: a payment that lands first would empty the shot's cart
        (self.out / VENDOR_SAW_QR).touch()
        yield Wait("the payment settled", lambda: (note_stage() or True) and self.view.payment is None, PAY_WAIT_S)
        r["message_paid"] = self.view.message
        yield from self.settle()
        yield from self.shoot("merchant-paid")
        yield from self.paycode_by_serial_scanner()
        # keep both windows up until the test has looked at the customer display
        yield Wait("the test is done with the screens", (self.out / RELEASE).exists, 60)

    def paycode_by_serial_scanner(self) -> Iterator[Any]:
        """付款码 key, then the serial scanner reads the customer's phone: the entry closes
        and the code pays (the test checks the order and the ticket); no goods-in form opens."""
        from edge.ui.kivy.merchant.payment import PaycodeEntry
        from edge.ui.kivy.merchant.stall import GoodsInForm

        screen, r = self.app.merchant, self.result
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 selected again", lambda: self.view.item is not None and self.view.item.plu == "1001")
        yield from self.tap("paycode")
        yield Wait("the 付款码 entry", lambda: screen.popup is not None
                   and any(isinstance(c, PaycodeEntry) for c in screen.popup.children))  # fmt: skip
        (self.out / PAYCODE_OPEN).touch()
        popups: list[str] = []

        def entry_closed() -> bool:
            if screen.popup is not None:
                popups.extend(type(c).__name__ for c in screen.popup.children if isinstance(c, GoodsInForm))
            return screen.popup is None

        yield Wait("the scanned 付款码 closed the entry", entry_closed, 60)
        yield Wait("the test saw the ticket", (self.out / RELEASE).exists, PAY_WAIT_S)
        entry_closed()
        r["goodsin_popups"] = popups
        r["message_paycode"] = self.view.message


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["TRACE_UI_PROBE"] = str(out / "probe")  # the customer-display process inherits it
    driver = PayDriver(None, out, "sale")
    from edge.ui.kivy import app as kivy_app

    return kivy_app.main(str(args.config), hook=driver.start)


if __name__ == "__main__":
    raise SystemExit(main())
