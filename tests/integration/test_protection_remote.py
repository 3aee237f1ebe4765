"""Central locks and unlocks one scale remotely (JJG 1204-2025 protection, docs/protection.md).

A real SQLite central and Mosquitto (ACL from central's database), a provisioned scale with
its sync running: `central scale lock` stops its sales, a forged command and a replayed
older one are refused and logged, the lock state reaches central's fleet status, and the
scale's log entries reach central's copy of its event log.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import queries
from central.mqtt import MqttUrl, connect_blocking
from central.receiver import Receiver
from edge import runtime
from edge.checkout import Checkout
from edge.config import load_config
from edge.core.cart import Cart
from edge.core.protection import LockState
from edge.core.records import Payment, PaymentMethod, PaymentStatus
from edge.core.refusals import RefusedError
from edge.sync import SyncService
from edge.sync.signing import sign_document
from tests.integration.sync_support import wait_for
from tests.integration.test_provision import MARKET, Central, provision, run

pytestmark = pytest.mark.integration

SCALE = "620102-001"
TOPIC = f"trace/v1/{MARKET}/{SCALE}/command"


def _fleet_row(central: Central) -> dict:
    with central.db.connection() as conn:
        [row] = [r for r in queries.fleet(conn, MARKET) if r["scale_id"] == SCALE]
    return row


def _put(central: Central, payload: bytes) -> None:
    """Publish as central's broker login (what an attacker with that password could do)."""
    client = connect_blocking(MqttUrl.parse(central.broker.url("central", central.central_password)), "forger")
    try:
        info = client.publish(TOPIC, payload, qos=1, retain=True)
        info.wait_for_publish(10)
        assert info.rc == paho.MQTT_ERR_SUCCESS
    finally:
        client.disconnect()
        client.loop_stop()


def test_remote_lock_unlock_forgery_and_replay(tmp_path: Path, mosquitto) -> None:  # type: ignore[no-untyped-def]
    central = Central(tmp_path, mosquitto)
    folder = tmp_path / "scale"
    folder.mkdir()
    conf = folder / "edge.toml"
    seed = Path(__file__).resolve().parents[2] / "examples" / "catalog.json"
    conf.write_text(f'[store]\npath = "var/edge.db"\n\n[catalog]\nseed_file = "{seed}"\n', encoding="utf-8")
    bundle = tmp_path / "bundle.json"
    assert central.add_scale(SCALE, 1, bundle).returncode == 0
    assert provision(bundle, conf).returncode == 0
    config = load_config(conf)
    store = runtime.open_store(config)
    mqtt = central.broker.url("central", central.central_password)
    env = {**central.env, "CENTRAL_MQTT": mqtt}
    receiver = Receiver(central.db, MqttUrl.parse(mqtt), client_id="central-protection-test")
    receiver.start()
    # An hour between heartbeats: the fleet sees the lock only if a change of state sends one at once.
    sync = SyncService(replace(config.sync, heartbeat_s=3600), config.identity, store, software_id="test")
    checkout = Checkout(config, store, runtime.device_key(config))

    def sell():  # type: ignore[no-untyped-def]
        plu = runtime.catalog(store).require("4001")
        cart = Cart().add_piece(plu, 1, store.active_batches("4001")[0])
        return checkout.commit(cart, Payment(PaymentMethod.CASH, PaymentStatus.PAID))

    try:
        sync.start()
        wait_for(lambda: _fleet_row(central)["lock_state"] == "unlocked", 30, "the first heartbeat")
        assert _fleet_row(central)["legal_changes"] == 0

        done = run("central", "scale", "lock", "--scale", SCALE, "--reason", "投诉调查：短斤少两", env=env)
        assert done.returncode == 0, done.stderr
        assert "version 1" in done.stdout
        wait_for(lambda: store.protection().remote_locked, 30, "the scale to apply the lock")
        with pytest.raises(RefusedError) as refused:
            sell()
        assert refused.value.refusal.code == "locked_remotely" and "短斤少两" in refused.value.refusal.zh
        # The heartbeat goes at once on a change of lock state, not a heartbeat interval later.
        wait_for(lambda: _fleet_row(central)["lock_state"] == "locked-remotely", 30, "fleet status to show the lock")
        fleet = run("central", "fleet", "--market", MARKET, env=central.env)
        assert json.loads(fleet.stdout.splitlines()[0])["lock_state"] == "locked-remotely"
        with central.db.connection() as conn:
            lock_doc = json.loads(conn.scalar("SELECT document FROM published WHERE topic = ?", (TOPIC,)))

        # A forged unlock (right form, someone else's key) is refused and logged.
        forged = sign_document(
            {"schema": "command/1", "market_id": MARKET, "scale_id": SCALE, "version": 50, "issued_ms": 1,
             "body": {"action": "unlock", "reason": "伪造", "by": "x"}},
            Ed25519PrivateKey.generate(),
        )  # fmt: skip
        _put(central, json.dumps(forged).encode())
        wait_for(lambda: any(e.kind == "sync_refused" for e in store.events()), 30, "the forgery to be refused")
        assert store.protection().remote_locked
        [why] = [e.data["reason"] for e in store.events() if e.kind == "sync_refused"]
        assert "signature" in why

        done = run("central", "scale", "unlock", "--scale", SCALE, "--reason", "调查结束", env=env)
        assert done.returncode == 0, done.stderr
        wait_for(lambda: not store.protection().remote_locked, 30, "the scale to apply the unlock")
        assert sell().seq == 1

        # Replaying the old lock (validly signed, version 1 < 2) is refused: selling goes on.
        _put(central, json.dumps(lock_doc).encode())
        wait_for(lambda: sum(e.kind == "sync_refused" for e in store.events()) == 2, 30, "the replay to be refused")
        assert not store.protection().remote_locked and sell().seq == 2
        assert "older" in [e.data["reason"] for e in store.events() if e.kind == "sync_refused"][1]

        # Central's copy of the scale's event log holds the lock and the unlock, with the reasons.
        def central_kinds() -> list[tuple[str, str]]:
            with central.db.connection() as conn:
                rows = conn.all("SELECT kind, data FROM events WHERE scale_id = ? ORDER BY event_id", (SCALE,))
            return [(r["kind"], json.loads(r["data"]).get("reason", "")) for r in rows if r["kind"].startswith("prot")]

        wait_for(lambda: len(central_kinds()) == 2, 30, "the event log upload")
        assert central_kinds() == [
            ("protection.remote_locked", "投诉调查：短斤少两"),
            ("protection.remote_unlocked", "调查结束"),
        ]
        wait_for(lambda: _fleet_row(central)["lock_state"] == LockState.UNLOCKED.value, 30, "fleet: unlocked")
    finally:
        sync.stop()
        receiver.stop()
        store.close()
        central.db.close()
