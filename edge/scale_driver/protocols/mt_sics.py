"""``mt-sics``: Mettler Toledo MT-SICS level 0/1 replies (polled), docs/protocols.md section 1.

Rules this parser implements:

- Replies are ASCII lines ending CR LF; fields are separated by one or more spaces; a
  value is a plain decimal (a ``-`` only when negative) followed by its unit. Only ``kg``
  and ``g`` are legal for trade; any other unit rejects the line.
- ``S S`` / ``S D`` <value> <unit>: stable / dynamic **net** weight; ``gross = net + tare``
  with the tare remembered from ``T S``, ``TA A`` (set) and ``TAC A`` (cleared).
  ``S I``: no weight (busy, motion); ``S +`` overload; ``S -`` underload.
- ``Z A|I|+|-``, ``T S <value>|I|+|-``, ``TAC A|I`` are ``CommandReply`` for ``zero``,
  ``tare``, ``clear_tare``; ``ok`` is ``A`` (or ``S`` for a tare that was set).
  ``TA A <value>`` only updates the remembered tare. ``ES``/``ET``/``EL`` give
  ``CommandReply("error", ok=False, code=...)``.
- A line over 64 bytes is cut to its last 64 bytes (see ``lines.py``); the reply must be
  at the end of its line, so garbage in front of a reply is skipped and counted.
"""

from __future__ import annotations

import re

from edge.core.reading import CommandReply, Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import decimal_count
from edge.scale_driver.protocols.lines import CRLF, LineParser

# One reply: id, optional status, optional value + unit, up to the end of the line.
_REPLY = re.compile(
    rb"(TAC|TA|[STZ]|E[STL])"
    rb"(?: +([SDIA+-]))?"
    rb"(?: +(-?[0-9]+(?:\.[0-9]+)?) +([^\x00-\x20]+))?"
    rb" *\Z"
)

_UNITS = {b"kg": "kg", b"g": "g"}

# (reply id, status) -> (what it means, whether it carries a value)
_SHAPES: dict[tuple[bytes, bytes | None], tuple[str, bool]] = {
    (b"S", b"S"): ("weight", True),
    (b"S", b"D"): ("weight", True),
    (b"S", b"I"): ("status", False),
    (b"S", b"+"): ("status", False),
    (b"S", b"-"): ("status", False),
    (b"Z", b"A"): ("zero", False),
    (b"Z", b"I"): ("zero", False),
    (b"Z", b"+"): ("zero", False),
    (b"Z", b"-"): ("zero", False),
    (b"T", b"S"): ("tare", True),
    (b"T", b"I"): ("tare", False),
    (b"T", b"+"): ("tare", False),
    (b"T", b"-"): ("tare", False),
    (b"TA", b"A"): ("tare_query", True),
    (b"TAC", b"A"): ("clear_tare", False),
    (b"TAC", b"I"): ("clear_tare", False),
    (b"ES", None): ("error", False),
    (b"ET", None): ("error", False),
    (b"EL", None): ("error", False),
}


class MtSicsParser(LineParser):
    """MT-SICS reply lines -> readings (net + remembered tare) and command replies."""

    def __init__(self) -> None:
        super().__init__()
        self.tare_g = 0  # as last reported by the module

    def _parse_line(self, line: bytes, out: list[Event]) -> None:
        # A valid line matches at 0 on the first try; otherwise later starts are tried so
        # a reply preceded by garbage is still found (the leftmost valid one wins).
        first_reason = ""
        m = _REPLY.search(line)
        while m is not None:
            reason = self._apply(m, line, out)
            if not reason:
                self.stats.frames += 1
                self.stats.discarded_bytes += m.start()
                return
            first_reason = first_reason or reason
            m = _REPLY.search(line, m.start() + 1)
        self._reject(f"mt-sics: {first_reason or 'not an MT-SICS reply'}")

    def _apply(self, m: re.Match[bytes], line: bytes, out: list[Event]) -> str:
        """Act on one matched reply; return why it is invalid (nothing is changed then)."""
        rid, status, value, unit = m.groups()
        shape = _SHAPES.get((rid, status))
        if shape is None:
            return f"unknown reply {m.group(0)[:12]!r}"
        kind, needs_value = shape
        if needs_value != (value is not None):
            return f"value {'missing' if needs_value else 'not expected'} in {rid.decode()} reply"
        raw = line[m.start() :] + CRLF
        if value is None:
            return self._apply_status(kind, rid, status, raw, out)
        unit_name = _UNITS.get(unit)
        if unit_name is None:
            return f"unit not legal for trade ({unit.decode('ascii', 'backslashreplace')})"
        count, decimals = decimal_count(value)
        grams = digits_to_grams(count, decimals, unit_name)
        if kind == "weight":
            tare = self.tare_g
            out.append(Reading(grams + tare, grams, tare, status == b"S", False, False, count == 0, True, raw))
            return ""
        if grams < 0:
            return "negative tare"
        self.tare_g = grams
        if kind == "tare":
            out.append(CommandReply("tare", True, "S", raw))
        return ""

    def _apply_status(self, kind: str, rid: bytes, status: bytes | None, raw: bytes, out: list[Event]) -> str:
        """Replies without a value: status readings, command outcomes, errors."""
        code = status.decode() if status else rid.decode()
        if kind == "status":
            out.append(Reading(0, 0, 0, False, code == "+", code == "-", False, False, raw))
        elif kind == "error":
            out.append(CommandReply("error", False, code, raw))
        else:  # zero, tare (failed), clear_tare
            ok = code == "A"
            if ok and kind == "clear_tare":
                self.tare_g = 0
            out.append(CommandReply(kind, ok, code, raw))
        return ""


SPEC = ProtocolSpec(
    name="mt-sics",
    title="Mettler Toledo MT-SICS level 0/1 (polled)",
    continuous=False,
    serial=SerialSettings(baud=9600, bytesize=8, parity="N", stopbits=1),
    new_parser=MtSicsParser,
    poll=b"SI\r\n",
    commands={"zero": b"Z\r\n", "tare": b"T\r\n", "clear_tare": b"TAC\r\n"},
)
