"""Two receivers side by side on one PostgreSQL database, sharing the scales' messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.mqtt import MqttUrl
from central.receiver import Receiver
from tests.integration.central_support import MARKET, ScaleClient, register, sales_message, wait_for

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
    clients = []
    try:
        for scale in setup.scales:
            client = ScaleClient(broker.port, scale.scale_id, scale.password, f"s-{scale.scale_id}")
            client.subscribe(f"trace/v1/{MARKET}/{scale.scale_id}/ack")
            clients.append(client)
        for m in range(MESSAGES):
            for scale, client in zip(setup.scales, clients, strict=True):
                first = m * PER_MESSAGE + 1
                sales = [("sale", scale.sale(first + k, lines=1)) for k in range(PER_MESSAGE)]
                payload = sales_message(scale.scale_id, first, sales)
                topic = f"trace/v1/{MARKET}/{scale.scale_id}/sales"
                client.publish(topic, payload)
                if m % 3 == 0:
                    client.publish(topic, payload)  # a resend racing the original on the other receiver
        total = MESSAGES * PER_MESSAGE
        for client in clients:
            client.wait_ack(total, 60)
        with setup.db.connection() as conn:
            assert conn.scalar("SELECT COUNT(*) FROM sales") == total * len(setup.scales)
            assert conn.scalar("SELECT COUNT(DISTINCT sale_id) FROM sale_lines") == total * len(setup.scales)
            assert conn.scalar("SELECT COUNT(*) FROM sale_lines") == total * len(setup.scales)
            marks = conn.all("SELECT acked_through FROM scale_sync")
            assert {m["acked_through"] for m in marks} == {total}
            assert conn.scalar("SELECT COUNT(*) FROM rejects") == 0
        handled = [r.stats.messages for r in receivers]
        sent = len(setup.scales) * (MESSAGES + len(range(0, MESSAGES, 3)))
        assert sum(handled) == sent, handled  # each message went to exactly one receiver
        assert all(n > 0 for n in handled), handled  # and both took a share
        assert sum(r.stats.db_errors for r in receivers) == 0
    finally:
        for client in clients:
            client.close()
        for receiver in receivers:
            receiver.stop()
        setup.db.close()
