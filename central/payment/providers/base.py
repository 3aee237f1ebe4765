"""The one interface every payment provider client implements (docs/payment.md "Central side").

Central's payment service only sees these types: it never parses a provider's wire format
itself. ``make_provider`` builds a client from a ``payment_accounts.config_json`` row.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from edge.core.emvco import EmvcoError, fen_from_text, yuan_text


class OrderState(StrEnum):
    OPEN = "open"  # waiting for the customer
    PAYING = "paying"  # 付款码: the customer is confirming on the phone; poll with query
    PAID = "paid"
    CLOSED = "closed"  # no money taken and none can be any more
    FAILED = "failed"  # the provider refused the payment (e.g. PAYERROR)
    REVERSED = "reversed"  # a 付款码 payment undone (撤销); money, if any, goes back


@dataclass(frozen=True)
class OrderRequest:
    """What central asks a provider for."""

    order_id: str  # out_trade_no
    amount_fen: int
    description: str
    notify_url: str
    expires_ms: int


@dataclass(frozen=True)
class ProviderOrder:
    """A provider's answer to create/query/close/micropay/reverse."""

    order_id: str
    state: OrderState
    qr_content: str = ""
    provider_ref: str = ""  # transaction_id / trade_no
    paid_amount_fen: int | None = None
    paid_ms: int | None = None
    detail: str = ""  # provider's code/message, for logs and the vendor


@dataclass(frozen=True)
class Notification:
    """A verified, decoded provider notification."""

    order_id: str
    state: OrderState
    provider_ref: str
    paid_amount_fen: int
    paid_ms: int | None
    notification_id: str  # provider's id (or a hash of the body) for idempotency


class ProviderError(Exception):
    """A provider call that did not give an answer central can act on.

    ``retryable`` is True when asking again later may work (network down, provider busy);
    False when the request itself is wrong (bad key, refused order, bad config).
    """

    def __init__(self, message_zh: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"{message_zh} / {message}")
        self.message_zh = message_zh
        self.message = message
        self.retryable = retryable


class NotificationRejected(ProviderError):
    """A notification (or response) that fails its signature, decryption or account check."""


@runtime_checkable
class Provider(Protocol):
    name: str  # "wechat" | "alipay" | "unionpay"

    def create_qr(self, req: OrderRequest) -> ProviderOrder: ...

    def micropay(self, req: OrderRequest, auth_code: str) -> ProviderOrder: ...  # unionpay: ProviderError

    def query(self, order_id: str) -> ProviderOrder: ...

    def close(self, order_id: str) -> ProviderOrder: ...  # QR orders

    def reverse(self, order_id: str) -> ProviderOrder: ...  # micropay orders (撤销)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification: ...

    def notification_answer(self, ok: bool) -> tuple[int, str, bytes]: ...  # status, content type, body


# name -> "module:Class"; imported on demand so one provider's import cost is not everyone's
_REGISTRY = {
    "wechat": "central.payment.providers.wechat:WechatPay",
    "alipay": "central.payment.providers.alipay:Alipay",
    "unionpay": "central.payment.providers.unionpay:UnionPay",
}


def make_provider(name: str, config: Mapping[str, Any]) -> Provider:
    """A client for ``name`` built from its ``config_json``; ProviderError names what is missing."""
    target = _REGISTRY.get(name)
    if target is None:
        raise ProviderError(
            f"未知的支付渠道 {name!r}，可选 {', '.join(_REGISTRY)}",
            f"unknown payment provider {name!r}; use one of {', '.join(_REGISTRY)}",
        )
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not isinstance(config, Mapping):
        raise ProviderError(f"{name} 的账户配置不是 JSON 对象", f"{name} account config must be a JSON object")
    missing = [key for key in cls.CONFIG_KEYS if not isinstance(config.get(key), str) or not config.get(key)]
    if missing:
        raise ProviderError(
            f"{name} 账户配置缺少 {', '.join(missing)}：请重新导入商户账户（payment-account import）",
            f"{name} account config lacks {', '.join(missing)}: re-import the merchant account "
            "(python -m central payment-account import)",
        )
    return cls(config)


def fen_to_yuan(amount_fen: int) -> str:
    """2372 -> "23.72": providers that take yuan text (Alipay, EMVCo tag 54). Integer arithmetic only."""
    try:
        return yuan_text(amount_fen)
    except EmvcoError as exc:
        raise ProviderError(f"金额无效：{amount_fen!r}", f"invalid amount: {exc}") from exc


def yuan_to_fen(text: str) -> int:
    """ "23.72" / "23.7" / "23" -> fen, without floats; a malformed amount is a ProviderError."""
    try:
        return fen_from_text(text.strip())
    except (EmvcoError, AttributeError) as exc:
        raise ProviderError(
            f"渠道返回的金额无法识别：{text!r}", f"provider sent an unreadable amount {text!r}"
        ) from exc


def after_refused_close(provider: Provider, order_id: str, refusal: ProviderError) -> ProviderOrder:
    """A close the provider refused, typically because the money arrived meanwhile: the
    query says what the order really is. Paid (or already closed) is an answer; anything
    else is the refusal itself."""
    if refusal.retryable:
        raise refusal
    order = provider.query(order_id)
    if order.state in (OrderState.PAID, OrderState.CLOSED, OrderState.REVERSED):
        return order
    raise refusal


def provider_unavailable(name: str, what: str) -> ProviderError:
    """The retryable error every client raises when the provider cannot be reached or answers garbage."""
    return ProviderError(
        f"{name} 支付渠道暂时无法访问（{what}），请稍后再试或改收现金",
        f"{name} payment provider unreachable ({what}); try again shortly or take cash",
        retryable=True,
    )
