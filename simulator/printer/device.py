"""The virtual printer: sensors, status answers, and the tickets it prints to files.

Links (TCP, pty) hand every received chunk to `PrinterDevice.receive` and write back
what it returns (answers to DLE EOT). While the paper is out, the cover is open or the
printer is offline it prints nothing: bytes other than real-time status requests are
dropped and counted, as a printer that refuses data would lose them, so the edge must
ask for the status before it prints.

Each ticket (up to a cut) becomes <out>/ticket-NNNN.png, .txt (decoded text), .bin (the
raw bytes) and .json (cut, warnings, QR data), numbered on from what <out> holds.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.printer.decoder import EscPosDecoder, StatusRequest
from simulator.printer.document import Document
from simulator.printer.render import PAPER_DOTS, TicketRenderer

# DLE EOT status bytes: bit 1 and bit 4 are fixed on, bits 0 and 7 fixed off
FIXED_BITS = 0x12
OFFLINE = 0x08  # n=1
COVER_OPEN = 0x04  # n=2
PAPER_END_STOP = 0x20  # n=2
NEAR_END = 0x0C  # n=4, bits 2 and 3
PAPER_END = 0x60  # n=4, bits 5 and 6

_TICKET_NAME = re.compile(r"ticket-(\d+)\.(?:png|txt|bin|json)$")


@dataclass(frozen=True)
class Ticket:
    """One printed ticket and its files."""

    number: int
    png: Path
    txt: Path
    bin: Path
    json: Path
    document: Document
    warnings: tuple[str, ...]


class PrinterDevice:
    """A 58 or 80 mm ESC/POS thermal printer that prints into a directory. Thread-safe."""

    def __init__(
        self,
        out_dir: str | Path,
        paper: int = 58,
        *,
        log: Callable[[str], None] | None = None,
        font_path: str | Path | None = None,
    ) -> None:
        if paper not in PAPER_DOTS:
            raise ValueError(f"paper must be 58 or 80 (mm), not {paper!r}")
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.paper = paper
        self.paper_width = PAPER_DOTS[paper]
        self.log = log or (lambda message: None)
        self.renderer = TicketRenderer(self.paper_width, font_path)
        self.decoder = EscPosDecoder(self.paper_width)
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.offline = False
        self.printed: list[Ticket] = []
        self.status_requests = 0
        self._next_number = _last_ticket_number(self.out_dir) + 1
        self._lock = threading.RLock()
        self._printed_changed = threading.Condition(self._lock)

    # --- sensors (stdin commands and tests flip these) -------------------------------------

    def set_paper_out(self, on: bool = True) -> None:
        with self._lock:
            self.paper_out = on

    def set_paper_near_end(self, on: bool = True) -> None:
        with self._lock:
            self.paper_near_end = on

    def set_cover_open(self, on: bool = True) -> None:
        with self._lock:
            self.cover_open = on

    def set_offline(self, on: bool = True) -> None:
        with self._lock:
            self.offline = on

    @property
    def blocked(self) -> bool:
        """Whether data would be dropped instead of printed."""
        return self.paper_out or self.cover_open or self.offline

    @property
    def discarded_bytes(self) -> int:
        return self.decoder.discarded_bytes

    def status_byte(self, n: int) -> int | None:
        """The DLE EOT n answer, or None for an n the printer ignores."""
        with self._lock:
            if n == 1:  # printer status
                return FIXED_BITS | (OFFLINE if self.blocked else 0)
            if n == 2:  # offline cause
                return FIXED_BITS | (COVER_OPEN if self.cover_open else 0) | (PAPER_END_STOP if self.paper_out else 0)
            if n == 3:  # error cause: no cutter or head errors are simulated
                return FIXED_BITS
            if n == 4:  # roll paper sensors
                return FIXED_BITS | (NEAR_END if self.paper_near_end else 0) | (PAPER_END if self.paper_out else 0)
            return None

    def conditions(self) -> str:
        """The sensor states that are on, e.g. "paper-out, cover-open", or "ready"."""
        flags = {
            "paper-out": self.paper_out,
            "paper-near-end": self.paper_near_end,
            "cover-open": self.cover_open,
            "offline": self.offline,
        }
        return ", ".join(name for name, on in flags.items() if on) or "ready"

    def describe(self) -> str:
        with self._lock:
            return f"{self.conditions()}; {len(self.printed)} tickets printed, {self.discarded_bytes} bytes discarded"

    # --- data --------------------------------------------------------------------------------

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the host; return the bytes to send back (status answers)."""
        with self._lock:
            self.decoder.discarding = self.blocked
            before = self.decoder.discarded_bytes
            events = self.decoder.feed(data)
            dropped = self.decoder.discarded_bytes - before
            if dropped:
                self.log(f"printer: {self.conditions()}: discarded {dropped} bytes (not printed)")
            return self._handle(events)

    def end_of_stream(self) -> None:
        """The host disconnected: finish a ticket that had no cut."""
        with self._lock:
            self.decoder.discarding = self.blocked
            self._handle(self.decoder.end_of_stream())

    def _handle(self, events: list[StatusRequest | Document]) -> bytes:
        reply = bytearray()
        for event in events:
            if isinstance(event, StatusRequest):
                self.status_requests += 1
                answer = self.status_byte(event.n)
                if answer is not None:
                    reply.append(answer)
            else:
                self._print(event)
        return bytes(reply)

    def _print(self, doc: Document) -> None:
        number = self._next_number
        self._next_number += 1
        stem = self.out_dir / f"ticket-{number:04d}"
        png, txt, raw, meta = (stem.with_suffix(s) for s in (".png", ".txt", ".bin", ".json"))
        raw.write_bytes(bytes(doc.raw))
        txt.write_text(doc.text(), encoding="utf-8")
        warnings = [*doc.warnings, *self.renderer.save_png(doc, png)]
        meta.write_text(
            json.dumps(
                {
                    "ticket": number,
                    "paper_mm": self.paper,
                    "cut": doc.cut,
                    "bytes": len(doc.raw),
                    "qr": [{"data": q.text, "module_size": q.module_size, "ecc": q.ecc} for q in doc.qr_codes],
                    "images": [f"{i.width}x{i.height}" for i in doc.images],
                    "code_pages": doc.code_pages,
                    "warnings": warnings,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        self.printed.append(Ticket(number, png, txt, raw, meta, doc, tuple(warnings)))
        note = f" ({len(warnings)} warnings: {warnings[0]}{' ...' if len(warnings) > 1 else ''})" if warnings else ""
        self.log(f"printer: printed {png}{note}")
        self._printed_changed.notify_all()

    # --- for tests ---------------------------------------------------------------------------

    @property
    def tickets(self) -> list[Path]:
        """PNG paths of the tickets printed so far, in order."""
        with self._lock:
            return [t.png for t in self.printed]

    def wait_for_ticket(self, n: int = 1, timeout: float = 5.0) -> Ticket:
        """Wait until `n` tickets have been printed since start; return the n-th."""
        deadline = time.monotonic() + timeout
        with self._printed_changed:
            while len(self.printed) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"printer: {len(self.printed)} tickets after {timeout} s, waited for {n} "
                        f"({self.describe()}; unprinted text {self.decoder.pending_text!r})"
                    )
                self._printed_changed.wait(remaining)
            return self.printed[n - 1]


def _last_ticket_number(directory: Path) -> int:
    numbers = [int(m.group(1)) for p in directory.iterdir() if (m := _TICKET_NAME.match(p.name))]
    return max(numbers, default=0)
