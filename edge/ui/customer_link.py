"""Merchant -> customer display: CustomerView snapshots as JSON lines on a Unix socket.

The merchant side never waits for a display: :meth:`CustomerPublisher.publish` only
records the line and wakes the publisher's own thread, which does all socket I/O without
blocking. A snapshot is the whole screen, so a display that reads slowly simply skips
the snapshots it had no time for (each client holds at most the line being sent plus the
latest one); a display that takes nothing at all for ``stall_s`` is dropped. Displays
(:class:`CustomerSubscriber`) reconnect by themselves, e.g. after the merchant app
restarts, and get the latest snapshot at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from edge.ui.model.views import CustomerView

log = logging.getLogger(__name__)

STALL_S = 3.0  # a display that accepts no byte for this long is stuck: drop it
MAX_LINE = 1024 * 1024  # a longer line is not ours


class _Client:
    """One display's pending output: the rest of the line being sent, then the latest line."""

    __slots__ = ("last_progress", "next_line", "sending", "sock")

    def __init__(self, sock: socket.socket, latest: bytes | None, now: float) -> None:
        self.sock = sock
        self.sending = b""
        self.next_line = latest
        self.last_progress = now

    @property
    def pending(self) -> bool:
        return bool(self.sending) or self.next_line is not None


class CustomerPublisher:
    """Serves the latest :class:`CustomerView` to every connected display."""

    def __init__(self, path: str | os.PathLike[str], *, stall_s: float = STALL_S) -> None:
        self.path = Path(path)
        self.stall_s = stall_s
        self._lock = threading.Lock()
        self._latest: bytes | None = None
        self._clients: dict[socket.socket, _Client] = {}
        self._selector = selectors.DefaultSelector()
        self._server: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0  # stuck displays dropped since start (for tests and the technician)

    # --- control (any thread) ----------------------------------------------------------------

    def start(self) -> CustomerPublisher:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a socket file left by a previous run (only one publisher per scale)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(8)
        server.setblocking(False)
        self._server = server
        self._selector.register(server, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="customer-link", daemon=True)
        self._thread.start()
        log.info("customer display link on %s", self.path)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with self._lock:
            for client in list(self._clients):
                client.close()
            self._clients.clear()
        if self._server is not None:
            self._server.close()
            self._server = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> CustomerPublisher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._clients)

    def publish(self, view: CustomerView) -> None:
        """Send ``view`` to every display; returns at once whatever the displays do."""
        self.publish_line(view.to_json().encode("utf-8") + b"\n")

    def publish_line(self, line: bytes) -> None:
        with self._lock:
            self._latest = line
            for client in self._clients.values():
                client.next_line = line  # replaces a snapshot the display has not started on
        self._wake()

    # --- the I/O thread ------------------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")  # a full wake pipe already means "wake up"

    def _run(self) -> None:
        timeout = max(0.05, min(1.0, self.stall_s / 2))
        while not self._stop.is_set():
            for key, events in self._selector.select(timeout=timeout):
                if key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        while self._wake_r.recv(4096):
                            pass
                elif events & selectors.EVENT_READ:
                    self._read(key.fileobj)  # type: ignore[arg-type]
            self._flush()

    def _accept(self) -> None:
        assert self._server is not None
        while True:
            try:
                sock, _ = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            with self._lock:
                self._clients[sock] = _Client(sock, self._latest, time.monotonic())  # the latest at once
                count = len(self._clients)
            self._selector.register(sock, selectors.EVENT_READ, "client")
            log.info("customer display connected (%d)", count)

    def _read(self, sock: socket.socket) -> None:
        """Displays send nothing; reading only notices a closed connection."""
        try:
            data = sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(sock, "closed")

    def _flush(self) -> None:
        now = time.monotonic()
        with self._lock:
            clients = list(self._clients.values())
        for client in clients:
            with self._lock:
                if not client.sending and client.next_line is not None:
                    client.sending, client.next_line = client.next_line, None
                broken = False
                if client.sending:
                    try:
                        sent = client.sock.send(client.sending)
                    except (BlockingIOError, InterruptedError):
                        sent = 0
                    except OSError:
                        sent, broken = 0, True
                    if sent:
                        client.sending = client.sending[sent:]
                        client.last_progress = now
                else:
                    client.last_progress = now  # nothing to send: not stuck
                pending = client.pending
                stuck = pending and now - client.last_progress > self.stall_s
            if broken:
                self._drop(client.sock, "broken")
            elif stuck:
                self.dropped += 1
                self._drop(client.sock, f"stuck for {self.stall_s:g} s")
            else:
                self._watch_writable(client.sock, pending)

    def _watch_writable(self, sock: socket.socket, pending: bool) -> None:
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if pending else 0)
        with contextlib.suppress(KeyError, ValueError):
            if self._selector.get_key(sock).events != events:
                self._selector.modify(sock, events, "client")

    def _drop(self, sock: socket.socket, why: str) -> None:
        with self._lock:
            self._clients.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        sock.close()
        log.info("customer display disconnected (%s)", why)


class CustomerSubscriber:
    """A display's end: connects (and reconnects) to the publisher, calls ``callback(view)``.

    Views arrive in order; one older than the last (a lower ``seq`` on the same
    connection) is dropped. A new connection starts afresh, since a restarted merchant
    app counts ``seq`` from 1 again. ``on_connected(bool)`` lets the display say
    "waiting for the scale" while the link is down.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        callback: Callable[[CustomerView], None],
        *,
        on_connected: Callable[[bool], None] | None = None,
        retry_s: float = 0.2,
    ) -> None:
        self.path = Path(path)
        self.callback = callback
        self.on_connected = on_connected
        self.retry_s = retry_s
        self.connected = False
        self.last: CustomerView | None = None
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> CustomerSubscriber:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="customer-subscriber", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> CustomerSubscriber:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            if self.on_connected is not None:
                try:
                    self.on_connected(connected)
                except Exception:
                    log.exception("on_connected callback failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(self.path))
            except OSError:
                sock.close()
                self._stop.wait(self.retry_s)
                continue
            self._sock = sock
            self._set_connected(True)
            try:
                self._serve(sock)
            finally:
                self._sock = None
                sock.close()
                self._set_connected(False)

    def _serve(self, sock: socket.socket) -> None:
        buffer = b""
        last_seq = -1
        while not self._stop.is_set():
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            if len(buffer) > MAX_LINE and b"\n" not in buffer:
                log.warning("customer link: line too long, reconnecting")
                return
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                try:
                    view = CustomerView.from_json(line)
                except (ValueError, TypeError) as exc:
                    log.warning("customer link: bad snapshot ignored: %s", exc)
                    continue
                if view.seq <= last_seq:
                    continue
                last_seq = view.seq
                self.last = view
                try:
                    self.callback(view)
                except Exception:
                    log.exception("customer view callback failed")
