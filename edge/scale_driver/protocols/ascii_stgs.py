"""``ascii-stgs``: A&D / CAS style ASCII weight lines (streaming), docs/protocols.md section 3.

Rules this parser implements:

- A frame is 17 bytes + CR LF, no spaces between fields: ``HH,MM,S VVVVVVVV UU``, e.g.
  ``ST,GS,+   1.234kg\\r\\n`` or ``ST,GS,+    1235 g\\r\\n``.
- ``HH``: ``ST`` stable, ``US`` unstable, ``OL`` overload (sign ``+``) / underload (sign
  ``-``), no weight, the value field may hold anything.
- ``MM``: ``GS`` gross (``net = gross - tare``), ``NT`` net (``gross = net + tare``),
  ``TR`` tare: sets the remembered tare (0 until one is seen), gives no reading.
- ``S`` is ``+`` or ``-``; ``VVVVVVVV`` a right-aligned decimal padded with spaces;
  ``UU`` is ``kg`` or `` g`` -- any other unit is rejected as not legal for trade.
- The frame is the last 17 bytes of its line: garbage in front of it is skipped and
  counted; a shorter line is rejected.
"""

from __future__ import annotations

import re

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import decimal_count
from edge.scale_driver.protocols.lines import CRLF, LineParser

FRAME_LEN = 17
_COMMA = ord(",")
_PLUS, _MINUS = ord("+"), ord("-")
_HEADS = frozenset((b"ST", b"US", b"OL"))
_KINDS = frozenset((b"GS", b"NT", b"TR"))
_UNITS = {b"kg": "kg", b" g": "g"}
_VALUE = re.compile(rb" *[0-9]+(?:\.[0-9]+)?")  # right aligned: blanks only in front


class AsciiStgsParser(LineParser):
    """``ST,GS,+   1.234kg`` lines -> readings, with the tare from ``TR`` lines."""

    def __init__(self) -> None:
        super().__init__()
        self.tare_g = 0  # as last sent in a TR line

    def _parse_line(self, line: bytes, out: list[Event]) -> None:
        skip = len(line) - FRAME_LEN
        if skip < 0:
            self._reject(f"ascii-stgs: line of {len(line)} bytes is shorter than a frame")
            return
        reason = self._apply(line[skip:], out)
        if reason:
            self._reject(f"ascii-stgs: {reason}")
        else:
            self.stats.frames += 1
            self.stats.discarded_bytes += skip

    def _apply(self, frame: bytes, out: list[Event]) -> str:
        """Act on one 17-byte frame; return why it is invalid (nothing is changed then)."""
        head, kind, sign = frame[0:2], frame[3:5], frame[6]
        if head not in _HEADS or kind not in _KINDS or frame[2] != _COMMA or frame[5] != _COMMA:
            return f"malformed header {frame[:6]!r}"
        if sign != _PLUS and sign != _MINUS:
            return f"bad sign {frame[6:7]!r}"
        unit = _UNITS.get(frame[15:17])
        if unit is None:
            return f"unit not legal for trade ({frame[15:17].decode('ascii', 'backslashreplace').strip()})"
        raw = frame + CRLF
        if head == b"OL":
            if kind == b"TR":
                return "tare line out of range"
            out.append(Reading(0, 0, 0, False, sign == _PLUS, sign == _MINUS, False, False, raw))
            return ""
        value = frame[7:15]
        if _VALUE.fullmatch(value) is None:
            return f"bad value {value!r}"
        count, decimals = decimal_count(value)
        if sign == _MINUS:
            count = -count
        grams = digits_to_grams(count, decimals, unit)
        if kind == b"TR":
            if grams < 0:
                return "negative tare"
            self.tare_g = grams
            return ""
        tare = self.tare_g
        if kind == b"GS":
            gross, net = grams, grams - tare
        else:
            gross, net = grams + tare, grams
        out.append(Reading(gross, net, tare, head == b"ST", False, False, count == 0, True, raw))
        return ""


SPEC = ProtocolSpec(
    name="ascii-stgs",
    title="A&D / CAS style ASCII lines (streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1),
    new_parser=AsciiStgsParser,
)
