"""Byte transport to a weighing module: open, read, write, and say clearly what failed.

A path (``/dev/ttyUSB0``) or any pyserial URL (``socket://host:port``) works, so the
same driver talks to a real RS-232 adapter, a pty from the simulator, or a TCP bridge.
"""

from __future__ import annotations

import contextlib
import errno
import os
import termios

import serial

from edge.scale_driver.protocols.base import SerialSettings

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


class TransportError(Exception):
    """The port could not be opened or broke; the message says what to check."""


class PortBusyError(TransportError):
    """Another process holds the port (most often the running scale app)."""


def _busy_message(port: str) -> str:
    return (
        f"称重串口 {port} 已被其他程序占用（多半是正在运行的秤软件）/ weighing-module port {port} "
        "is held by another program, most likely the running scale app. Sell from the app "
        "(its screen or headless console), or stop the app before using this command."
    )


class SerialTransport:
    """One open port. Not thread-safe: the driver's reader thread owns it.

    A device path is opened with pyserial's ``exclusive=True`` (an advisory ``flock`` taken
    before any setting changes), so a second process of ours (``edge sell``, ``edge probe``,
    ``edge doctor``) is refused with :class:`PortBusyError` instead of sharing the bytes
    with the running app and making it report 称重模块已断开.
    """

    def __init__(self, port: str, settings: SerialSettings, read_timeout_s: float = 0.05) -> None:
        self.port = port
        self.settings = settings
        self.read_timeout_s = read_timeout_s
        self._serial: serial.SerialBase | None = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._serial.is_open

    def open(self) -> None:
        s = self.settings
        try:
            try:
                self._serial = self._open(s)
            except termios.error:
                # A pseudo-terminal (the simulator) carries bytes, not bits: Linux refuses
                # some 7-bit/parity changes on it, and they would mean nothing anyway.
                if not os.path.realpath(self.port).startswith("/dev/pts/"):
                    raise
                self._serial = self._open(SerialSettings(s.baud))
        except serial.SerialException as exc:
            self._serial = None
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):  # the flock of exclusive=True
                raise PortBusyError(_busy_message(self.port)) from exc
            raise self._open_error(exc) from exc
        except (OSError, ValueError, termios.error) as exc:
            self._serial = None
            raise self._open_error(exc) from exc

    def _open_error(self, exc: Exception) -> TransportError:
        return TransportError(
            f"cannot open weighing-module port {self.port}: {exc}. "
            "Check the cable/USB adapter is plugged in and the port name in the configuration."
        )

    def _open(self, s: SerialSettings) -> serial.SerialBase:
        # a URL (socket://, rfc2217://) names no local device to lock
        exclusive = {} if "://" in self.port else {"exclusive": True}
        return serial.serial_for_url(
            self.port,
            baudrate=s.baud,
            bytesize=s.bytesize,
            parity=_PARITY[s.parity],
            stopbits=s.stopbits,
            timeout=self.read_timeout_s,
            write_timeout=1.0,
            **exclusive,
        )

    def close(self) -> None:
        if self._serial is not None:
            # already gone when the cable was pulled: nothing left to release
            with contextlib.suppress(serial.SerialException, OSError):
                self._serial.close()
            self._serial = None

    def read(self) -> bytes:
        """Whatever has arrived, waiting at most the read timeout for the first byte."""
        if self._serial is None:
            raise TransportError(f"port {self.port} is not open")
        try:
            data = self._serial.read(1)
            if data:
                waiting = self._serial.in_waiting
                if waiting:
                    data += self._serial.read(waiting)
            return data
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # TypeError/AttributeError: pyserial's socket:// raises these on a closed socket
            raise TransportError(f"weighing-module port {self.port} disconnected: {exc}") from exc

    def write(self, data: bytes) -> None:
        if self._serial is None:
            raise TransportError(f"port {self.port} is not open")
        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"cannot write to weighing-module port {self.port}: {exc}") from exc
