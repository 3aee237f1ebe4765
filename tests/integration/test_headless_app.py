"""`python -m edge run --headless` end to end, as a subprocess: the simulated weighing module
on a pty, the printer simulator over TCP, the customer display on the Unix socket, and a
technician's line commands on stdin producing a real ticket."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge import runtime
from edge.store import Store
from edge.ui.customer_link import CustomerSubscriber
from edge.ui.model.views import CustomerView
from simulator.printer.device import PrinterDevice
from simulator.printer.server import PrinterServer
from simulator.scale import PtyLink, VirtualScale

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class HeadlessScale:
    def __init__(self, tmp: Path, extra_toml: str = "", env: dict[str, str] | None = None) -> None:
        self.tmp = tmp
        self.scale = VirtualScale("mt-sics", seed=3, settle_s=0.2)
        self.link = PtyLink(self.scale, directory=tmp).start()
        self.printer = PrinterDevice(tmp / "tickets")
        self.server = PrinterServer(self.printer, "127.0.0.1", 0).start()
        self.socket = tmp / "run" / "customer.sock"
        text = (ROOT / "examples" / "edge.toml").read_text(encoding="utf-8")
        text = text.replace('"../var/run/scale0"', f'"{self.link.path}"')
        text = text.replace("tcp:127.0.0.1:9100", f"tcp:127.0.0.1:{self.server.port}")
        text = text.replace('"../var/edge.db"', f'"{tmp / "edge.db"}"')
        text = text.replace('"catalog.json"', f'"{ROOT / "examples" / "catalog.json"}"')
        text = text.replace('"../var/run/customer.sock"', f'"{self.socket}"')
        text = text.replace('"operators.json"', f'"{ROOT / "examples" / "operators.json"}"') + extra_toml
        self.config = tmp / "edge.toml"
        self.config.write_text(text, encoding="utf-8")
        self.start(self.config, tmp, env)

    def start(self, config: Path, cwd: Path, env: dict[str, str] | None = None) -> None:
        """``edge run --headless`` on ``config`` (``env``: its environment), its stdout and stderr collected."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge", "run", "--config", str(config), "--headless"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=cwd,
            bufsize=1,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.notes: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True).start()

    def wait_note(self, text: str, timeout_s: float = 60.0) -> str:
        """The first ``note:`` line containing ``text`` (read between answers)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = next((n for n in self.notes if text in n), None)
            if found is not None:
                return found
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line.startswith("note: "):
                self.notes.append(line)
        raise AssertionError(f"no note with {text!r}: {self.notes}")

    @staticmethod
    def _pump(stream, put) -> None:
        for line in stream:
            put(line.rstrip("\n"))

    def ask(self, command: str, timeout_s: float = 60.0) -> list[str]:
        """Send one command; the answer ends with an ``ok:``/``error:`` line or a JSON object.

        ``note:`` lines (what the scale says by itself) go to ``notes``, not into the answer.
        """
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        out: list[str] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.proc.poll() is None, "\n".join(self.stderr)
                continue
            if line.startswith("note: "):  # said by the scale between answers (a payment, a ticket, ...)
                self.notes.append(line)
                continue
            out.append(line)
            if line.startswith(("ok:", "error:", "{")):
                return out
        raise AssertionError(f"no answer to {command!r}: {out}\n" + "\n".join(self.stderr[-20:]))

    def snapshot(self) -> dict:
        return json.loads(self.ask("status json")[-1])

    def kill(self) -> None:
        """After a failed test: the app, printer and module gone, whatever state they were in."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
            self.server.stop()
            self.link.stop()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        finally:
            self.server.stop()
            self.link.stop()


@pytest.fixture
def app(tmp_path) -> Iterator[HeadlessScale]:
    scale = HeadlessScale(tmp_path)
    yield scale
    scale.kill()


def wait_for(cond, timeout_s: float = 60.0) -> None:
    """Generous: CI runs on a loaded 2-core machine; a met condition returns at once."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_a_sale_from_the_terminal_prints_a_ticket_and_shows_on_the_customer_display(app):
    seen: list[CustomerView] = []
    with CustomerSubscriber(app.socket, seen.append):
        wait_for(lambda: seen and seen[-1].mode == "idle")
        assert seen[-1].market_name == "兰州市城关区张掖路农贸市场" and seen[-1].stall == "A-12"
        app.scale.put(1235)
        assert app.ask("wait 10")[-1] == "ok: 1.235 kg stable"
        assert app.ask("plu 1001")[-1].startswith("ok: 1001 白菜 3.98 元/kg batch B20261125-1001")
        snap = app.snapshot()
        merchant, customer = snap["merchant"], snap["customer"]
        assert merchant["item"]["amount_text"] == customer["amount_text"] == "4.92"
        assert merchant["weight"]["weight_text"] == customer["weight_text"] == "1.235"
        assert customer["unit_price_text"] == merchant["item"]["unit_price_text"] == "3.98 元/kg"
        wait_for(lambda: seen[-1].mode == "weighing" and seen[-1].amount_text == "4.92")
        assert app.ask("add")[-1].startswith("ok: 已累计：白菜 1.235 kg × 3.98 元/kg，4.92 元")
        assert app.ask("qty 3")[-1].startswith("error: 请先选择商品")  # 累计 cleared the item
        app.ask("plu 1001")
        assert app.ask("qty 3")[-1].startswith("error: 白菜按重量计价，不能输入数量")  # not "ok: -"
        app.ask("plu 4001")
        assert app.ask("qty 2")[-1] == "ok: 鸡蛋（盒装10枚） 2 件，金额 30.00 元"
        assert app.ask("qty 1000")[-1] == "error: 数量必须是 1 到 999 的整数"
        answer = app.ask("cash")  # the 现金 key: no QR under way, so the cart is paid in cash
        assert answer[-1].startswith("ok: 已结算 34.92 元"), answer
        sale_line = next(line for line in answer if line.startswith("sale: "))
        trace_code = sale_line.split()[1]
        ticket = app.printer.wait_for_ticket(1, timeout=60)
        text = ticket.txt.read_text(encoding="utf-8")
        assert "白菜" in text and "1.235kg" in text and "34.92" in text
        assert app.wait_note("ticket printed") == "note: 1 ticket printed (1 since start)"
        wait_for(lambda: seen[-1].mode == "paid")
        assert seen[-1].total_text == "34.92" and [line.name for line in seen[-1].lines] == ["白菜", "鸡蛋（盒装10枚）"]
        report = app.ask("report")
        assert report[0].startswith("日结") and any("实收 34.92 元" in line for line in report)
    assert app.stop() == 0
    with Store.open(app.tmp / "edge.db") as store:
        sale = store.last_sale()
        assert sale is not None and sale.trace_code == trace_code and sale.printed and sale.total_fen == 3492
        assert store.get_setting(runtime.ZERO_STATE_KEY) == [0, 0]
        assert [e.kind for e in store.events()] == ["software.updated"]


def test_refusals_and_a_paper_out_never_lose_the_sale(app):
    def weight() -> dict:
        return app.snapshot()["merchant"]["weight"]

    app.scale.put(60)
    wait_for(lambda: (w := weight())["weight_text"] == "0.060" and w["stable"])
    app.ask("plu 1001")
    assert app.ask("add")[-1].startswith("error: 重量低于最小称量 0.100 kg")
    assert app.ask("plu 9999")[-1].startswith("error: 商品编号 9999 不存在")
    assert app.ask("bogus")[-1].startswith("error: unknown command")
    assert app.ask("qty abc")[-1] == "error: 参数不对 wrong arguments; 用法 usage: qty N (1-999)"
    assert app.ask("cancel")[-1].startswith("ok")
    assert app.ask("batches")[-1] == "error: 请先选择商品（快捷键、编号或拼音搜索）"
    app.scale.put(480)
    assert app.ask("wait 10")[-1] == "ok: 0.480 kg stable"
    app.printer.set_paper_out(True)
    app.ask("plu 1002")
    first = app.ask("checkout")[-1]
    assert first.startswith("ok: 已结算 3.35 元")  # the printer's trouble is not known yet
    wait_for(lambda: "缺纸" in app.snapshot()["merchant"]["printer_text"])
    app.ask("plu 1003")
    second = app.ask("checkout")[-1]
    assert second.startswith("error: 已结算 1.43 元") and "交易已保存" in second and "缺纸" in second
    assert app.printer.printed == []
    app.printer.set_paper_out(False)
    app.printer.wait_for_ticket(2, timeout=60)  # the worker retries by itself, oldest first
    names = [t.txt.read_text(encoding="utf-8") for t in app.printer.printed]
    assert "西红柿" in names[0] and "土豆" in names[1]
    assert app.ask("quit")[-1] == "ok: stopping"
    assert app.proc.wait(60) == 0
    app.server.stop()
    app.link.stop()
    with Store.open(app.tmp / "edge.db") as store:
        assert [s.total_fen for s in store.recent_sales()] == [143, 335]
        assert store.pending_print_jobs() == []


def test_the_console_drives_the_simulated_platter_and_notes_what_happens(tmp_path):
    """run.sh's set-up: the console's put / unstable / remove reach the simulator's control socket."""
    from simulator.scale.console import execute
    from simulator.scale.control import ControlServer

    control_path = tmp_path / "scale.ctl"
    stopped: list[str] = []
    scale = HeadlessScale(tmp_path, env={**os.environ, "TRACE_SCALE_CONTROL": str(control_path)})
    control = ControlServer(control_path, scale.scale, scale.link, execute, lambda: stopped.append("demo"))
    control.start()
    try:
        assert scale.ask("put 1235")[-1] == "ok: 1235 g on the platter, settling"
        assert stopped == ["demo"]  # the first command ends the demo loop
        assert scale.ask("wait 10")[-1] == "ok: 1.235 kg stable"
        # 10 s of wobble: a loaded machine must still see it and try 累计 while it lasts
        assert scale.ask("unstable 10")[-1] == "ok: the load moves for 10 s"
        wait_for(lambda: not scale.snapshot()["merchant"]["weight"]["stable"])
        scale.ask("plu 1001")
        assert scale.ask("add")[-1].startswith("error: 重量不稳定")
        assert scale.ask("wait 30")[-1] == "ok: 1.235 kg stable"  # the wobble ends on the same load
        assert scale.ask("sim status")[-1].startswith("ok: gross 1235 g")
        assert scale.ask("sim fly")[-1].startswith("error: unknown command 'fly'")
        assert scale.ask("put -5")[-1].startswith("error: put needs grams >= 0")
        assert scale.ask("remove")[-1] == "ok: remove"
        wait_for(lambda: scale.snapshot()["merchant"]["weight"]["weight_text"] == "0.000")
        scale.ask("put 1235")
        assert scale.ask("wait 10")[-1] == "ok: 1.235 kg stable"
        scale.ask("plu 1001")
        assert scale.ask("checkout")[-1].startswith("ok: 已结算 4.92 元")
        # said by the scale itself, between answers: the ticket came out, the printer's state
        assert scale.wait_note("ticket printed") == "note: 1 ticket printed (1 since start)"
        assert scale.wait_note("note: printer:").startswith("note: printer: 打印机")
        assert scale.ask("quit")[-1] == "ok: stopping"
        assert scale.proc.wait(60) == 0
    finally:
        control.stop()
        if scale.proc.poll() is None:
            scale.proc.kill()
            scale.proc.wait(5)
        scale.server.stop()
        scale.link.stop()


def test_without_a_simulator_put_says_what_to_do(app):
    answer = app.ask("put 1235")[-1]
    assert answer.startswith("error: no scale simulator to drive") and "on a real scale put the goods" in answer
