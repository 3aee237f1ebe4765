"""Packets off a byte stream (central/mqtt_packets.py), with the lengths MQTT 5.0 prints.

Table 1-1 of OASIS MQTT Version 5.0 (1.5.5, Variable Byte Integer): 127 is one byte 0x7F,
128 is 0x80 0x01, 16,383 is 0xFF 0x7F and 16,384 is 0x80 0x80 0x01.
"""

from __future__ import annotations

import mqtt5
import pytest

from central.mqtt_packets import PacketBuffer, PacketIds, ProtocolError, reason_words


def _publish(payload_len: int, packet_id: int = 1) -> bytes:
    # topic "t" (2 + 1 bytes), packet id (2), property length (1): 6 bytes before the payload
    return mqtt5.PublishPacket("t", b"x" * payload_len, qos=mqtt5.QoS.AT_LEAST_ONCE, packet_id=packet_id).write()


@pytest.mark.parametrize(
    ("remaining", "length_bytes"),
    [(127, b"\x7f"), (128, b"\x80\x01"), (16_383, b"\xff\x7f"), (16_384, b"\x80\x80\x01")],
)
def test_remaining_length_is_the_specs_variable_byte_integer(remaining: int, length_bytes: bytes) -> None:
    wire = _publish(remaining - 6)
    assert wire[1 : 1 + len(length_bytes)] == length_bytes
    (packet,) = PacketBuffer().feed(wire)
    assert len(packet.payload) == remaining - 6


def test_a_packet_cut_anywhere_comes_out_once_whole() -> None:
    wire = _publish(300, packet_id=9)
    for cut in range(1, len(wire)):
        buf = PacketBuffer()
        assert list(buf.feed(wire[:cut])) == []
        (packet,) = buf.feed(wire[cut:])
        assert (packet.topic, packet.packet_id, packet.payload) == ("t", 9, b"x" * 300)


def test_many_packets_in_one_read_come_out_in_order() -> None:
    wire = _publish(10, 1) + mqtt5.PubAckPacket(7).write() + _publish(20, 2) + mqtt5.PingRespPacket().write()
    kinds = [type(p).__name__ for p in PacketBuffer().feed(wire)]
    assert kinds == ["PublishPacket", "PubAckPacket", "PublishPacket", "PingRespPacket"]


def test_garbage_is_a_protocol_error_that_says_so() -> None:
    with pytest.raises(ProtocolError, match="malformed MQTT packet"):
        list(PacketBuffer().feed(b"\xf0\x00"))  # packet type 15 is AUTH, and an AUTH needs more


def test_reason_codes_read_as_words() -> None:
    assert reason_words(mqtt5.ConnAckReasonCode.NOT_AUTHORIZED) == "Not authorized"
    assert reason_words(mqtt5.ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD) == "Bad user name or password"


def test_packet_ids_run_1_to_65535_and_never_0() -> None:
    ids = PacketIds()
    seen = [ids.next() for _ in range(65_536)]
    assert seen[0] == 1 and seen[65_534] == 65_535 and seen[65_535] == 1 and 0 not in seen
