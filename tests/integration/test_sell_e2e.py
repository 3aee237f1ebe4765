"""`python -m edge sell` end to end: simulated module on a pty, printer simulator over TCP,
the real store on disk, the ticket PNG's QR read back with a real decoder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from edge.store import Store
from simulator.printer.device import PrinterDevice
from simulator.printer.server import PrinterServer
from simulator.scale import PtyLink, VirtualScale

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class Rig:
    def __init__(self, tmp: Path, load_g: int) -> None:
        self.tmp = tmp
        self.scale = VirtualScale("mt-sics", seed=5, settle_s=0.2)
        self.scale.put(load_g)
        self.link = PtyLink(self.scale, directory=tmp).start()
        self.printer = PrinterDevice(tmp / "tickets")
        self.server = PrinterServer(self.printer, "127.0.0.1", 0).start()
        text = (ROOT / "examples" / "edge.toml").read_text(encoding="utf-8")
        text = text.replace('"../var/run/scale0"', f'"{self.link.path}"')
        text = text.replace("tcp:127.0.0.1:9100", f"tcp:127.0.0.1:{self.server.port}")
        text = text.replace('"../var/edge.db"', f'"{tmp / "edge.db"}"')
        text = text.replace('"catalog.json"', f'"{ROOT / "examples" / "catalog.json"}"')
        self.config = tmp / "edge.toml"
        self.config.write_text(text, encoding="utf-8")

    def edge(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "edge", *args, "--config", str(self.config)],
            capture_output=True, text=True, timeout=120, cwd=self.tmp,
        )

    def sell(self, *plus: str) -> subprocess.CompletedProcess[str]:
        args = [a for plu in plus for a in ("--plu", plu)]
        return self.edge("sell", *args, "--json", "--wait", "10")

    def close(self) -> None:
        self.server.stop()
        self.link.stop()


@pytest.fixture
def rig(tmp_path) -> Iterator[callable]:
    rigs: list[Rig] = []

    def make(load_g: int = 1235) -> Rig:
        rigs.append(Rig(tmp_path, load_g))
        return rigs[-1]

    yield make
    for r in rigs:
        r.close()


def test_sale_prints_a_ticket_whose_qr_leads_to_the_trace_page(rig):
    r = rig(1235)
    done = r.sell("1001", "4001:2")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["printed"] and result["net_g"] == [1235, 0]
    assert result["total_fen"] == 492 + 3000  # 1.235 kg x 3.98 = 4.9153 -> 4.92; 2 x 15.00
    ticket = r.printer.wait_for_ticket(1, timeout=10)
    decoded = zxingcpp.read_barcodes(Image.open(ticket.png))
    assert [d.text for d in decoded] == [f"http://127.0.0.1:8080/t/{result['trace_code']}"]
    text = ticket.txt.read_text(encoding="utf-8")
    assert "白菜" in text and "1.235kg" in text and "甘肃榆中" in text and "34.92" in text
    with Store.open(r.tmp / "edge.db") as store:
        sale = store.get_sale(result["sale_id"])
        assert sale is not None and sale.printed and sale.signature
        assert store.backlog() == 2  # waiting in the outbox for central: the sale, then "printed"
        assert [json.loads(text)["printed"] for _oseq, text in store.outbox_batch(10)] == [False, True]


def test_paper_out_keeps_the_sale_and_prints_it_once_on_recovery(rig):
    r = rig(480)
    r.printer.set_paper_out(True)
    done = r.sell("1002")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["printed"], result["printer"]) == (False, "paper_out")
    assert r.printer.printed == []
    with Store.open(r.tmp / "edge.db") as store:
        assert store.get_sale(result["sale_id"]) is not None
        [job] = store.pending_print_jobs()
        assert "缺纸" in job.last_error
    queued = r.edge("print")
    assert queued.returncode == 1 and "缺纸" in queued.stdout  # still out of paper: stays queued
    r.printer.set_paper_out(False)
    flushed = r.edge("print")
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    ticket = r.printer.wait_for_ticket(1, timeout=10)
    assert result["trace_code"][:6] in ticket.txt.read_text(encoding="utf-8").replace(" ", "")
    assert r.edge("print").returncode == 0 and len(r.printer.printed) == 1  # exactly once


def test_reprint_of_the_last_ticket_is_marked(rig):
    r = rig(1235)
    assert r.sell("1001").returncode == 0
    assert r.edge("print", "--reprint", "last").returncode == 0
    second = r.printer.wait_for_ticket(2, timeout=10)
    assert "重打" in second.txt.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("load_g", "plu", "message"),
    [
        pytest.param(60, "1001", "最小称量", id="below-min"),
        pytest.param(1235, "9999", "9999", id="unknown-plu"),
    ],
)
def test_refused_sales_say_why_and_record_nothing(rig, load_g, plu, message):
    r = rig(load_g)
    done = r.sell(plu)
    assert done.returncode == 3
    assert message in done.stderr
    with Store.open(r.tmp / "edge.db") as store:
        assert store.last_sale() is None


def test_no_weighing_module_is_a_clear_error(rig, tmp_path):
    r = rig(1235)
    r.link.stop()
    done = r.sell("1001")
    assert done.returncode == 3
    assert "称重模块" in done.stderr
