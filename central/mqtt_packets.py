"""MQTT v5 packets off a byte stream, with the ``mqtt5`` codec (sans-I/O, written in Rust).

paho reads each packet with three or more ``recv`` calls and builds Python objects for
every property; at thousands of one-sale messages a second that was more CPU than
central's own parse, verify and commit (bench_fleet). ``mqtt5`` (by aiomqtt's maintainer)
reads and writes packets in under a microsecond and leaves the I/O to us, so one ``recv``
can carry many packets. The receiver's session (``central.mqtt_session``) and the fleet's
virtual scales (``simulator.fleet.mqtt_loop``) both read through :class:`PacketBuffer`.
"""

from __future__ import annotations

from collections.abc import Iterator

import mqtt5


class ProtocolError(ValueError):
    """The peer sent bytes that are not an MQTT v5 packet."""


class PacketBuffer:
    """Bytes in, whole packets out; a packet cut between two reads waits for the rest."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[mqtt5.Packet]:
        self._buf += data
        view = memoryview(self._buf)
        pos = 0
        try:
            while pos < len(view):
                try:
                    packet, size = mqtt5.read(view[pos:])
                except IndexError:  # "Not enough bytes": the rest comes with the next read
                    break
                except ValueError as exc:
                    raise ProtocolError(f"malformed MQTT packet ({exc})") from None
                pos += size
                yield packet
        finally:
            view.release()
            del self._buf[:pos]

    def clear(self) -> None:
        self._buf.clear()


def reason_words(code: object) -> str:
    """A reason code (CONNACK, DISCONNECT, ...; MQTT 5.0, 2.4) as the log says it: "Not authorized"."""
    return str(getattr(code, "name", code)).replace("_", " ").capitalize()


class PacketIds:
    """Packet identifiers 1..65535, round and round (MQTT 5.0, 2.2.1: 0 is not one)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last = self._last % 65_535 + 1
        return self._last
