"""The receiver's MQTT v5 connection: one I/O thread, ``mqtt5`` packets, reconnect with backoff.

Why not paho here: at a market's peak every sale is its own message, and paho spent about
140 µs of Python on each (a ``recv`` per header byte, a Properties object per packet, a
selector wake per publish), more than central's parse, verify and commit together
(bench_fleet; docs/deployment.md). This session reads whatever the socket holds in one
``recv`` and cuts it into packets with the ``mqtt5`` codec (``central.mqtt_packets``),
answers a chunk's PUBLISHes with one ``send`` of their PUBACKs, and sends every ack a
worker queued since the last turn together.

Delivery is what paho gave the receiver: QoS 1 both ways, the PUBACK after ``on_message``
returned, clean start, and publishes kept within the broker's Receive Maximum (CONNACK;
MQTT 5.0, 4.9), the rest queued in memory until PUBACKs free room (a cumulative ack
waiting there takes a newer one's place: ``publish(replaces=...)``). While ``paused()``
(the workers are behind) the socket is not read, which holds the broker back through TCP;
``resume()`` wakes the session when they catch up. All socket I/O happens on the session's thread,
TLS included; ``publish`` may be called from any thread.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import mqtt5

from central.mqtt_packets import PacketBuffer, PacketIds, ProtocolError, reason_words

log = logging.getLogger(__name__)
READ_CHUNK = 256 * 1024
CONNECT_TIMEOUT_S = 10.0
_QOS = (mqtt5.QoS.AT_MOST_ONCE, mqtt5.QoS.AT_LEAST_ONCE)


@dataclass(slots=True)
class _Outgoing:
    """One of central's publishes, from ``publish`` until its PUBACK."""

    topic: str
    payload: bytes
    qos: int
    replaces: str  # while waiting: a newer one of this kind takes its place ("" once sent)
    rank: int


class SessionDown(ConnectionError):
    """The connection could not be made or was lost; the text says why."""


class MqttSession:
    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        *,
        username: str,
        password: str,
        subscriptions: list[tuple[str, int]],
        on_message: Callable[[str, bytes], None],
        paused: Callable[[], bool] = lambda: False,
        on_up: Callable[[list[str]], None] | None = None,
        on_down: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,
        keepalive_s: int = 30,
        reconnect_s: tuple[float, float] = (1.0, 10.0),
    ) -> None:
        self.host, self.port, self.client_id = host, port, client_id
        self._username, self._password = username, password
        self._subscriptions = subscriptions
        self._on_message = on_message
        self._paused = paused  # true: the workers are behind, the socket is not read (resume() when not)
        self._on_up = on_up or (lambda refused: None)
        self._on_down = on_down or (lambda why: None)
        self._tls = tls
        self._keepalive_s = keepalive_s
        self._reconnect_s = reconnect_s
        self._lock = threading.Lock()
        self._pending: collections.deque[_Outgoing] = collections.deque()  # not sent yet
        self._newest: dict[tuple[str, str], _Outgoing] = {}  # publish(replaces=...): the one still waiting
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{client_id}", daemon=True)
        self._ids = PacketIds()
        self._reader = PacketBuffer()
        self._early: list[mqtt5.Packet] = []  # what came in the same read as the CONNACK
        self._unconfirmed: dict[int, _Outgoing] = {}  # sent at QoS 1, no PUBACK yet
        self.refused_publishes = 0

    # --- any thread -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, *, replaces: str = "", rank: int = 0) -> None:
        """Send ``payload`` on ``topic`` from the session's thread; kept while the link is down.

        ``replaces``: a kind of message whose newest one says all the older ones did (a
        cumulative ack, ``rank`` its watermark): one of that kind on ``topic`` still waiting
        to be sent takes this payload (unless its rank is higher) instead of a second message
        queuing behind it. At a peak the broker's PUBACKs for central's acks come back behind
        the sales queued in the same stream, so acks wait here; merged, each scale's next ack
        carries its newest watermark."""
        if isinstance(payload, str):
            payload = payload.encode()
        with self._lock:
            wake = not self._pending
            waiting = self._newest.get((topic, replaces)) if replaces else None
            if waiting is not None:
                if rank >= waiting.rank:
                    waiting.payload, waiting.rank = payload, rank
                return
            entry = _Outgoing(topic, payload, qos, replaces, rank)
            self._pending.append(entry)
            if replaces:
                self._newest[(topic, replaces)] = entry
        if wake and not self._stopping.is_set():  # one byte per batch: the thread takes all that is queued
            self._wake()

    def resume(self) -> None:
        """``paused()`` turned false: read the socket again (any thread)."""
        self._wake()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake()
        self._thread.join(timeout_s)
        if not self._thread.is_alive():  # closed here, not by the thread: no write can meet a reused fd
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # the pipe is full of wake-ups already
            os.write(self._wake_w, b"!")

    # --- the session's thread -------------------------------------------------------------

    def _run(self) -> None:
        delay = self._reconnect_s[0]
        while not self._stopping.is_set():
            try:
                sock, receive_max = self._open()
            except (OSError, SessionDown) as exc:
                self._on_down(str(exc))
                self._stopping.wait(delay)
                delay = min(delay * 2, self._reconnect_s[1])
                continue
            delay = self._reconnect_s[0]
            try:
                self._serve(sock, receive_max)
                why = "stopped"
            except (OSError, SessionDown, ProtocolError) as exc:
                why = str(exc) or type(exc).__name__
            except Exception as exc:  # a bug must not end the receiver's link for good
                log.exception("MQTT session %s failed", self.client_id)
                why = f"{type(exc).__name__}: {exc}"
            finally:
                sock.close()
            if not self._stopping.is_set():
                self._on_down(why)

    def _open(self) -> tuple[socket.socket, int]:
        """TCP (and TLS), CONNECT, CONNACK; returns the socket and the broker's Receive Maximum."""
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise SessionDown(f"cannot reach the broker at {self.host}:{self.port} ({exc})") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            connect = mqtt5.ConnectPacket(self.client_id, username=self._username, password=self._password.encode(),
                                          clean_start=True, keep_alive=self._keepalive_s)  # fmt: skip
            sock.sendall(connect.write())
            reader = PacketBuffer()
            while True:
                data = sock.recv(READ_CHUNK)
                if not data:
                    raise SessionDown("the broker closed the connection before answering CONNECT")
                packets = list(reader.feed(data))
                if packets:
                    break
            ack = packets[0]
            if not isinstance(ack, mqtt5.ConnAckPacket):
                raise SessionDown(f"the broker answered CONNECT with {type(ack).__name__}")
            if ack.reason_code != mqtt5.ConnAckReasonCode.SUCCESS:
                why = reason_words(ack.reason_code)
                raise SessionDown(f"the broker refused the login as {self._username!r} ({why}): "
                                  "check the user name and password in the MQTT URL")  # fmt: skip
            filters = [mqtt5.TopicFilter(t, max_qos=_QOS[q]) for t, q in self._subscriptions]
            sock.sendall(mqtt5.SubscribePacket(self._ids.next(), filters).write())
            self._reader = reader
            self._early = packets[1:]  # anything that came with the CONNACK
            return sock, max(1, ack.receive_max)
        except BaseException:
            sock.close()
            raise

    def _serve(self, sock: socket.socket, receive_max: int) -> None:
        sock.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ)
        out = bytearray()
        heard = sent = time.monotonic()
        mask = 0  # what the selector watches on the socket
        paused = False
        try:
            for packet in self._early:
                self._handle(packet, out)
            while not self._stopping.is_set():
                if paused and not self._paused():  # the workers made room: read again
                    heard = time.monotonic()
                    self._read(sock, out)  # TLS may hold decrypted bytes the selector cannot see
                paused = self._paused()
                # read while the workers keep up; ask for writability only while the kernel is full
                want = (0 if paused else selectors.EVENT_READ) | (selectors.EVENT_WRITE if out else 0)
                if want != mask:
                    if not mask:
                        sel.register(sock, want)
                    elif not want:
                        sel.unregister(sock)
                    else:
                        sel.modify(sock, want)
                    mask = want
                events = sel.select(self._keepalive_s / 4)
                now = time.monotonic()
                for key, ready in events:
                    if key.fileobj == self._wake_r:
                        while True:
                            try:
                                if not os.read(self._wake_r, 4096):
                                    break
                            except BlockingIOError:
                                break
                    elif ready & selectors.EVENT_READ and not paused:
                        heard = now
                        self._read(sock, out)
                self._take_pending(out, receive_max)
                if now - sent >= self._keepalive_s / 2 and not out:
                    out += mqtt5.PingReqPacket().write()
                if out:
                    sent = now
                    with contextlib.suppress(BlockingIOError, ssl.SSLWantWriteError):
                        del out[: sock.send(out)]
                if not paused and now - heard > self._keepalive_s * 1.5:
                    raise SessionDown(f"no answer from the broker for {now - heard:.0f} s")
            if not out:  # a clean goodbye: the broker forgets the session
                sock.setblocking(True)
                sock.sendall(mqtt5.DisconnectPacket().write())
        finally:
            sel.close()
            with self._lock:  # what was taken but not confirmed goes out again after a reconnect
                self._requeue_lost()

    def _read(self, sock: socket.socket, out: bytearray) -> None:
        while True:
            try:
                data = sock.recv(READ_CHUNK)
            except (BlockingIOError, ssl.SSLWantReadError):
                return
            if not data:
                raise SessionDown("the broker closed the connection")
            for packet in self._reader.feed(data):
                self._handle(packet, out)
            if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                return

    def _handle(self, packet: mqtt5.Packet, out: bytearray) -> None:
        if isinstance(packet, mqtt5.PublishPacket):
            self._on_message(packet.topic, packet.payload)
            if packet.packet_id is not None:
                out += mqtt5.PubAckPacket(packet.packet_id).write()
        elif isinstance(packet, mqtt5.PubAckPacket):
            self._unconfirmed.pop(packet.packet_id, None)
            if packet.reason_code.value >= 0x80:
                self.refused_publishes += 1
                log.warning("the broker refused a publish of central's (%s): check the ACL gives central "
                            "trace/v1/#", reason_words(packet.reason_code))  # fmt: skip
        elif isinstance(packet, mqtt5.SubAckPacket):
            refused = [reason_words(c) for c in packet.reason_codes if c.value >= 0x80]
            self._on_up(refused)
        elif isinstance(packet, mqtt5.DisconnectPacket):
            raise SessionDown(f"the broker disconnected central ({reason_words(packet.reason_code)})")
        # PINGRESP: hearing it is the point

    def _take_pending(self, out: bytearray, receive_max: int) -> None:
        with self._lock:
            while self._pending and (self._pending[0].qos == 0 or len(self._unconfirmed) < receive_max):
                entry = self._pending.popleft()
                if entry.replaces:  # sent: a newer one of its kind queues anew
                    del self._newest[(entry.topic, entry.replaces)]
                    entry.replaces = ""
                packet_id = None
                if entry.qos:
                    packet_id = self._ids.next()
                    self._unconfirmed[packet_id] = entry
                out += mqtt5.PublishPacket(entry.topic, entry.payload, qos=_QOS[entry.qos], packet_id=packet_id).write()

    def _requeue_lost(self) -> None:
        lost = list(self._unconfirmed.values())
        self._unconfirmed.clear()
        self._pending.extendleft(reversed(lost))
