"""MerchantModel: the vendor's screen as plain Python (docs/ui.md); no Kivy here.

One module per task of the vendor, each a mixin over `ModelBase` (the shared state and
lock) that adds that task's actions and its part of the snapshot:

| module | task |
| --- | --- |
| `weighing` | readings, 置零 / 去皮, the weight panel |
| `selection` | hotkeys, categories, search, the item's batch |
| `cart` | 累计, quantities, 删, 取消 |
| `sale` | 结算 (the commit), 重打, 日结 |
| `payment` | QR / 付款码 / static-code payments of the shown sale |
| `snapshots` | building `MerchantView` / `CustomerView` and handing them out |
| `stall` | sign-in 实名登录, own prices 调价, goods-in 进货登记, stop-sale of the item's batch |
| `customer` | the customer screen's `CustomerView` (lamps, greyed weights, wallet, 电子小票) |

A new task (goods-in 进货登记, sign-in 实名登录, ...) is a new module here with a
``class XTasks(ModelBase)``, added to `MerchantModel`'s bases below; its own state is
set in that mixin's ``__init__`` before it calls ``super().__init__``.

Selling rules stay in ``edge.core`` (metrology, cart, batches) and ``edge.checkout``:
the model only decides what to show and turns refusals into messages.
"""

from __future__ import annotations

from edge.ui.model.merchant.base import MESSAGE_S, PAGE_SIZE, PAID_SHOW_S, SEARCH_LIMIT, ModelBase, Subscriber
from edge.ui.model.merchant.cart import MAX_QUANTITY, CartTasks
from edge.ui.model.merchant.customer import CustomerDisplay
from edge.ui.model.merchant.payment import PaymentTasks
from edge.ui.model.merchant.sale import SaleTasks
from edge.ui.model.merchant.selection import SelectionTasks
from edge.ui.model.merchant.snapshots import Snapshots
from edge.ui.model.merchant.stall import StallTasks
from edge.ui.model.merchant.weighing import WeighingTasks

__all__ = [
    "MAX_QUANTITY",
    "MESSAGE_S",
    "PAGE_SIZE",
    "PAID_SHOW_S",
    "SEARCH_LIMIT",
    "MerchantModel",
    "ModelBase",
    "Subscriber",
]


class MerchantModel(
    StallTasks, WeighingTasks, SelectionTasks, CartTasks, SaleTasks, PaymentTasks, CustomerDisplay, Snapshots
):
    """The merchant screen's model: every task's actions on one lock, one snapshot stream."""
