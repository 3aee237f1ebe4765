"""One print job, two printing processes (the app's worker and `edge print`): printed once.

Real parts: two Python processes with the scale's own print worker on one SQLite file, the
printer simulator on TCP decoding the ESC/POS bytes into tickets. The claim is a lease, so a
job whose claimer died is printed by the next process after the lease, not never.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.printer.connections import NetworkConnection
from edge.printer.demo import demo_batches, demo_settings
from edge.printer.queue import PrintWorker
from edge.store import Store
from edge.technician.toml_write import dumps
from simulator.printer.device import PrinterDevice
from simulator.printer.server import PrinterServer
from tests.integration.test_print_queue import add_sale, job_row

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RACERS = 2


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[tuple[PrinterDevice, PrinterServer]]:
    device = PrinterDevice(tmp_path / "tickets")
    server = PrinterServer(device, "127.0.0.1", 0).start()
    yield device, server
    server.stop()


def _scale(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "edge.toml"
    config.write_text(
        dumps({"store": {"path": "edge.db"}, "printer": {"connection": f"tcp:127.0.0.1:{port}"}}), encoding="utf-8"
    )
    return config


def _line(proc: subprocess.Popen[str], timeout_s: float = 30) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    assert ready, f"process {proc.pid} said nothing in {timeout_s} s"
    return proc.stdout.readline().strip()


def test_two_processes_race_for_one_job_and_it_prints_once(tmp_path: Path, printer) -> None:  # type: ignore[no-untyped-def]
    device, server = printer
    config = _scale(tmp_path, server.port)
    with Store.open(tmp_path / "edge.db") as store:
        for batch in demo_batches().values():
            store.upsert_batch(batch)
        sale, job_id = add_sale(store)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    racers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "integration" / "print_race_child.py"), str(config)],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(RACERS)
    ]
    try:
        assert [_line(p) for p in racers] == ["ready"] * RACERS
        for proc in racers:  # the start gun: both read the queue now
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = [json.loads(_line(p)) for p in racers]
        for proc in racers:
            assert proc.wait(30) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        for proc in racers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert sorted(r["printed"] for r in results) == [0, 1]
    assert len(device.tickets) == 1  # the printer simulator decoded exactly one ticket
    assert sale.trace_code[:6] in device.wait_for_ticket(1).txt.read_text(encoding="utf-8")
    with Store.open(tmp_path / "edge.db") as store:
        assert job_row(store, job_id)[2] is not None and store.pending_print_jobs() == []
        assert store.get_sale(sale.sale_id).printed  # type: ignore[union-attr]


def test_a_dead_claimers_job_is_printed_after_its_lease(tmp_path: Path, printer) -> None:  # type: ignore[no-untyped-def]
    device, server = printer
    now = [1_764_000_000_000]
    with Store.open(tmp_path / "edge.db") as store:
        for batch in demo_batches().values():
            store.upsert_batch(batch)
        _sale, job_id = add_sale(store)
        # a process claimed the job and died before printing it (its lease: 60 s)
        assert store.claim_print_job(job_id, "scale/4242/dead", now[0], 60_000)
        worker = PrintWorker(
            store,
            NetworkConnection("127.0.0.1", server.port),
            demo_settings(),
            after_print_delay_s=0,
            clock_ms=lambda: now[0],
        )
        try:
            assert worker.run_once(force=True) == 0 and device.tickets == []  # still claimed
            now[0] += 59_000
            assert worker.run_once(force=True) == 0
            now[0] += 2_000  # the lease has run out
            assert worker.run_once(force=True) == 1
        finally:
            worker.connection.close()
        assert len(device.tickets) == 1 and job_row(store, job_id)[2] is not None
        assert not store.claim_print_job(job_id, "scale/4243/late", now[0], 60_000)  # done: nobody claims it


def test_a_failed_attempt_gives_the_claim_back(tmp_path: Path, printer) -> None:  # type: ignore[no-untyped-def]
    device, server = printer
    with Store.open(tmp_path / "edge.db") as store:
        for batch in demo_batches().values():
            store.upsert_batch(batch)
        _sale, job_id = add_sale(store)
        device.set_paper_out(True)
        worker = PrintWorker(store, NetworkConnection("127.0.0.1", server.port), demo_settings(), after_print_delay_s=0)
        try:
            assert worker.run_once(force=True) == 0
        finally:
            worker.connection.close()
        assert "纸" in job_row(store, job_id)[1]  # paper out, kept pending
        # the claim went back with the failure: another process may print it at once
        assert store.claim_print_job(job_id, "scale/4244/app", 1, 60_000)
