"""Many paho clients on one thread: paho's external-event-loop callbacks plus a selector.

``loop_start()`` costs a thread per client; a thousand virtual scales in one process want
one thread that selects over every socket and calls ``loop_read``/``loop_write`` for the
ready ones and ``loop_misc`` (keepalive) about once a second, as aiomqtt does for asyncio.
Everything (publishing included) happens on the thread that calls :meth:`MqttLoop.poll`,
so paho and the selector are never touched from two threads.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

MessageHandler = Callable[[str, bytes], None]


@dataclass
class Login:
    client_id: str
    username: str
    password: str
    will_topic: str
    will_payload: bytes


class Connection:
    """One client: connected flag, reconnect schedule, message handler."""

    def __init__(self, loop: MqttLoop, login: Login, on_message: MessageHandler, subscriptions: list[str]) -> None:
        self.login = login
        self.connected = False
        self.refused = ""  # last CONNACK failure, e.g. "Not authorized"
        self.disconnects = 0
        self._retry_at = 0.0
        self._attempt = 0
        self._subs = subscriptions
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=login.client_id, protocol=paho.MQTTv5)
        c.username_pw_set(login.username, login.password)
        c.will_set(login.will_topic, login.will_payload, qos=1, retain=True)
        c.max_queued_messages_set(0)
        c.on_socket_open = loop._open
        c.on_socket_close = loop._close
        c.on_socket_register_write = loop._want_write
        c.on_socket_unregister_write = loop._no_write
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = lambda _c, _u, msg: on_message(msg.topic, msg.payload)
        self.client = c

    def _on_connect(self, client: paho.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            self.refused = str(reason)
            return
        self.connected, self.refused, self._attempt = True, "", 0
        for topic in self._subs:
            client.subscribe(topic, qos=1)

    def _on_disconnect(self, _c: paho.Client, _u: object, _f: object, _reason: object, _p: object) -> None:
        if self.connected:
            self.disconnects += 1
        self.connected = False

    def try_connect(self, host: str, port: int, now: float) -> None:
        if self.connected or now < self._retry_at:
            return
        self._attempt += 1
        self._retry_at = now + min(30.0, 0.5 * 2 ** min(self._attempt, 6))
        try:
            if self._attempt == 1:
                self.client.connect(host, port, keepalive=60, clean_start=True)
            else:
                self.client.reconnect()
        except OSError as exc:
            self.refused = f"{type(exc).__name__}: {exc}"


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

    # paho's socket callbacks (called on the polling thread)
    def _open(self, client: paho.Client, _u: object, sock: socket.socket) -> None:
        self._sel.register(sock, selectors.EVENT_READ, client)

    # a socket paho already closed is no longer registered: nothing to undo
    def _close(self, _client: paho.Client, _u: object, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.unregister(sock)

    def _want_write(self, client: paho.Client, _u: object, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)

    def _no_write(self, client: paho.Client, _u: object, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.modify(sock, selectors.EVENT_READ, client)

    def connect_missing(self, budget: int = 50) -> int:
        """Start connecting clients that are down (at most ``budget`` per call, to spread the load)."""
        now = time.monotonic()
        started = 0
        for conn in self.connections:
            if not conn.connected and started < budget:
                before = conn._attempt
                conn.try_connect(self.host, self.port, now)
                started += conn._attempt != before
        return started

    def poll(self, timeout_s: float) -> None:
        for key, mask in self._sel.select(timeout_s):
            client: paho.Client = key.data
            if mask & selectors.EVENT_READ:
                client.loop_read()
            if mask & selectors.EVENT_WRITE:
                client.loop_write()
        now = time.monotonic()
        if now - self._last_misc >= 1.0:
            self._last_misc = now
            for conn in self.connections:
                conn.client.loop_misc()

    def close(self) -> None:
        for conn in self.connections:
            conn.connected = False  # a disconnect we asked for is not counted as lost
            if conn.client.is_connected():
                conn.client.disconnect()
                conn.client.loop_write()
        self._sel.close()
