"""A 2 x 20 customer pole display (VFD) on a serial port, fed from CustomerView snapshots.

Two command sets: CD5220 (the common Chinese "客显" default) and Epson ESC/POS customer
display (DM-D). The encoders are pure functions (view -> bytes) so tests pin the exact
bytes; :class:`PoleDisplay` writes them from its own thread, keeping only the latest view,
so a slow 9600-baud line never holds up the scale.

Displays with a Chinese character set get GB18030 (one Chinese character takes two
columns); the others get ASCII and the numbers only (weight, price, amount, total), which
is what matters to a customer checking the price.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

from edge.printer.textwidth import char_width, display_width
from edge.ui.model.views import CustomerView

log = logging.getLogger(__name__)

WIDTH = 20
PROTOCOLS = ("cd5220", "escpos")

ESC, US, FF, CR = 0x1B, 0x1F, 0x0C, 0x0D


@dataclass(frozen=True, slots=True)
class CommandSet:
    init: bytes  # reset and clear, once after opening
    line1: bytes  # before the upper line's 20 columns
    line2: bytes  # before the lower line's 20 columns
    end_line1: bytes = b""
    end_line2: bytes = b""


# CD5220: ESC @ init, FF clear, ESC DC1 overwrite mode, ESC Q A/B "string" CR writes a line.
CD5220 = CommandSet(
    init=bytes((ESC, 0x40, FF, ESC, 0x11)),
    line1=bytes((ESC, 0x51, 0x41)),
    line2=bytes((ESC, 0x51, 0x42)),
    end_line1=bytes((CR,)),
    end_line2=bytes((CR,)),
)
# ESC/POS customer display: ESC @ init, FF clear, US MD1 overwrite, US $ x y moves the cursor (1-based).
ESCPOS = CommandSet(
    init=bytes((ESC, 0x40, FF, US, 0x01)),
    line1=bytes((US, 0x24, 1, 1)),
    line2=bytes((US, 0x24, 1, 2)),
)
COMMAND_SETS = {"cd5220": CD5220, "escpos": ESCPOS}


def parse_protocol(name: str) -> tuple[CommandSet, bool]:
    """``cd5220`` / ``escpos``, with ``-zh`` for displays that show GB18030 Chinese."""
    base, _, variant = name.partition("-")
    if base not in COMMAND_SETS or variant not in ("", "zh"):
        raise ValueError(f"pole display protocol {name!r}: use cd5220, escpos, cd5220-zh or escpos-zh")
    return COMMAND_SETS[base], variant == "zh"


def _fit(text: str, width: int) -> str:
    """Cut to ``width`` columns (a wide character never split), then pad with spaces."""
    out, used = "", 0
    for ch in text:
        w = char_width(ch)
        if used + w > width:
            break
        out, used = out + ch, used + w
    return out + " " * (width - used)


def _pair(left: str, right: str, width: int = WIDTH) -> str:
    """``left`` and ``right`` on one line; the right part (a number) wins when space is short."""
    right = right[:width]
    room = width - len(right) - (1 if left and right else 0)
    left = _fit(left, room).rstrip() if room > 0 else ""
    return left + " " * (width - display_width(left) - len(right)) + right


def _number(text: str) -> str:
    """``"3.98 元/kg"`` -> ``"3.98"``: our texts start with the figure."""
    return text.split(" ", 1)[0]


def _ascii(text: str) -> str:
    return text if text.isascii() else ""


# What a display without Chinese says for metrology's refusal codes (edge.core.refusals).
_BLOCKED_ASCII = {
    "unstable": "UNSTABLE", "below_min": "BELOW MIN", "negative": "NEGATIVE", "overload": "OVERLOAD",
    "underload": "UNDERLOAD", "no_weight": "NO WEIGHT", "not_zeroed": "NOT ZEROED", "power_on_zero": "NOT ZEROED",
}  # fmt: skip


def lines_for(view: CustomerView, chinese: bool) -> tuple[str, str]:
    """The two 20-column lines for ``view`` (before encoding)."""
    zh = chinese and view.lang != "en"
    label = {
        "price": "单价" if zh else "PRICE",
        "amount": "金额" if zh else "AMOUNT",
        "total": "合计" if zh else "TOTAL",
        "pay": "请付款" if zh else "PLEASE PAY",
        "paid": "已付款 谢谢" if zh else "PAID  THANK YOU",
        "welcome": "欢迎光临" if zh else "WELCOME",
        "items": "件商品" if zh else "ITEMS",
    }
    if view.mode == "weighing":
        if view.pricing == "piece":
            weight = view.quantity_text.replace(" ", "") if zh else view.quantity_text.split(" ")[0] + " PCS"
        else:
            weight = f"{view.weight_text}kg" if view.weight_text else "--"
        price = _number(view.unit_price_text)
        # a weight that cannot be sold shows why instead of an amount (the customer screen greys it)
        why = (view.blocked_text if zh else _BLOCKED_ASCII.get(view.blocked_code, "")) if not view.sellable else ""
        amount = why or view.amount_text
        if chinese and view.item_name:
            top = _pair(view.item_name, weight)
            bottom = _pair(f"{label['price']}{price}" if price else "", amount)
        else:
            top = _pair(weight, f"@{price}" if price else "")
            bottom = _pair(label["amount"] if view.amount_text and not why else "", amount)
        return top, bottom
    if view.mode == "cart":
        count = len(view.lines)
        top = _pair(f"{count}{label['items']}" if zh else f"{count} {label['items']}", "")
        return top, _pair(label["total"], view.total_text)
    if view.mode == "payment":
        return _pair(label["pay"], f"{view.countdown_s}s"), _pair(label["total"], view.qr_amount_text)
    if view.mode == "paid":
        return _pair(label["paid"], ""), _pair(label["total"], view.total_text)
    stall = view.stall if chinese else _ascii(view.stall)
    return _pair(label["welcome"], ""), _pair(stall, "")


def encode_text(text: str, chinese: bool) -> bytes:
    if chinese:
        return text.encode("gb18030", errors="replace")
    return text.encode("ascii", errors="replace")


def render(view: CustomerView, protocol: str = "cd5220") -> bytes:
    """The bytes that show ``view`` (overwriting both lines; send :func:`init_bytes` once first)."""
    commands, chinese = parse_protocol(protocol)
    top, bottom = lines_for(view, chinese)
    return (
        commands.line1
        + encode_text(top, chinese)
        + commands.end_line1
        + commands.line2
        + encode_text(bottom, chinese)
        + commands.end_line2
    )


def init_bytes(protocol: str = "cd5220") -> bytes:
    return parse_protocol(protocol)[0].init


class PoleDisplay:
    """Writes the latest view to a pole display over pyserial; never blocks or raises into the caller.

    ``port`` is a device path or a pyserial URL. When the port fails, the writer reopens
    it on the next view (a re-plugged display comes back by itself).
    """

    def __init__(self, port: str, protocol: str = "cd5220", *, baud: int = 9600) -> None:
        parse_protocol(protocol)  # a bad name fails here, at start, not in the thread
        self.port = port
        self.protocol = protocol
        self.baud = baud
        self._serial = None
        self._latest: CustomerView | None = None
        self._shown: bytes | None = None
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.errors = 0

    def start(self) -> PoleDisplay:
        self._thread = threading.Thread(target=self._run, name="pole-display", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._close()

    def show(self, view: CustomerView) -> None:
        with self._cond:
            self._latest = view
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._latest is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                view, self._latest = self._latest, None
            assert view is not None
            data = render(view, self.protocol)
            if data != self._shown:
                self._write(data)

    def _write(self, data: bytes) -> None:
        import serial  # pyserial; imported here so the encoders need nothing

        try:
            if self._serial is None:
                self._serial = serial.serial_for_url(self.port, baudrate=self.baud, timeout=1, write_timeout=2)
                self._serial.write(init_bytes(self.protocol))
            self._serial.write(data)
            self._serial.flush()
            self._shown = data
        except (serial.SerialException, OSError) as exc:
            self.errors += 1
            if self.errors == 1 or self.errors % 100 == 0:
                log.warning("pole display %s: %s (retrying with the next update)", self.port, exc)
            self._close()

    def _close(self) -> None:
        if self._serial is not None:
            with contextlib.suppress(Exception):  # closing a vanished port may fail; it is gone either way
                self._serial.close()
            self._serial = None
            self._shown = None
