"""The printer simulator end to end: real sockets, a real pty, the CLI as a subprocess.

Tickets are decoded back from the PNG with zxing-cpp, as a customer's phone would.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
import zxingcpp
from PIL import Image

from simulator.printer.device import PrinterDevice
from simulator.printer.server import PrinterPty, PrinterServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ESC, GS, FS, DLE = b"\x1b", b"\x1d", b"\x1c", b"\x10"
CUT = GS + b"V\x42\x00"
URL = "https://trace.example.cn/t/62010200125110200017"
STATUS = {n: DLE + b"\x04" + bytes([n]) for n in (1, 2, 3, 4)}


def qr_bytes(data: bytes, module: int = 6) -> bytes:
    store_len = len(data) + 3
    return (
        GS + b"(k" + bytes([4, 0, 49, 65, 50, 0])
        + GS + b"(k" + bytes([3, 0, 49, 67, module])
        + GS + b"(k" + bytes([3, 0, 49, 69, 49])
        + GS + b"(k" + bytes([store_len % 256, store_len // 256, 49, 80, 48]) + data
        + GS + b"(k" + bytes([3, 0, 49, 81, 48])
    )  # fmt: skip


def trace_ticket(name: str = "白菜", url: str = URL) -> bytes:
    """A trace ticket as the edge prints it: init, Chinese mode, centred title, lines, QR, cut."""
    return (
        ESC + b"@" + FS + b"&"
        + ESC + b"a\x01" + GS + b"!\x11" + ESC + b"E\x01" + "溯源票".encode("gb18030") + b"\n"
        + GS + b"!\x00" + ESC + b"E\x00" + ESC + b"a\x00"
        + f"{name} 1.235kg x 6.00元/kg".encode("gb18030") + b"\n"
        + "合计：7.41元".encode("gb18030") + b"\n"
        + ESC + b"a\x01" + qr_bytes(url.encode()) + b"\n"
        + "追溯码 62010200125110200017".encode("gb18030") + b"\n"
        + ESC + b"d\x03" + CUT
    )  # fmt: skip


def decode_qr(png: Path) -> list[str]:
    with Image.open(png) as image:
        return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.fixture
def device(tmp_path: Path) -> PrinterDevice:
    return PrinterDevice(tmp_path / "out", paper=58)


@pytest.fixture
def server(device: PrinterDevice) -> Iterator[PrinterServer]:
    with PrinterServer(device, "127.0.0.1", 0) as running:
        assert isinstance(running, PrinterServer)
        yield running


def exchange(port: int, data: bytes, answers: int = 0) -> bytes:
    """One connection: send, read `answers` status bytes, close."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(data)
        received = b""
        while len(received) < answers:
            chunk = conn.recv(16)
            if not chunk:
                break
            received += chunk
        return received


def test_ticket_over_tcp_gives_png_text_and_bytes(device: PrinterDevice, server: PrinterServer) -> None:
    data = trace_ticket()
    exchange(server.port, data)
    ticket = device.wait_for_ticket(1)

    out = device.out_dir
    assert ticket.png == out / "ticket-0001.png"
    assert {p.name for p in out.iterdir()} == {f"ticket-0001.{ext}" for ext in ("png", "txt", "bin", "json")}
    assert decode_qr(ticket.png) == [URL]
    text = ticket.txt.read_text(encoding="utf-8")
    assert text.splitlines()[:3] == ["溯源票", "白菜 1.235kg x 6.00元/kg", "合计：7.41元"]
    assert f"[QR] {URL}" in text and "追溯码 62010200125110200017" in text
    assert ticket.bin.read_bytes() == data
    meta = json.loads(ticket.json.read_text(encoding="utf-8"))
    assert meta["warnings"] == [] and meta["cut"] == "partial"
    assert meta["qr"] == [{"data": URL, "module_size": 6, "ecc": "M"}]
    with Image.open(ticket.png) as image:
        assert image.width == 384


def test_80mm_paper_is_576_dots(tmp_path: Path) -> None:
    device = PrinterDevice(tmp_path, paper=80)
    device.receive(trace_ticket())
    with Image.open(device.wait_for_ticket(1).png) as image:
        assert image.width == 576
    assert decode_qr(device.tickets[0]) == [URL]


def test_sequential_connections_and_several_tickets_per_connection(
    device: PrinterDevice, server: PrinterServer
) -> None:
    exchange(server.port, trace_ticket("白菜", URL + "1") + trace_ticket("猪肉", URL + "2"))
    exchange(server.port, trace_ticket("苹果", URL + "3"))
    device.wait_for_ticket(3)

    assert [p.name for p in device.tickets] == ["ticket-0001.png", "ticket-0002.png", "ticket-0003.png"]
    assert [decode_qr(p) for p in device.tickets] == [[URL + "1"], [URL + "2"], [URL + "3"]]
    assert "猪肉" in device.printed[1].txt.read_text(encoding="utf-8")
    assert server.connections == 2


def test_numbering_continues_after_existing_tickets(tmp_path: Path) -> None:
    (tmp_path / "ticket-0007.png").write_bytes(b"")
    device = PrinterDevice(tmp_path)
    device.receive(trace_ticket())
    assert device.wait_for_ticket(1).png.name == "ticket-0008.png"


def test_connection_closed_without_cut_still_prints(device: PrinterDevice, server: PrinterServer) -> None:
    exchange(server.port, ESC + b"@" + b"forgot the cut\n")
    ticket = device.wait_for_ticket(1)
    assert ticket.txt.read_text(encoding="utf-8") == "forgot the cut\n"
    assert any("without a cut" in w for w in ticket.warnings)


def test_status_over_tcp_with_paper_out(device: PrinterDevice, server: PrinterServer) -> None:
    assert exchange(server.port, STATUS[1] + STATUS[2] + STATUS[3] + STATUS[4], answers=4) == bytes(
        [0x12, 0x12, 0x12, 0x12]
    )

    device.set_paper_out(True)
    answers = exchange(server.port, STATUS[4] + STATUS[1] + STATUS[2], answers=3)
    assert answers[0] & 0x60 == 0x60  # paper-end sensor bits 5 and 6
    assert answers == bytes([0x72, 0x1A, 0x32])  # offline; offline cause: printing stopped by paper end

    ticket = trace_ticket()
    assert exchange(server.port, ticket + STATUS[4], answers=1) == b"\x72"  # still answered while out
    time.sleep(0.2)
    assert device.tickets == []
    assert device.discarded_bytes == len(ticket)

    device.set_paper_out(False)
    device.set_paper_near_end(True)
    assert exchange(server.port, STATUS[4], answers=1) == bytes([0x1E])  # near end: bits 2 and 3
    exchange(server.port, trace_ticket())
    assert decode_qr(device.wait_for_ticket(1).png) == [URL]


def test_cover_open_and_offline_status_bits(device: PrinterDevice, server: PrinterServer) -> None:
    device.set_cover_open(True)
    assert exchange(server.port, STATUS[1] + STATUS[2], answers=2) == bytes([0x1A, 0x16])
    device.set_cover_open(False)
    device.set_offline(True)
    assert exchange(server.port, STATUS[1] + STATUS[2], answers=2) == bytes([0x1A, 0x12])


def test_pty_link_with_pyserial(device: PrinterDevice, tmp_path: Path) -> None:
    with PrinterPty(device, tmp_path / "dev", name="printer0") as link:
        assert isinstance(link, PrinterPty)
        path = Path(link.path)
        assert path.is_symlink() and path.resolve().as_posix().startswith("/dev/pts/")
        with serial.Serial(str(path), baudrate=9600, timeout=5) as port:
            port.write(STATUS[4])
            assert port.read(1) == b"\x12"
            port.write(trace_ticket())
            ticket = device.wait_for_ticket(1)
        with serial.Serial(str(path), baudrate=9600, timeout=5) as port:  # reopen, like the edge after a restart
            port.write(trace_ticket("黄瓜"))
            second = device.wait_for_ticket(2)
    assert decode_qr(ticket.png) == [URL]
    assert "黄瓜" in second.txt.read_text(encoding="utf-8")
    assert not path.exists()


class Cli:
    """`python -m simulator printer ...` as a subprocess, stdout read line by line without hanging."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulator", "printer", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def first_line(self, timeout: float = 20) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "the printer printed no listen line"
        return self.proc.stdout.readline().strip()

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, stderr = self.proc.communicate(timeout=20)
        return self.proc.returncode, stderr


def test_cli_over_tcp(tmp_path: Path) -> None:
    out = tmp_path / "tickets"
    cli = Cli("--listen", "tcp:127.0.0.1:0", "--out", str(out), "--paper", "58")
    try:
        listen = cli.first_line()
        assert listen.startswith("tcp:127.0.0.1:")
        port = int(listen.rsplit(":", 1)[1])
        assert port > 0
        exchange(port, trace_ticket())
        png = out / "ticket-0001.png"
        deadline = time.monotonic() + 20
        while not (out / "ticket-0001.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert decode_qr(png) == [URL]

        cli.command("paper-out")
        deadline = time.monotonic() + 20
        while exchange(port, STATUS[4], answers=1) != b"\x72":
            assert time.monotonic() < deadline, "paper-out on stdin did not change the status"
            time.sleep(0.05)
    finally:
        code, stderr = cli.stop()
    assert code == 0
    assert "ticket-0001.png" in stderr


def test_cli_over_pty_and_quit(tmp_path: Path) -> None:
    cli = Cli("--listen", "pty", "--dir", str(tmp_path / "dev"), "--out", str(tmp_path / "out"))
    try:
        path = cli.first_line()
        assert path == str(tmp_path / "dev" / "printer0")
        with serial.Serial(path, timeout=5) as port:
            port.write(STATUS[1])
            assert port.read(1) == b"\x12"
        cli.command("quit")
        assert cli.proc.wait(timeout=20) == 0
    finally:
        cli.stop()
