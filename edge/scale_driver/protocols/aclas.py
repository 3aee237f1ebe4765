"""``aclas-os2x``: 顶尖 Aclas / Pinnacle OS2X, OS2CX active output (streaming), docs/protocols.md section 11.

Source: Pinnacle Technology OS2CX manual, "13. Communication protocol -- send
communication protocol actively" (https://www.easymanua.ls/pinnacle-technology/os2cx/manual?p=18,
p=19): 10 frames a second by default.

Rules this parser implements (byte positions as the manual's table):

- 0-1 ``01 02``; 2 Flag1 ``S`` stable, ``U`` unstable, ``F`` beyond the range or not
  zeroed since power-on; 3 sign ``-`` negative, blank positive; 4-9 weight, six ASCII
  characters (digits, at most one point, leading blanks or zeros); 10-11 unit; 12 XOR of
  the 12 bytes before it (0-11, ``01 02`` included, as the manual says); 13-14 ``03 04``;
  15 Flag2: bit 4 at zero, bit 5 tare mode (the weight is net), bit 6 beyond the range.
  (The passive reply, answered to ``0x11``, is the same without Flag2: not read here.)
- Units ``kg`` and ``g`` (``g`` blank-padded either side); lb, oz and anything else refused.
- ``F`` or Flag2 bit 6: no weight; overload, or underload when the sign is ``-``.
- Net (Flag2 bit 5): the module does not send its tare, so ``gross = net``, ``tare = 0``.

A similar frame (SOH STX ... BCC ETX EOT) in a Gram ZFOC manual XORs from the status byte
on, without ``01 02``; we follow the OS2CX manual, the module this protocol is named for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import (
    ByteClass,
    StartByteParser,
    byte_class,
    decimal_count,
    first_misfit,
    xor_of,
)

FRAME_LEN = 16
_ANY = byte_class(range(256))
_WEIGHT_CHAR = byte_class(b" .0123456789")
_UNIT_CHAR = _ANY  # refused later with its name (lb, oz, 斤 in GBK)
_CLASSES = (
    byte_class((0x01,)),
    byte_class((0x02,)),
    byte_class(b"SUF"),
    byte_class(b" -"),
    *(_WEIGHT_CHAR,) * 6,
    _UNIT_CHAR,
    _UNIT_CHAR,
    _ANY,
    byte_class((0x03,)),
    byte_class((0x04,)),
    _ANY,
)
_WEIGHT = re.compile(rb" *([0-9]+(?:\.[0-9]+)?)")
_UNITS = {b"kg": "kg", b"g ": "g", b" g": "g"}
_AT_ZERO, _TARE, _OUT_OF_RANGE = 0x10, 0x20, 0x40


class AclasParser(StartByteParser):
    """``01 02 S - 01.235 kg X 03 04 F2`` frames -> readings."""

    name = "aclas-os2x"
    start = b"\x01"

    def _frame_size(self, buf: bytes, at: int) -> int:
        return FRAME_LEN

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        return _CLASSES

    def _decode(self, frame: bytes, out: list[Event]) -> bool:
        misfit = first_misfit(frame, _CLASSES)
        if misfit >= 0:
            self._reject(f"aclas-os2x: byte {misfit} cannot be 0x{frame[misfit]:02x}")
            return False
        if xor_of(frame[:12]) != frame[12]:
            self._reject("aclas-os2x: XOR check mismatch")
            return False
        flag, negative, flag2 = frame[2], frame[3] == ord("-"), frame[15]
        if flag == ord("F") or flag2 & _OUT_OF_RANGE:
            out.append(Reading(0, 0, 0, False, not negative, negative, False, False, frame))
            return True
        unit = _UNITS.get(frame[10:12])
        if unit is None:
            text = frame[10:12].decode("ascii", "backslashreplace").strip()
            self._reject(f"aclas-os2x: unit not legal for trade ({text})")
            return False
        m = _WEIGHT.fullmatch(frame[4:10])
        if m is None:
            self._reject(f"aclas-os2x: bad weight field {frame[4:10]!r}")
            return False
        count, decimals = decimal_count(m.group(1))
        grams = digits_to_grams(-count if negative else count, decimals, unit)
        out.append(Reading(grams, grams, 0, flag == ord("S"), False, False, count == 0, True, frame))
        return True


SPEC = ProtocolSpec(
    name="aclas-os2x",
    title="顶尖 Aclas / Pinnacle OS2X, OS2CX active output (01 02 ... 03 04; streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1),
    new_parser=AclasParser,
)
