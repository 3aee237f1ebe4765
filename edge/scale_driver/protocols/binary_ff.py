"""``binary-ff``: 6-byte binary frame of Chinese weighing modules (streaming), docs/protocols.md section 4.

Rules this parser implements:

- Frame ``FF ST B0 B1 B2 UN``. No other byte of a valid frame can be 0xFF, so hunting for
  0xFF resynchronises.
- ``ST``: bits 0-2 decimal places (0-5), bit 3 negative, bit 4 stable, bit 5 overflow
  (overload when not negative, underload when negative; no weight), bit 6 net (module
  tare active: ``gross = net``, ``tare = 0``), bit 7 must be 0.
- ``B0 B1 B2``: six BCD digits, least significant byte first, high nibble = tens; a nibble
  above 9 rejects the frame.
- ``UN``: 0x01 kg, 0x02 g; anything else is rejected.
- No checksum: a digit corrupted into another digit cannot be detected here; the core's
  stability rule (N equal consecutive readings) keeps such a frame from being sold.
"""

from __future__ import annotations

from collections.abc import Sequence

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import ANY_7BIT, ByteClass, StartByteParser, byte_class

FRAME_LEN = 6
_UNITS = {0x01: "kg", 0x02: "g"}
# Byte -> its two BCD digits as a number 0..99, or -1 when a nibble is above 9.
_BCD = tuple((b >> 4) * 10 + (b & 0x0F) if b >> 4 <= 9 and b & 0x0F <= 9 else -1 for b in range(256))
_STATUS = byte_class(b for b in ANY_7BIT if b & 0x07 <= 5)  # bit 7 clear, 0-5 decimals
_CLASSES = (
    byte_class((0xFF,)),
    _STATUS,
    *(byte_class(b for b in range(256) if _BCD[b] >= 0),) * 3,
    byte_class(_UNITS),
)


class BinaryFFParser(StartByteParser):
    """``FF ST B0 B1 B2 UN`` frames -> readings."""

    name = "binary-ff"
    start = b"\xff"

    def _frame_size(self, buf: bytes, at: int) -> int:
        return FRAME_LEN

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        return _CLASSES

    def _decode(self, frame: bytes, out: list[Event]) -> bool:
        status = frame[1]
        if status not in _STATUS:
            self._reject(f"binary-ff: bad status byte 0x{status:02x}")
            return False
        low, mid, high = _BCD[frame[2]], _BCD[frame[3]], _BCD[frame[4]]
        if low < 0 or mid < 0 or high < 0:
            self._reject("binary-ff: BCD nibble above 9")
            return False
        unit = _UNITS.get(frame[5])
        if unit is None:
            self._reject(f"binary-ff: unit code 0x{frame[5]:02x} not legal for trade")
            return False
        negative = bool(status & 0x08)
        stable = bool(status & 0x10)
        if status & 0x20:  # overflow: no weight
            out.append(Reading(0, 0, 0, stable, not negative, negative, False, False, frame))
            return True
        count = high * 10000 + mid * 100 + low
        grams = digits_to_grams(-count if negative else count, status & 0x07, unit)
        # Net flag (bit 6): the module does not send its tare, so gross is reported as net.
        out.append(Reading(grams, grams, 0, stable, False, False, count == 0, True, frame))
        return True


SPEC = ProtocolSpec(
    name="binary-ff",
    title="6-byte binary FF frame of Chinese weighing modules (streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1),
    new_parser=BinaryFFParser,
)
