"""Goods-in at the scale: the form -> a registered batch, signed and queued for central."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from edge.checkout import MARKET_TZ
from edge.core.goodsin import GoodsIn, goods_in_batch
from edge.core.records import Batch
from edge.core.refusals import Refusal, RefusedError
from edge.device_key import DeviceKey
from edge.store import Store


class GoodsInDesk:
    """Registers batches the vendor scanned or typed; ``on_registered`` (e.g. sync.wake) after each."""

    def __init__(
        self,
        store: Store,
        key: DeviceKey,
        *,
        scale_id: str,
        merchant_id: str,
        id_prefix: str,
        clock_ms: Callable[[], int],
        on_registered: Callable[[Batch], None] | None = None,
    ) -> None:
        self.store = store
        self.key = key
        self.scale_id = scale_id
        self.merchant_id = merchant_id
        self.id_prefix = id_prefix  # market node code + scale number: batch ids unique in the city
        self.clock_ms = clock_ms
        self.on_registered = on_registered

    def _new_batch_id(self, now_ms: int) -> str:
        day = datetime.fromtimestamp(now_ms / 1000, MARKET_TZ).strftime("%y%m%d")
        n = 1
        while self.store.get_batch(f"{self.id_prefix}-{day}-{n}") is not None:
            n += 1
        return f"{self.id_prefix}-{day}-{n}"

    def register(self, form: GoodsIn, plu: str, operator: str) -> Batch | Refusal:
        """Register the batch, or the refusal saying what to fix (nothing is stored then)."""
        item = next((p for p in self.store.catalog() if p.plu == plu.strip()), None)
        now = self.clock_ms()
        twin = self.store.batch_with_certificate(form.certificate.strip()) if form.certificate.strip() else None
        try:
            batch = goods_in_batch(
                form,
                item,
                batch_id=self._new_batch_id(now),
                today=datetime.fromtimestamp(now / 1000, MARKET_TZ).date(),
                existing=[twin] if twin else [],
            )
        except RefusedError as exc:
            return exc.refusal
        record = batch.to_dict() | {
            "scale_id": self.scale_id,
            "merchant_id": self.merchant_id,
            "operator": operator,
            "registered_ms": now,
        }
        self.store.register_goods_in(batch, self.key.sign_record(record), now)
        if self.on_registered is not None:
            self.on_registered(batch)
        return batch
