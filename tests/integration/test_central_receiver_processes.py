"""``central serve --receivers N`` on PostgreSQL: N processes on the shared subscription,
every sale stored once, a receiver that dies is started again, SIGTERM stops them all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.central_support import drain_scales, register, wait_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
MESSAGES, PER_MESSAGE = 8, 20


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_receiver_processes_store_each_sale_once_and_are_restarted(tmp_path: Path, mosquitto, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    setup = register(pg_url, tmp_path, n_scales=3)
    broker = mosquitto(setup.db)
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CENTRAL_MQTT": broker.url("central", setup.central_password)}
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "central", "serve", "--db", pg_url, "--receivers", "3", "--client-id", "c"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
        )  # fmt: skip
    text = lambda: log.read_text(errors="replace")  # noqa: E731
    try:
        wait_for(lambda: len(re.findall(r"receiver c(-\d)? subscribed", text())) == 3, 30, "three receivers")
        children = [int(p) for p in re.findall(r"receiver \d started \(pid (\d+)\)", text())]
        assert len(children) == 2 and all(_alive(p) for p in children)
        assert str(setup.central_password) not in " ".join(  # the broker password stays off command lines
            Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace") for p in children
        )

        sent = drain_scales(setup, broker.port, messages=MESSAGES, per_message=PER_MESSAGE, lines=2, resend_every=2)
        total = MESSAGES * PER_MESSAGE * len(setup.scales)
        assert sent > MESSAGES * len(setup.scales)  # resends were in the traffic
        with setup.db.connection() as conn:
            assert conn.scalar("SELECT COUNT(*) FROM sales") == total
            assert conn.scalar("SELECT COUNT(DISTINCT sale_id) FROM sales") == total
            assert conn.scalar("SELECT COUNT(*) FROM sale_lines") == total * 2
            assert conn.scalar("SELECT COUNT(*) FROM rejects") == 0
            # all three took part: each holds its own connection to the database
            apps = conn.scalar("SELECT COUNT(DISTINCT pid) FROM pg_stat_activity WHERE datname = current_database()")
            assert apps >= 3

        os.kill(children[0], signal.SIGKILL)  # a receiver dies: the pool starts another
        wait_for(lambda: "exited with -9; starting it again" in text(), 10, "the pool to notice")
        wait_for(lambda: len(re.findall(r"receiver c(-\d)? subscribed", text())) == 4, 30, "the new receiver")
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        setup.db.close()
    assert serve.returncode == 0
    restarted = [int(p) for p in re.findall(r"receiver \d started \(pid (\d+)\)", text())]
    assert len(restarted) == 3 and not any(_alive(p) for p in restarted)  # SIGTERM stopped every child
