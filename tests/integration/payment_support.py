"""The whole payment system for end-to-end tests, every part real.

- central: ``python -m central serve --key --http --public-url`` as a subprocess on a SQLite
  file, behind a Mosquitto whose passwd/ACL central generated (tests/broker.py);
- the payment gateway simulator in-process (`simulator.payment.PaymentGateway`), its
  accounts imported for the merchant with ``python -m central payment-account import``;
- the scale's hardware: a virtual MT-SICS module on a pty and the ESC/POS printer simulator;
- an edge.toml (examples/edge.toml, the identity run.sh registers) wired to all of them,
  with ``[sync]`` carrying the scale's MQTT password and central's public key.

The scale app itself (windowed or headless) is started by the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zxingcpp
from PIL import Image

from central import admin
from central.db import Database
from central.keys import CentralKey
from central.schema import migrate
from edge.device_key import DeviceKey
from simulator.payment import PaymentGateway
from simulator.printer.device import PrinterDevice
from simulator.printer.server import PrinterServer
from simulator.pty import LinkedPty
from simulator.scale import PtyLink, VirtualScale
from simulator.scanner.device import serial_frame
from tests.broker import free_port
from tests.integration.central_support import wait_for

ROOT = Path(__file__).resolve().parents[2]
# the identity of examples/edge.toml (scripts/run.sh registers the same)
MARKET, NODE, SCALE, MERCHANT = "lz-zhangye-rd", "620102", "620102-001", "M0001"
MARKET_NAME = "兰州市城关区张掖路农贸市场"
ORIGIN_1001 = "甘肃榆中"  # PLU 1001's batch origin in examples/catalog.json


def central_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "central", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)  # fmt: skip


class Central:
    """``central serve`` as a subprocess; its log lines collected for failure messages."""

    def __init__(self, db_url: str, mqtt_url: str, key_path: Path) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "central", "serve", "--db", db_url, "--mqtt", mqtt_url,
             "--http", f"127.0.0.1:{self.port}", "--key", str(key_path), "--public-url", self.url],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        )  # fmt: skip
        threading.Thread(target=self._pump, daemon=True).start()
        # the receiver must hold its subscriptions before the scale's first payment request
        wait_for(lambda: self._said(" subscribed") and self._said("central: http://"), 30,
                 "central serve to subscribe and listen")  # fmt: skip

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line.rstrip("\n"))

    def _said(self, text: str) -> bool:
        assert self.proc.poll() is None, "central serve exited:\n" + "\n".join(self.log[-30:])
        return any(text in line for line in self.log)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        db = Database(self.db_url)
        try:
            with db.connection() as conn:
                return conn.all(sql, params)
        finally:
            db.close()

    def sale(self, sale_id: str) -> dict[str, Any] | None:
        found = self.rows("SELECT * FROM sales WHERE sale_id = ?", (sale_id,))
        return found[0] if found else None

    def wait_sale(self, sale_id: str, method: str, status: str, timeout_s: float = 30) -> dict[str, Any]:
        """The sale at central once the scale's sale_update says ``method``/``status``."""
        wait_for(lambda: (row := self.sale(sale_id)) is not None
                 and (row["payment_method"], row["payment_status"]) == (method, status), timeout_s,
                 f"central's sales row {sale_id} {method}/{status} (now {self.sale(sale_id)})")  # fmt: skip
        row = self.sale(sale_id)
        assert row is not None
        return row

    def reconcile(self, day: str) -> dict[str, Any]:
        done = central_cli("payments", "reconcile", "--db", self.db_url, "--date", day, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class PaymentSystem:
    """Central, broker, gateway and the scale's hardware; `edge_config` writes the scale's edge.toml."""

    def __init__(self, tmp: Path, mosquitto: Callable[..., Any], *, load_g: int = 1235) -> None:
        self.tmp = tmp
        self.run_dir = Path(tempfile.mkdtemp(prefix="ts-pay-"))  # short: a Unix socket path has 108 bytes
        self.scale = VirtualScale("mt-sics", seed=11, settle_s=0.2)
        self.scale.put(load_g)
        self.link = PtyLink(self.scale, directory=self.run_dir).start()
        self.scanner = LinkedPty(self.run_dir, "scanner0")  # a serial barcode scanner (edge_config(scanner=True))
        self.scanner.plug()
        self.printer = PrinterDevice(tmp / "tickets")
        self.printer_server = PrinterServer(self.printer, "127.0.0.1", 0).start()
        self.gw = PaymentGateway(tmp / "gateway", host="127.0.0.1", port=0).start()
        self.central: Central | None = None
        (tmp / "central").mkdir(exist_ok=True)
        db_url = f"sqlite:///{tmp / 'central' / 'central.db'}"
        key_path = tmp / "central" / "central-key.pem"
        self.central_key = CentralKey.load_or_create(key_path)
        device_key = DeviceKey.load_or_create(tmp / "device_key.pem")  # edge.runtime: next to edge.db
        catalog = json.loads((ROOT / "examples" / "catalog.json").read_text(encoding="utf-8"))
        db = Database(db_url)
        try:
            migrate(db)
            with db.connection() as conn:
                admin.add_market(conn, MARKET, NODE, MARKET_NAME, "兰州")
                admin.add_merchant(conn, MERCHANT, MARKET, stall="A-12", display_name="老王蔬菜", real_name="王大伟",
                                   id_number="620102198001011234", phone="13900000000")  # fmt: skip
                self.scale_password = admin.add_scale(conn, SCALE, MARKET, 1, device_key.public_key_b64(),
                                                      MERCHANT).password  # fmt: skip
                central_password = admin.add_central_account(conn).password
                admin.set_catalog(conn, MARKET, catalog["plus"], replace=True)
                for batch in catalog["batches"]:
                    admin.add_batch(conn, MERCHANT, batch)
            self.broker = mosquitto(db)
        finally:
            db.close()
        imported = central_cli("payment-account", "import", str(self.gw.accounts_path), "--merchant", MERCHANT,
                               "--db", db_url)  # fmt: skip
        assert imported.returncode == 0 and imported.stdout.count("已导入") == 3, imported.stdout + imported.stderr
        self.central_mqtt = self.broker.url("central", central_password)
        self.db_url, self.key_path = db_url, key_path
        self.central = Central(db_url, self.central_mqtt, key_path)

    def serial_scan(self, code: str) -> None:
        """The serial scanner reads ``code`` (CR after it, the scanners' default)."""
        os.write(self.scanner.master, serial_frame(code, "cr"))

    def edge_config(self, display: str = "", *, scanner: bool = False) -> Path:
        """examples/edge.toml wired to this system; ``display`` adds lines to its [display] section;
        ``scanner``: the serial scanner too."""
        assert self.central is not None
        text = (ROOT / "examples" / "edge.toml").read_text(encoding="utf-8")
        for old, new in (
            ('"../var/run/scale0"', f'"{self.link.path}"'),
            ("tcp:127.0.0.1:9100", f"tcp:127.0.0.1:{self.printer_server.port}"),
            ("http://127.0.0.1:8080", self.central.url),
            ('"../var/edge.db"', f'"{self.tmp / "edge.db"}"'),
            ('"catalog.json"', f'"{ROOT / "examples" / "catalog.json"}"'),
            ('"operators.json"', f'"{ROOT / "examples" / "operators.json"}"'),
            ('"../var/run/customer.sock"', f'"{self.run_dir / "customer.sock"}"\n{display}'),
            # generous: on a loaded test machine a slow answer must not send the sale the offline way
            ("answer_timeout_s = 5 ", "answer_timeout_s = 30"),
            *(
                (("signin_required = false", f'signin_required = false\nscanner_port = "{self.scanner.path}"'),)
                if scanner
                else ()
            ),
        ):
            assert old in text, f"examples/edge.toml no longer has {old}"
            text = text.replace(old, new)
        text += (
            f'\n[sync]\nbroker_url = "mqtt://127.0.0.1:{self.broker.port}"\npassword = "{self.scale_password}"\n'
            f'central_public_key = "{self.central_key.public_key_b64()}"\n'
        )
        path = self.tmp / "edge.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def close(self) -> None:
        if self.central is not None:
            self.central.stop()
        self.gw.stop()
        self.printer_server.stop()
        self.link.stop()
        self.scanner.unplug()
        shutil.rmtree(self.run_dir, ignore_errors=True)


def decode_qr(png: str | Path) -> str:
    """The one QR on a PNG (a ticket, a screenshot), read as a customer's phone would."""
    [qr] = zxingcpp.read_barcodes(Image.open(png))
    return qr.text
