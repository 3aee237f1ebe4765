"""``scale probe`` never confuses two protocol families: every streaming module's bytes, heard by
every streaming parser, rank the module's own protocol first and alone (issue 13).

The bytes come from the virtual module (written independently of the parsers) on a fake
clock, so every pair is checked in milliseconds; tests/integration does the same over ptys.
"""

from __future__ import annotations

import pytest

from edge.scale_driver.probe import _best, _hear
from edge.scale_driver.protocols import PROTOCOLS
from simulator.scale import VirtualScale

STREAMING = sorted(name for name, spec in PROTOCOLS.items() if spec.continuous)


def heard_bytes(protocol: str, load_g: int, frames: int = 15) -> bytes:
    now = [0.0]
    sim = VirtualScale(protocol, seed=3, clock=lambda: now[0])
    if load_g >= 0:
        sim.put(load_g)
    else:  # below zero: zero with a small load on, then lift it off
        sim.put(-load_g)
        now[0] += 2
        assert sim.zero().ok
        sim.remove()
    now[0] += 2
    session = sim.open_session()
    data = b""
    for _ in range(frames):
        now[0] += 1 / sim.rate_hz
        data += session.stream_frame()
    return data[5:]  # the listen starts in the middle of a frame


@pytest.mark.parametrize("load_g", [1235, 7_500, 0, -50])
@pytest.mark.parametrize("protocol", STREAMING)
def test_each_stream_is_named_alone(protocol: str, load_g: int) -> None:
    data = heard_bytes(protocol, load_g)
    verdicts = [v for name in STREAMING if (v := _hear(PROTOCOLS[name], data)) is not None]
    result = _best("/dev/null", 9600, verdicts)
    assert result is not None and result.protocol == protocol
    assert result.alternatives == ()
    others = {v.spec.name for v in verdicts} - {protocol}
    # Only this pair reads each other's bytes at all (a checksummed Toledo frame is a frame
    # without checksum plus one byte), and it ranks below the real one:
    assert others <= {"toledo-continuous-nocs"}
