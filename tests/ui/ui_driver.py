"""One UI scenario in its own process: the real app against simulated hardware.

    python tests/ui/ui_driver.py --out DIR --size 1024x600 [--scenario sale|start]

Starts a virtual MT-SICS weighing module on a pty and the ESC/POS printer simulator on
TCP (both in this process), writes an edge.toml for them, then runs the Kivy scale app
(`edge.ui.kivy.app.main`, which spawns the real customer-display process) and drives it
with touch events on its real buttons. Writes ``DIR/result.json`` (what was seen, layout
problems per screenshot, the printed ticket) and the screenshots ``DIR/probe/*.png``;
the pytest side asserts on them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulator.printer.device import PrinterDevice  # noqa: E402
from simulator.printer.server import PrinterServer  # noqa: E402
from simulator.scale import PtyLink, VirtualScale  # noqa: E402

PIN = "2468"


class Rig:
    """The simulated hardware and a configuration wired to it."""

    def __init__(self, out: Path, size: str, load_g: int = 1235) -> None:
        self.out = out
        self.scale = VirtualScale("mt-sics", seed=7, settle_s=0.2)
        self.scale.put(load_g)
        self.run_dir = Path(tempfile.mkdtemp(prefix="ts-ui-"))  # short: a Unix socket path has 108 bytes
        self.link = PtyLink(self.scale, directory=self.run_dir).start()
        self.printer = PrinterDevice(out / "tickets")
        self.server = PrinterServer(self.printer, "127.0.0.1", 0).start()
        self.config = out / "edge.toml"
        self.config.write_text(
            f"""
[identity]
market_id = "lz-zhangye-rd"
market_code = "620102"
market_name = "兰州市城关区张掖路农贸市场"
scale_no = 1
scale_id = "620102-001"
merchant_id = "M0001"
merchant_name = "老王蔬菜"
stall = "A-12"
operator = "王师傅"

[scale]
port = "{self.link.path}"
protocol = "mt-sics"
max_g = 15000
e_g = 5

[printer]
connection = "tcp:127.0.0.1:{self.server.port}"
paper_mm = 58

[ticket]
trace_base_url = "http://127.0.0.1:8080"

[store]
path = "{out / 'edge.db'}"

[catalog]
seed_file = "{ROOT / 'examples' / 'catalog.json'}"

[sync]
broker_url = ""

[display]
size = "{size}"
customer_size = "{size}"
customer_position = "0,0"
customer_socket = "{self.run_dir / 'customer.sock'}"
technician_pin = "{PIN}"
""",
            encoding="utf-8",
        )

    def close(self) -> None:
        self.server.stop()
        self.link.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


MIN_WAIT_S = 60.0  # CI runs the suite on a loaded 2-core machine (software GL): frames can take seconds


class Wait:
    """A step waits until ``predicate()`` holds; it gives up after ``timeout`` seconds, never less
    than `MIN_WAIT_S`: a met condition ends the wait at once, so a generous deadline costs nothing."""

    def __init__(self, what: str, predicate: Callable[[], Any], timeout: float = MIN_WAIT_S) -> None:
        self.what = what
        self.predicate = predicate
        self.deadline = time.monotonic() + max(timeout, MIN_WAIT_S)


_touch_ids = itertools.count(1000)


def _touch_class() -> type:
    from kivy.input.motionevent import MotionEvent

    class Touch(MotionEvent):
        def __init__(self, x: float, y: float) -> None:
            from kivy.core.window import Window

            super().__init__("ui-driver", next(_touch_ids), {"x": x / (Window.width - 1), "y": y / (Window.height - 1)},
                             is_touch=True, type_id="touch")
            self.profile = ["pos"]

        def depack(self, args: dict[str, float]) -> None:
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)

    return Touch


class Driver:
    """Runs a scenario generator on the Kivy clock; each step yields a `Wait` or seconds to sleep."""

    def __init__(self, rig: Rig, out: Path, scenario: str) -> None:
        self.rig = rig
        self.out = out
        self.probe_dir = out / "probe"
        self.scenario = scenario
        self.result: dict[str, Any] = {"steps": [], "shots": {}, "error": None}
        self.app: Any = None

    # --- plumbing ----------------------------------------------------------------------------

    def start(self, app: Any) -> None:
        from kivy.clock import Clock

        self.app = app
        self.t0 = time.monotonic()
        steps = self.sale() if self.scenario == "sale" else self.start_only()
        self.gen: Iterator[Any] = steps
        self.waiting: Wait | None = None
        self.sleep_until = 0.0
        Clock.schedule_interval(self._tick, 0.03)

    def _tick(self, _dt: float) -> bool | None:
        now = time.monotonic()
        if now < self.sleep_until:
            return None
        try:
            if self.waiting is not None:
                if not self.waiting.predicate():
                    if now > self.waiting.deadline:
                        raise TimeoutError(f"timed out waiting for: {self.waiting.what}")
                    return None
                self.result["steps"].append(f"{now - self.t0:6.2f}s {self.waiting.what}")
                self.waiting = None
            step = next(self.gen)
            if isinstance(step, Wait):
                self.waiting = step
            else:
                self.sleep_until = now + float(step or 0)
        except StopIteration:
            self._finish()
            return False
        except Exception as exc:
            self.result["error"] = f"{exc}\n{traceback.format_exc()}"
            self._finish()
            return False
        return None

    def _finish(self) -> None:
        self.result["view"] = _asdict(self.app.view) if self.app.view is not None else None
        (self.out / "result.json").write_text(json.dumps(self.result, ensure_ascii=False, indent=1), encoding="utf-8")
        self.app.stop()

    # --- what a finger and an eye do ----------------------------------------------------------

    def find(self, action: str) -> Any:
        from kivy.core.window import Window

        for layer in reversed(Window.children):  # a popup on top first
            for widget in layer.walk(restrict=True):
                if getattr(widget, "action", None) == action:
                    return widget
        return None

    def tap(self, action: str) -> Iterator[Any]:
        """Touch down on the key's centre, hold a moment, lift: through the window, like a finger."""
        from kivy.base import EventLoop

        yield Wait(f"key {action} on screen and enabled", lambda: (b := self.find(action)) is not None
                   and not b.disabled, 10)
        button = self.find(action)
        x, y = button.to_window(*button.center)
        touch = _touch_class()(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        yield 0.06
        EventLoop.post_dispatch_input("end", touch)
        self.result["steps"].append(f"{time.monotonic() - self.t0:6.2f}s tap {action}")
        yield 0.03

    def settle(self) -> Iterator[Any]:
        """Every queued action done and rendered."""
        yield Wait("actions done", lambda: self.app.runner.pending == 0, 10)
        yield 0.15

    @property
    def view(self) -> Any:
        return self.app.view

    def shoot(self, name: str) -> Iterator[Any]:
        from edge.ui.kivy import probe

        done: dict[str, Any] = {}

        def taken(path: Path) -> None:
            done["problems"] = probe.check_layout()
            done["png"] = str(path)
            done["texts"] = probe.label_texts(self.app.root_box)
            done["fonts"] = probe.font_sizes(self.app.root_box)
            done["targets"] = probe.touch_targets()

        yield 0.1
        probe.screenshot(self.probe_dir / f"{name}.png", taken)
        yield Wait(f"screenshot {name}", lambda: "png" in done, 10)
        self.result["shots"][name] = done

    def shoot_customer(self, name: str) -> Iterator[Any]:
        report = self.probe_dir / f"{name}.layout.json"
        (self.probe_dir / f"customer.cmd-{name}").write_text("shot", encoding="utf-8")
        yield Wait(f"customer screenshot {name}", report.exists, 15)
        yield Wait(f"customer screenshot {name} written", lambda: _json_ok(report), 5)
        self.result["shots"][name] = json.loads(report.read_text(encoding="utf-8"))

    def customer_renders(self) -> list[dict[str, Any]]:
        path = self.probe_dir / "customer.jsonl"
        if not path.exists():
            return []
        records = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line being written
            if record.get("event") == "render":
                records.append(record)
        return records

    def customer_last(self) -> dict[str, Any]:
        renders = self.customer_renders()
        return renders[-1] if renders else {}

    # --- scenarios ----------------------------------------------------------------------------

    def start_only(self) -> Iterator[Any]:
        yield Wait("live weight 1.235 on the merchant screen", lambda: self.app.merchant.weight.weight.text == "1.235")
        self.result["weight_label"] = self.app.merchant.weight.weight.text
        yield from self.shoot("merchant-start")

    def sale(self) -> Iterator[Any]:
        app, rig, r = self.app, self.rig, self.result
        weight_label = app.merchant.weight.weight
        yield Wait("live weight 1.235 on the merchant screen", lambda: weight_label.text == "1.235", 20)
        r["weight_label"] = weight_label.text
        r["first_weight_s"] = time.monotonic() - self.t0

        # an item on the hotkey grid, weighed: the customer display shows the same numbers
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 selected with a stable amount",
                   lambda: self.view.item is not None and self.view.item.plu == "1001" and self.view.item.amount_text
                   and self.view.weight.stable)
        yield 0.2
        merchant_amount = app.merchant.weight.amount.text
        yield Wait("customer display shows the item",
                   lambda: self.customer_last().get("amount") == merchant_amount
                   and self.customer_last().get("weight", "").startswith(weight_label.text))
        last = self.customer_last()
        r["follow"] = {"merchant_weight": weight_label.text, "merchant_amount": merchant_amount,
                       "customer_weight": last.get("weight"), "customer_amount": last.get("amount"),
                       "item_amount_text": self.view.item.amount_text}
        yield from self.shoot("merchant-weighing")
        yield from self.shoot_customer("customer-weighing")

        # 累计 three lines: weighed, a piece item, another weight
        yield from self.tap("add")
        yield Wait("one line in the cart", lambda: len(self.view.cart) == 1)
        # 3 boxes of eggs: the piece item's + key twice, then 累计
        yield from self.tap("hotkey:4001")
        yield Wait("eggs selected", lambda: self.view.item is not None and self.view.item.plu == "4001")
        yield from self.tap("qty_plus")
        yield Wait("2 eggs", lambda: self.view.item is not None and self.view.item.quantity == 2)
        yield from self.tap("qty_plus")
        yield Wait("3 eggs", lambda: self.view.item is not None and self.view.item.quantity == 3)
        yield from self.settle()
        r["quantity_label"] = _label(app.merchant, "quantity")
        r["quantity_amount"] = app.merchant.weight.amount.text
        yield from self.shoot("merchant-quantity")
        yield from self.tap("add")
        yield Wait("two lines in the cart", lambda: len(self.view.cart) == 2)
        rig.scale.put(755)
        yield Wait("0.755 kg stable", lambda: self.view.weight.weight_text == "0.755" and self.view.weight.stable)
        yield from self.tap("hotkey:2001")
        yield Wait("pork selected", lambda: self.view.item is not None and self.view.item.plu == "2001"
                   and self.view.item.amount_text)
        yield from self.tap("add")
        yield Wait("three lines in the cart", lambda: len(self.view.cart) == 3)
        yield from self.tap("hotkey:1002")
        yield Wait("tomato selected", lambda: self.view.item is not None and self.view.item.plu == "1002"
                   and self.view.item.amount_text)
        yield from self.settle()
        yield from self.shoot("merchant-cart")
        last_seq = self.view and self.app._customer_seq
        yield Wait("customer display caught up", lambda: self.customer_last().get("seq", -1) >= last_seq)
        yield from self.shoot_customer("customer-cart")

        # search by pinyin initials on the on-screen keyboard: b c -> 白菜
        yield from self.tap("search")
        yield from self.tap("kbd:B")
        yield from self.tap("kbd:C")
        yield Wait("search results for bc", lambda: self.view.query == "bc" and self.view.results)
        r["search"] = [k.name for k in self.view.results]
        yield from self.settle()
        yield from self.shoot("merchant-search")
        yield from self.tap("result:1001")
        yield Wait("白菜 picked from the results", lambda: self.view.item is not None and self.view.item.plu == "1001")
        yield from self.tap("add")
        yield Wait("four lines", lambda: len(self.view.cart) == 4)
        yield from self.tap("void:3")
        yield Wait("line 4 voided", lambda: len(self.view.cart) == 3)
        yield from self.settle()
        r["cart"] = [(line.name, line.detail, line.amount_text) for line in self.view.cart]
        r["total_text"] = self.view.total_text
        r["total_label"] = app.merchant.cart.total.text

        # 结算 (cash): the sale commits and the ticket prints
        yield from self.tap("checkout")
        yield Wait("the ticket printed", lambda: len(rig.printer.printed) >= 1 and not self.view.cart, 20)
        ticket = rig.printer.printed[0]
        r["ticket"] = {"txt": ticket.txt.read_text(encoding="utf-8"), "png": str(ticket.png)}
        r["message_after_sale"] = self.view.message
        yield Wait("customer display says paid", lambda: self.customer_last().get("mode") == "paid")
        r["customer_paid_total"] = self.customer_last().get("total")
        yield from self.shoot_customer("customer-paid")
        yield from self.shoot("merchant-sold")

        # 重打 the last ticket
        yield from self.tap("reprint")
        yield Wait("the reprint", lambda: len(rig.printer.printed) >= 2, 20)
        r["reprint"] = rig.printer.printed[1].txt.read_text(encoding="utf-8")

        # 日结
        yield from self.tap("report")
        yield Wait("the daily report", lambda: app.merchant.popup is not None)
        yield from self.settle()
        r["report_total"] = self.find("report_close") is not None and _label(app.merchant.popup, "report_total")
        yield from self.shoot("merchant-report")
        yield from self.tap("report_close")
        yield Wait("report closed", lambda: app.merchant.popup is None)

        # batch chooser
        yield from self.tap("hotkey:1001")
        yield Wait("白菜 selected", lambda: self.view.item is not None and self.view.item.plu == "1001")
        yield from self.tap("switch_batch")
        yield Wait("batch list", lambda: app.merchant.popup is not None)
        yield from self.settle()
        yield from self.shoot("merchant-batches")
        yield from self.tap("batch_close")
        yield Wait("batch list closed", lambda: app.merchant.popup is None)
        yield from self.tap("cancel")
        yield Wait("nothing selected", lambda: self.view.item is None)

        # a typed quantity on the number pad: 1 2 确定 -> 12 boxes; 1 0 0 0 确定 is refused (limit 999)
        yield from self.tap("hotkey:4001")
        yield Wait("eggs selected", lambda: self.view.item is not None and self.view.item.plu == "4001")
        yield from self.tap("qty_pad")
        yield Wait("the number pad", lambda: app.merchant.popup is not None)
        yield from self.tap("qty:1")
        yield from self.tap("qty:2")
        yield from self.settle()
        yield from self.shoot("merchant-quantity-pad")
        yield from self.tap("qty:ok")
        yield Wait("12 eggs", lambda: self.view.item is not None and self.view.item.quantity == 12
                   and app.merchant.popup is None)
        r["pad_quantity"] = (self.view.item.quantity, self.view.item.amount_text)
        yield from self.tap("qty_pad")
        for digit in "1000":
            yield from self.tap(f"qty:{digit}")
        yield from self.tap("qty:ok")
        yield Wait("1000 refused", lambda: self.view.message_kind == "error" and app.merchant.popup is None)
        r["pad_refused"] = (self.view.item.quantity, self.view.message)
        yield from self.tap("cancel")
        yield Wait("nothing selected", lambda: self.view.item is None)

        # English
        yield from self.tap("lang")
        yield Wait("English", lambda: self.view.lang == "en")
        yield from self.tap("hotkey:1001")
        yield Wait("item in English", lambda: self.view.item is not None)
        yield from self.settle()
        yield from self.shoot("merchant-en")
        yield from self.tap("cancel")
        yield from self.tap("lang")
        yield Wait("Chinese", lambda: self.view.lang == "zh")

        # technician: PIN, then settings
        yield from self.tap("settings")
        yield Wait("PIN pad", lambda: app.technician is not None)
        yield from self.settle()
        yield from self.shoot("technician-pin")
        for digit in PIN:
            yield from self.tap(f"pin:{digit}")
        yield from self.tap("pin:ok")
        yield Wait("settings unlocked", lambda: app.technician.view is not None and app.technician.view.unlocked
                   and app.technician.frames is not None and app.technician.frames.text.count("\n") >= 2, 15)
        r["technician"] = {"software_id": app.technician.view.software_id,
                           "frames": app.technician.frames.text.splitlines()[-1]}
        yield from self.settle()
        yield from self.shoot("technician-scale")
        tech = app.technician

        # identity: type a new stall number (focus shows the docked keyboard), save
        yield from self.tap("section:identity")
        yield Wait("identity fields", lambda: "identity.stall" in tech.rows)
        yield from self.tap("field:identity.stall")
        yield Wait("the text panel with the keyboard",
                   lambda: tech.edit_panel is not None and tech.edit_panel.input.focus)
        yield 0.3
        yield from self.shoot("technician-identity")
        tech.edit_panel.input.text = "A-13"  # what the docked keyboard's keys type
        yield from self.tap("edit_ok")
        yield Wait("the edit is pending", lambda: any(f.name == "identity.stall" and f.changed
                                                      for f in tech.view.fields))
        yield from self.tap("save")
        yield Wait("saved", lambda: "保存" in tech.view.message and not any(f.changed for f in tech.view.fields))
        r["technician"]["saved_message"] = tech.view.message
        r["technician"]["config_has_new_stall"] = 'stall = "A-13"' in self.rig.config.read_text(encoding="utf-8")

        # printer: test print on the printer simulator
        printed = len(rig.printer.printed)
        yield from self.tap("section:printer")
        yield from self.tap("test_print")
        yield Wait("the test ticket", lambda: len(rig.printer.printed) > printed, 20)
        yield Wait("test print reported", lambda: "测试" in tech.view.message)
        r["technician"]["test_print_message"] = tech.view.message

        # weighing module: probe finds the protocol on the pty
        yield from self.tap("section:scale")
        yield from self.tap("probe")
        yield Wait("probe result", lambda: "mt-sics" in tech.view.message and not tech.view.probe_running, 30)
        r["technician"]["probe_message"] = tech.view.message
        yield from self.tap("undo")
        yield from self.tap("section:software")
        yield Wait("software section", lambda: app.technician.section == "software")
        yield from self.settle()
        yield 1.2  # one poll
        yield from self.settle()
        yield from self.shoot("technician-software")
        yield from self.tap("tech_exit")
        yield Wait("merchant screen back", lambda: app.technician is None)

        # empty platter, nothing selected: the customer display goes idle
        rig.scale.remove()
        yield Wait("customer display idle", lambda: self.customer_last().get("mode") == "idle", 20)
        yield from self.shoot_customer("customer-idle")
        yield from self.shoot("merchant-idle")


def _label(root: Any, test_id: str) -> str | None:
    for widget in root.walk(restrict=True):
        if getattr(widget, "test_id", None) == test_id:
            return widget.text
    return None


def _json_ok(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def _asdict(view: Any) -> Any:
    import dataclasses

    return dataclasses.asdict(view)


def main(driver_class: type[Driver] | None = None, prepare: Callable[[Rig], None] | None = None) -> int:
    """``driver_class``/``prepare``: another scenario file's Driver and what it sets up before the app starts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--size", default="1024x600")
    parser.add_argument("--scenario", default="sale", choices=("sale", "start"))
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["TRACE_UI_PROBE"] = str(out / "probe")  # the customer-display process inherits it
    rig = Rig(out, args.size)
    if prepare is not None:
        prepare(rig)
    driver = (driver_class or Driver)(rig, out, args.scenario)
    try:
        from edge.ui.kivy import app as kivy_app

        code = kivy_app.main(str(rig.config), hook=driver.start)
    finally:
        rig.close()
    if not (out / "result.json").exists():
        (out / "result.json").write_text(json.dumps({"error": f"app exited ({code}) before the scenario ended"}),
                                         encoding="utf-8")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
