"""What every weighing-module protocol provides: a pure incremental parser and its spec.

Framing is separated from transport (as in pyserial's ``serial.threaded``): parsers see
bytes and return readings; they never touch a port, a clock or a thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from edge.core.reading import CommandReply, Reading

Event = Reading | CommandReply

MAX_PENDING = 256  # bytes of an unfinished frame a parser may hold


@dataclass(slots=True)
class ParserStats:
    frames: int = 0  # frames accepted
    rejected: int = 0  # frames refused (format, field check, checksum, unit)
    discarded_bytes: int = 0  # bytes skipped while hunting for a frame start


class FrameParser(ABC):
    """Bytes in, readings out. Never raises on input; resynchronises after garbage."""

    def __init__(self) -> None:
        self.stats = ParserStats()
        self.last_rejection = ""

    @abstractmethod
    def feed(self, data: bytes) -> list[Event]:
        """Consume ``data`` (any split of the stream) and return the complete events."""

    def note_sent(self, command: str) -> None:  # noqa: B027 - optional hook
        """Told by the driver before it writes a command (``zero``, ``tare``, ``clear_tare``)."""

    def _reject(self, why: str) -> None:
        self.stats.rejected += 1
        self.last_rejection = why


@dataclass(frozen=True, slots=True)
class SerialSettings:
    baud: int = 9600
    bytesize: int = 8
    parity: str = "N"  # N, E, O
    stopbits: int = 1


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    """A protocol described as data: how to talk to the module and how to parse it."""

    name: str
    title: str
    continuous: bool  # streams by itself; otherwise the driver polls
    serial: SerialSettings
    new_parser: Callable[[], FrameParser]
    poll: bytes | None = None  # command that asks for one reading (polled protocols)
    commands: dict[str, bytes] = field(default_factory=dict)  # zero / tare / clear_tare
