"""The vendor's own unit prices (自主定价) within the bounds central sets per item.

Central's catalog price is the guide price (指导价) and stays the default. A vendor may
set their own unit price for an item at the scale, PIN-free, within
``[price_min_fen, price_max_fen]`` of that catalog entry; an entry without bounds allows
:data:`DEFAULT_BOUND_PERCENT` either side of the guide price. A kept vendor price that a
newer catalog's bounds no longer allow falls back to the guide price (never a price
central did not allow).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from edge.core.records import Plu
from edge.core.refusals import Refusal

DEFAULT_BOUND_PERCENT = 50


def price_bounds(plu: Plu) -> tuple[int, int]:
    """(lowest, highest) unit price in fen the vendor may set for ``plu``."""
    guide = plu.unit_price_fen
    low = plu.price_min_fen
    high = plu.price_max_fen
    if low is None:
        low = -(-guide * (100 - DEFAULT_BOUND_PERCENT) // 100)  # rounded up: never below the bound
    if high is None:
        high = guide * (100 + DEFAULT_BOUND_PERCENT) // 100
    return low, high


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def check_vendor_price(plu: Plu, price_fen: object) -> Refusal | None:
    """None if the vendor may sell ``plu`` at ``price_fen``; else the refusal saying the bounds."""
    unit_zh, unit_en = ("元/kg", "CNY/kg") if plu.pricing == "weight" else ("元/件", "CNY/piece")
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or price_fen <= 0:
        return Refusal(
            "price_invalid",
            f"请输入大于 0 的单价（{unit_zh}）",
            f"Enter a unit price above 0 ({unit_en}).",
        )
    low, high = price_bounds(plu)
    if not low <= price_fen <= high:
        return Refusal(
            "price_out_of_bounds",
            f"“{plu.name}”的单价须在 {_yuan(low)}–{_yuan(high)} {unit_zh} 之间"
            f"（市场指导价 {_yuan(plu.unit_price_fen)}），{_yuan(price_fen)} 不可用",
            f"The unit price of {plu.name_en or plu.name} must be {_yuan(low)}-{_yuan(high)} {unit_en} "
            f"(guide price {_yuan(plu.unit_price_fen)}); {_yuan(price_fen)} is not allowed.",
        )
    return None


def with_vendor_prices(plus: Iterable[Plu], prices: Mapping[str, int]) -> list[Plu]:
    """The catalog as the vendor sells it: each item at the vendor's price where one is set
    and still allowed, else at central's guide price."""
    out = []
    for plu in plus:
        price = prices.get(plu.plu)
        if price is not None and price != plu.unit_price_fen and check_vendor_price(plu, price) is None:
            plu = dataclasses.replace(plu, unit_price_fen=price)
        out.append(plu)
    return out
