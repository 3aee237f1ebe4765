"""Signed, retained catalog and batch lists through a real broker: applied, refused, logged.

The test plays central: it publishes retained documents signed with its own key and
reads the event-log upload on ``.../events``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.config import IdentityConfig, SyncConfig
from edge.store import Store
from edge.sync import SyncService
from edge.sync.inbound import Outcome
from edge.sync.signing import public_key_b64, sign_document
from tests.broker import free_port
from tests.integration.sync_support import MARKET, SCALE, Broker, Subscriber, wait_for
from tests.unit.test_sync_inbound import batches_doc, catalog_doc

pytestmark = pytest.mark.integration

CATALOG = f"trace/v1/{MARKET}/catalog"
BATCHES = f"trace/v1/{MARKET}/{SCALE}/batches"
EVENTS = f"trace/v1/{MARKET}/{SCALE}/events"
CENTRAL = Ed25519PrivateKey.generate()


class CentralSide(Subscriber):
    def __init__(self, broker: Broker) -> None:
        self.events: dict[int, dict[str, Any]] = {}
        self.lock = threading.Lock()
        super().__init__(broker, f"central-{free_port()}")
        self.client.on_message = self._on_message
        self.subscribe(EVENTS)

    def _on_message(self, _c: object, _u: object, msg: Any) -> None:
        doc = json.loads(msg.payload)
        assert doc["schema"] == "events/1" and doc["scale_id"] == SCALE
        with self.lock:
            for entry in doc["events"]:
                self.events[entry["id"]] = entry

    def put(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=True)
        info.wait_for_publish(10)
        assert info.rc == paho.MQTT_ERR_SUCCESS


def signed(doc: dict[str, Any]) -> bytes:
    return json.dumps(sign_document(doc, CENTRAL), ensure_ascii=False).encode()


def start(store: Store, broker: Broker) -> SyncService:
    config = SyncConfig(
        broker_url=broker.url, password=broker.scale_password, central_public_key=public_key_b64(CENTRAL)
    )
    sync = SyncService(config, IdentityConfig(market_id=MARKET, scale_id=SCALE), store, software_id="test")
    sync.start()
    return sync


def outcomes(sync: SyncService) -> list[tuple[str, Outcome, int | None]]:
    return [(r.kind, r.outcome, r.version) for r in sync.inbound_results]


def test_signed_documents_applied_bad_ones_refused_logged_and_uploaded(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker")
    broker.start()
    central = CentralSide(broker)
    store = Store.open(tmp_path / "scale.db")
    try:
        central.put(CATALOG, signed(catalog_doc(2, market=MARKET, price=420)))  # retained before the scale connects
        central.put(BATCHES, signed(batches_doc(1, market=MARKET)))
        sync = start(store, broker)
        try:
            wait_for(lambda: store.catalog_version() == 2 and store.batches_version() == 1, 30, "catalog and batches")
            assert store.catalog()[0].unit_price_fen == 420

            tampered = json.loads(signed(catalog_doc(3, market=MARKET, price=420)))
            tampered["body"]["plus"][0]["unit_price_fen"] = 1  # a cheaper cabbage, same signature
            central.put(CATALOG, json.dumps(tampered).encode())
            central.put(CATALOG, json.dumps(catalog_doc(4, market=MARKET, price=1)).encode())  # unsigned
            central.put(CATALOG, signed(catalog_doc(1, market=MARKET, price=1)))  # older
            central.put(CATALOG, signed(catalog_doc(5, market="other-market", price=1)))
            central.put(CATALOG, signed(catalog_doc(2, market=MARKET, price=420)))  # the applied one again
            wait_for(lambda: len(sync.inbound_results) >= 7, 30, "all documents to be handled")
            assert outcomes(sync)[2:] == [
                ("catalog", Outcome.REFUSED, 3),
                ("catalog", Outcome.REFUSED, 4),
                ("catalog", Outcome.REFUSED, 1),
                ("catalog", Outcome.REFUSED, 5),
                ("catalog", Outcome.ALREADY, 2),
            ]
            assert store.catalog_version() == 2 and store.catalog()[0].unit_price_fen == 420
            refused = [e.data for e in store.events() if e.kind == "sync_refused"]
            reasons = [r["reason"] for r in refused]
            assert len(refused) == 4
            assert "bad signature" in reasons[0] and "unsigned" in reasons[1]
            assert "older" in reasons[2] and "other-market" in reasons[3]
            # The refusals reach central through the event-log upload.
            wait_for(lambda: len(central.events) == 4, 30, "the event log upload")
            assert [central.events[i]["kind"] for i in sorted(central.events)] == ["sync_refused"] * 4
            wait_for(lambda: store.get_setting("sync.events_sent_id") == 4, 10, "the upload to be recorded")
        finally:
            sync.stop()

        # A restart sees the retained (applied) catalog again: silent, nothing logged.
        central.put(CATALOG, signed(catalog_doc(2, market=MARKET, price=420)))
        sync = start(store, broker)
        try:
            wait_for(lambda: len(sync.inbound_results) >= 2, 30, "the retained documents after restart")
            assert {o for _k, o, _v in outcomes(sync)} == {Outcome.ALREADY}
            assert len(store.events()) == 4
        finally:
            sync.stop()
    finally:
        store.close()
        central.close()
        broker.stop()
