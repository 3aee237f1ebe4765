"""Central's MQTT session (central/mqtt_session.py) and the fleet's clients against a real Mosquitto."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from central.mqtt_session import MqttSession
from simulator.fleet.mqtt_loop import Login, MqttLoop
from tests.integration.central_support import MARKET, ScaleClient, register, wait_for

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, bytes]] = []
        self.ups: list[list[str]] = []
        self.downs: list[str] = []

    def message(self, topic: str, payload: bytes) -> None:
        with self.lock:
            self.messages.append((topic, payload))

    def session(self, port: int, password: str, subscriptions: list[tuple[str, int]]) -> MqttSession:
        return MqttSession("127.0.0.1", port, f"central-test-{id(self)}", username="central", password=password,
                           subscriptions=subscriptions, on_message=self.message, on_up=self.ups.append,
                           on_down=self.downs.append, reconnect_s=(0.2, 0.5))  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, mosquitto):  # type: ignore[no-untyped-def]
    setup = register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path)
    yield setup, mosquitto(setup.db)
    setup.db.close()


def test_a_wrong_password_is_refused_with_the_brokers_reason_and_a_hint(env) -> None:  # type: ignore[no-untyped-def]
    _setup, broker = env
    rec = Recorder()
    session = rec.session(broker.port, "wrong", [("trace/v1/#", 1)])
    session.start()
    try:
        wait_for(lambda: bool(rec.downs), 10, "the refusal")
        assert "refused the login as 'central'" in rec.downs[0]
        assert "check the user name and password in the MQTT URL" in rec.downs[0]
        assert not rec.ups
    finally:
        session.stop()


def test_a_burst_beyond_receive_maximum_arrives_whole_and_the_link_stays_up(env) -> None:  # type: ignore[no-untyped-def]
    setup, broker = env
    scale = setup.scales[0]
    listener = ScaleClient(broker.port, scale.scale_id, scale.password, "listener")
    listener.subscribe(f"trace/v1/{MARKET}/{scale.scale_id}/ack")
    rec = Recorder()
    session = rec.session(broker.port, setup.central_password, [("trace/v1/+/+/sales", 1)])
    session.start()
    try:
        wait_for(lambda: bool(rec.ups), 10, "SUBACK")
        for n in range(500):  # beyond the broker's Receive Maximum (MAX_INFLIGHT): the session holds the rest back
            session.publish(f"trace/v1/{MARKET}/{scale.scale_id}/ack", f'{{"acked_through":{n}}}')
        wait_for(lambda: len(listener.acks()) == 500, 20, "500 acks at the scale")
        assert listener.acks() == list(range(500))  # in order, none lost, none twice
        assert rec.downs == [] and session.refused_publishes == 0
    finally:
        session.stop()
        listener.close()


def test_cumulative_acks_waiting_to_be_sent_are_merged_into_the_newest(env) -> None:  # type: ignore[no-untyped-def]
    """At a peak acks wait for the broker's PUBACKs; a scale needs only its newest watermark."""
    setup, broker = env
    scale = setup.scales[0]
    topic = f"trace/v1/{MARKET}/{scale.scale_id}/ack"
    listener = ScaleClient(broker.port, scale.scale_id, scale.password, "listener")
    listener.subscribe(topic)
    rec = Recorder()
    session = rec.session(broker.port, setup.central_password, [("trace/v1/+/+/sales", 1)])
    for n in range(1, 301):  # queued before the session is up: none sent yet
        session.publish(topic, f'{{"acked_through":{n}}}', replaces="sales", rank=n)
    session.publish(topic, '{"acked_through":7}', replaces="sales", rank=7)  # an older one, from another worker
    session.publish(topic, '{"events_acked_through":4}', replaces="events", rank=4)  # another kind: its own
    session.start()
    try:
        wait_for(lambda: len(listener.received) == 2, 10, "the two acks")
        assert sorted(p for _t, p in listener.received) == [b'{"acked_through":300}', b'{"events_acked_through":4}']
    finally:
        session.stop()
        listener.close()


def test_after_a_broker_restart_it_reconnects_and_its_subscriptions_are_back(env) -> None:  # type: ignore[no-untyped-def]
    setup, broker = env
    scale = setup.scales[0]
    rec = Recorder()
    session = rec.session(broker.port, setup.central_password, [(f"trace/v1/{MARKET}/+/sales", 1)])
    session.start()
    try:
        wait_for(lambda: len(rec.ups) == 1, 10, "SUBACK")
        broker.stop()
        wait_for(lambda: bool(rec.downs), 10, "the session to notice")
        broker.start()
        wait_for(lambda: len(rec.ups) == 2, 20, "a second SUBACK")
        sender = ScaleClient(broker.port, scale.scale_id, scale.password, "sender")
        sender.publish(f"trace/v1/{MARKET}/{scale.scale_id}/sales", b"{}")  # the subscription is back
        wait_for(lambda: (f"trace/v1/{MARKET}/{scale.scale_id}/sales", b"{}") in rec.messages, 10, "the sale")
        sender.close()
    finally:
        session.stop()


def test_a_fleet_scale_with_a_wrong_password_reports_the_brokers_reason(env) -> None:  # type: ignore[no-untyped-def]
    setup, broker = env
    scale = setup.scales[0]
    loop = MqttLoop("127.0.0.1", broker.port)
    status = f"trace/v1/{MARKET}/{scale.scale_id}/status"
    bad = loop.add(Login("bad", scale.scale_id, "wrong", status, b"{}"), lambda t, p: None, [])
    good = loop.add(Login("good", scale.scale_id, scale.password, status, b"{}"), lambda t, p: None,
                    [f"trace/v1/{MARKET}/{scale.scale_id}/ack"])  # fmt: skip
    loop.connect_missing()
    wait_for(lambda: (loop.poll(0.02), good.connected and bool(bad.refused))[1], 10, "both answers")
    assert bad.refused in ("Not authorized", "Bad user name or password") and not bad.connected
    assert good.publish(f"trace/v1/{MARKET}/{scale.scale_id}/sales", b"{}") and good.publish_refused == 0
    loop.close()
