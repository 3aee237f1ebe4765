"""Serving a `VirtualScale` over a pseudo-terminal or a TCP socket.

Each link runs one thread: it waits (select) for host bytes or the next streamed frame,
answers commands at once and writes each frame as soon as it is due. Writes and plug
changes share one lock, so a benchmark's `send_now()` or a test's `unplug()` from another
thread never interleaves with a frame half written.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time

from simulator.pty import LinkedPty
from simulator.scale.virtual import VirtualScale


class Link:
    """Serving loop shared by `PtyLink` and `TcpLink`; subclasses own the file descriptors."""

    IDLE_S = 0.25
    PENDING_POLL_S = 0.005  # how often a waiting MT-SICS `S` looks at the module again

    def __init__(self, sim: VirtualScale) -> None:
        self.sim = sim
        self.session = sim.open_session()
        self._io_lock = threading.RLock()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._plugged = False
        self._paused = False
        self._next_frame_at = 0.0
        self._closed = False

    # --- what subclasses provide ---------------------------------------------------------

    @property
    def address(self) -> str:
        """What a host opens with pyserial (a path or a socket:// URL)."""
        raise NotImplementedError

    def _plug(self) -> None:
        raise NotImplementedError

    def _unplug(self) -> None:
        raise NotImplementedError

    def _read_fds(self) -> list[int]:
        raise NotImplementedError

    def _on_readable(self, fd: int) -> None:
        raise NotImplementedError

    def _write(self, data: bytes) -> bool:
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        """Whether a host can receive what is written now."""
        return self._plugged

    def _cleanup(self) -> None:
        """Called once by stop() after the last unplug."""

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> Link:
        if self._thread is not None:
            raise RuntimeError("link already started")
        with self._io_lock:
            self._plug()
            self._plugged = True
            self._next_frame_at = time.monotonic()
        self._thread = threading.Thread(target=self._serve, name=f"{type(self).__name__}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_event.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._io_lock:
            if self._plugged:
                self._unplug()
                self._plugged = False
        self._cleanup()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> Link:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults at the link ---------------------------------------------------------------

    @property
    def plugged(self) -> bool:
        return self._plugged

    def unplug(self) -> None:
        """The adapter disappears: the device goes away and the host's open handle breaks."""
        with self._io_lock:
            if self._plugged:
                self._unplug()
                self._plugged = False
                self.session.reset()
        self._wake()

    def replug(self) -> None:
        """The adapter comes back (a new device behind the same path / port)."""
        with self._io_lock:
            if self._plugged:
                self._unplug()
            self.session.reset()
            self._plug()
            self._plugged = True
            self._next_frame_at = time.monotonic()
        self._wake()

    def silence(self, seconds: float) -> None:
        """Stop sending and answering for ``seconds``."""
        self.sim.silence(seconds)
        self._wake()

    # --- benchmark hooks -------------------------------------------------------------------

    def pause_stream(self) -> None:
        """Stop streaming so that only `send_now()` puts frames on the wire."""
        self._paused = True
        self._wake()

    def resume_stream(self) -> None:
        with self._io_lock:
            self._paused = False
            self._next_frame_at = time.monotonic()
        self._wake()

    def send_now(self, frame: bytes | None = None) -> tuple[bytes, int]:
        """Write one frame now (default: the module's current weight frame).

        Returns the bytes and ``time.perf_counter_ns()`` taken right after the last byte
        was handed to the kernel. Raises ConnectionError when nobody can receive it.
        """
        with self._io_lock:
            data = self.session.unsolicited_frame() if frame is None else frame
            if not self.connected or not self._write(data):
                raise ConnectionError(f"cannot send on {self.address}: unplugged or no host connected")
            return data, time.perf_counter_ns()

    # --- the serving loop -------------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"!")

    def _send(self, data: bytes) -> None:
        if data:
            self._write(data)

    def _streaming_now(self) -> bool:
        return self.sim.streaming and not self._paused and self.connected

    def _timeout(self) -> float:
        timeout = self.IDLE_S
        if self.session.pending:
            timeout = min(timeout, self.PENDING_POLL_S)
        if self._streaming_now():
            timeout = min(timeout, max(0.0, self._next_frame_at - time.monotonic()))
        return timeout

    def _stream_if_due(self) -> None:
        if not self._streaming_now():
            return
        now = time.monotonic()
        if now < self._next_frame_at:
            return
        self._send(self.session.stream_frame())
        interval = self.sim.frame_interval_s
        self._next_frame_at += interval
        if self._next_frame_at < now - interval:  # fell far behind: no burst of stale frames
            self._next_frame_at = now + interval

    def _serve(self) -> None:
        while not self._stop_event.is_set():
            with self._io_lock:
                fds = self._read_fds() if self._plugged else []
                timeout = self._timeout()
            try:
                readable, _, _ = select.select([self._wake_r, *fds], [], [], timeout)
            except (OSError, ValueError):  # a descriptor was closed by unplug(): look again
                continue
            if self._wake_r in readable:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 4096)
            with self._io_lock:
                if not self._plugged:
                    continue
                current = self._read_fds()
                for fd in readable:
                    if fd != self._wake_r and fd in current:
                        self._on_readable(fd)
                if self.session.pending:
                    self._send(self.session.poll())
                self._stream_if_due()


class PtyLink(Link):
    """The module on a pseudo-terminal behind a stable symlink (see simulator.pty).

    Frames written while no host reads pile up in the pty until it is full and are then
    dropped, and pyserial flushes them on open.
    """

    def __init__(self, sim: VirtualScale, directory: str | os.PathLike[str] | None = None, name: str = "scale0"):
        super().__init__(sim)
        self._pty = LinkedPty(directory, name)
        self.directory = self._pty.directory
        self.path = self._pty.path

    @property
    def device(self) -> str:
        """The /dev/pts/N currently behind the symlink."""
        return self._pty.device

    @property
    def _master(self) -> int:
        return self._pty.master

    @property
    def address(self) -> str:
        return self.path

    def _plug(self) -> None:
        self._pty.plug()

    def _unplug(self) -> None:
        self._pty.unplug()

    def _read_fds(self) -> list[int]:
        return [self._master]

    def _on_readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EAGAIN, or EIO while the pty is torn down
            return
        self._send(self.session.feed(data))

    def _write(self, data: bytes) -> bool:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._master, view)
            except OSError:  # full because nobody reads: like a UART talking to no one
                return False
            view = view[written:]
        return True

    def _cleanup(self) -> None:
        self._pty.remove_directory()


class TcpLink(Link):
    """A TCP server, one host at a time (like a serial-to-Ethernet converter).

    pyserial opens it as ``socket://HOST:PORT``. Streaming only runs while a host is
    connected; a second host waits in the backlog until the first one disconnects.
    """

    def __init__(self, sim: VirtualScale, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(sim)
        self.host = host
        self.port = port
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None

    @property
    def address(self) -> str:
        return self.url

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._plugged and self._client is not None

    def _plug(self) -> None:
        listener = socket.create_server((self.host, self.port), backlog=1)  # SO_REUSEADDR: replug on the same port
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _unplug(self) -> None:
        self._drop_client()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _drop_client(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.close()
            self._client = None

    def _read_fds(self) -> list[int]:
        if self._client is not None:
            return [self._client.fileno()]
        return [self._listener.fileno()] if self._listener is not None else []

    def _on_readable(self, fd: int) -> None:
        if self._client is None:
            self._accept()
            return
        try:
            data = self._client.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the host went away: wait for the next one
            self._drop_client()
            return
        self._send(self.session.feed(data))

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        client.setblocking(False)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a reading goes out at once
        self._client = client
        self.session.reset()
        self._next_frame_at = time.monotonic()

    def _write(self, data: bytes) -> bool:
        if self._client is None:
            return False
        view = memoryview(data)
        while view:
            try:
                written = self._client.send(view)
            except BlockingIOError:
                return False
            except OSError:
                self._drop_client()
                return False
            view = view[written:]
        return True
