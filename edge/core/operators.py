"""Real-name sign-in (实名登录) of the people who sell at a scale: merchants and helpers.

Each operator is registered under their real name with an id, a role, and one or both
ways to sign in: a PIN (kept only as a PBKDF2-SHA256 hash, :func:`hash_pin`) or the
number of a card or QR code the scanner reads (the market's IC service card, 肉类蔬菜流通
服务卡, in the MOFCOM meat/vegetable trace system's "卡单同行"; see docs/goodsin.md). A
sign-in starts a shift; every sale made during it carries the operator's id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from edge.core.refusals import Refusal

ROLES = ("merchant", "helper")
PIN_ITERATIONS = 60_000  # ~27 ms per check on the dev machine (x86): fast for a sign-in, slow for guessing a hash
_SCHEME = "pbkdf2_sha256"


@dataclass(frozen=True, slots=True)
class Operator:
    operator_id: str
    name: str  # real name
    role: str = "helper"  # merchant | helper
    pin_hash: str = ""  # from hash_pin; "" = no PIN sign-in
    card: str = ""  # card / QR number the scanner reads; "" = none

    @classmethod
    def from_dict(cls, data: Any) -> Operator:
        """One entry of the operators file; ValueError says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"an operator must be an object, got {data!r}")
        values = {}
        for key, field_name in (("id", "operator_id"), ("name", "name"), ("role", "role"),
                                ("pin_hash", "pin_hash"), ("card", "card")):  # fmt: skip
            value = data.get(key, "" if key in ("pin_hash", "card") else None)
            if key == "role" and value is None:
                value = "helper"
            if not isinstance(value, str):
                raise ValueError(f"operator {data.get('id')!r}: {key} must be text, got {value!r}")
            values[field_name] = value.strip()
        if not values["operator_id"] or not values["name"]:
            raise ValueError("an operator needs an id and a real name")
        if values["role"] not in ROLES:
            raise ValueError(f"operator {values['operator_id']}: role must be merchant or helper")
        if values["pin_hash"] and not values["pin_hash"].startswith(_SCHEME + "$"):
            raise ValueError(f"operator {values['operator_id']}: pin_hash must come from `python -m edge pin-hash`")
        if not values["pin_hash"] and not values["card"]:
            raise ValueError(f"operator {values['operator_id']}: give a pin_hash or a card number to sign in with")
        return cls(**values)

    @property
    def role_zh(self) -> str:
        return "店主" if self.role == "merchant" else "帮工"


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = PIN_ITERATIONS) -> str:
    """``pbkdf2_sha256$ITERATIONS$SALT_HEX$HASH_HEX`` for the operators file."""
    _check_pin_shape(pin)
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{_SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def _check_pin_shape(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise ValueError("a PIN is 4 to 8 digits")


def pin_matches(pin_hash: str, pin: str) -> bool:
    try:
        scheme, iterations, salt, digest = pin_hash.split("$")
        if scheme != _SCHEME:
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


NOT_FOUND = Refusal(
    "signin_failed",
    "登录失败：工号或密码不对，或卡号未登记；请重试，或请店主在操作员名单里登记",
    "Sign-in failed: wrong id or PIN, or the card is not registered; try again, or ask the merchant to register you.",
)
SIGNIN_REQUIRED = Refusal(
    "signin_required",
    "请先登录（输入工号和密码，或刷卡/扫码）再销售：每笔交易都要记录售货人",
    "Sign in first (id and PIN, or scan your card): every sale records who sold it.",
)


def sign_in(
    operators: Iterable[Operator], *, operator_id: str = "", pin: str = "", card: str = ""
) -> Operator | Refusal:
    """The operator the id+PIN or the card number belongs to, or :data:`NOT_FOUND`
    (one message for every failure, so a guess does not learn which ids exist)."""
    card = "".join(card.split())
    found: Operator | None = None
    for op in operators:
        if card:
            if op.card and hmac.compare_digest(op.card, card):
                found = op
        elif operator_id and op.operator_id == operator_id.strip() and op.pin_hash and pin_matches(op.pin_hash, pin):
            found = op
    return found if found is not None else NOT_FOUND
