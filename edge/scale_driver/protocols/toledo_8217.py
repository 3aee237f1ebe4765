"""``toledo-8217``: Toledo 8217 / scanner-scale protocol (polled), docs/protocols.md section 5.

Rules this parser implements:

- Host commands are single bytes: ``W`` weight, ``Z`` zero, ``T`` tare, ``C`` clear tare.
- Weight frame ``STX WW.WWW CR`` (kg, 8 bytes): a stable reading, ``gross = net``,
  ``tare = 0`` (the module does not report its tare).
- Status frame ``STX ? ST CR`` (4 bytes); ``ST`` bit 0 motion, bit 1 at zero, bit 2 RAM
  error, bit 3 EEPROM error, bit 4 under capacity, bit 5 over capacity, bit 6 always 1,
  bit 7 always 0. A RAM/EEPROM error gives no reading (``last_rejection`` names the
  fault); over/under capacity an overload/underload reading; motion an unstable reading
  without weight; at zero (no motion) a stable zero reading. ``stable`` is "no motion".
- After ``note_sent("zero"|"tare"|"clear_tare")`` the next well-formed frame also yields
  a ``CommandReply``: ``ok`` when no fault, no over/under capacity, no motion, and (for
  zero) at zero; otherwise ``code`` names the first failing condition. A malformed
  frame is not an answer (it may be line noise before the real one) and does not use up
  the pending command.
"""

from __future__ import annotations

from collections.abc import Sequence

from edge.core.reading import CommandReply, Reading
from edge.core.units import digits_to_grams
from edge.scale_driver.protocols.base import Event, ProtocolSpec, SerialSettings
from edge.scale_driver.protocols.framing import ByteClass, StartByteParser, byte_class, first_misfit

STX, CR = 0x02, 0x0D
_QUERY = ord("?")
_STATUS = byte_class(range(0x40, 0x80))  # bit 6 always 1, bit 7 always 0
_DIGIT = byte_class(b"0123456789")
_STX, _CR = byte_class((STX,)), byte_class((CR,))
_STATUS_CLASSES = (_STX, byte_class((_QUERY,)), _STATUS, _CR)
_WEIGHT_CLASSES = (_STX, _DIGIT, _DIGIT, byte_class(b"."), _DIGIT, _DIGIT, _DIGIT, _CR)
_COMMANDS = frozenset(("zero", "tare", "clear_tare"))

_MOTION, _AT_ZERO, _RAM, _EEPROM, _UNDER, _OVER, _ALWAYS = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40
# Checked in this order; the first bit set is the command reply's code.
_FAILURES = (
    (_RAM, "ram_error"),
    (_EEPROM, "eeprom_error"),
    (_OVER, "over_capacity"),
    (_UNDER, "under_capacity"),
    (_MOTION, "motion"),
)
_FAULTS = {_RAM: "RAM error", _EEPROM: "EEPROM error"}


def reply_code(command: str, status: int) -> str:
    """Why ``command`` failed given the module's status bits, or "" when it succeeded."""
    for bit, code in _FAILURES:
        if status & bit:
            return code
    if command == "zero" and not status & _AT_ZERO:
        return "not_at_zero"
    return ""


class Toledo8217Parser(StartByteParser):
    """8217 weight and status frames -> readings; command replies after ``note_sent``."""

    name = "toledo-8217"
    start = b"\x02"

    def __init__(self) -> None:
        super().__init__()
        self._sent: str | None = None  # command waiting for its answer

    def note_sent(self, command: str) -> None:
        if command in _COMMANDS:
            self._sent = command

    def _frame_size(self, buf: bytes, at: int) -> int:
        if at + 1 >= len(buf):
            return 0
        return 4 if buf[at + 1] == _QUERY else 8

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        if len(candidate) < 2:
            return ()
        return _STATUS_CLASSES if candidate[1] == _QUERY else _WEIGHT_CLASSES

    def _decode(self, frame: bytes, out: list[Event]) -> bool:
        is_weight = len(frame) == 8
        misfit = first_misfit(frame, _WEIGHT_CLASSES if is_weight else _STATUS_CLASSES)
        if misfit >= 0:
            kind = "weight" if is_weight else "status"
            self._reject(f"toledo-8217: malformed {kind} frame (byte {misfit} is 0x{frame[misfit]:02x})")
            return False
        status = self._weight(frame, out) if is_weight else self._status(frame, out)
        if self._sent is not None:
            code = reply_code(self._sent, status)
            out.append(CommandReply(self._sent, not code, code, frame))
            self._sent = None
        return True

    def _weight(self, frame: bytes, out: list[Event]) -> int:
        """Decode a well-formed weight frame; return the status bits it implies."""
        count = int(frame[1:3] + frame[4:7])
        grams = digits_to_grams(count, 3, "kg")
        out.append(Reading(grams, grams, 0, True, False, False, count == 0, True, frame))
        return _ALWAYS | (_AT_ZERO if count == 0 else 0)

    def _status(self, frame: bytes, out: list[Event]) -> int:
        """Decode a well-formed status frame; return its status bits."""
        status = frame[2]
        fault = _FAULTS.get(status & _RAM) or _FAULTS.get(status & _EEPROM)
        stable = not status & _MOTION
        if fault:
            # A well-formed frame that carries no reading: say why, but it is no format error.
            self.last_rejection = f"toledo-8217: module fault: {fault}"
        elif status & (_OVER | _UNDER):
            over, under = bool(status & _OVER), bool(status & _UNDER)
            out.append(Reading(0, 0, 0, stable, over, under, False, False, frame))
        elif status & _AT_ZERO and stable:
            out.append(Reading(0, 0, 0, True, False, False, True, True, frame))
        else:  # motion, or no usable state: status only
            out.append(Reading(0, 0, 0, stable, False, False, False, False, frame))
        return status


SPEC = ProtocolSpec(
    name="toledo-8217",
    title="Toledo 8217 / scanner-scale protocol (polled)",
    continuous=False,
    serial=SerialSettings(baud=9600, bytesize=7, parity="E", stopbits=1),
    new_parser=Toledo8217Parser,
    poll=b"W",
    commands={"zero": b"Z", "tare": b"T", "clear_tare": b"C"},
)
