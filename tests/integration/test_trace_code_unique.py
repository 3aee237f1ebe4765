"""No two sales ever share a trace code, even when a scale's store is wiped and it restarts the same day.

Every part real: ``central serve`` behind Mosquitto, the headless scale app (``edge run
--headless``) with its virtual weighing module and the ESC/POS printer simulator. The
scale sells, its database is deleted (a fresh var/: an SD card replaced, a technician's
``rm``), and it sells again the same day, once with central reachable (it asks central
for its last numbers and continues after them) and once with central down (it numbers
from the range kept for a store that has not heard from central, docs/sync.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from edge.checkout import UNCONFIRMED_FLOORS
from edge.core.tracecode import parse_trace_code
from tests.integration.central_support import wait_for
from tests.integration.payment_support import Central, PaymentSystem
from tests.integration.test_payment_e2e import PayingConsole

pytestmark = pytest.mark.integration
ASKED = "central's last numbers of this scale"


@contextmanager
def scale_app(system: PaymentSystem, *, online: bool = True) -> Iterator[PayingConsole]:
    console = PayingConsole(system)
    try:
        if online:  # connected, and central's numbers applied before the first sale
            asked(console, 30, system)
        assert console.ask("wait 15")[-1] == "ok: 1.235 kg stable"
        yield console
        assert console.ask("quit")[-1] == "ok: stopping" and console.proc.wait(15) == 0
    finally:
        if console.proc.poll() is None:
            console.proc.kill()
            console.proc.wait(5)


def asked(console: PayingConsole, timeout_s: float, system: PaymentSystem | None = None) -> None:
    """Wait until the scale has applied central's numbering answer (it logs it)."""
    try:
        wait_for(lambda: any(ASKED in line for line in console.stderr), timeout_s, "central's numbering answer")
    except AssertionError as exc:
        said = "\n".join(console.stderr[-40:])
        central = "\n".join(system.central.log[-30:]) if system and system.central else ""
        raise AssertionError(f"{exc}; the scale said:\n{said}\ncentral said:\n{central}") from None


def sell(console: PayingConsole) -> tuple[str, int]:
    """One cash sale of PLU 1001; (trace code, seq) from the console's ``sale:`` line."""
    assert console.ask("plu 1001")[-1].startswith("ok: 1001")
    answer = console.ask("checkout cash")
    words = next(line for line in answer if line.startswith("sale: ")).split()
    return words[1], int(words[3])


def wipe_store(system: PaymentSystem) -> None:
    """The scale's database is gone (the device key stays: it is registered at central)."""
    for suffix in ("", "-wal", "-shm"):
        (system.tmp / f"edge.db{suffix}").unlink(missing_ok=True)


def central_rows(system: PaymentSystem) -> list[dict[str, Any]]:
    assert system.central is not None
    return system.central.rows("SELECT trace_code, seq, sale_id FROM sales ORDER BY received_ms")


def test_two_sales_never_share_a_trace_code_across_a_wiped_scale_and_a_restart(tmp_path: Path, mosquitto) -> None:
    system = PaymentSystem(tmp_path, mosquitto)
    sold: list[tuple[str, int]] = []
    try:
        with scale_app(system) as console:
            sold += [sell(console), sell(console)]
        wait_for(lambda: len(central_rows(system)) == 2, 30, "the first two sales at central")
        assert [parse_trace_code(code).daily_seq for code, _ in sold] == [1, 2]

        wipe_store(system)  # the same day, central reachable: the scale goes on after central's numbers
        with scale_app(system) as console:
            sold.append(sell(console))
        code, seq = sold[-1]
        assert (seq, parse_trace_code(code).daily_seq) == (3, 3)
        wait_for(lambda: len(central_rows(system)) == 3, 30, "the sale after the wipe at central")

        wipe_store(system)  # again, and this time central is down when the scale starts selling
        assert system.central is not None
        args = system.central.proc.args
        system.central.stop()
        with scale_app(system, online=False) as console:
            sold.append(sell(console))
            code, seq = sold[-1]
            assert (seq, parse_trace_code(code).daily_seq) == (UNCONFIRMED_FLOORS[0] + 1, UNCONFIRMED_FLOORS[1] + 1)
            db, mqtt, key = args[args.index("--db") + 1], args[args.index("--mqtt") + 1], args[args.index("--key") + 1]
            system.central = Central(db, mqtt, Path(key))  # central back: the sale goes up, the numbers come down
            asked(console, 60, system)
            sold.append(sell(console))
        assert parse_trace_code(sold[-1][0]).daily_seq == UNCONFIRMED_FLOORS[1] + 2
        wait_for(lambda: len(central_rows(system)) == 5, 60, f"every sale at central (sold {sold})")

        rows = central_rows(system)
        codes = [code for code, _ in sold]
        assert len(set(codes)) == len(codes) == 5, codes  # on the tickets
        assert sorted(r["trace_code"] for r in rows) == sorted(codes)  # and at central, each its own sale
        assert len({r["seq"] for r in rows}) == 5
        # nothing refused, nothing lost; the wiped event log is flagged, as a legal log's break must be
        assert {r["reason"] for r in system.central.rows("SELECT reason FROM rejects")} <= {"event_chain"}
        printed = [t.txt.read_text(encoding="utf-8") for t in system.printer.printed]
        assert len(printed) == 5 and all(any(c[-5:] in text.replace(" ", "") for text in printed) for c in codes)
    finally:
        system.close()
