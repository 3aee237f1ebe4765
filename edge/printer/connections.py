"""One small class per way a ticket printer is attached: serial, USB (kernel usblp), TCP 9100, file.

All share: ``open()``, ``close()``, ``write(data)``, ``read(size, timeout_s)`` and open lazily
on first use, so a connection that broke is simply opened again next time. Every failure
is raised as PrinterError with what happened and what to do; nothing else escapes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Self
from urllib.parse import parse_qs

import serial

from edge.printer.errors import PrinterError


class Connection(ABC):
    """A byte pipe to a printer. Not thread-safe: one print worker owns it."""

    name: str = "printer"
    supports_status = True  # False: the printer cannot answer DLE EOT over this link

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Send all of ``data`` (opening first if needed) or raise PrinterError."""

    @abstractmethod
    def read(self, size: int, timeout_s: float) -> bytes:
        """Up to ``size`` bytes arriving within ``timeout_s`` (b"" if none)."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _out_waiting(port: serial.SerialBase) -> int:
    try:
        return int(port.out_waiting)
    except (AttributeError, NotImplementedError, OSError, serial.SerialException):
        return 0  # URL handlers without an output queue count: nothing to wait for


class SerialConnection(Connection):
    """RS-232 or USB-serial printer via pyserial (any pyserial URL works, e.g. a pty path)."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        *,
        rtscts: bool = False,
        dsrdtr: bool = False,
        xonxoff: bool = False,
        write_timeout_s: float = 10.0,
    ) -> None:
        self.port = port
        self.name = f"serial {port} @ {baudrate}"
        self.baudrate = baudrate
        self.rtscts, self.dsrdtr, self.xonxoff = rtscts, dsrdtr, xonxoff
        self.write_timeout_s = write_timeout_s
        self._serial: serial.SerialBase | None = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._serial.is_open

    def open(self) -> None:
        if self.is_open:
            return
        try:
            self._serial = serial.serial_for_url(
                self.port,
                baudrate=self.baudrate,
                timeout=0,
                write_timeout=self.write_timeout_s,
                rtscts=self.rtscts,
                dsrdtr=self.dsrdtr,
                xonxoff=self.xonxoff,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self._serial = None
            raise PrinterError(
                f"cannot open printer port {self.port}: {exc}. "
                "Check the printer cable/USB-serial adapter and the port name in the configuration."
            ) from exc

    def close(self) -> None:
        if self._serial is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._serial.close()
            self._serial = None

    def _port(self) -> serial.SerialBase:
        self.open()
        assert self._serial is not None
        return self._serial

    def write(self, data: bytes) -> None:
        port = self._port()
        deadline = time.monotonic() + self.write_timeout_s
        try:
            port.write(data)
            # Wait until the bytes have left, so a status answer is not queued behind a second of
            # ticket at 9600 baud. Polled rather than flush(): tcdrain() never returns while the
            # printer holds DTR/CTS low (out of paper), and that would hang the worker.
            while _out_waiting(port) and time.monotonic() < deadline:
                time.sleep(0.01)
            if _out_waiting(port):
                raise serial.SerialTimeoutException("output not drained")
        except serial.SerialTimeoutException as exc:
            raise PrinterError(
                f"printer on {self.port} did not take the data within {self.write_timeout_s:g} s: "
                "it is busy, offline or out of paper, or the flow-control setting is wrong."
            ) from exc
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise PrinterError(
                f"printer port {self.port} failed while sending: {exc}. Check the cable; it will be retried."
            ) from exc

    def read(self, size: int, timeout_s: float) -> bytes:
        port = self._port()
        try:
            port.timeout = timeout_s
            return bytes(port.read(size))
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise PrinterError(f"printer port {self.port} failed while reading: {exc}. Check the cable.") from exc


class UsbConnection(Connection):
    """A USB printer-class device through the kernel usblp driver (/dev/usb/lp0), used as a file.

    Non-blocking with select(): a usblp write blocks forever while the printer is out of paper,
    and that must not hang the print worker.
    """

    def __init__(self, path: str = "/dev/usb/lp0", *, write_timeout_s: float = 10.0, status: bool = True) -> None:
        self.path = path
        self.name = f"usb {path}"
        self.write_timeout_s = write_timeout_s
        self.supports_status = status  # some USB printers are write-only
        self._fd: int | None = None

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def open(self) -> None:
        if self._fd is not None:
            return
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError as exc:
            raise PrinterError(
                f"no USB printer at {self.path}: check the USB cable and that the printer is switched on."
            ) from exc
        except PermissionError as exc:
            raise PrinterError(
                f"no permission to open {self.path}: add the scale's user to the 'lp' group "
                "(sudo usermod -aG lp USER) and log in again."
            ) from exc
        except OSError as exc:
            raise PrinterError(f"cannot open USB printer {self.path}: {exc}. Re-plug the printer.") from exc

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _descriptor(self) -> int:
        self.open()
        assert self._fd is not None
        return self._fd

    def write(self, data: bytes) -> None:
        fd = self._descriptor()
        view = memoryview(data)
        deadline = time.monotonic() + self.write_timeout_s
        try:
            while view:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PrinterError(
                        f"USB printer {self.path} did not take the data within {self.write_timeout_s:g} s: "
                        "it is busy, offline or out of paper."
                    )
                _, writable, _ = select.select([], [fd], [], left)
                if not writable:
                    continue
                try:
                    sent = os.write(fd, view)
                except BlockingIOError:
                    continue
                view = view[sent:]
        except OSError as exc:
            self.close()
            raise PrinterError(
                f"USB printer {self.path} failed while sending: {exc}. Check the cable; it will be retried."
            ) from exc

    def read(self, size: int, timeout_s: float) -> bytes:
        fd = self._descriptor()
        out = b""
        deadline = time.monotonic() + timeout_s
        try:
            while len(out) < size:
                readable, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                if not readable:
                    break
                try:
                    chunk = os.read(fd, size - len(out))
                except BlockingIOError:
                    chunk = b""
                except OSError as exc:
                    if exc.errno == errno.EIO and not out:
                        break  # a pty with no peer, or a usblp printer with no back channel: no answer
                    raise
                if not chunk:
                    break
                out += chunk
        except OSError as exc:
            self.close()
            raise PrinterError(f"USB printer {self.path} failed while reading: {exc}. Re-plug the printer.") from exc
        return out


class NetworkConnection(Connection):
    """An Ethernet/Wi-Fi printer on raw TCP port 9100. A broken socket is reopened on next use."""

    def __init__(
        self, host: str, port: int = 9100, *, connect_timeout_s: float = 3.0, write_timeout_s: float = 10.0
    ) -> None:
        self.host, self.port = host, port
        self.name = f"tcp {host}:{port}"
        self.connect_timeout_s = connect_timeout_s
        self.write_timeout_s = write_timeout_s
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        except TimeoutError as exc:
            raise PrinterError(
                f"no answer from printer {self.host}:{self.port} within {self.connect_timeout_s:g} s: "
                "check it is switched on, its IP address and the network cable."
            ) from exc
        except OSError as exc:
            raise PrinterError(
                f"cannot connect to printer {self.host}:{self.port}: {exc}. "
                "Check it is switched on, its IP address and port in the configuration."
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._sock = sock

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _socket(self) -> socket.socket:
        self.open()
        assert self._sock is not None
        return self._sock

    def write(self, data: bytes) -> None:
        sock = self._socket()
        try:
            sock.settimeout(self.write_timeout_s)
            sock.sendall(data)
        except OSError as exc:
            self.close()  # next write reconnects
            raise PrinterError(
                f"lost the connection to printer {self.host}:{self.port} while sending ({exc}); "
                "it will reconnect on the next try."
            ) from exc

    def read(self, size: int, timeout_s: float) -> bytes:
        sock = self._socket()
        out = b""
        deadline = time.monotonic() + timeout_s
        try:
            while len(out) < size:
                left = deadline - time.monotonic()
                sock.settimeout(left if left > 0 else 0.0)
                try:
                    chunk = sock.recv(size - len(out))
                except (TimeoutError, BlockingIOError):
                    break
                if not chunk:
                    raise ConnectionResetError("the printer closed the connection")
                out += chunk
        except OSError as exc:
            self.close()
            raise PrinterError(
                f"lost the connection to printer {self.host}:{self.port} ({exc}); it will reconnect on the next try."
            ) from exc
        return out


class FileConnection(Connection):
    """Appends the job bytes to a file (a spool, a test, or the simulator's input). Never answers."""

    supports_status = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = f"file {self.path}"
        self._file: IO[bytes] | None = None

    @property
    def is_open(self) -> bool:
        return self._file is not None

    def open(self) -> None:
        if self._file is not None:
            return
        try:
            self._file = self.path.open("ab")
        except OSError as exc:
            raise PrinterError(
                f"cannot open ticket file {self.path}: {exc}. Check the directory exists and is writable."
            ) from exc

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def write(self, data: bytes) -> None:
        self.open()
        assert self._file is not None
        try:
            self._file.write(data)
            self._file.flush()
        except OSError as exc:
            self.close()
            raise PrinterError(f"cannot write ticket file {self.path}: {exc}. Check the disk is not full.") from exc

    def read(self, size: int, timeout_s: float) -> bytes:
        return b""


def open_connection(spec: str) -> Connection:
    """A connection from a configuration string (not opened yet).

    ``tcp:HOST[:PORT]``, ``serial:PORT[?baud=9600&rtscts=1&dsrdtr=1&xonxoff=1]``,
    ``usb:/dev/usb/lp0``, ``file:PATH``.
    """
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ValueError(f"printer connection {spec!r}: expected tcp:HOST:PORT, serial:PORT, usb:PATH or file:PATH")
    if kind == "tcp":
        host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "9100")
        return NetworkConnection(host or rest, int(port or 9100))
    if kind == "serial":
        port, _, query = rest.partition("?")
        opts = {k: v[-1] for k, v in parse_qs(query).items()}
        flag = {"1", "true", "yes", "on"}
        return SerialConnection(
            port,
            int(opts.get("baud", 9600)),
            rtscts=opts.get("rtscts", "0").lower() in flag,
            dsrdtr=opts.get("dsrdtr", "0").lower() in flag,
            xonxoff=opts.get("xonxoff", "0").lower() in flag,
        )
    if kind == "usb":
        return UsbConnection(rest)
    if kind == "file":
        return FileConnection(rest)
    raise ValueError(f"printer connection {spec!r}: unknown kind {kind!r} (tcp, serial, usb, file)")
