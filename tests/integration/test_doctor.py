"""`edge doctor` on deliberately broken setups: each fault is named with its fix.

Real parts: the weighing-module simulator on a pty, the printer simulator on TCP, a
Mosquitto configured by central with the scale's password and ACL, SQLite files.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.config import load_config
from edge.store import Store
from edge.technician import doctor
from simulator.printer.device import PrinterDevice
from simulator.printer.server import PrinterServer
from simulator.scale import PtyLink, VirtualScale
from tests.broker import free_port
from tests.integration.sync_support import MARKET, NODE, SCALE, SCALE_NO, Broker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class Rig:
    """A healthy scale; tests break one part each."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.module = VirtualScale("mt-sics", seed=3, settle_s=0.1)
        self.module.put(1235)
        self.link = PtyLink(self.module, directory=tmp).start()
        self.printer = PrinterDevice(tmp / "tickets")
        self.server = PrinterServer(self.printer, "127.0.0.1", 0).start()
        self.broker = Broker(tmp / "central")
        self.broker.start()
        self.settings: dict[str, dict[str, object]] = {
            "identity": {"market_id": MARKET, "market_code": NODE, "scale_id": SCALE, "scale_no": SCALE_NO},
            "scale": {"port": self.link.path, "protocol": "mt-sics"},
            "printer": {"connection": f"tcp:127.0.0.1:{self.server.port}"},
            "ticket": {"trace_base_url": f"http://127.0.0.1:{free_port()}"},  # central's page: not running
            "store": {"path": str(tmp / "edge.db")},
            "sync": {"broker_url": self.broker.url, "password": self.broker.scale_password},
        }
        Store.open(tmp / "edge.db").close()

    def config(self):  # type: ignore[no-untyped-def]
        from edge.technician.toml_write import dumps

        path = self.tmp / "edge.toml"
        path.write_text(dumps(self.settings), encoding="utf-8")
        return load_config(path)

    def findings(self) -> dict[str, list[doctor.Finding]]:
        by_check: dict[str, list[doctor.Finding]] = {}
        for finding in doctor.run(self.config()):
            by_check.setdefault(finding.check, []).append(finding)
        return by_check

    def only(self, check: str) -> doctor.Finding:
        found = self.findings()
        assert len(found[check]) == 1, found[check]
        failing = {c for c, fs in found.items() for f in fs if f.status == "fail"}
        assert failing <= {check}, f"only {check} should fail: {found}"
        return found[check][0]

    def close(self) -> None:
        self.broker.stop()
        self.server.stop()
        self.link.stop()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def test_a_healthy_scale_is_all_ok_and_exits_zero(rig: Rig) -> None:
    rig.config()
    done = subprocess.run([sys.executable, "-m", "edge", "doctor", "--config", str(rig.tmp / "edge.toml"), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    statuses = {f["check"]: f["status"] for f in report["findings"]}
    assert report["ok"] is True
    checks = ("scale", "printer", "broker", "clock", "disk", "database", "backlog", "protection")
    assert statuses == {c: "ok" for c in checks}
    seen = {f["check"]: f["seen"] for f in report["findings"]}
    assert "mt-sics" in seen["scale"] and "1.235 kg" in seen["scale"]
    assert f"logged in as {SCALE}" in seen["broker"]


def test_no_module_at_the_port(rig: Rig) -> None:
    rig.settings["scale"]["port"] = str(rig.tmp / "ttyUSB9")
    finding = rig.only("scale")
    assert finding.status == "fail" and "does not exist" in finding.seen
    assert "configure --set scale.port=" in finding.fix


def test_a_module_speaking_another_protocol_is_named_with_the_fix(tmp_path: Path, rig: Rig) -> None:
    other = VirtualScale("ascii-stgs", seed=4, settle_s=0.1)
    other.put(500)
    link = PtyLink(other, directory=tmp_path / "other").start()
    try:
        rig.settings["scale"]["port"] = link.path  # edge.toml still says mt-sics
        finding = rig.only("scale")
    finally:
        link.stop()
    assert finding.status == "fail"
    assert "the module speaks ascii-stgs at 9600 baud, edge.toml says mt-sics at 9600" in finding.seen
    assert finding.fix == "python -m edge configure --set scale.protocol=ascii-stgs --set scale.baud=9600"


def test_printer_out_of_paper(rig: Rig) -> None:
    rig.printer.set_paper_out()
    finding = rig.only("printer")
    assert finding.status == "fail" and "paper_out" in finding.seen
    assert finding.fix == "打印机缺纸，请装纸 / Printer out of paper: load paper"


def test_a_printer_held_by_the_running_app_says_so(rig: Rig) -> None:
    """A network printer serves one connection at a time: while the scale app holds it, say so."""
    import socket

    held = socket.create_connection(("127.0.0.1", rig.server.port), timeout=5)  # the running app's connection
    try:
        finding = rig.only("printer")
    finally:
        held.close()
    assert finding.status == "fail" and "no_answer" in finding.seen
    assert "stop the app, then check again" in finding.fix and finding.fix.startswith("打印机无应答")


def test_printer_port_closed(rig: Rig) -> None:
    rig.settings["printer"]["connection"] = f"tcp:127.0.0.1:{free_port()}"
    finding = rig.only("printer")
    assert finding.status == "fail" and "cannot connect" in finding.seen


def test_broker_down(rig: Rig) -> None:
    rig.broker.stop()
    finding = rig.only("broker")
    assert finding.status == "fail" and "connection refused" in finding.seen
    assert "start mosquitto" in finding.fix


def test_wrong_mqtt_password(rig: Rig) -> None:
    rig.settings["sync"]["password"] = "not-the-password"
    finding = rig.only("broker")
    assert finding.status == "fail" and f"the broker refused {SCALE}'s login" in finding.seen
    assert "central scale password" in finding.fix


def test_missing_database(rig: Rig) -> None:
    (rig.tmp / "edge.db").unlink()
    finding = rig.only("database")
    assert finding.status == "fail" and "no database at" in finding.seen
    assert not (rig.tmp / "edge.db").exists()  # the doctor does not create one


def test_broken_event_chain(rig: Rig) -> None:
    with Store.open(rig.tmp / "edge.db") as store:
        for n in range(3):
            store.append_event("setting.changed", {"key": "scale.e_g", "old": 5, "new": 2 + n}, 1_795_000_000_000 + n)
        store.seal("张师傅", "检定", 1_795_000_000_009)  # sealed, so only the database check fails
    with sqlite3.connect(rig.tmp / "edge.db") as conn:  # someone edits the log behind the software's back
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("""UPDATE events SET data = '{"key":"scale.e_g","old":5,"new":5}' WHERE id = 2""")
    finding = rig.only("database")
    assert finding.status == "fail" and "the event log is broken from entry 2 on" in finding.seen


def test_an_unsealed_legal_change_fails_with_the_seal_command(rig: Rig) -> None:
    with Store.open(rig.tmp / "edge.db") as store:
        store.append_event("setting.changed", {"key": "scale.max_g", "old": 15000, "new": 6000}, 1_795_000_000_000)
    finding = rig.only("protection")
    assert finding.status == "fail" and "scale.max_g" in finding.seen and "event counter 1" in finding.seen
    assert "python -m edge seal" in finding.fix
    with Store.open(rig.tmp / "edge.db") as store:
        store.seal("张师傅", "复检合格", 1_795_000_000_001)
    assert rig.only("protection").status == "ok"


def test_clock_before_the_newest_sale(rig: Rig) -> None:
    from edge.store.samples import sale_builder

    with Store.open(rig.tmp / "edge.db", clock=lambda: 4_102_444_800_000) as store:  # 2100-01-01
        store.commit_sale("2099-12-31", sale_builder("2099-12-31", created_ms=4_102_444_800_000))
    found = rig.findings()
    clock = found["clock"][0]
    assert clock.status == "fail" and "the clock went backwards" in clock.seen


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_store_on_a_nearly_full_disk(rig: Rig, tmpfs: Path) -> None:
    rig.settings["store"]["path"] = str(tmpfs / "edge.db")
    Store.open(tmpfs / "edge.db").close()
    finding = rig.only("disk")
    assert finding.status == "fail" and "sales are about to be refused" in finding.seen


def test_clock_compared_with_centrals(rig: Rig) -> None:
    import time

    from central.db import Database
    from central.http import App, HttpServer

    db = Database(f"sqlite:///{rig.tmp / 'central' / 'central.db'}")
    server = HttpServer(App(db, None), "127.0.0.1", 0)
    server.start()
    try:
        rig.settings["ticket"]["trace_base_url"] = f"http://127.0.0.1:{server.port}"
        config = rig.config()
        in_step = doctor.check_clock(config, None)
        an_hour_fast = doctor.check_clock(config, None, now=lambda: time.time() + 3600)
    finally:
        server.stop()
        db.close()
    assert in_step.status == "ok" and "off central by" in in_step.seen
    assert an_hour_fast.status == "warn" and "s off central's clock" in an_hour_fast.seen
    skew = re.search(r"([+-]\d+) s off central's clock", an_hour_fast.seen)
    assert skew is not None and 3590 <= int(skew.group(1)) <= 3610
