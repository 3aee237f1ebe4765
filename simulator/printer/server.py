"""Links that carry bytes between a host and the `PrinterDevice`.

`PrinterServer` is a network printer's raw port (9100): it serves one connection at a
time and any number of them in turn; the next one waits in the listen backlog, as with
a real printer. A closed connection finishes a ticket that was never cut.

`PrinterPty` is a serial printer: a pseudo-terminal behind a stable symlink. The
simulator keeps the slave side open itself, so a host may close and reopen the port.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading

from simulator.printer.device import PrinterDevice
from simulator.pty import LinkedPty


def parse_listen(text: str) -> tuple[str, str, int]:
    """`pty` -> ("pty", "", 0); `tcp:HOST:PORT` -> ("tcp", HOST, PORT)."""
    if text == "pty":
        return "pty", "", 0
    kind, _, rest = text.partition(":")
    host, _, port = rest.rpartition(":")
    if kind != "tcp" or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--listen must be 'pty' or 'tcp:HOST:PORT' (e.g. tcp:127.0.0.1:9100), not {text!r}")
    return "tcp", host, int(port)


class _Link:
    """A serving thread that waits (select) on its descriptors and a wake-up pipe."""

    IDLE_S = 0.5

    def __init__(self, device: PrinterDevice) -> None:
        self.device = device
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()

    @property
    def address(self) -> str:
        raise NotImplementedError

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _fds(self) -> list[int]:
        raise NotImplementedError

    def _on_readable(self, fd: int) -> None:
        raise NotImplementedError

    def start(self) -> _Link:
        if self._thread is not None:
            raise RuntimeError("link already started")
        self._open()
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"!")
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> _Link:
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                readable, _, _ = select.select([self._wake_r, *self._fds()], [], [], self.IDLE_S)
            except (OSError, ValueError):
                continue
            for fd in readable:
                if fd != self._wake_r and not self._stop.is_set():
                    self._on_readable(fd)


class PrinterServer(_Link):
    """TCP listener: `PrinterServer(device, "127.0.0.1", 0).start().port`."""

    def __init__(self, device: PrinterDevice, host: str = "127.0.0.1", port: int = 9100) -> None:
        super().__init__(device)
        self.host = host
        self.port = port
        self.connections = 0  # served so far
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None

    @property
    def address(self) -> str:
        return f"tcp:{self.host}:{self.port}"

    def _open(self) -> None:
        self._listener = socket.create_server((self.host, self.port), backlog=8)
        self.port = self._listener.getsockname()[1]

    def _close(self) -> None:
        self._drop_client()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _fds(self) -> list[int]:
        if self._client is not None:
            return [self._client.fileno()]
        return [self._listener.fileno()] if self._listener is not None else []

    def _on_readable(self, fd: int) -> None:
        if self._client is None:
            assert self._listener is not None
            with contextlib.suppress(OSError):
                self._client, _ = self._listener.accept()
                self._client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # status bytes go out at once
                self._client.settimeout(5.0)  # a host that stops reading must not hang the printer
                self.connections += 1
            return
        try:
            data = self._client.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop_client()
            return
        reply = self.device.receive(data)
        if reply:
            try:
                self._client.sendall(reply)
            except OSError:
                self._drop_client()

    def _drop_client(self) -> None:
        if self._client is None:
            return
        with contextlib.suppress(OSError):
            self._client.close()
        self._client = None
        self.device.end_of_stream()


class PrinterPty(_Link):
    """A serial printer on a pty; `path` is the stable symlink a host opens."""

    def __init__(self, device: PrinterDevice, directory: str | os.PathLike[str] | None = None, name: str = "printer0"):
        super().__init__(device)
        self._pty = LinkedPty(directory, name)
        self.directory = self._pty.directory
        self.path = self._pty.path

    @property
    def device_name(self) -> str:
        """The /dev/pts/N behind the symlink."""
        return self._pty.device

    @property
    def _master(self) -> int:
        return self._pty.master

    @property
    def address(self) -> str:
        return self.path

    def _open(self) -> None:
        self._pty.plug()

    def _close(self) -> None:
        self.device.end_of_stream()
        self._pty.unplug()
        self._pty.remove_directory()

    def _fds(self) -> list[int]:
        return [self._master] if self._master >= 0 else []

    def _on_readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EAGAIN, or EIO while torn down
            return
        reply = self.device.receive(data)
        view = memoryview(reply)
        while view:
            try:
                view = view[os.write(self._master, view) :]
            except BlockingIOError:  # the host is not reading: like a UART talking to no one
                return
            except OSError:
                return
