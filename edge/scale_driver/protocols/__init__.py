"""One pure parser per weighing-module protocol; ``PROTOCOLS`` maps names to specs."""

from edge.scale_driver.protocols.base import (
    Event,
    FrameParser,
    ParserStats,
    ProtocolSpec,
    SerialSettings,
)
from edge.scale_driver.protocols.registry import PROTOCOLS, get_protocol

__all__ = [
    "PROTOCOLS",
    "Event",
    "FrameParser",
    "ParserStats",
    "ProtocolSpec",
    "SerialSettings",
    "get_protocol",
]
