"""The vendor changes a unit price at the scale (早市/晚市调价), within central's bounds.

Each change is an event-log entry ``price.changed`` whose data is signed with the device
key (so central can tell the scale made it) and uploaded with the event log; central
keeps the vendor prices per scale. The catalog the scale sells from is central's with
the vendor's prices laid over it (edge.core.prices.with_vendor_prices).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from edge.core.catalog import unknown_plu
from edge.core.prices import check_vendor_price
from edge.core.records import Plu
from edge.core.refusals import Refusal
from edge.device_key import DeviceKey
from edge.store import Store


class VendorPrices:
    def __init__(
        self,
        store: Store,
        key: DeviceKey,
        scale_id: str,
        merchant_id: str,
        clock_ms: Callable[[], int],
    ) -> None:
        self.store = store
        self.key = key
        self.scale_id = scale_id
        self.merchant_id = merchant_id
        self.clock_ms = clock_ms

    def guide_item(self, plu: str) -> Plu | Refusal:
        """The item as central lists it (its guide price), or the unknown-PLU refusal."""
        found = next((p for p in self.store.catalog() if p.plu == plu.strip()), None)
        return found if found is not None else unknown_plu(plu.strip())

    def set_price(self, plu: str, price_fen: int | None, operator: str) -> Plu | Refusal:
        """Sell ``plu`` at ``price_fen`` from now on (None: back to the guide price).

        Returns the item as now sold, or the refusal (unknown PLU, out of bounds)."""
        item = self.guide_item(plu)
        if isinstance(item, Refusal):
            return item
        if price_fen is not None and price_fen != item.unit_price_fen:
            refusal = check_vendor_price(item, price_fen)
            if refusal is not None:
                return refusal
        new = None if price_fen == item.unit_price_fen else price_fen
        previous = self.store.vendor_prices().get(item.plu, item.unit_price_fen)
        now = self.clock_ms()
        record = {
            "scale_id": self.scale_id,
            "merchant_id": self.merchant_id,
            "plu": item.plu,
            "name": item.name,
            "pricing": str(item.pricing),
            "unit_price_fen": new if new is not None else item.unit_price_fen,
            "previous_fen": previous,
            "guide_fen": item.unit_price_fen,
            "vendor_price": new is not None,
            "operator": operator,
            "changed_ms": now,
        }
        self.store.set_vendor_price(item.plu, new, self.key.sign_record(record), now)
        return dataclasses.replace(item, unit_price_fen=record["unit_price_fen"])
