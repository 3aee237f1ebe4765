"""Commit a cart as a sale: numbers, trace code, device signature, one transaction.

Shared by the scale app and ``python -m edge sell``: the sale is durable before any
ticket is printed or payment QR shown (DESIGN.md, Edge storage).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from edge.config import EdgeConfig
from edge.core.cart import Cart, SaleIdentity, build_refund
from edge.core.ids import sale_uuid
from edge.core.records import Payment, Sale
from edge.core.refusals import Refusal, RefusedError
from edge.core.tracecode import make_trace_code
from edge.device_key import DeviceKey
from edge.software_id import software_id
from edge.store import Store
from edge.store.errors import NotFoundError

MARKET_TZ = ZoneInfo("Asia/Shanghai")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# seq and daily number start above these until central has answered (docs/sync.md)
UNCONFIRMED_FLOORS = (1_000_000, 5000)


def numbering_unconfirmed(config: EdgeConfig, store: Store) -> bool:
    """The store may have been wiped and there is a central to ask: a store with sync that
    central has not yet told its last numbers (docs/sync.md, "Numbering after a wiped store")."""
    return bool(config.sync.broker_url) and not store.numbering_known()


def numbering_floors(config: EdgeConfig, store: Store) -> tuple[int, int]:
    """Where the scale app numbers from while central has not told the store its last numbers.

    A store with sync that has not heard from central may be a wiped one whose scale
    already sold today (its tickets are out there): the app numbers from a range the
    scale's normal numbering never reaches, so no code repeats even offline (docs/sync.md,
    "Numbering after a wiped store"). A stand-alone scale has no central to collide with.
    """
    return UNCONFIRMED_FLOORS if numbering_unconfirmed(config, store) else (0, 0)


def local_date(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, MARKET_TZ)


class Checkout:
    def __init__(self, config: EdgeConfig, store: Store, key: DeviceKey, clock_ms: Callable[[], int] = now_ms) -> None:
        self.config = config
        self.store = store
        self.key = key
        self.clock_ms = clock_ms
        ident = config.identity
        self.identity = SaleIdentity(ident.market_id, ident.scale_id, ident.merchant_id, ident.stall, ident.operator)
        # edge.stall: nobody signed in, a line from a stopped batch: the refusal, else None
        self.may_sell: Callable[[Cart], Refusal | None] = lambda _cart: None

    def set_operator(self, operator: str) -> None:
        """Who sells from now on (the signed-in operator's id): ``Sale.operator`` of the next sales."""
        self.identity = dataclasses.replace(self.identity, operator=operator)

    def _commit(
        self,
        make: Callable[[str, int, str, int], Sale],
        *,
        refund: bool,
        paper: bool = True,
        floors: tuple[int, int] = (0, 0),
    ) -> Sale:
        """Let the store allocate the numbers; make the trace code from them, then sign."""
        created = self.clock_ms()
        day = local_date(created).date()
        ident = self.config.identity

        def build(seq: int, daily_seq: int) -> Sale:
            code = make_trace_code(ident.market_code, ident.scale_no, day, daily_seq)
            return self.key.sign(make(sale_uuid(created), seq, code, created))

        if refund:
            return self.store.commit_refund(day.isoformat(), build, floors=floors)
        return self.store.commit_sale(day.isoformat(), build, paper=paper, floors=floors)

    def commit(
        self, cart: Cart, payment: Payment | None = None, *, paper: bool = True, floors: tuple[int, int] = (0, 0)
    ) -> Sale:
        """Commit the cart; raises RefusedError (cart empty, numbers used up, nobody signed in, a line
        from a stopped batch) or StoreError.

        ``paper=False``: a paperless sale (电子小票), no ticket is printed. ``floors``: seq
        and daily number start above these (see :func:`numbering_floors`)."""
        refusal = self.may_sell(cart)
        if refusal is not None:
            raise RefusedError(refusal)

        def make(sale_id: str, seq: int, code: str, created: int) -> Sale:
            return cart.checkout(
                identity=self.identity,
                sale_id=sale_id,
                seq=seq,
                trace_code=code,
                created_ms=created,
                payment=payment,
                software_id=str(software_id()),
                rounding=self.config.ticket.rounding,
            )

        return self._commit(make, refund=False, paper=paper, floors=floors)

    def refund(self, original_sale_id: str, line_indexes: Sequence[int] | None = None) -> Sale:
        """A refund record of a sale made on this scale (all lines not yet refunded by default)."""
        original = self.store.get_sale(original_sale_id)
        if original is None:
            raise NotFoundError("sale", original_sale_id)
        previous = self.store.refunds_of(original_sale_id)

        def make(sale_id: str, seq: int, code: str, created: int) -> Sale:
            return build_refund(
                original,
                identity=self.identity,
                sale_id=sale_id,
                seq=seq,
                trace_code=code,
                created_ms=created,
                line_indexes=line_indexes,
                previous_refunds=previous,
                software_id=str(software_id()),
            )

        return self._commit(make, refund=True)
