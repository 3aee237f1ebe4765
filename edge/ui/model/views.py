"""Snapshots the screens render (docs/ui.md): frozen, plain data, no Kivy.

Every text here is made from integers (grams, fen) by ``edge.core.units.format_kg`` and
``edge.core.pricing.format_yuan``, so the merchant and the customer screens show the same
numbers. Widgets only read these; they never compute a weight or an amount.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

MessageKind = Literal["info", "error"]
CustomerMode = Literal["idle", "weighing", "cart", "payment", "paid"]


@dataclass(frozen=True)
class WeightPanel:
    weight_text: str = ""  # "1.235"; "" while blanked (overload, underload, no data)
    tare_text: str = ""  # "0.120" while a tare is active, else ""
    stable: bool = False
    zero: bool = False
    net: bool = False  # a tare is active: the weight shown is net
    overload: bool = False
    underload: bool = False
    blocked_text: str = ""  # why the weight cannot be sold now, in the current language
    range_no: int = 0  # multiple-range scale: the weighing range in use (R76 asks to show it); else 0


@dataclass(frozen=True)
class ItemPanel:
    plu: str
    name: str
    unit_price_text: str  # "3.98 元/kg" or "15.00 元/件"
    price_per_500g_text: str  # "1.99 元/500g"; "" for pieces
    amount_text: str  # live amount of the current weight; "" when there is none
    batch_id: str = ""
    origin: str = ""
    supplier: str = ""
    pricing: str = "weight"  # "weight" | "piece"
    quantity: int = 1  # pieces of a piece item (the + / − keys, the number pad)


@dataclass(frozen=True)
class CartLineView:
    index: int
    name: str
    detail: str  # "1.235 kg × 3.98 元/kg" or "2 件 × 15.00 元/件"
    amount_text: str


@dataclass(frozen=True)
class KeyView:
    plu: str
    name: str
    price_text: str
    position: int  # hotkey position on the page, or index in the search results


@dataclass(frozen=True)
class PaymentPanel:
    """A QR payment under way (edge.payment.flow): what the vendor may press now."""

    stage: str  # requested | showing_qr | paying | closing | offline | static | closed | failed
    method: str  # wechat | alipay | unionpay ("" before central answered a 付款码)
    amount_text: str
    actions: tuple[str, ...] = ()  # of: cash, static, confirm, paycode
    lines: tuple[CartLineView, ...] = ()  # the sale being paid (the cart was emptied by its commit)
    countdown_s: int | None = None  # seconds left of the QR on the customer screen; None: no countdown


@dataclass(frozen=True)
class MerchantView:
    weight: WeightPanel = field(default_factory=WeightPanel)
    item: ItemPanel | None = None
    cart: tuple[CartLineView, ...] = ()
    subtotal_text: str = ""
    rounding_text: str = ""
    total_text: str = ""
    keys: tuple[KeyView | None, ...] = ()
    page: int = 0
    page_count: int = 1
    categories: tuple[str, ...] = ()
    category: str = ""
    query: str = ""
    results: tuple[KeyView, ...] = ()
    message: str = ""
    message_kind: MessageKind = "info"
    printer_text: str = ""
    sync_text: str = ""
    link_text: str = ""
    lang: str = "zh"
    busy: bool = False  # a checkout is in progress
    payment: PaymentPanel | None = None  # a QR payment of the last sale is under way
    pay_methods: tuple[str, ...] = ()  # QR checkout buttons ([payment].methods; cash is always there)
    lock_text: str = ""  # legal parameters locked (edge.core.protection): why, and what to do; "" = selling
    paperless: bool = False  # the next sale is an 电子小票 (no paper ticket)
    paper_offer: bool = False  # the last ticket cannot print: 电子小票 offered instead


@dataclass(frozen=True)
class CustomerView:
    """The customer screen: the vendor's weight, lamps, prices and amount, never recomputed.

    ``sellable`` is metrology's verdict on the weight shown (edge.core.metrology
    ``WeightView.blocked``); when False the display greys weight and amount and shows
    ``blocked_text`` (未稳定, 低于最小称量, ...). After a sale, ``ticket_url`` is the
    trace page of its code (the ticket's QR): the 电子小票 the customer may scan.
    """

    mode: CustomerMode = "idle"
    market_name: str = ""
    stall: str = ""
    merchant_name: str = ""
    weight_text: str = ""
    range_no: int = 0  # multiple-range scale: the weighing range in use, as on the vendor's screen
    item_name: str = ""
    origin: str = ""
    unit_price_text: str = ""
    amount_text: str = ""
    lines: tuple[CartLineView, ...] = ()
    total_text: str = ""
    qr_content: str = ""
    qr_amount_text: str = ""
    countdown_s: int = 0
    lock_text: str = ""  # "this scale is not selling" while its legal parameters are locked
    lang: str = "zh"
    seq: int = 0  # increases with every snapshot; a display drops older ones
    # the vendor's lamps: 稳定, 零位, 净重 (with the tare beside it)
    stable: bool = False
    zero: bool = False
    net: bool = False
    tare_text: str = ""
    sellable: bool = False  # the weight shown may be sold now (metrology); False: greyed
    blocked_text: str = ""  # why not, briefly: 未稳定, 低于最小称量, 超载 ...
    blocked_code: str = ""  # metrology's refusal code (unstable, below_min, ...), for displays with their own words
    price_per_500g_text: str = ""  # "1.99 元/500g"; "" for pieces
    pricing: str = "weight"  # weight | piece: a piece item shows quantity_text instead of a weight
    quantity_text: str = ""  # "2 件"
    pay_method: str = ""  # wechat | alipay | unionpay | static_qr: the wallet the payment QR is for
    pay_method_name: str = ""  # 微信 / WeChat Pay ...
    ticket_url: str = ""  # after a sale: the trace page of its code (电子小票)
    ticket_code_text: str = ""  # the code, grouped as on the ticket
    ticket_s: int = 0  # seconds the 电子小票 QR stays

    def to_json(self) -> str:
        """One line of JSON (no newline inside), UTF-8 text kept readable."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> CustomerView:
        data: dict[str, Any] = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}  # newer senders may add fields
        known["lines"] = tuple(CartLineView(**line) for line in known.get("lines", ()))
        return cls(**known)
