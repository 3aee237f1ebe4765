"""耀华 Yaohua indicator outputs (streaming), docs/protocols.md sections 6-9.

Sources (each one's examples are unit tests):

- ``yaohua-tf0``: XK3190-A9/A9+ ``tf=0`` continuous output, the same frame as XK3190-A26
  "continuous communication format 0" and XK3190-A23P: ``STX`` (02), sign ``+``/``-``,
  six weight digits high first, decimal places (``0``-``4``), XOR of bytes 2-9 (sign to
  decimals) as two ASCII hex characters (value + 30h, or + 37h above 9: upper case),
  ``ETX`` (03). 12 bytes, no line end. A26 manual p. 10
  (http://88.208.23.73:8080/en/manual/nikcell/xk3190-a26/1689210?page=12), A23P manual
  p. 21 (https://www.easymanua.ls/yaohua-weighing-system/xk3190-a23p/manual?p=23); worked
  example ``02 2B 30 30 32 30 30 30 32 31 42 03`` = +20.00, XOR 1B, in
  https://git.njzscloud.com/lzq/device-ctrl/src/branch/master/z-doc/wbs/%E5%9C%B0%E7%A3%85.md
- ``yaohua-eq-reversed``: A26 format 1 / A23P format 2: ``=``, seven characters of the
  display value *including the point*, lowest digit first, then the sign (``0`` or
  ``-``): 1.235 kg is ``=532.1000``, -1.00 is ``=00.1000-`` (the manuals' own examples:
  ``=000.3000`` is 3.000). 9 bytes, no line end.
- ``yaohua-eq-forward``: A26 format 2: ``=``, sign (``0``/``-``), seven characters high
  first: ``=0003.000``, ``=-0001.00``
  (http://88.208.23.73:8080/en/manual/nikcell/xk3190-a26/1689210?page=13).
- ``yaohua-a12e``: XK3190-A12(E): ``W``, ``G`` gross / ``N`` net, seven characters of
  value with point (``-`` in the first when negative, a blank last when there is no
  point), unit ``kg``, XOR of bytes 1-11 as two hex characters, CR LF; the manual's example
  ``WG004.139kg3D`` (XOR of ``WG004.139kg`` is 0x3D: checked in the tests); overload
  ``         OL23``, below -20 d ``         LO23`` (nine blanks)
  (https://www.easymanua.ls/yaohua-weighing-system/xk3190-a12e/manual?p=13).

None of these frames carries a unit (except A12E's ``kg``), a motion flag or an
overload code (except A12E's ``OL``/``LO``): the weight is taken in kg as the indicator
displays it, a reading is stable only when it repeats the frame before it
(``RepeatStability``), and a weight above Max is flagged overload by the core. Without a
checksum (the ``=`` formats) a digit corrupted into another digit cannot be detected. The
``=`` formats accept at most 3 decimals (retail class III, e >= 1 g): read in the other
direction, a frame with d decimals has 7 - d, so the two directions never both fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import (
    HEX_UPPER,
    ByteClass,
    Repeating,
    StartByteParser,
    byte_class,
    decimal_count,
    first_misfit,
    xor_of,
)
from edge.scale_driver.protocols.lines import CRLF, LineParser

STX, ETX = 0x02, 0x03
_DIGIT = byte_class(b"0123456789")
_NUMBER = re.compile(rb"[0-9]+(?:\.[0-9]+)?")
_SERIAL = SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1)


def _weight(count: int, decimals: int, stable: bool, raw: bytes) -> Reading:
    """A display value in kg; a net value too is reported as ``gross = net`` (no tare is sent)."""
    grams = digits_to_grams(count, decimals, "kg")
    return Reading(grams, grams, 0, stable, False, False, count == 0, True, raw)


# --- tf=0: STX sign 6 digits decimals XOR ETX ------------------------------------------------

TF0_LEN = 12
_TF0_CLASSES = (
    byte_class((STX,)),
    byte_class(b"+-"),
    *(_DIGIT,) * 6,
    byte_class(b"01234"),
    HEX_UPPER,
    HEX_UPPER,
    byte_class((ETX,)),
)


class YaohuaTf0Parser(Repeating, StartByteParser):
    """``02 + 001235 3 XX 03`` frames -> readings."""

    name = "yaohua-tf0"
    start = b"\x02"

    def _frame_size(self, buf: bytes, at: int) -> int:
        return TF0_LEN

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        return _TF0_CLASSES

    def _decode(self, frame: bytes, out: list[Event]) -> bool:
        misfit = first_misfit(frame, _TF0_CLASSES)
        if misfit >= 0:
            self._reject(f"yaohua-tf0: byte {misfit} cannot be 0x{frame[misfit]:02x}")
            return False
        if xor_of(frame[1:9]) != int(frame[9:11], 16):
            self._reject("yaohua-tf0: XOR check mismatch")
            return False
        count = int(frame[2:8])
        if frame[1] == ord("-"):
            count = -count
        decimals = frame[8] - 0x30
        out.append(_weight(count, decimals, self._repeat.check((count, decimals)), frame))
        return True


# --- "=" formats: 9 bytes, no line end ----------------------------------------------------------

EQ_LEN = 9
# Class III retail, e >= 1 g: at most 3 decimals in kg. This also tells the two directions
# apart: a forward frame with d decimals, read reversed, has 7 - d (docs/protocols.md 7).
MAX_EQ_DECIMALS = 3
_EQ_DATA = byte_class(b"0123456789.")
_EQ_SIGN = byte_class(b"0-")
_EQ_CLASSES = {
    True: (byte_class(b"="), *(_EQ_DATA,) * 7, _EQ_SIGN),  # reversed: data lowest first, sign last
    False: (byte_class(b"="), _EQ_SIGN, *(_EQ_DATA,) * 7),  # forward: sign, data highest first
}


class YaohuaEqParser(Repeating, StartByteParser):
    """``=532.1000`` (reversed) or ``=0001.235`` (forward) frames -> readings."""

    start = b"="

    def __init__(self, reversed_digits: bool) -> None:
        super().__init__()
        self.reversed_digits = reversed_digits
        self.name = "yaohua-eq-reversed" if reversed_digits else "yaohua-eq-forward"
        self._classes = _EQ_CLASSES[reversed_digits]

    def _frame_size(self, buf: bytes, at: int) -> int:
        return EQ_LEN

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        return self._classes

    def _decode(self, frame: bytes, out: list[Event]) -> bool:
        misfit = first_misfit(frame, self._classes)
        if misfit >= 0:
            self._reject(f"{self.name}: byte {misfit} cannot be 0x{frame[misfit]:02x}")
            return False
        if self.reversed_digits:
            data, sign = frame[7:0:-1], frame[8]
        else:
            data, sign = frame[2:9], frame[1]
        if _NUMBER.fullmatch(data) is None:
            self._reject(f"{self.name}: bad value {data!r}")
            return False
        count, decimals = decimal_count(data)
        if decimals > MAX_EQ_DECIMALS:
            self._reject(f"{self.name}: {decimals} decimals in kg is finer than a retail scale's 1 g")
            return False
        if sign == ord("-"):
            count = -count
        out.append(_weight(count, decimals, self._repeat.check((count, decimals)), frame))
        return True


# --- XK3190-A12(E): W G/N value unit XOR CR LF ----------------------------------------------------

A12E_LEN = 13  # without CR LF
_A12E_VALUE = re.compile(rb" *(-?) *([0-9]+(?:\.[0-9]+)?) ?")
_A12E_RANGE = {b"OL": (True, False), b"LO": (False, True)}  # (overload, underload)
_BLANKS = b" " * 9


class YaohuaA12eParser(Repeating, LineParser):
    """``WG004.139kg3D`` / ``         OL23`` lines -> readings."""

    def _parse_line(self, line: bytes, out: list[Event]) -> None:
        skip = len(line) - A12E_LEN
        if skip < 0:
            self._reject(f"yaohua-a12e: line of {len(line)} bytes is shorter than a frame")
            return
        reason = self._apply(line[skip:], out)
        if reason:
            self._reject(f"yaohua-a12e: {reason}")
        else:
            self.stats.frames += 1
            self.stats.discarded_bytes += skip

    def _apply(self, frame: bytes, out: list[Event]) -> str:
        check = frame[11:13]
        if any(b not in HEX_UPPER for b in check) or xor_of(frame[:11]) != int(check, 16):
            return "XOR check mismatch"
        raw = frame + CRLF
        if frame[:9] == _BLANKS and frame[9:11] in _A12E_RANGE:
            over, under = _A12E_RANGE[frame[9:11]]
            self._repeat.forget()
            out.append(Reading(0, 0, 0, False, over, under, False, False, raw))
            return ""
        if frame[0] != ord("W") or frame[1] not in b"GN":
            return f"malformed header {frame[:2]!r}"
        unit = frame[9:11]
        if unit != b"kg":
            return f"unit not legal for trade ({unit.decode('ascii', 'backslashreplace').strip()})"
        m = _A12E_VALUE.fullmatch(frame[2:9])
        if m is None:
            return f"bad value {frame[2:9]!r}"
        count, decimals = decimal_count(m.group(2))
        if m.group(1):
            count = -count
        net = frame[1] == ord("N")
        out.append(_weight(count, decimals, self._repeat.check((count, decimals, net)), raw))
        return ""


SPEC_TF0 = ProtocolSpec(
    name="yaohua-tf0",
    title="耀华 Yaohua XK3190-A9 tf=0 / A26 format 0 / A23P (STX, XOR; streaming)",
    continuous=True,
    serial=_SERIAL,
    new_parser=YaohuaTf0Parser,
)
SPEC_EQ_REVERSED = ProtocolSpec(
    name="yaohua-eq-reversed",
    title="耀华 Yaohua '=' output, digits reversed (=532.1000; streaming)",
    continuous=True,
    serial=_SERIAL,
    new_parser=partial(YaohuaEqParser, True),
)
SPEC_EQ_FORWARD = ProtocolSpec(
    name="yaohua-eq-forward",
    title="耀华 Yaohua '=' output, digits forward (=0001.235; streaming)",
    continuous=True,
    serial=_SERIAL,
    new_parser=partial(YaohuaEqParser, False),
)
SPEC_A12E = ProtocolSpec(
    name="yaohua-a12e",
    title="耀华 Yaohua XK3190-A12(E) WG004.139kg3D lines (streaming)",
    continuous=True,
    serial=_SERIAL,
    new_parser=YaohuaA12eParser,
)
