"""The retained status heartbeat, the offline will on an unclean end, offline on a clean stop."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from edge.config import IdentityConfig, SyncConfig
from edge.store import Store
from edge.store.samples import sale_builder
from edge.sync import SyncService
from tests.broker import free_port
from tests.integration.sync_support import MARKET, SCALE, Broker, Subscriber, wait_for
from tests.integration.test_sync_restart import Child

pytestmark = pytest.mark.integration

DAY = "2024-05-12"
STATUS = f"trace/v1/{MARKET}/{SCALE}/status"


class StatusWatcher(Subscriber):
    def __init__(self, broker: Broker) -> None:
        self.seen: list[tuple[dict[str, Any], bool]] = []  # (payload, retained flag)
        self.lock = threading.Lock()
        super().__init__(broker, f"watch-{free_port()}")
        self.client.on_message = self._on_message
        self.subscribe(STATUS)

    def _on_message(self, _c: object, _u: object, msg: Any) -> None:
        with self.lock:
            self.seen.append((json.loads(msg.payload), bool(msg.retain)))

    def latest(self) -> dict[str, Any] | None:
        with self.lock:
            return self.seen[-1][0] if self.seen else None


def retained_status(broker: Broker) -> dict[str, Any]:
    """What a newcomer (central after a restart) reads from the status topic ({} if nothing
    is retained: the broker sends retained messages right after the subscription)."""
    watcher = StatusWatcher(broker)
    try:
        try:
            wait_for(lambda: watcher.latest() is not None, 3, "the retained status")
        except AssertionError:
            return {}
        payload, retained = watcher.seen[0]
        return payload if retained else {}
    finally:
        watcher.close()


def test_heartbeat_is_retained_and_clean_stop_says_offline(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker")
    broker.start()
    try:
        with Store.open(tmp_path / "scale.db") as store:
            sale = store.commit_sale(DAY, sale_builder(DAY))
            event = store.append_event("setting.changed", {"key": "scale.e_g", "value": 5}, 1_700_000_000_000)
            sync = SyncService(
                SyncConfig(broker_url=broker.url, password=broker.scale_password, heartbeat_s=0.5),
                IdentityConfig(market_id=MARKET, scale_id=SCALE),
                store,
                printer_state=lambda: "paper_low",
                software_id="0.1.0+abcdef123456",
            )
            sync.start()
            watcher = StatusWatcher(broker)
            try:
                wait_for(lambda: len(watcher.seen) >= 3, 30, "three heartbeats")
                status = retained_status(broker)
                assert status["schema"] == "status/1" and status["online"] is True
                assert status["scale_id"] == SCALE
                assert status["software_id"] == "0.1.0+abcdef123456"
                assert status["printer"] == "paper_low"
                assert status["last_sale_ms"] == sale.created_ms
                assert (status["last_event_id"], status["last_event_hash"]) == (event.id, event.hash)
                assert isinstance(status["sent_ms"], int) and "backlog" in status and "oldest_unacked_ms" in status
            finally:
                sync.stop()
                watcher.close()
            assert retained_status(broker) == {"schema": "status/1", "scale_id": SCALE, "online": False}
    finally:
        broker.stop()


def test_sigkill_leaves_the_retained_offline_will(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker")
    broker.start()
    Store.open(tmp_path / "scale.db").close()
    child = Child(tmp_path / "scale.db", broker, "--heartbeat", "0.5")
    try:
        wait_for(lambda: retained_status(broker).get("online") is True, 30, "the child's online status")
        child.kill()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and retained_status(broker).get("online") is not False:
            time.sleep(0.2)
        assert retained_status(broker) == {"schema": "status/1", "scale_id": SCALE, "online": False}
    finally:
        child.kill()
        broker.stop()
