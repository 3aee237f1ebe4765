"""Printer connections over real sockets/ptys/files, and the print worker against the real Store.

The "printer" is a small TCP server that answers DLE EOT like an Epson-compatible printer
and counts the tickets (cuts) it receives.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import tty
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from edge.core.records import PrintJob, Sale
from edge.core.tracecode import make_trace_code
from edge.printer import commands as cmd
from edge.printer.connections import (
    FileConnection,
    NetworkConnection,
    SerialConnection,
    UsbConnection,
    open_connection,
)
from edge.printer.demo import demo_batches, demo_sale, demo_settings
from edge.printer.errors import PrinterError
from edge.printer.queue import PrintWorker
from edge.printer.status import MESSAGES, query_status
from edge.store import Store

pytestmark = pytest.mark.integration

CUT = cmd.CUT_PARTIAL


def wait_for(cond: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


class FakeTcpPrinter:
    """An ESC/POS network printer on 127.0.0.1: answers DLE EOT 1..4, keeps the job bytes."""

    def __init__(self) -> None:
        self.paper_out = False
        self.cover_open = False
        self.silent = False
        self.run_out_after_ticket = False  # paper ends while printing the next ticket
        self.jobs = bytearray()  # everything except status requests
        self.accepted = 0
        self._clients: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def tickets(self) -> int:
        with self._lock:
            return self.jobs.count(CUT)

    def _answer(self, n: int) -> int:
        offline = self.paper_out or self.cover_open
        return {
            1: 0x12 | (0x08 if offline else 0),
            2: 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0),
            3: 0x12,
            4: 0x12 | (0x6C if self.paper_out else 0),
        }[n]

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.accepted += 1
            self._clients.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        pending = b""
        while True:
            try:
                chunk = client.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            data = pending + chunk
            pending = b""
            i = 0
            while i < len(data):
                if data[i] == 0x10:
                    if len(data) - i < 3:
                        pending = data[i:]
                        break
                    if data[i + 1] == 0x04 and data[i + 2] in (1, 2, 3, 4):
                        if not self.silent:
                            client.sendall(bytes([self._answer(data[i + 2])]))
                        i += 3
                        continue
                with self._lock:
                    self.jobs.append(data[i])
                    if self.run_out_after_ticket and self.jobs.endswith(CUT):
                        self.paper_out = True
                        self.run_out_after_ticket = False
                i += 1

    def drop_clients(self) -> None:
        for c in self._clients:
            c.close()
        self._clients.clear()

    def close(self) -> None:
        self.drop_clients()
        self._server.close()


@pytest.fixture
def printer() -> Iterator[FakeTcpPrinter]:
    p = FakeTcpPrinter()
    yield p
    p.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- connections


def test_network_connection_roundtrip_and_status(printer: FakeTcpPrinter) -> None:
    conn = NetworkConnection("127.0.0.1", printer.port)
    conn.write(b"\x1b@hello\n" + CUT)
    status = query_status(conn, timeout_s=1.0)
    assert status.code == "ok" and status.ready
    wait_for(lambda: printer.tickets == 1)
    printer.paper_out = True
    assert query_status(conn, timeout_s=1.0).message == MESSAGES["paper_out"]
    printer.silent = True
    assert query_status(conn, timeout_s=0.1).code == "no_answer"
    conn.close()


def test_network_reconnects_after_broken_socket(printer: FakeTcpPrinter) -> None:
    conn = NetworkConnection("127.0.0.1", printer.port, write_timeout_s=1.0)
    conn.write(b"first\n")
    wait_for(lambda: printer.accepted == 1)
    printer.drop_clients()  # printer rebooted / cable pulled
    with pytest.raises(PrinterError, match="reconnect on the next try"):
        for _ in range(200):  # the kernel may accept a few writes before it notices the reset
            conn.write(b"x" * 1024)
            conn.read(1, 0.01)
            time.sleep(0.005)
    assert not conn.is_open
    conn.write(b"again\n" + CUT)  # opens a fresh socket
    wait_for(lambda: printer.accepted == 2 and printer.tickets == 1)
    assert query_status(conn, timeout_s=1.0).ready
    conn.close()


def test_network_refused_says_what_to_check() -> None:
    conn = NetworkConnection("127.0.0.1", free_port(), connect_timeout_s=1.0)
    with pytest.raises(PrinterError, match=r"cannot connect to printer 127\.0\.0\.1:\d+.*switched on"):
        conn.write(b"x")
    status = query_status(conn)
    assert status.code == "connection" and not status.ready


def test_file_connection_appends(tmp_path: Path) -> None:
    path = tmp_path / "spool.bin"
    with FileConnection(path) as conn:
        conn.write(b"one")
        conn.write(b"two")
        assert conn.read(1, 0.01) == b"" and not conn.supports_status
    FileConnection(path).write(b"three")
    assert path.read_bytes() == b"onetwothree"
    with pytest.raises(PrinterError, match="cannot open ticket file"):
        FileConnection(tmp_path / "missing-dir" / "x.bin").write(b"x")


def _pty() -> tuple[int, str]:
    master, slave = os.openpty()
    tty.setraw(slave)  # no newline translation: the bytes arrive as sent
    return master, os.ttyname(slave)


def test_usb_connection_device_file() -> None:
    master, path = _pty()  # stands in for /dev/usb/lp0: a character device read and written as a file
    conn = UsbConnection(path, write_timeout_s=1.0)
    conn.write(b"\x1b@ticket\n" + CUT)
    assert os.read(master, 100) == b"\x1b@ticket\n" + CUT
    assert conn.read(1, 0.05) == b""
    os.write(master, b"\x12")
    assert conn.read(1, 1.0) == b"\x12"
    conn.close()
    os.close(master)
    with pytest.raises(PrinterError, match="no USB printer at /dev/usb/lp9"):
        UsbConnection("/dev/usb/lp9").open()


def test_serial_connection_over_pty() -> None:
    master, path = _pty()
    conn = SerialConnection(path, 9600, write_timeout_s=2.0)
    received = bytearray()

    def printer_side() -> None:
        stream = bytearray()
        while CUT not in stream:
            stream += os.read(master, 4096)
        end = stream.index(CUT) + len(CUT)
        received.extend(stream[:end])
        requests = stream[end:]
        for _ in range(3):  # answer DLE EOT 1, 2, 4
            while len(requests) < 3:
                requests += os.read(master, 3)
            req, requests = requests[:3], requests[3:]
            assert req[:2] == b"\x10\x04"
            os.write(master, b"\x12" if req[2] != 4 else b"\x1e")

    t = threading.Thread(target=printer_side, daemon=True)
    t.start()
    ticket = b"\x1b@" + "白菜".encode("gb18030") * 500 + CUT
    conn.write(ticket)  # returns once the bytes have left the port
    status = query_status(conn, timeout_s=2.0)
    t.join(2)
    assert bytes(received) == ticket
    assert status.code == "paper_near_end" and status.ready
    conn.close()
    os.close(master)
    with pytest.raises(PrinterError, match="cannot open printer port /dev/nonexistent-tty"):
        SerialConnection("/dev/nonexistent-tty").open()


def test_open_connection_specs(tmp_path: Path) -> None:
    assert isinstance(open_connection("tcp:10.0.0.5:9100"), NetworkConnection)
    assert open_connection("tcp:10.0.0.5").port == 9100
    s = open_connection("serial:/dev/ttyS1?baud=19200&dsrdtr=1")
    assert isinstance(s, SerialConnection) and s.baudrate == 19200 and s.dsrdtr
    assert isinstance(open_connection("usb:/dev/usb/lp0"), UsbConnection)
    assert isinstance(open_connection(f"file:{tmp_path}/t.bin"), FileConnection)
    with pytest.raises(ValueError, match="unknown kind"):
        open_connection("bluetooth:aa")


# --- the print worker and the real store


DAY = date(2024, 5, 1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "scale.db") as s:
        for batch in demo_batches().values():
            s.upsert_batch(batch)
        yield s


def add_sale(store: Store, lines: int = 3) -> tuple[Sale, int]:
    """Commit a sale (which queues its ticket job, as at the counter); returns it and the job id."""
    sale = store.commit_sale(
        DAY.isoformat(),
        lambda seq, daily: demo_sale(
            lines, sale_id=f"sale-{seq}", seq=seq, trace_code=make_trace_code("620102", 1, DAY, daily)
        ),
    )
    job = [j for j in store.pending_print_jobs(limit=1000) if j.sale_id == sale.sale_id][-1]
    return sale, job.job_id


def job_row(store: Store, job_id: int) -> tuple[int, str, int | None]:
    """(attempts, last_error, done_ms), read on a connection of its own (WAL: no interference)."""
    with closing(sqlite3.connect(store.path)) as conn:
        return conn.execute(
            "SELECT attempts, last_error, done_ms FROM print_jobs WHERE job_id = ?", (job_id,)
        ).fetchone()


def make_worker(store: Store, port: int, **kw: object) -> PrintWorker:
    options: dict = {"poll_s": 0.2, "after_print_delay_s": 0.05, "backoff_s": (0.2,), "status_timeout_s": 0.3}
    options.update(kw)
    return PrintWorker(store, NetworkConnection("127.0.0.1", port, connect_timeout_s=1.0), demo_settings(), **options)


def test_paper_out_then_loaded_prints_exactly_once(store: Store, printer: FakeTcpPrinter) -> None:
    printer.paper_out = True
    sale, job_id = add_sale(store, 3)
    seen: list[str] = []
    worker = make_worker(store, printer.port, on_status=lambda s: seen.append(s.code))
    worker.start()
    try:
        wait_for(lambda: job_row(store, job_id)[0] >= 2)  # tried, failed, retried after the backoff
        _, error, done = job_row(store, job_id)
        assert error == "打印机缺纸，请装纸 / Printer out of paper: load paper"
        assert done is None and printer.tickets == 0
        assert worker.last_status is not None and worker.last_status.paper_out
        assert [j.job_id for j in store.pending_print_jobs()] == [job_id]
        assert store.get_sale(sale.sale_id).printed is False

        printer.paper_out = False  # the vendor loads paper and presses "print"
        worker.wake()
        wait_for(lambda: job_row(store, job_id)[2] is not None)
        time.sleep(0.5)  # several more polls: nothing is printed twice
    finally:
        worker.stop()
    assert printer.tickets == 1
    assert worker.printed == 1 and worker.last_status is not None and worker.last_status.ready
    assert store.pending_print_jobs() == []
    assert store.get_sale(sale.sale_id).printed is True
    assert "paper_out" in seen and seen[-1] == "ok"
    assert printer.jobs.startswith(cmd.INIT) and "白菜".encode("gb18030") in printer.jobs
    assert sale.trace_code.encode() in printer.jobs  # inside the QR's store-data command


def test_reprint_job_is_marked(store: Store, printer: FakeTcpPrinter) -> None:
    sale, _ = add_sale(store, 1)
    store.enqueue_print(sale.sale_id, "reprint")
    worker = make_worker(store, printer.port)
    assert worker.run_once() == 2
    assert printer.tickets == 2
    first, second = bytes(printer.jobs).split(CUT)[:2]
    mark = "重打 / REPRINT".encode("gb18030")
    assert mark not in first and mark in second


def test_unreachable_printer_keeps_job_and_never_raises(store: Store) -> None:
    _, job_id = add_sale(store, 2)
    worker = make_worker(store, free_port())
    assert worker.run_once() == 0
    attempts, error, done = job_row(store, job_id)
    assert attempts == 1 and done is None
    assert error.startswith("打印机连接失败 / Printer connection failed: cannot connect")
    assert worker.last_status is not None and worker.last_status.code == "connection"
    assert worker.run_once() == 0  # inside the backoff: not even tried
    assert job_row(store, job_id)[0] == 1


def test_paper_running_out_mid_ticket_keeps_job(store: Store, printer: FakeTcpPrinter) -> None:
    _, job_id = add_sale(store, 3)
    printer.run_out_after_ticket = True
    worker = make_worker(store, printer.port)
    assert worker.run_once() == 0
    assert job_row(store, job_id)[1] == MESSAGES["paper_out"] and job_row(store, job_id)[2] is None
    printer.paper_out = False
    assert worker.run_once(force=True) == 1  # the customer gets a whole ticket
    assert printer.tickets == 2 and job_row(store, job_id)[2] is not None


def test_unprintable_job_does_not_block_the_queue(store: Store, printer: FakeTcpPrinter) -> None:
    lost, lost_job = add_sale(store, 1)
    _, ok_job = add_sale(store, 2)

    class LosingStore:  # the real store, but one sale cannot be read back
        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def get_sale(self, sale_id: str) -> Sale | None:
            return None if sale_id == lost.sale_id else store.get_sale(sale_id)

    worker = PrintWorker(
        LosingStore(), NetworkConnection("127.0.0.1", printer.port), demo_settings(), after_print_delay_s=0
    )
    assert worker.run_once() == 1
    assert f"sale {lost.sale_id} not found" in job_row(store, lost_job)[1]
    assert job_row(store, ok_job)[2] is not None
    assert worker.run_once() == 0 and job_row(store, lost_job)[0] == 1  # not retried in a loop


def test_broken_store_does_not_escape(printer: FakeTcpPrinter) -> None:
    class Broken:
        def pending_print_jobs(self, limit: int = 10) -> list[PrintJob]:
            raise sqlite3.OperationalError("disk I/O error")

    worker = PrintWorker(Broken(), NetworkConnection("127.0.0.1", printer.port), demo_settings())  # type: ignore[arg-type]
    assert worker.run_once() == 0
    worker.start()
    worker.wake()
    time.sleep(0.1)
    worker.stop()


def test_store_factory_is_opened_in_the_worker_thread(tmp_path: Path, printer: FakeTcpPrinter) -> None:
    path = tmp_path / "scale.db"
    with Store.open(path) as setup:
        for batch in demo_batches().values():
            setup.upsert_batch(batch)
        _, job_id = add_sale(setup, 1)
    threads: list[str] = []

    def open_store() -> Store:
        threads.append(threading.current_thread().name)
        return Store.open(path)

    worker = make_worker(open_store, printer.port)  # type: ignore[arg-type]
    worker.start()
    try:
        wait_for(lambda: printer.tickets == 1)
    finally:
        worker.stop()
    assert threads == ["print-worker"]
    with Store.open(path) as check:
        assert job_row(check, job_id)[2] is not None


def test_file_printer_without_status(store: Store, tmp_path: Path) -> None:
    _, job_id = add_sale(store, 2)
    out = tmp_path / "tickets.bin"
    worker = PrintWorker(store, FileConnection(out), demo_settings(), after_print_delay_s=0)
    assert worker.run_once() == 1
    assert out.read_bytes().endswith(CUT) and job_row(store, job_id)[2] is not None
    assert worker.last_status is not None and worker.last_status.code == "unchecked"
