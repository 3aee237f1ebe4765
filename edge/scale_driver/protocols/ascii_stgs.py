"""``ascii-stgs``: the A&D / CAS ``ST,GS,...`` family of ASCII weight lines (streaming), docs/protocols.md section 3.

Sources (each variant's examples are unit tests):

- A&D standard format, GX/GF/GH balances: ``ST,+0001.235 kg`` -- header, sign and 8
  characters with point, 3-character unit, 15 characters + CR LF; overload
  ``OL,+9999999E+19`` (A&D GX-A/GF-A communication manual 7-2,
  https://www.easymanua.ls/aandd/gf-2002a/manual/1040720?p=16; GH manual 10.6).
- A&D indicator format (AD-4404 9.2.6, "compatible with AD-4325"), CAS "18 bytes for AND":
  ``ST,NT,+0012.34kg`` -- header 1, header 2 (GS/NT/TR), 8 data characters, 2-character
  unit, 18 bytes with CR LF; out of range: the digits are spaces
  (https://www.easymanua.ls/cas/ci-600d-series/manual?p=74).
- CAS 22 bytes: ``ST,GS,`` + device id + lamp status byte + ``,`` + 8 data characters +
  blank + ``kg`` + CR LF; lamp byte bit 7 = 1, bit 6 stable, bit 1 tare, bit 0 zero
  (CAS CI-400/CI-600D/PDI manuals; https://www.easymanua.ls/cas/ci-400-series/manual?p=103).

So the parser reads the line by its fields, not by a fixed length:

- header ``ST`` stable, ``US`` unstable, ``OL`` out of range (overload, or underload
  when the value is negative; no weight, the value field may hold anything);
  ``QT`` (A&D counting) is refused: a count is not a weight.
- optional ``GS`` gross (``net = gross - tare``), ``NT`` net (``gross = net + tare``),
  ``TR`` tare (sets the remembered tare, 0 until one is seen; gives no reading).
- optional CAS device id and lamp byte; when the lamp byte has bit 7 set (as the CAS
  manuals say) its stable bit must agree with the header, else the line is refused.
- value: spaces, optional sign, spaces, digits with at most one point (leading zeros or
  spaces both appear in the field); unit ``kg`` or ``g`` (also upper case); lb, oz, ct,
  tl, t and anything else are refused as not legal for trade.
- a line that fits no reading of these fields is refused; garbage in front of a header
  is skipped and counted.
"""

from __future__ import annotations

import re

from edge.core.reading import Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import decimal_count
from edge.scale_driver.protocols.lines import CRLF, LineParser

_HEAD = re.compile(rb"(?:ST|US|OL|QT),")
_FIELDS = re.compile(
    rb"(ST|US|OL|QT),"  # header
    rb"(?:(GS|NT|TR),"  # gross / net / tare
    rb"(?:([\x20-\x7e])([\x00-\xff]),)?)?"  # CAS 22 bytes: device id, lamp status byte
    rb"(.*)\Z",
    re.S,
)
_VALUE = re.compile(rb" *([+-]?) *([0-9]+(?:\.[0-9]+)?) *([A-Za-z]+) *\Z")
_UNITS = {b"kg": "kg", b"KG": "kg", b"Kg": "kg", b"g": "g", b"G": "g"}
_LAMP_MARK, _LAMP_STABLE = 0x80, 0x40


class AsciiStgsParser(LineParser):
    """``ST,GS,+001.235kg`` / ``ST,+0001.235 kg`` / CAS 22-byte lines -> readings."""

    def __init__(self) -> None:
        super().__init__()
        self.tare_g = 0  # as last sent in a TR line

    def _parse_line(self, line: bytes, out: list[Event]) -> None:
        first_reason = ""
        m = _HEAD.search(line)
        while m is not None:
            reason = self._apply(line[m.start() :], out)
            if not reason:
                self.stats.frames += 1
                self.stats.discarded_bytes += m.start()
                return
            first_reason = first_reason or reason
            m = _HEAD.search(line, m.start() + 1)
        self._reject(f"ascii-stgs: {first_reason or 'no ST/US/OL header'}")

    def _apply(self, frame: bytes, out: list[Event]) -> str:
        """Act on one line from its header on; return why it is invalid (nothing is changed then)."""
        m = _FIELDS.match(frame)
        if m is None:
            return f"malformed header {frame[:6]!r}"
        head, kind, _device, lamp, rest = m.groups()
        if head == b"QT":
            return "counting data (QT) is not a weight"
        if lamp is not None and lamp[0] & _LAMP_MARK and bool(lamp[0] & _LAMP_STABLE) != (head == b"ST"):
            return "lamp byte's stable bit contradicts the header"
        raw = frame + CRLF
        if head == b"OL":
            if kind == b"TR":
                return "tare line out of range"
            negative = rest.lstrip()[:1] == b"-"
            out.append(Reading(0, 0, 0, False, not negative, negative, False, False, raw))
            return ""
        v = _VALUE.match(rest)
        if v is None:
            return f"bad value {rest!r}"
        sign, number, unit_text = v.groups()
        unit = _UNITS.get(unit_text)
        if unit is None:
            return f"unit not legal for trade ({unit_text.decode('ascii')})"
        count, decimals = decimal_count(number)
        if sign == b"-":
            count = -count
        grams = digits_to_grams(count, decimals, unit)
        if kind == b"TR":
            if grams < 0:
                return "negative tare"
            self.tare_g = grams
            return ""
        tare = self.tare_g
        if kind == b"NT":
            gross, net = grams + tare, grams
        else:  # GS, or no kind (A&D balance format): the displayed weight is gross
            gross, net = grams, grams - tare
        out.append(Reading(gross, net, tare, head == b"ST", False, False, count == 0, True, raw))
        return ""


SPEC = ProtocolSpec(
    name="ascii-stgs",
    title="A&D / CAS ST,GS,... ASCII lines (streaming)",
    continuous=True,
    serial=SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1),
    new_parser=AsciiStgsParser,
)
