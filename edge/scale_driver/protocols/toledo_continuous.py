"""``toledo-continuous``: Toledo continuous output (streaming), docs/protocols.md section 2.

Rules this parser implements:

- Frame ``STX SWA SWB SWC W*6 T*6 CR CHK`` (18 bytes); ``toledo-continuous-nocs`` is the
  same without ``CHK`` (17 bytes). ``CHK`` makes ``sum(frame) & 0x7F == 0``.
- Bit 7 of every byte is 0. SWA/SWB/SWC have bit 5 set; SWA bit 6 is 0.
- SWA bits 0-2: decimal code 0..7 = x100, x10, x1, 1..5 decimals; bits 3-4: increment
  size, 0 is invalid.
- SWB: bit 0 net, bit 1 negative (applies to W), bit 2 out of range (overload when not
  negative, underload when negative; no weight), bit 3 motion (stable = not motion),
  bit 4 kg (else lb: rejected as not legal for trade).
- SWC bits 0-2: unit override, 0 = as SWB bit 4, 1 = grams, others unsupported.
- W and T: six ASCII digits, leading digits may be blanked with spaces; T may be blank
  entirely (no tare). Net frame: ``net = W, gross = net + T``; gross frame:
  ``gross = W, net = gross - T``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import ANY_7BIT, ByteClass, StartByteParser, byte_class, first_misfit

STX, CR = 0x02, 0x0D
_SPACE = 0x20
# What each byte position may hold. Status words: bit 5 set; SWA bit 6 clear and an
# increment size; SWC unit override 0 (as SWB) or 1 (grams).
_SWA = byte_class(b for b in ANY_7BIT if b & 0x60 == 0x20 and b & 0x18)
_SWB = byte_class(b for b in ANY_7BIT if b & 0x20)
_SWC = byte_class(b for b in ANY_7BIT if b & 0x20 and b & 0x07 <= 1)
_FIELD = byte_class(b" 0123456789")
_CLASSES = (byte_class((STX,)), _SWA, _SWB, _SWC, *(_FIELD,) * 12, byte_class((CR,)), ANY_7BIT)
_POSITIONS = ("STX", "SWA", "SWB", "SWC", *("weight",) * 6, *("tare",) * 6, "CR", "CHK")


def _one_of(values: ByteClass) -> bytes:
    return b"[" + b"".join(re.escape(bytes((v,))) for v in sorted(values)) + b"]"


def _right_aligned(blank_allowed: bool) -> bytes:
    """Six characters: digits with leading blanks (at least one digit unless blank_allowed)."""
    shapes = [b" " * k + b"[0-9]" * (6 - k) for k in range(6)] + ([b" " * 6] if blank_allowed else [])
    return b"(?:" + b"|".join(shapes) + b")"


# The whole frame up to CR in one match (a good frame costs one regex call).
_FRAME = re.compile(
    b"\x02" + _one_of(_SWA) + _one_of(_SWB) + _one_of(_SWC) + _right_aligned(False) + _right_aligned(True) + b"\r"
)


class ToledoContinuousParser(StartByteParser):
    """Toledo continuous frames -> readings; ``checksum=False`` for the 17-byte variant."""

    start = b"\x02"

    def __init__(self, checksum: bool = True) -> None:
        super().__init__()
        self.checksum = checksum
        self._size = 18 if checksum else 17
        self.name = "toledo-continuous" if checksum else "toledo-continuous-nocs"

    def _frame_size(self, buf: bytes, at: int) -> int:
        return self._size

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        return _CLASSES

    def _decode(self, frame: bytes, out: list[Event]) -> bool:
        reason = self._check(frame)
        if reason:
            self._reject(f"{self.name}: {reason}")
            return False
        swa, swb, swc = frame[1], frame[2], frame[3]
        stable = not swb & 0x08
        negative = bool(swb & 0x02)
        if swb & 0x04:  # out of range: no weight
            out.append(Reading(0, 0, 0, stable, not negative, negative, False, False, frame))
            return True
        unit = "g" if swc & 0x07 else "kg"  # _check allowed only override 0 (SWB kg) or 1 (g)
        decimals = (swa & 0x07) - 2  # codes 0 and 1 are x100 and x10
        shown = int(frame[4:10])
        tare_field = frame[10:16]
        weight = digits_to_grams(-shown if negative else shown, decimals, unit)
        tare_count = 0 if tare_field[-1] == _SPACE else int(tare_field)  # all blank: no tare
        tare = digits_to_grams(tare_count, decimals, unit) if tare_count else 0
        if swb & 0x01:  # the weight field is net
            gross, net = weight + tare, weight
        else:
            gross, net = weight, weight - tare
        out.append(Reading(gross, net, tare, stable, False, False, shown == 0, True, frame))
        return True

    def _check(self, frame: bytes) -> str:
        """Why the frame breaks the format, or "" when it is well formed."""
        if not frame.isascii():
            return "bit 7 set"
        if _FRAME.match(frame) is None:
            k = first_misfit(frame, _CLASSES)
            if k >= 0:
                return f"bad {_POSITIONS[k]} byte 0x{frame[k]:02x}"
            return "weight or tare field not right-aligned digits"
        if self.checksum and sum(frame) & 0x7F:
            return "checksum mismatch"
        if not frame[3] & 0x07 and not frame[2] & 0x10:
            return "unit not legal for trade (lb)"
        return ""


SPEC = ProtocolSpec(
    name="toledo-continuous",
    title="Toledo continuous output with checksum (streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=7, parity="E", stopbits=1),
    new_parser=ToledoContinuousParser,
)

SPEC_NO_CHECKSUM = ProtocolSpec(
    name="toledo-continuous-nocs",
    title="Toledo continuous output without checksum (streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=7, parity="E", stopbits=1),
    new_parser=partial(ToledoContinuousParser, checksum=False),
)
