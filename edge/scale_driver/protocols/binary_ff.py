"""``binary-ff``: the 6-byte 0xFF frame of Chinese weighing modules (streaming), docs/protocols.md section 4.

Source: Yousheng (友声) JCS-B series manual, "Data format"
(https://manualshive.com/ru/manual/yousheng/jcs-b-series/3588043?page=6); the same layout on
https://blog.gitcode.com/536d566644f4600094fd1f4def48cf32.html (which calls the decimal code
"1-5, 1 = no point": we follow the manufacturer's "decimal point 0-5", see docs/protocols.md).

Rules this parser implements:

- Frame ``FF ST B1 B2 B3 UN``.
- ``ST``: D0-D2 decimal places (0-5), D3-D4 mode (00 weighing, 01 counting, 10 percent;
  only weighing is a weight, the others are refused), D5 negative, D6 stable, D7 overflow
  (overload when not negative, underload when negative; no weight).
- ``B1 B2 B3``: six BCD digits, least significant byte first, high nibble = tens; a nibble
  above 9 rejects the frame.
- ``UN``: 0 kg; 1 lb is refused (not legal for trade), anything else is rejected.
- Resynchronisation: 0xFF cannot be a valid status byte (7 decimals, mode 11), a BCD byte
  (nibbles above 9) nor a unit, so it only ever starts a frame; hunting for 0xFF resyncs.
- No checksum: a digit corrupted into another digit cannot be detected here; the core's
  stability rule (N equal consecutive readings) keeps such a frame from being sold.
- No net flag in the published frame: ``gross = net = value``, ``tare = 0``.
"""

from __future__ import annotations

from collections.abc import Sequence

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import ByteClass, StartByteParser, byte_class

FRAME_LEN = 6
UNIT_KG, UNIT_LB = 0x00, 0x01
MODE_WEIGHING, MODE_COUNTING, MODE_PERCENT = 0, 1, 2
_MODES = {MODE_COUNTING: "counting", MODE_PERCENT: "percent"}
# Byte -> its two BCD digits as a number 0..99, or -1 when a nibble is above 9.
_BCD = tuple((b >> 4) * 10 + (b & 0x0F) if b >> 4 <= 9 and b & 0x0F <= 9 else -1 for b in range(256))
_STATUS = byte_class(b for b in range(256) if b & 0x07 <= 5 and (b >> 3) & 0x03 != 3)
_CLASSES = (
    byte_class((0xFF,)),
    _STATUS,
    *(byte_class(b for b in range(256) if _BCD[b] >= 0),) * 3,
    byte_class((UNIT_KG, UNIT_LB)),
)


class BinaryFFParser(StartByteParser):
    """``FF ST B1 B2 B3 UN`` frames -> readings."""

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
        unit = frame[5]
        if unit == UNIT_LB:
            self._reject("binary-ff: unit not legal for trade (lb)")
            return False
        if unit != UNIT_KG:
            self._reject(f"binary-ff: unknown unit code 0x{unit:02x}")
            return False
        mode = (status >> 3) & 0x03
        if mode != MODE_WEIGHING:
            self._reject(f"binary-ff: {_MODES[mode]} mode is not a weight")
            return False
        negative = bool(status & 0x20)
        stable = bool(status & 0x40)
        if status & 0x80:  # overflow: no weight
            out.append(Reading(0, 0, 0, stable, not negative, negative, False, False, frame))
            return True
        count = high * 10000 + mid * 100 + low
        grams = digits_to_grams(-count if negative else count, status & 0x07, "kg")
        out.append(Reading(grams, grams, 0, stable, False, False, count == 0, True, frame))
        return True


SPEC = ProtocolSpec(
    name="binary-ff",
    title="6-byte 0xFF binary frame (Yousheng JCS-B and Chinese modules; streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1),
    new_parser=BinaryFFParser,
)
