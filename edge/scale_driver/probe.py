"""Find which protocol and baud rate a weighing module speaks.

First listen (streaming modules talk by themselves), then poll the polled protocols.
A protocol counts as found when its parser accepts at least two frames and rejects
fewer than it accepts, so line noise or another protocol's bytes do not fool it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from edge.scale_driver.protocols import PROTOCOLS, ProtocolSpec, SerialSettings
from edge.scale_driver.transport import SerialTransport, TransportError

COMMON_BAUDS = (9600, 4800, 19200, 2400, 38400, 115200)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    port: str
    protocol: str
    baud: int
    bytesize: int
    parity: str
    stopbits: int
    frames: int

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


def _accepts(spec: ProtocolSpec, data: bytes) -> int:
    parser = spec.new_parser()
    parser.feed(data)
    frames, rejected = parser.stats.frames, parser.stats.rejected
    return frames if frames >= 2 and rejected < frames else 0


def _listen(port: str, spec: ProtocolSpec, baud: int, seconds: float) -> bytes:
    transport = SerialTransport(port, _settings(spec, baud))
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


def probe(
    port: str, bauds: tuple[int, ...] = COMMON_BAUDS, listen_s: float = 0.6
) -> ProbeResult | None:
    """Try every baud: listen for the streaming formats, then poll the polled ones.

    Raises TransportError if the port cannot be opened at all.
    """
    streaming = [s for s in PROTOCOLS.values() if s.continuous]
    polled = [s for s in PROTOCOLS.values() if not s.continuous]
    for baud in bauds:
        # One listen serves every streaming protocol with the same framing bits.
        heard: dict[tuple[int, str, int], bytes] = {}
        for spec in streaming:
            key = (spec.serial.bytesize, spec.serial.parity, spec.serial.stopbits)
            if key not in heard:
                heard[key] = _listen(port, spec, baud, listen_s)
            frames = _accepts(spec, heard[key])
            if frames:
                return _result(port, spec, baud, frames)
        for spec in polled:
            frames = _accepts(spec, _poll(port, spec, baud))
            if frames:
                return _result(port, spec, baud, frames)
    return None


def _result(port: str, spec: ProtocolSpec, baud: int, frames: int) -> ProbeResult:
    s = spec.serial
    return ProbeResult(port, spec.name, baud, s.bytesize, s.parity, s.stopbits, frames)


__all__ = ["COMMON_BAUDS", "ProbeResult", "TransportError", "probe"]
