"""Real-name sign-in at the scale: who sells now (shifts), from the operators file."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from edge.config import ConfigError
from edge.core.operators import SIGNIN_REQUIRED, Operator, sign_in
from edge.core.refusals import Refusal
from edge.store import Store

log = logging.getLogger(__name__)


class OperatorsFileError(ConfigError):
    """The operators file cannot be used; the message names the file and the entry (the
    scale does not start: a wrong list would let the wrong people sell)."""


def load_operators(path: Path | None) -> tuple[Operator, ...]:
    """``[{"id", "name", "role", "pin_hash", "card"}, ...]`` (or ``{"operators": [...]}``)."""
    if path is None:
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OperatorsFileError(f"operators file {path} not found; see README, 'For vendors: sign-in'") from None
    except (OSError, ValueError) as exc:
        raise OperatorsFileError(f"operators file {path} is not readable JSON: {exc}") from None
    items = data.get("operators") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise OperatorsFileError(f"operators file {path}: expected a list of operators")
    try:
        operators = tuple(Operator.from_dict(item) for item in items)
    except ValueError as exc:
        raise OperatorsFileError(f"operators file {path}: {exc}") from None
    ids = [op.operator_id for op in operators]
    if len(set(ids)) != len(ids):
        raise OperatorsFileError(f"operators file {path}: an operator id appears twice")
    return operators


class SignIn:
    """The signed-in operator; every sign-in/out opens/closes a shift and is an event."""

    def __init__(
        self,
        store: Store,
        operators: tuple[Operator, ...],
        clock_ms: Callable[[], int],
        *,
        required: bool = False,
        fallback: str = "",
    ) -> None:
        self.store = store
        self.operators = operators
        self.clock_ms = clock_ms
        self.required = required and bool(operators)  # without an operators file nobody could sign in
        self.fallback = fallback  # [identity].operator: the name on sales when nobody signed in
        shift = store.open_shift()
        self._current: Operator | None = None
        if shift is not None:  # a restart keeps the shift of whoever was selling
            self._current = next((op for op in operators if op.operator_id == shift["operator"]), None)
        self._listeners: list[Callable[[Operator | None], None]] = []

    @property
    def current(self) -> Operator | None:
        return self._current

    @property
    def operator_id(self) -> str:
        """What ``Sale.operator`` records: the signed-in operator's id, else the configured name."""
        return self._current.operator_id if self._current else self.fallback

    def subscribe(self, listener: Callable[[Operator | None], None]) -> None:
        self._listeners.append(listener)

    def check_may_sell(self) -> Refusal | None:
        return SIGNIN_REQUIRED if self.required and self._current is None else None

    def sign_in(self, *, operator_id: str = "", pin: str = "", card: str = "") -> Operator | Refusal:
        found = sign_in(self.operators, operator_id=operator_id, pin=pin, card=card)
        now = self.clock_ms()
        if isinstance(found, Refusal):
            self.store.append_event("operator.signin_refused", {"operator": operator_id.strip(),
                                                                "how": "card" if card else "pin"}, now)  # fmt: skip
            return found
        self.store.start_shift(found.operator_id, found.name, found.role, "card" if card else "pin", now)
        self._set(found)
        return found

    def sign_out(self) -> Operator | None:
        gone = self._current
        self.store.end_shift(self.clock_ms())
        self._set(None)
        return gone

    def by_card(self, card: str) -> Operator | None:
        """The operator a scanned card number belongs to (a scan may be a card or a voucher)."""
        card = "".join(card.split())
        return next((op for op in self.operators if op.card and op.card == card), None)

    def _set(self, operator: Operator | None) -> None:
        self._current = operator
        for listener in self._listeners:
            try:
                listener(operator)
            except Exception:  # a display's trouble must not undo a sign-in
                log.exception("sign-in listener failed")
