"""``yaohua-ww``: ``ww00001.235kg`` / ``wn00001.235kg`` weight output (streaming), docs/protocols.md section 10.

Sent by Yaohua-compatible indicators and many unbranded clones. **No manual could be
found**; the layout follows the one open parser we found, ``peymanx/pymahex-scaler``
``weight.py`` (reads the value between ``wn`` and ``kg``), and the examples in our issue 13.

Rules this parser implements:

- Frame ``w``, ``w`` gross / ``n`` net, the value (optional ``-``, digits with at most one
  point, leading zeros), the unit ``kg`` or ``g``; anything after the unit (CR LF) is
  skipped. lb / oz are refused, any other unit is not a frame.
- No motion flag, no overload code, no checksum: stable only when the reading repeats
  the frame before it; a weight above Max is flagged overload by the core; a corrupted
  digit cannot be detected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import (
    ByteClass,
    Repeating,
    StartByteParser,
    byte_class,
    decimal_count,
)

MAX_LEN = 16  # w w - 9 value characters lb ... : longer is not a frame
_FRAME = re.compile(rb"w([wn])(-?)([0-9]+(?:\.[0-9]+)?)(kg|g|lb|oz)")
_UNITS = {b"kg": "kg", b"g": "g"}
_BODY = byte_class(b"-.0123456789kglboz")
_CLASSES = (byte_class(b"w"), byte_class(b"wn"), *(_BODY,) * (MAX_LEN - 2))


class WwLineParser(Repeating, StartByteParser):
    """``ww00001.235kg`` frames -> readings."""

    name = "yaohua-ww"
    start = b"w"

    def _frame_size(self, buf: bytes, at: int) -> int:
        m = _FRAME.match(buf, at)
        if m is not None:
            return m.end() - at
        return MAX_LEN if len(buf) - at >= MAX_LEN else 0  # a full window without a frame: reject it

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        return _CLASSES

    def _decode(self, frame: bytes, out: list[Event]) -> bool | None:
        m = _FRAME.fullmatch(frame)
        if m is None:
            self._reject(f"yaohua-ww: not a frame {frame[:MAX_LEN]!r}")
            return False
        kind, minus, number, unit_text = m.groups()
        unit = _UNITS.get(unit_text)
        if unit is None:
            self._reject(f"yaohua-ww: unit not legal for trade ({unit_text.decode()})")
            return None  # well formed: its second byte "w" is no frame start
        count, decimals = decimal_count(number)
        if minus:
            count = -count
        grams = digits_to_grams(count, decimals, unit)
        stable = self._repeat.check((grams, kind))
        out.append(Reading(grams, grams, 0, stable, False, False, count == 0, True, frame))
        return True


SPEC = ProtocolSpec(
    name="yaohua-ww",
    title="ww00001.235kg / wn... lines (Yaohua and clones; streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1),
    new_parser=WwLineParser,
)
