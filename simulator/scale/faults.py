"""Fault injection on the wire: garbage between frames, truncated and corrupted frames.

Faults are queued one-shot: each queued fault spoils exactly the next frame the module
sends (a streamed frame or a reply), so a test knows which frame the parser must reject.
"""

from __future__ import annotations

import random
from collections import deque
from enum import StrEnum

from simulator.scale.frames import ProtocolSpec


class FaultKind(StrEnum):
    GARBAGE = "garbage"  # random bytes before the next frame
    TRUNCATE = "truncate"  # the next frame loses its second half
    BAD_CHECKSUM = "bad-checksum"  # toledo: a digit changes under the old checksum; others: format broken


FAULT_ALIASES = {"corrupt": FaultKind.BAD_CHECKSUM, "checksum": FaultKind.BAD_CHECKSUM}


def parse_fault(name: str) -> FaultKind:
    name = name.strip().lower()
    if name in FAULT_ALIASES:
        return FAULT_ALIASES[name]
    try:
        return FaultKind(name)
    except ValueError:
        known = ", ".join(k.value for k in FaultKind)
        raise ValueError(f"unknown fault {name!r}; choose one of: {known}") from None


def _first_digit_to_x(frame: bytes) -> bytes:
    """Break a text frame: the first digit becomes 'X' (or byte 1 becomes DEL if there is none)."""
    out = bytearray(frame)
    for i, byte in enumerate(out):
        if 0x30 <= byte <= 0x39:
            out[i] = ord("X")
            return bytes(out)
    out[min(1, len(out) - 1)] = 0x7F
    return bytes(out)


def _toledo_digit_under_old_checksum(frame: bytes) -> bytes:
    """Change the last weight digit but keep CHK: only the checksum can catch it."""
    out = bytearray(frame)
    digit = out[9]
    out[9] = ord("1") if digit == ord(" ") else ord("0") + (digit - ord("0") + 1) % 10
    return bytes(out)


def _clear_bit(index: int, mask: int):
    def corrupt(frame: bytes) -> bytes:
        out = bytearray(frame)
        out[index] &= ~mask & 0xFF
        return bytes(out)

    return corrupt


def _binary_nibble_above_nine(frame: bytes) -> bytes:
    out = bytearray(frame)
    out[2] = 0xA0 | (out[2] & 0x0F)
    return bytes(out)


def _digit_under_old_check(index: int):
    """Change one weight digit but keep the XOR check: only the check can catch it."""

    def corrupt(frame: bytes) -> bytes:
        out = bytearray(frame)
        if not 0x30 <= out[index] <= 0x39:  # an out-of-range line has no digit there
            return _first_digit_to_x(frame)
        out[index] = ord("0") + (out[index] - ord("0") + 1) % 10
        return bytes(out)

    return corrupt


def _toledo_8217(frame: bytes) -> bytes:
    if len(frame) == 4:  # status frame: bit 6 must always be 1
        return _clear_bit(2, 0x40)(frame)
    return _first_digit_to_x(frame)


CORRUPTORS = {
    "mt-sics": _first_digit_to_x,
    "toledo-continuous": _toledo_digit_under_old_checksum,
    "toledo-continuous-nocs": _clear_bit(1, 0x20),  # SWA bit 5 must be 1
    "ascii-stgs": _first_digit_to_x,
    "binary-ff": _binary_nibble_above_nine,
    "toledo-8217": _toledo_8217,
    "yaohua-tf0": _digit_under_old_check(7),
    "yaohua-eq-reversed": _first_digit_to_x,
    "yaohua-eq-forward": _first_digit_to_x,
    "yaohua-a12e": _digit_under_old_check(8),
    "yaohua-ww": _first_digit_to_x,
    "aclas-os2x": _digit_under_old_check(9),
}


class FaultInjector:
    """Queued one-shot faults for one protocol; garbage is drawn from a seeded generator."""

    def __init__(self, spec: ProtocolSpec, seed: int = 0) -> None:
        self.spec = spec
        self._rng = random.Random(f"faults:{seed}")
        self._queue: deque[FaultKind] = deque()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def inject(self, kind: FaultKind | str, count: int = 1) -> None:
        kind = parse_fault(kind) if isinstance(kind, str) else kind
        if count < 1:
            raise ValueError("fault count must be at least 1")
        self._queue.extend([kind] * count)

    def clear(self) -> None:
        self._queue.clear()

    def apply(self, frame: bytes) -> bytes:
        """The next frame as it goes on the wire: spoiled by the next queued fault, if any."""
        if not frame or not self._queue:
            return frame
        kind = self._queue.popleft()
        if kind is FaultKind.GARBAGE:
            return self.garbage() + frame
        if kind is FaultKind.TRUNCATE:
            return frame[: max(1, len(frame) // 2)]
        return CORRUPTORS[self.spec.name](frame)

    def garbage(self) -> bytes:
        """4-12 random bytes that cannot start a frame; a line protocol gets its own junk line."""
        forbidden = set(self.spec.frame_starts)
        if self.spec.line_based:
            forbidden |= {0x0D, 0x0A}
        alphabet = [b for b in range(256) if b not in forbidden]
        junk = bytes(self._rng.choice(alphabet) for _ in range(self._rng.randint(4, 12)))
        return junk + b"\r\n" if self.spec.line_based else junk
