"""Many MQTT v5 clients on one thread: non-blocking sockets, one selector, ``mqtt5`` packets.

The fleet stands in for a thousand scales, each of which has its own CPU; here they share
the two cores with the broker and central, so every microsecond the load generator spends
per sale is taken from what is being measured. With paho it was about 120 µs per sale
(packet objects, Properties, three selector calls per publish); with the ``mqtt5`` codec
(``central.mqtt_packets``) and our own sockets it is about half. Each connection writes as
soon as it publishes and asks the selector for writability only when the kernel's buffer
is full, so a publish costs one ``send``. Everything (publishing included) happens on the
thread that calls :meth:`MqttLoop.poll`. A refused login keeps the broker's reason
(``Connection.refused``, e.g. "Not authorized"); a lost connection is retried with backoff.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import mqtt5

from central.mqtt_packets import PacketBuffer, PacketIds, ProtocolError, reason_words

MessageHandler = Callable[[str, bytes], None]
KEEPALIVE_S = 60
READ_CHUNK = 65_536
_QOS = (mqtt5.QoS.AT_MOST_ONCE, mqtt5.QoS.AT_LEAST_ONCE)
_PING = mqtt5.PingReqPacket().write()


@dataclass
class Login:
    client_id: str
    username: str
    password: str
    will_topic: str
    will_payload: bytes


class Connection:
    """One client: its socket and buffers, the connected flag, the reconnect schedule."""

    def __init__(self, loop: MqttLoop, login: Login, on_message: MessageHandler, subscriptions: list[str]) -> None:
        self.login = login
        self.connected = False
        self.refused = ""  # why the last attempt failed, e.g. "Not authorized"
        self.disconnects = 0
        self.publish_refused = 0  # PUBACKs with a failure reason (e.g. the ACL said no)
        self._loop = loop
        self._on_message = on_message
        self._subs = subscriptions
        self._sock: socket.socket | None = None
        self._in = PacketBuffer()
        self._out = bytearray()
        self._state = "down"  # down | connecting (TCP) | connack (CONNECT sent) | up
        self._retry_at = 0.0
        self._attempt = 0
        self._ids = PacketIds()
        self._sent_at = self._heard_at = 0.0

    @property
    def attempt(self) -> int:
        return self._attempt

    # --- sending --------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Queue one PUBLISH; False when not connected (the scale's own resend covers it)."""
        if not self.connected:
            return False
        packet_id = self._ids.next() if qos else None
        packet = mqtt5.PublishPacket(topic, payload, qos=_QOS[qos], retain=retain, packet_id=packet_id)
        self._send(packet.write())
        return True

    def _send(self, data: bytes) -> None:
        self._sent_at = time.monotonic()
        if self._out:  # already waiting for the kernel: keep the order
            self._out += data
            return
        try:
            sent = self._sock.send(data)  # type: ignore[union-attr]
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._drop(f"{type(exc).__name__}: {exc}")
            return
        if sent < len(data):
            self._out += data[sent:]
            self._loop._watch(self, write=True)

    def flush(self) -> None:
        try:
            sent = self._sock.send(self._out)  # type: ignore[union-attr]
        except BlockingIOError:
            return
        except OSError as exc:
            self._drop(f"{type(exc).__name__}: {exc}")
            return
        del self._out[:sent]
        if not self._out:
            self._loop._watch(self, write=False)

    # --- connecting -----------------------------------------------------------------------

    def try_connect(self, host: str, port: int, now: float) -> None:
        if self._state != "down" or now < self._retry_at:
            return
        self._attempt += 1
        self._retry_at = now + min(30.0, 0.5 * 2 ** min(self._attempt, 6))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code = sock.connect_ex((host, port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            self.refused = f"cannot reach the broker at {host}:{port}: {os.strerror(code)}"
            return
        self._sock, self._state = sock, "connecting"
        self._in.clear()
        self._out.clear()
        self._loop._register(self, sock)

    def _tcp_up(self) -> None:
        code = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)  # type: ignore[union-attr]
        if code:
            self._drop(f"cannot reach the broker: {os.strerror(code)}")
            return
        self._state = "connack"
        self._heard_at = time.monotonic()
        self._loop._watch(self, write=False)
        login = self.login
        will = mqtt5.Will(login.will_topic, payload=login.will_payload, qos=mqtt5.QoS.AT_LEAST_ONCE, retain=True)
        self._send(mqtt5.ConnectPacket(login.client_id, username=login.username, password=login.password.encode(),
                                       clean_start=True, will=will, keep_alive=KEEPALIVE_S).write())  # fmt: skip

    # --- receiving ------------------------------------------------------------------------

    def readable(self) -> None:
        try:
            data = self._sock.recv(READ_CHUNK)  # type: ignore[union-attr]
        except BlockingIOError:
            return
        except OSError as exc:
            self._drop(f"{type(exc).__name__}: {exc}")
            return
        if not data:
            self._drop("the broker closed the connection")
            return
        self._heard_at = time.monotonic()
        try:
            for packet in self._in.feed(data):
                self._handle(packet)
                if self._sock is None:
                    return
        except ProtocolError as exc:
            self._drop(f"unreadable packet from the broker ({exc})")

    def _handle(self, packet: mqtt5.Packet) -> None:
        if isinstance(packet, mqtt5.PublishPacket):
            if packet.packet_id is not None:
                self._send(mqtt5.PubAckPacket(packet.packet_id).write())
            self._on_message(packet.topic, packet.payload)
        elif isinstance(packet, mqtt5.PubAckPacket):
            if packet.reason_code.value >= 0x80:
                self.publish_refused += 1
        elif isinstance(packet, mqtt5.ConnAckPacket):
            if packet.reason_code != mqtt5.ConnAckReasonCode.SUCCESS:
                self._drop(reason_words(packet.reason_code))
                return
            self.connected, self._state, self.refused, self._attempt = True, "up", "", 0
            filters = [mqtt5.TopicFilter(t, max_qos=mqtt5.QoS.AT_LEAST_ONCE) for t in self._subs]
            self._send(mqtt5.SubscribePacket(self._ids.next(), filters).write())
        elif isinstance(packet, mqtt5.DisconnectPacket):  # the broker says why it ends the session
            self._drop(f"the broker disconnected us ({reason_words(packet.reason_code)})")
        # SUBACK, PINGRESP: nothing to do; the traffic itself proves the link

    # --- lifecycle ------------------------------------------------------------------------

    def keep_alive(self, now: float) -> None:
        if self._state == "up" and now - self._sent_at >= KEEPALIVE_S / 2:
            self._send(_PING)
        if self._state in ("connack", "up") and now - self._heard_at > KEEPALIVE_S * 1.5:
            self._drop("the broker went silent (no PINGRESP)")

    def _drop(self, why: str) -> None:
        if self._sock is None:
            return
        if self.connected:
            self.disconnects += 1
        if self._state != "up":  # a failed attempt: keep why for the report
            self.refused = why
        self.connected, self._state = False, "down"
        self._loop._unregister(self._sock)
        self._sock.close()
        self._sock = None

    def disconnect(self) -> None:
        """End cleanly: DISCONNECT with reason 0 (the will is not sent), then close."""
        if self._sock is None:
            return
        if self.connected:
            with contextlib.suppress(OSError):
                self._sock.setblocking(True)
                self._sock.sendall(bytes(self._out) + mqtt5.DisconnectPacket().write())
        self.connected = False  # a disconnect we asked for is not counted as lost
        self._drop("closed")


class MqttLoop:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._sel = selectors.DefaultSelector()
        self.connections: list[Connection] = []
        self._last_misc = 0.0

    def add(self, login: Login, on_message: MessageHandler, subscriptions: list[str]) -> Connection:
        conn = Connection(self, login, on_message, subscriptions)
        self.connections.append(conn)
        return conn

    def _register(self, conn: Connection, sock: socket.socket) -> None:
        self._sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)  # writable: TCP is up

    def _unregister(self, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.unregister(sock)

    def _watch(self, conn: Connection, *, write: bool) -> None:
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if write else 0)
        with contextlib.suppress(KeyError, ValueError):
            self._sel.modify(conn._sock, events, conn)  # type: ignore[arg-type]

    def connect_missing(self, budget: int = 50) -> int:
        """Start connecting clients that are down (at most ``budget`` per call, to spread the load)."""
        now = time.monotonic()
        started = 0
        for conn in self.connections:
            if not conn.connected and started < budget:
                before = conn.attempt
                conn.try_connect(self.host, self.port, now)
                started += conn.attempt != before
        return started

    def poll(self, timeout_s: float) -> None:
        for key, mask in self._sel.select(timeout_s):
            conn: Connection = key.data
            if mask & selectors.EVENT_WRITE:
                if conn._state == "connecting":
                    conn._tcp_up()
                elif conn._out:
                    conn.flush()
            if mask & selectors.EVENT_READ and conn._sock is not None:
                conn.readable()
        now = time.monotonic()
        if now - self._last_misc >= 1.0:
            self._last_misc = now
            for conn in self.connections:
                conn.keep_alive(now)

    def close(self) -> None:
        for conn in self.connections:
            conn.disconnect()
        self._sel.close()
