"""Name -> ProtocolSpec for every supported weighing-module protocol."""

from __future__ import annotations

from edge.scale_driver.protocols.aclas import SPEC as ACLAS
from edge.scale_driver.protocols.ascii_stgs import SPEC as ASCII_STGS
from edge.scale_driver.protocols.base import ProtocolSpec
from edge.scale_driver.protocols.binary_ff import SPEC as BINARY_FF
from edge.scale_driver.protocols.mt_sics import SPEC as MT_SICS
from edge.scale_driver.protocols.toledo_8217 import SPEC as TOLEDO_8217
from edge.scale_driver.protocols.toledo_continuous import SPEC as TOLEDO_CONTINUOUS
from edge.scale_driver.protocols.toledo_continuous import SPEC_NO_CHECKSUM as TOLEDO_CONTINUOUS_NOCS
from edge.scale_driver.protocols.ww_line import SPEC as WW_LINE
from edge.scale_driver.protocols.yaohua import SPEC_A12E, SPEC_EQ_FORWARD, SPEC_EQ_REVERSED, SPEC_TF0

PROTOCOLS: dict[str, ProtocolSpec] = {
    spec.name: spec
    for spec in (
        MT_SICS,
        TOLEDO_CONTINUOUS,
        TOLEDO_CONTINUOUS_NOCS,
        ASCII_STGS,
        BINARY_FF,
        TOLEDO_8217,
        SPEC_TF0,
        SPEC_EQ_REVERSED,
        SPEC_EQ_FORWARD,
        SPEC_A12E,
        WW_LINE,
        ACLAS,
    )
}


def get_protocol(name: str) -> ProtocolSpec:
    try:
        return PROTOCOLS[name]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise ValueError(f"unknown scale protocol {name!r}; known protocols: {known}") from None
