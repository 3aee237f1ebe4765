"""Shared framing for the protocols whose frames begin with a start byte.

``toledo-continuous`` (STX), ``binary-ff`` (0xFF) and ``toledo-8217`` (STX) all work the
same way: hunt for the start byte, cut a frame of known size, decode it; a malformed frame
is rejected and the hunt resumes one byte after its start, so a valid frame that began
inside a garbled or truncated one is still found (docs/protocols.md, common rules).

An unfinished frame is also checked byte by byte against what each position may hold, so a
stray start byte in line noise is given up as soon as the bytes after it cannot be a frame,
instead of holding the real frame behind it until a whole frame's worth of bytes arrived
(which, for a polled module, would be the next answer).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence

from edge.scale_driver.protocols.base import Event, FrameParser

ByteClass = frozenset[int]
ANY_7BIT: ByteClass = frozenset(range(0x80))


def byte_class(values: Iterable[int]) -> ByteClass:
    """The bytes a frame position may hold (``byte_class(b"0123456789")``)."""
    return frozenset(values)


def first_misfit(data: bytes, classes: Sequence[ByteClass]) -> int:
    """Index of the first byte of ``data`` outside its position's class, or -1."""
    for k, (value, allowed) in enumerate(zip(data, classes, strict=False)):
        if value not in allowed:
            return k
    return -1


class StartByteParser(FrameParser):
    """Start-byte hunting and buffering; subclasses size and decode the frames."""

    name: str  # protocol name, for rejection reasons
    start: bytes  # the one-byte frame start

    def __init__(self) -> None:
        super().__init__()
        self._buf = b""

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame held until the next ``feed``."""
        return len(self._buf)

    @abstractmethod
    def _frame_size(self, buf: bytes, at: int) -> int:
        """Size of the frame starting at ``buf[at]``, or 0 when more bytes are needed to tell."""

    def _prefix_classes(self, candidate: bytes) -> Sequence[ByteClass]:
        """Per position, the bytes a frame beginning like ``candidate`` may hold (necessary, not sufficient)."""
        return ()

    @abstractmethod
    def _decode(self, frame: bytes, out: list[Event]) -> bool | None:
        """Append the frame's events to ``out``.

        Returns False (after calling ``_reject``) when the frame is malformed, so the
        hunt resumes at the byte after its start; None (after ``_reject``) when it is well
        formed but refused (a unit not legal for trade), so the hunt resumes after it.
        """

    def feed(self, data: bytes) -> list[Event]:
        buf = self._buf + data if self._buf else bytes(data)
        out: list[Event] = []
        stats = self.stats
        start = self.start
        n = len(buf)
        i = 0
        while i < n:
            j = buf.find(start, i)
            if j < 0:
                stats.discarded_bytes += n - i
                i = n
                break
            stats.discarded_bytes += j - i
            size = self._frame_size(buf, j)
            if not size or j + size > n:
                candidate = buf[j:]
                misfit = first_misfit(candidate, self._prefix_classes(candidate))
                if misfit < 0:
                    i = j  # keep the unfinished frame (at most one frame long)
                    break
                self._reject(f"{self.name}: byte {misfit} of a frame cannot be 0x{buf[j + misfit]:02x}")
                i = j + 1
                continue
            decoded = self._decode(buf[j : j + size], out)
            if decoded:
                stats.frames += 1
                i = j + size
            else:
                i = j + size if decoded is None else j + 1
        self._buf = buf[i:]
        return out


def decimal_count(text: bytes) -> tuple[int, int]:
    """``b"-1.235"`` -> ``(-1235, 3)``: the integer count and its implied decimal places.

    The caller has already checked ``text`` against its format (optional ``-``, digits,
    optional ``.digits``, maybe padded with spaces), so ``int`` cannot fail here.
    """
    whole, _, frac = text.partition(b".")
    return int(whole + frac), len(frac)


def xor_of(data: bytes) -> int:
    """XOR of every byte (the check the Yaohua and Aclas frames carry)."""
    x = 0
    for b in data:
        x ^= b
    return x


HEX_UPPER: ByteClass = frozenset(b"0123456789ABCDEF")


class RepeatStability:
    """Stability for the formats that carry no motion flag (Yaohua, ``ww`` lines).

    A reading counts as stable only when the frame just before it was accepted and showed
    the same; any rejected frame in between forgets it. The core then still asks for N
    equal consecutive stable readings, so a settled load is sold and a moving one is not.
    """

    def __init__(self) -> None:
        self._last: object = None

    def check(self, key: object) -> bool:
        same = key == self._last
        self._last = key
        return same

    def forget(self) -> None:
        self._last = None


class Repeating:
    """Mixin for a FrameParser subclass: ``self._repeat`` stability; a rejected frame breaks the run."""

    def __init__(self) -> None:
        super().__init__()
        self._repeat = RepeatStability()

    def _reject(self, why: str) -> None:
        self._repeat.forget()
        super()._reject(why)  # type: ignore[misc]
