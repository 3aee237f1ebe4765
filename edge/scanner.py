"""Serial barcode scanners (RS-232, or USB in virtual-COM/CDC mode): one code per read.

A serial scanner sends ``[preamble] [symbology id] <data> [postamble]``; the postamble is
programmable and CR+LF, CR, LF or ETX in the vendors' manuals (Intermec ScanPlus 1800
installation manual, "Data transmission settings RS-232": default CR+LF; Champtek
user's manual 7.39: none, CR+LF, CR, LF, ETX; STX as a preamble). :class:`ScanFramer`
takes any of these as the end of a code and drops an STX preamble. Codes are UTF-8; a
Chinese voucher QR in GB18030 (what GBK-mode scanners send) is decoded as that.

A USB HID scanner is a keyboard: it types the code and Enter into the focused field of
the Kivy screen (goods-in, sign-in card, 付款码). With no field focused the keys reach only
the window: :class:`ScanBurst` tells a scan from a person typing, and the merchant screen
hands the code to the same handler the serial scanner feeds (``Stall.on_scan``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import serial

log = logging.getLogger(__name__)

_ENDS = b"\r\n\x03"
_STX = b"\x02"
MAX_CODE_BYTES = 4096  # no terminator this long: not a scanner (or a wrong baud rate); start over

# Told apart the way POS software does it: a scanner sends the whole code and Enter as
# one burst, a key every few ms; a person types a key every 150-300 ms and rarely ends a
# code with Enter. So: at least MIN_CHARS keys and Enter, on average within MAX_AVG_S of
# each other. The average, not every gap: keys are timed when the UI loop takes them, and
# one slow frame (drawing, under load) would split a real burst; a pause over MAX_PAUSE_S
# starts over.
MIN_CHARS = 6
MAX_AVG_S = 0.05
MAX_PAUSE_S = 0.3
_SHIFTED = dict(zip("`1234567890-=[]\\;',./", '~!@#$%^&*()_+{}|:"<>?', strict=True))  # a US keyboard, as scanners type


class ScanFramer:
    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        codes = []
        for byte in data:
            if byte in _ENDS:
                if self._buffer:
                    codes.append(_decode(bytes(self._buffer).lstrip(_STX)))
                self._buffer.clear()
            elif len(self._buffer) < MAX_CODE_BYTES:
                self._buffer.append(byte)
            else:
                self._buffer.clear()
        return [c for c in codes if c]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace").strip()


class SerialScanner:
    """Reads codes from ``port`` on a thread and calls ``on_code`` with each; reopens a lost port."""

    def __init__(self, port: str, on_code: Callable[[str], None], *, baud: int = 9600, retry_s: float = 1.0) -> None:
        self.port = port
        self.baud = baud
        self.on_code = on_code
        self.retry_s = retry_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False

    def start(self) -> SerialScanner:
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                link = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0.2)
            except (serial.SerialException, OSError, ValueError) as exc:
                if self.connected or not hasattr(self, "_warned"):
                    log.warning("barcode scanner %s not available (%s); retrying", self.port, exc)
                    self._warned = True
                self.connected = False
                self._stop.wait(self.retry_s)
                continue
            self.connected = True
            log.info("barcode scanner on %s", self.port)
            framer = ScanFramer()
            try:
                while not self._stop.is_set():
                    data = link.read(link.in_waiting or 1)
                    for code in framer.feed(data):
                        try:
                            self.on_code(code)
                        except Exception:  # a handler's bug must not stop the scanner
                            log.exception("scanned code %r not handled", code)
            except (serial.SerialException, OSError) as exc:
                log.warning("barcode scanner %s lost (%s); reopening", self.port, exc)
            finally:
                self.connected = False
                with contextlib.suppress(Exception):
                    link.close()


class ScanBurst:
    """Keys typed outside any text field; ``enter()`` returns the code when it was a scan."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._chars: list[str] = []
        self._first = self._last = 0.0

    def key(self, text: str) -> None:
        now = self.clock()
        if not self._chars or now - self._last > MAX_PAUSE_S:
            self._chars, self._first = [], now
        self._chars.append(text)
        self._last = now

    def reset(self) -> None:
        self._chars = []

    def enter(self) -> str | None:
        now = self.clock()
        code, chars = "".join(self._chars).strip(), len(self._chars)
        fast = chars > 0 and now - self._last <= MAX_PAUSE_S and (now - self._first) / chars <= MAX_AVG_S
        self._chars = []
        return code if fast and len(code) >= MIN_CHARS else None


def key_char(codepoint: str | None, shift: bool) -> str | None:
    """The character a key-down typed (the key's own character, shifted as on a US keyboard);
    None for Shift itself and other keys that type nothing."""
    if codepoint is None or len(codepoint) != 1 or not codepoint.isprintable():
        return None
    return _SHIFTED.get(codepoint, codepoint.upper()) if shift else codepoint
