"""The scale's voice: which events are said, and how (texts) — one call per event.

The merchant model calls these; each builds its text (edge.voice.texts) and queues it on
the :class:`~edge.voice.player.Announcer`, so a call costs a list append. A scale with
the voice off has ``Voice(None)``: every call does nothing.
"""

from __future__ import annotations

from edge.core.records import Pricing, SaleLine
from edge.voice import texts
from edge.voice.player import Announcer


class Voice:
    def __init__(self, announcer: Announcer | None) -> None:
        self.announcer = announcer

    def _say(self, text: str, key: str = "") -> None:
        if self.announcer is not None:
            self.announcer.say(text, key=key)

    def line_added(self, line: SaleLine, e_g: int) -> None:
        """累计: the line's weight (or count) and amount."""
        weighed = Pricing(line.pricing) is Pricing.WEIGHT
        self._say(
            texts.line_added(
                line.name, line.amount_fen, net_g=line.net_g if weighed else None, quantity=line.quantity, e_g=e_g
            )
        )

    def payment_received(self, amount_fen: int) -> None:
        self._say(texts.payment_received(amount_fen), key="payment")

    def fault(self, code: str) -> None:
        self._say(texts.fault(code), key=f"fault:{code}")

    def stop(self) -> None:
        if self.announcer is not None:
            self.announcer.stop()
