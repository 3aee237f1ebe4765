"""Find which protocol, baud rate and framing a weighing module speaks.

First listen (streaming modules talk by themselves), then poll the polled protocols, at
every common baud rate with each protocol's default framing. A protocol is a candidate
when its parser accepts at least two frames and rejects fewer than it accepts, so line
noise or another protocol's bytes do not fool it. Every streaming parser hears the same
bytes and the best candidate wins: most accepted frames less twice the rejected ones (a
line parser rejects the line it came in halfway through), then fewest skipped bytes (a
Toledo frame with checksum also fits the variant without, but leaves its CHK byte over).
A candidate that ties with the winner is named as an alternative, for the technician to
settle with a load on the platter. When nothing answers, the streaming parsers are tried
again on the other common framings (``COMMON_FRAMINGS``); the result names the framing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from edge.core.reading import Reading
from edge.core.units import format_kg
from edge.scale_driver.protocols import PROTOCOLS, ProtocolSpec, SerialSettings
from edge.scale_driver.transport import SerialTransport, TransportError

COMMON_BAUDS = (9600, 4800, 19200, 2400, 38400, 115200)
# Data bits, parity, stop bits tried when no streaming protocol answers with its own default
# (e.g. CAS "18 bytes for AND" is 7 data bits with odd or even parity on some indicators).
COMMON_FRAMINGS = ((8, "N", 1), (7, "E", 1), (7, "O", 1), (8, "E", 1))


@dataclass(frozen=True, slots=True)
class ProbeResult:
    port: str
    protocol: str
    baud: int
    bytesize: int
    parity: str
    stopbits: int
    frames: int
    alternatives: tuple[str, ...] = ()  # other protocols that read the stream equally well
    last_reading: str = ""  # what the winner read last, for the technician to check ("1.235 kg, stable")

    def to_toml(self) -> str:
        return (
            "[scale]\n"
            f'port = "{self.port}"\n'
            f'protocol = "{self.protocol}"\n'
            f"baud = {self.baud}\n"
            f"bytesize = {self.bytesize}\n"
            f'parity = "{self.parity}"\n'
            f"stopbits = {self.stopbits}\n"
        )


def _settings(spec: ProtocolSpec, baud: int) -> SerialSettings:
    return SerialSettings(baud, spec.serial.bytesize, spec.serial.parity, spec.serial.stopbits)


@dataclass(frozen=True, slots=True)
class _Heard:
    spec: ProtocolSpec
    framing: SerialSettings
    frames: int
    rejected: int
    discarded: int
    last: Reading | None

    @property
    def rank(self) -> tuple[int, int]:
        """Lower is better: accepted frames less twice the rejected ones, then skipped bytes."""
        return (2 * self.rejected - self.frames, self.discarded)


def _hear(spec: ProtocolSpec, data: bytes, framing: SerialSettings | None = None) -> _Heard | None:
    """The parser's verdict on ``data``, or None when it is no candidate."""
    parser = spec.new_parser()
    events = parser.feed(data)
    stats = parser.stats
    if stats.frames < 2 or stats.rejected >= stats.frames:
        return None
    readings = [e for e in events if isinstance(e, Reading)]
    last = readings[-1] if readings else None
    return _Heard(spec, framing or spec.serial, stats.frames, stats.rejected, stats.discarded_bytes, last)


def _describe(reading: Reading | None) -> str:
    if reading is None:
        return ""
    if not reading.has_weight:
        state = "overload" if reading.overload else "underload" if reading.underload else "no weight"
        return f"{state}, {'stable' if reading.stable else 'unstable'}"
    return f"{format_kg(reading.net_g)} kg, {'stable' if reading.stable else 'unstable'}"


def _best(port: str, baud: int, heard: list[_Heard]) -> ProbeResult | None:
    if not heard:
        return None
    heard.sort(key=lambda h: h.rank)
    win = heard[0]
    ties = tuple(h.spec.name for h in heard[1:] if h.rank == win.rank)
    s = win.framing
    return ProbeResult(
        port, win.spec.name, baud, s.bytesize, s.parity, s.stopbits, win.frames, ties, _describe(win.last)
    )


def _listen(port: str, settings: SerialSettings, seconds: float) -> bytes:
    transport = SerialTransport(port, settings)
    transport.open()
    try:
        data = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data += transport.read()
        return data
    finally:
        transport.close()


def _poll(port: str, spec: ProtocolSpec, baud: int, tries: int = 3, wait_s: float = 0.25) -> bytes:
    assert spec.poll is not None
    transport = SerialTransport(port, _settings(spec, baud))
    transport.open()
    try:
        data = b""
        for _ in range(tries):
            transport.write(spec.poll)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                data += transport.read()
        return data
    finally:
        transport.close()


def probe(port: str, bauds: tuple[int, ...] = COMMON_BAUDS, listen_s: float = 0.6) -> ProbeResult | None:
    """Try every baud: listen for the streaming formats, then poll the polled ones.

    Raises TransportError if the port cannot be opened at all.
    """
    streaming = [s for s in PROTOCOLS.values() if s.continuous]
    polled = [s for s in PROTOCOLS.values() if not s.continuous]
    for baud in bauds:
        # One listen serves every streaming protocol with the same framing bits.
        heard: dict[SerialSettings, bytes] = {}
        candidates: list[_Heard] = []
        for spec in streaming:
            settings = _settings(spec, baud)
            if settings not in heard:
                heard[settings] = _listen(port, settings, listen_s)
            verdict = _hear(spec, heard[settings], settings)
            if verdict is not None:
                candidates.append(verdict)
        found = _best(port, baud, candidates)
        if found is not None:
            return found
        for spec in polled:
            verdict = _hear(spec, _poll(port, spec, baud))
            if verdict is not None:
                return _best(port, baud, [verdict])
    # Nothing with the protocols' own framing: every streaming parser on the other framings.
    defaults = {_settings(spec, baud) for spec in streaming for baud in bauds}
    for baud in bauds:
        for bits, parity, stop in COMMON_FRAMINGS:
            settings = SerialSettings(baud, bits, parity, stop)
            if settings in defaults:
                continue
            data = _listen(port, settings, listen_s)
            found = _best(port, baud, [v for spec in streaming if (v := _hear(spec, data, settings)) is not None])
            if found is not None:
                return found
    return None


__all__ = ["COMMON_BAUDS", "COMMON_FRAMINGS", "ProbeResult", "TransportError", "probe"]
