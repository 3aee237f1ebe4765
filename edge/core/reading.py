"""The one reading type every weighing-module protocol produces."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Reading:
    """One frame from a weighing module, in integer grams.

    ``has_weight`` is False for frames that carry only status (a polled module
    answering "in motion" or "overloaded" without a value); their weights are 0
    and must never be shown or sold.
    """

    gross_g: int
    net_g: int
    tare_g: int = 0
    stable: bool = False
    overload: bool = False
    underload: bool = False
    zero: bool = False
    has_weight: bool = True
    raw: bytes = field(default=b"", compare=False)

    def to_json(self) -> dict[str, object]:
        """The `scale read --json` object (DESIGN.md, Commands)."""
        return {
            "gross_g": self.gross_g,
            "net_g": self.net_g,
            "tare_g": self.tare_g,
            "stable": self.stable,
            "overload": self.overload,
            "underload": self.underload,
            "zero": self.zero,
            "has_weight": self.has_weight,
            "raw": self.raw.hex(),
        }


@dataclass(frozen=True, slots=True)
class CommandReply:
    """A polled module's answer to a command (zero, tare, clear tare).

    ``ok`` False carries the module's reason code (e.g. MT-SICS ``I``, ``+``,
    ``EL``) so the driver can tell the vendor what happened.
    """

    command: str
    ok: bool
    code: str = ""
    raw: bytes = field(default=b"", compare=False)
