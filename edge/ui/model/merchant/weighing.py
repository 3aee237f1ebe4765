"""Weighing: readings from the module, the zero and tare keys, the weight panel.

The metrology rules (stability, Min/Max, zero range, tare) stay in `edge.core.metrology`;
this only turns their refusals into messages and keeps the zero across restarts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from edge import runtime
from edge.core.metrology import display_text
from edge.core.reading import Reading
from edge.core.refusals import Refusal
from edge.store import StoreError
from edge.ui.model import texts
from edge.ui.model.merchant.base import (
    ModelBase,
)
from edge.ui.model.views import (
    WeightPanel,
)

log = logging.getLogger(__name__)


class WeighingTasks(ModelBase):
    def sellable_now(self) -> bool:
        """Whether the weight on the platter may be sold right now (stable, >= Min, <= Max)."""
        with self._lock:
            return self.state.view.blocked is None

    def on_reading(self, reading: Reading) -> None:
        """Every reading of the weighing module (driver thread)."""
        with self._lock:
            self.state.feed(reading)
            self._keep_zero()
            self._publish()

    def press_zero(self) -> None:
        with self._lock:
            self._weighing_key(self.state.press_zero, "zeroed")

    def press_tare(self) -> None:
        with self._lock:
            self._weighing_key(self.state.press_tare, "tared")

    def preset_tare(self, tare_g: int) -> None:
        with self._lock:
            self._weighing_key(lambda: self.state.preset_tare(tare_g), "tared")

    def clear_tare(self) -> None:
        with self._lock:
            self.state.clear_tare()
            self._say("tare_cleared")
            self._publish()

    def _weighing_key(self, press: Callable[[], Refusal | None], done: str) -> None:
        refusal = press()
        if refusal is not None:
            self._refused(refusal)
        elif done == "tared":
            self._say(done, tare=texts.kg_text(self.state.view.tare_g, self.state.config.e_g))
        else:
            self._say(done)
        self._keep_zero()
        self._publish()

    def _keep_zero(self) -> None:
        """Persist the zero when it changes (power-on zero, the zero key), for the next start."""
        zero = self.state.zero_state
        if zero is None or zero == self._kept_zero:
            return
        try:
            self.store.set_setting(runtime.ZERO_STATE_KEY, list(zero))
            self._kept_zero = zero
        except StoreError as exc:  # a full disk must not stop weighing; retried at the next change
            log.warning("zero not kept: %s", exc)

    def _weight_panel(self) -> tuple[WeightPanel, int | None]:
        """The panel, and the live net in grams when a weight is shown (else None)."""
        view = self.state.view
        shown = display_text(view, self.state.config)
        blocked = view.blocked
        if blocked is not None and blocked.code == "below_min" and view.net_g == 0:
            blocked = None  # an empty platter is not a problem to report
        panel = WeightPanel(
            weight_text=shown.weight_text,
            tare_text=shown.tare_text,
            stable=shown.stable,
            zero=shown.zero,
            net=shown.net,
            overload=shown.overload,
            underload=shown.underload,
            blocked_text=blocked.text(self._lang) if blocked is not None else "",
            range_no=shown.range_no,
        )
        return panel, (view.net_g if shown.weight_text else None)
