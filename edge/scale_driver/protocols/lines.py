"""Shared framing for the CR LF line protocols (``mt-sics``, ``ascii-stgs``).

A line is held until its CR LF arrives. docs/protocols.md discards a line over 64 bytes;
here only its head is dropped (counted in ``discarded_bytes``) and its last ``max_line``
bytes are kept, because a reply is always at the *end* of its line: garbage that reached
the line before the reply sits in front of it. Each parser then looks for its reply at the
end of the line (what it skips is counted too), so garbage between frames costs nothing
but the garbage itself, and the buffer never holds more than ``max_line + 1`` bytes.
"""

from __future__ import annotations

from abc import abstractmethod

from edge.scale_driver.protocols.base import MAX_PENDING, Event, FrameParser

CRLF = b"\r\n"
MAX_LINE = 64  # docs/protocols.md: a longer line is not a reply


class LineParser(FrameParser):
    """Line splitting and buffering; subclasses parse one line (without its CR LF)."""

    max_line = MAX_LINE

    def __init__(self) -> None:
        super().__init__()
        self._tail = b""
        # One byte more than a line, so a CR waiting for its LF is never cut off.
        self._tail_limit = min(self.max_line + 1, MAX_PENDING)

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held until the next ``feed``."""
        return len(self._tail)

    @abstractmethod
    def _parse_line(self, line: bytes, out: list[Event]) -> None:
        """Parse one line (CR LF stripped, at most ``max_line`` bytes); append its events."""

    def feed(self, data: bytes) -> list[Event]:
        buf = self._tail + data if self._tail else bytes(data)
        lines = buf.split(CRLF)
        tail = lines.pop()
        if len(tail) > self._tail_limit:
            self.stats.discarded_bytes += len(tail) - self._tail_limit
            tail = tail[-self._tail_limit :]
        self._tail = tail
        out: list[Event] = []
        max_line = self.max_line
        for line in lines:
            if len(line) > max_line:
                self.stats.discarded_bytes += len(line) - max_line
                line = line[-max_line:]
            if line:
                self._parse_line(line, out)
            else:
                self.stats.discarded_bytes += len(CRLF)  # an empty line carries nothing
        return out
