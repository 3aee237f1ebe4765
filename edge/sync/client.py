"""A small, typed MQTT v5 client around paho-mqtt, in the manner of aiomqtt.

One supervisor thread owns the connection: it connects (credentials, optional TLS, a
will), runs paho's network thread for that session, and when the session ends waits a
jittered, growing delay and connects again, for ever, until :meth:`MqttClient.stop`.
Every session uses a fresh paho client with a clean start, so nothing paho queued in
memory for an old connection is ever sent again: callers (the outbox publisher) keep
their own durable queue and restart from it (watch :attr:`MqttClient.epoch`).

``publish`` may be called from any thread. Subscriptions are registered once and
renewed on every connection; their callbacks run on paho's network thread, so they
must be quick (hand work to another thread) and exceptions in them are logged.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

_SCHEMES = {"mqtt": (False, 1883), "tcp": (False, 1883), "mqtts": (True, 8883), "ssl": (True, 8883)}


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://HOST[:PORT]`` or ``mqtts://HOST[:PORT]`` (TLS); ValueError says what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ValueError(
            f"broker URL {url!r} is not understood; write mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS "
            "([sync].broker_url in edge.toml)"
        )
    tls, default_port = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ValueError(f"broker URL {url!r} has a bad port ({exc}); use a number 1-65535") from exc
    return BrokerAddress(parts.hostname, port, tls)


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class ClientSettings:
    broker_url: str
    client_id: str
    username: str = ""
    password: str = ""
    tls_ca: str = ""  # CA file for mqtts://; empty: the system's CAs
    keepalive_s: int = 30
    will: Will | None = None
    backoff_min_s: float = 0.5
    backoff_max_s: float = 30.0
    connack_timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    retain: bool


MessageCallback = Callable[[Message], None]


class Delivery:
    """A QoS-1 publish handed to paho: ``done()`` once the broker has PUBACKed it."""

    def __init__(self, info: paho.MQTTMessageInfo) -> None:
        self._info = info

    def done(self) -> bool:
        return self._info.is_published()


def backoff_delay(attempt: int, low: float, high: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before connection attempt ``attempt`` (0-based): doubling from
    ``low`` up to ``high``, then a random point in its upper half, so a market's scales do
    not all hit the broker in the same second after it comes back."""
    ceiling = min(high, low * (2 ** min(attempt, 30)))
    return ceiling / 2 + rand() * ceiling / 2


class MqttClient:
    def __init__(
        self,
        settings: ClientSettings,
        *,
        on_connect: Callable[[int], None] | None = None,
        on_disconnect: Callable[[str], None] | None = None,
    ) -> None:
        self._settings = settings
        self._address = parse_broker_url(settings.broker_url)
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._lock = threading.Lock()
        self._subscriptions: dict[str, tuple[int, MessageCallback]] = {}
        self._client: paho.Client | None = None  # the live session's client, once CONNACKed
        self._epoch = 0
        self._last_error = ""
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- state -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._client is not None

    @property
    def epoch(self) -> int:
        """Counts successful connections; a new value means a new session (restart sending)."""
        with self._lock:
            return self._epoch

    @property
    def last_error(self) -> str:
        with self._lock:
            return self._last_error

    def _error(self, text: str) -> None:
        with self._lock:
            self._last_error = text
        log.warning("%s", text)

    # --- use ---------------------------------------------------------------------------

    def subscribe(self, topic_filter: str, callback: MessageCallback, qos: int = 1) -> None:
        with self._lock:
            self._subscriptions[topic_filter] = (qos, callback)
            client = self._client
        if client is not None:
            client.subscribe(topic_filter, qos)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> Delivery | None:
        """Hand a message to the live session; None when there is none (nothing is queued)."""
        with self._lock:
            client = self._client
        if client is None:
            return None
        info = client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            return None
        return Delivery(info)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("MqttClient.start() called twice; create a new client instead")
        self._thread = threading.Thread(target=self._supervise, name="mqtt-supervisor", daemon=True)
        self._thread.start()

    def stop(self, final: tuple[str, bytes] | None = None, timeout_s: float = 5.0) -> None:
        """Disconnect cleanly. ``final`` = (topic, payload): a retained QoS-1 message sent
        first and waited for (the clean-shutdown counterpart of the will)."""
        self._stopping.set()
        with self._lock:
            client = self._client
        if client is not None:
            if final is not None:
                info = client.publish(final[0], final[1], qos=1, retain=True)
                deadline = time.monotonic() + timeout_s
                while not info.is_published() and time.monotonic() < deadline and info.rc == paho.MQTT_ERR_SUCCESS:
                    time.sleep(0.01)
            client.disconnect()
        if self._thread is not None:
            self._thread.join(timeout_s + self._settings.connack_timeout_s)

    # --- the supervisor thread ---------------------------------------------------------

    def _supervise(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            connected = self._session()
            if self._stopping.is_set():
                break
            if connected and time.monotonic() - started > self._settings.backoff_max_s:
                attempt = 0  # a session that lasted a while: the next try is quick again
            elif connected:
                attempt = min(attempt, 1)
            delay = backoff_delay(attempt, self._settings.backoff_min_s, self._settings.backoff_max_s)
            attempt += 1
            self._stopping.wait(delay)

    def _new_paho(self) -> paho.Client:
        s = self._settings
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=paho.MQTTv5,
            reconnect_on_failure=False,  # reconnecting is ours (fresh client, jittered backoff)
        )
        if s.username:
            client.username_pw_set(s.username, s.password or None)
        if self._address.tls:
            client.tls_set(ca_certs=s.tls_ca or None)
        if s.will is not None:
            client.will_set(s.will.topic, s.will.payload, qos=s.will.qos, retain=s.will.retain)
        return client

    def _session(self) -> bool:
        """One connection, from connect to its end; True if the broker accepted it."""
        s, addr = self._settings, self._address
        ended = threading.Event()
        accepted = threading.Event()
        try:
            client = self._new_paho()
        except (OSError, ValueError) as exc:  # e.g. an unreadable CA file
            self._error(f"cannot set up MQTT TLS/login for {s.broker_url}: {exc}; check [sync].tls_ca")
            return False

        def on_connect(c: paho.Client, _u: object, _f: object, reason: ReasonCode, _p: Properties | None) -> None:
            if reason.is_failure:
                self._error(
                    f"broker {s.broker_url} refused the connection: {reason}; "
                    "check [sync].username/password in edge.toml and the scale's entry at central"
                )
                ended.set()
                return
            with self._lock:
                subs = [(f, qos) for f, (qos, _cb) in self._subscriptions.items()]
                self._client = c
                self._epoch += 1
                epoch = self._epoch
                self._last_error = ""
            if subs:
                c.subscribe(subs)
            accepted.set()
            log.info("connected to %s (session %d)", s.broker_url, epoch)
            self._call(self._on_connect, epoch)

        def on_disconnect(_c: paho.Client, _u: object, _f: object, reason: ReasonCode, _p: Properties | None) -> None:
            with self._lock:
                self._client = None
            if accepted.is_set() and not self._stopping.is_set():  # a refusal keeps its own message
                self._error(f"lost the connection to {s.broker_url} ({reason}); reconnecting")
            ended.set()
            self._call(self._on_disconnect, str(reason))

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_message = self._dispatch
        try:
            client.connect(addr.host, addr.port, keepalive=s.keepalive_s, clean_start=True)
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake
            self._error(f"cannot reach the MQTT broker at {s.broker_url}: {exc}; will retry")
            return False
        client.loop_start()
        deadline = time.monotonic() + s.connack_timeout_s
        while not ended.wait(0.2):
            if not accepted.is_set() and time.monotonic() > deadline:
                self._error(f"broker {s.broker_url} did not answer the connection within {s.connack_timeout_s:.0f} s")
                break
            if self._stopping.is_set() and not accepted.is_set():
                break
        with self._lock:
            self._client = None
        client.disconnect()  # no-op if already gone; makes paho's loop exit instead of waiting
        client.loop_stop()
        return accepted.is_set()

    def _dispatch(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            callbacks = [cb for f, (_q, cb) in self._subscriptions.items() if paho.topic_matches_sub(f, msg.topic)]
        message = Message(msg.topic, bytes(msg.payload), bool(msg.retain))
        for callback in callbacks:
            self._call(callback, message)

    @staticmethod
    def _call(callback: Callable[..., None] | None, *args: object) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a bad callback must not kill paho's network thread
            log.exception("MQTT callback %r failed", callback)
