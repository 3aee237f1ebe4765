"""Topic names of one scale (DESIGN.md, MQTT contract)."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "trace/v1"


def _check_level(what: str, value: str) -> None:
    # A '/', '+' or '#' in an id would address other scales' topics (or none at all).
    if not value or any(c in value for c in "/+#\0"):
        raise ValueError(
            f"{what} {value!r} cannot be used in an MQTT topic: it must be non-empty and contain no '/', '+' or '#'; "
            "fix [identity] in edge.toml"
        )


@dataclass(frozen=True, slots=True)
class Topics:
    market: str
    scale: str

    def __post_init__(self) -> None:
        _check_level("market_id", self.market)
        _check_level("scale_id", self.scale)

    @property
    def base(self) -> str:
        return f"{PREFIX}/{self.market}/{self.scale}"

    @property
    def sales(self) -> str:
        return f"{self.base}/sales"

    @property
    def ack(self) -> str:
        return f"{self.base}/ack"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def events(self) -> str:
        return f"{self.base}/events"

    @property
    def goodsin(self) -> str:
        return f"{self.base}/goodsin"

    @property
    def batches(self) -> str:
        return f"{self.base}/batches"

    @property
    def config(self) -> str:
        return f"{self.base}/config"

    @property
    def command(self) -> str:
        """Central's signed lock/unlock of this scale (docs/protection.md), retained."""
        return f"{self.base}/command"

    @property
    def payment(self) -> str:
        return f"{self.base}/payment"

    @property
    def firmware(self) -> str:
        return f"{self.base}/firmware"

    @property
    def catalog(self) -> str:
        return f"{PREFIX}/{self.market}/catalog"
