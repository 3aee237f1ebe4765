"""Sales reach central through a real Mosquitto and leave the outbox only when acked.

Store-and-forward cases: a plain drain (with payment updates), a broker outage, and a
broker that drops QoS-1 messages for a slow subscriber (max_queued_messages 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.config import IdentityConfig, SyncConfig
from edge.core.records import Payment, PaymentMethod, PaymentStatus
from edge.store import Store
from edge.store.samples import sale_builder
from edge.sync import SyncService
from tests.integration.sync_support import MARKET, SCALE, Broker, FakeCentral, wait_for

pytestmark = pytest.mark.integration

DAY = "2024-05-12"
IDENTITY = IdentityConfig(market_id=MARKET, scale_id=SCALE)


def sell(store: Store, n: int) -> list[str]:
    return [store.commit_sale(DAY, sale_builder(DAY)).sale_id for _ in range(n)]


def all_sale_ids(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT sale_id FROM sales")}


def service(store: Store, broker: Broker, **kw: object) -> SyncService:
    # username left empty: the scale logs in as its scale_id (docs/sync.md)
    config = SyncConfig(broker_url=broker.url, password=broker.scale_password, **kw)  # type: ignore[arg-type]
    return SyncService(config, IDENTITY, store, software_id="test", backoff_s=(0.2, 1.0))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path / "broker")
    b.start()
    yield b
    b.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "scale.db") as s:
        yield s


def test_sales_and_payment_updates_reach_central_and_the_outbox_empties(broker: Broker, store: Store) -> None:
    ids = sell(store, 450)
    for sale_id in ids[:5]:
        store.set_payment(sale_id, Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, f"wx-{sale_id[:8]}"))
    central = FakeCentral(broker)
    sync = service(store, broker)
    sync.start()
    try:
        wait_for(lambda: store.backlog() == 0, 60, "the outbox to empty")
        state = sync.state()
        assert state.connected and state.last_ack_ms is not None and state.last_error == ""
        assert state.acked_through == 455
        assert central.unique_sales() == set(ids)
        assert central.kinds["sale_update"] >= 5
        assert central.messages >= 3  # 455 rows at 200 per message
        assert central.bad == []
        wait_for(lambda: sync.state().backlog == 0, 10, "the state's backlog to catch up")
        # A sale made while running goes out too.
        (late,) = sell(store, 1)
        sync.wake()
        wait_for(lambda: late in central.unique_sales() and store.backlog() == 0, 30, "the late sale")
    finally:
        sync.stop()
        central.close()


def test_broker_outage_buffers_then_drains_without_loss(broker: Broker, store: Store) -> None:
    central = FakeCentral(broker)
    sync = service(store, broker)
    sync.start()
    try:
        first = sell(store, 100)
        wait_for(lambda: store.backlog() == 0, 60, "the first sales to drain")
        broker.stop()
        wait_for(lambda: not sync.state().connected, 30, "the service to notice the outage")
        during = sell(store, 300)
        wait_for(lambda: sync.state().backlog == 300, 10, "the backlog to show the buffered sales")
        assert "reconnecting" in sync.state().last_error or "cannot reach" in sync.state().last_error
        broker.start()
        wait_for(lambda: store.backlog() == 0, 90, "the backlog to drain after the broker came back")
        assert central.unique_sales() == set(first) | set(during) == all_sale_ids(store)
        assert central.bad == []
        wait_for(lambda: sync.state().connected and sync.state().last_error == "", 10, "a clean state")
    finally:
        sync.stop()
        central.close()


def test_broker_drops_for_a_slow_subscriber_are_resent(tmp_path: Path, store: Store) -> None:
    # One message in flight to each client and two queued; Mosquitto drops the rest.
    broker = Broker(tmp_path / "tiny", extra="max_inflight_messages 1\nmax_queued_messages 2")
    broker.start()
    central = FakeCentral(broker, delay_s=0.05, receive_maximum=1)
    sync = service(store, broker, batch_size=20, window=4, ack_timeout_s=1.0)
    try:
        ids = sell(store, 600)
        sync.start()
        wait_for(lambda: store.backlog() == 0, 180, "the outbox to drain through the tiny broker queue")
        assert central.unique_sales() == set(ids)
        assert central.bad == []
        # The point of the test: the broker did lose messages, and the resend rule made up for it.
        assert "Outgoing messages are being dropped" in broker.log()
        assert sync.state().resends > 0
    finally:
        sync.stop()
        central.close()
        broker.stop()


def test_a_wrong_password_is_reported_and_retried(broker: Broker, store: Store) -> None:
    sell(store, 3)
    config = SyncConfig(broker_url=broker.url, password="not-the-password")
    sync = SyncService(config, IDENTITY, store, software_id="test", backoff_s=(0.2, 1.0))
    sync.start()
    try:
        wait_for(lambda: "refused the connection" in sync.state().last_error, 30, "the refusal to be reported")
        state = sync.state()
        assert not state.connected and state.backlog == 3
        assert "[sync].username/password" in state.last_error
        assert store.backlog() == 3
    finally:
        sync.stop()
