"""Two receivers side by side on one PostgreSQL database, sharing the scales' messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.mqtt import MqttUrl
from central.receiver import Receiver
from tests.integration.central_support import drain_scales, register, wait_for

pytestmark = pytest.mark.integration
MESSAGES, PER_MESSAGE = 12, 25


def test_two_receivers_share_the_load_without_duplicates(tmp_path: Path, mosquitto, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    setup = register(pg_url, tmp_path, n_scales=3)
    broker = mosquitto(setup.db)
    url = MqttUrl.parse(broker.url("central", setup.central_password))
    receivers = [Receiver(setup.db, url, client_id=f"central-{i}", workers=2) for i in range(2)]
    for receiver in receivers:
        receiver.start()
    for receiver in receivers:
        wait_for(receiver.connected.is_set, 10, "receivers to connect")
    try:
        sent = drain_scales(setup, broker.port, messages=MESSAGES, per_message=PER_MESSAGE, lines=1, resend_every=3)
        total = MESSAGES * PER_MESSAGE
        with setup.db.connection() as conn:
            assert conn.scalar("SELECT COUNT(*) FROM sales") == total * len(setup.scales)
            assert conn.scalar("SELECT COUNT(DISTINCT sale_id) FROM sale_lines") == total * len(setup.scales)
            assert conn.scalar("SELECT COUNT(*) FROM sale_lines") == total * len(setup.scales)
            marks = conn.all("SELECT acked_through FROM scale_sync")
            assert {m["acked_through"] for m in marks} == {total}
            assert conn.scalar("SELECT COUNT(*) FROM rejects") == 0
        handled = [r.stats.messages for r in receivers]
        assert sum(handled) == sent, handled  # each message went to exactly one receiver
        assert all(n > 0 for n in handled), handled  # and both took a share
        assert sum(r.stats.db_errors for r in receivers) == 0
    finally:
        for receiver in receivers:
            receiver.stop()
        setup.db.close()
