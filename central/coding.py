"""Codes of the national meat-and-vegetable trace rules (docs/coding.md).

Deployed systems of the MOFCOM 肉类蔬菜流通追溯体系 family number a trading node (a market:
节点) with 9 digits, e.g. ``330212333`` (the GB/T 2260 county code 330212 plus 3), and an
operator at that node (经营者, a merchant) with 13 digits: the node's 9 and a 4-digit
sequence, e.g. ``3302123330001`` (seen in a Ningbo market system's sync job, docs/coding.md).
Meat batches carry 20-digit ids and vegetable batches 16-digit ids; that system makes them
as a leading ``1`` and a zero-padded counter, which is what :func:`national_batch_id` does.

Markets registered before these rules have a 6-digit node (a county code); those stay
valid ("legacy"), and their merchants get 6 + 4 = 10-digit operator ids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

LEGACY_NODE_DIGITS = 6
MEAT_BATCH_DIGITS, VEGETABLE_BATCH_DIGITS = 20, 16


@dataclass(frozen=True, slots=True)
class CodingRules:
    """How many digits a node id has and how many an operator adds (9 and 4 by default)."""

    node_digits: int = 9
    operator_suffix_digits: int = 4

    @classmethod
    def from_env(cls) -> CodingRules:
        """``CENTRAL_NODE_DIGITS`` / ``CENTRAL_OPERATOR_SUFFIX_DIGITS`` override the defaults."""
        return cls(
            int(os.environ.get("CENTRAL_NODE_DIGITS", "9")), int(os.environ.get("CENTRAL_OPERATOR_SUFFIX_DIGITS", "4"))
        )

    @property
    def operator_digits(self) -> int:
        return self.node_digits + self.operator_suffix_digits

    def check_node(self, node_id: str) -> str:
        """A node id of the configured length, or a legacy 6-digit one; ValueError otherwise."""
        if not is_digits(node_id) or len(node_id) not in (self.node_digits, LEGACY_NODE_DIGITS):
            raise ValueError(
                f"节点编码应为{self.node_digits}位数字（旧数据可为{LEGACY_NODE_DIGITS}位）/ a node id has "
                f"{self.node_digits} digits (legacy: {LEGACY_NODE_DIGITS}), e.g. 330212333; got {node_id!r}"
            )
        return node_id

    def check_operator(self, operator_id: str, node_id: str) -> str:
        """An operator id: the node's digits followed by the operator's sequence."""
        want = len(node_id) + self.operator_suffix_digits
        if not is_digits(operator_id) or len(operator_id) != want or not operator_id.startswith(node_id):
            raise ValueError(
                f"经营者编码应为节点编码 {node_id} 加{self.operator_suffix_digits}位顺序号，共{want}位 / "
                f"an operator id is the node id {node_id} plus a {self.operator_suffix_digits}-digit sequence "
                f"({want} digits); got {operator_id!r}"
            )
        return operator_id

    def operator_id(self, node_id: str, sequence: int) -> str:
        if not 1 <= sequence < 10**self.operator_suffix_digits:
            raise ValueError(f"node {node_id} has no operator numbers left (1-{10**self.operator_suffix_digits - 1})")
        return f"{node_id}{sequence:0{self.operator_suffix_digits}d}"


def is_digits(text: object) -> bool:
    return isinstance(text, str) and text.isascii() and text.isdigit()


def national_batch_id(counter: int, *, meat: bool) -> str:
    """A batch id of the national length: 20 digits for meat, 16 for vegetables (``1`` + counter)."""
    digits = MEAT_BATCH_DIGITS if meat else VEGETABLE_BATCH_DIGITS
    if not 1 <= counter < 10 ** (digits - 1):
        raise ValueError(f"batch counter {counter} does not fit a {digits}-digit batch id")
    return f"1{counter:0{digits - 1}d}"


def check_batch_id(batch_id: str) -> str:
    if not is_digits(batch_id) or len(batch_id) not in (MEAT_BATCH_DIGITS, VEGETABLE_BATCH_DIGITS):
        raise ValueError(
            f"追溯批次号应为{MEAT_BATCH_DIGITS}位（肉类）或{VEGETABLE_BATCH_DIGITS}位（蔬菜）数字 / "
            f"a trace batch id has {MEAT_BATCH_DIGITS} (meat) or {VEGETABLE_BATCH_DIGITS} (vegetable) digits; "
            f"got {batch_id!r}"
        )
    return batch_id


MEAT_WORDS = ("肉", "meat")


def is_meat(category: str, name: str) -> bool:
    """Meat or not, from the catalog category or the item's name (肉类, 猪五花肉 ...)."""
    text = f"{category} {name}".lower()
    return any(word in text for word in MEAT_WORDS)
