"""Two `central serve` processes on one SQLite file: they share the drain and take turns writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.fleet.run import start_central, stop_processes
from tests.integration.central_support import drain_scales, register

pytestmark = pytest.mark.integration
MESSAGES, PER_MESSAGE = 10, 40


def test_two_processes_on_one_sqlite_file_store_everything_once(tmp_path: Path, mosquitto) -> None:  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'central.db'}"
    setup = register(db_url, tmp_path, n_scales=3)
    broker = mosquitto(setup.db)
    procs = start_central(db_url, broker.url("central", setup.central_password), receivers=2, workers=1,
                          log_dir=tmp_path)  # fmt: skip
    try:
        drain_scales(setup, broker.port, messages=MESSAGES, per_message=PER_MESSAGE, lines=2, resend_every=2)
        total = MESSAGES * PER_MESSAGE
        with setup.db.connection() as conn:
            assert conn.scalar("SELECT COUNT(*) FROM sales") == total * len(setup.scales)
            assert conn.scalar("SELECT COUNT(*) FROM sale_lines") == 2 * total * len(setup.scales)
            assert {m["acked_through"] for m in conn.all("SELECT acked_through FROM scale_sync")} == {total}
            assert conn.scalar("SELECT COUNT(*) FROM rejects") == 0
    finally:
        stop_processes(procs)
        setup.db.close()
    for log in sorted(tmp_path.glob("central-*.log")):
        text = log.read_text(errors="replace")
        assert "not stored" not in text and "locked" not in text, text[-2000:]
    assert (tmp_path / "central.db-writer.lock").exists()  # where the two processes queued for writing
