"""Why the scale refuses something, in words a vendor understands (中文 and English).

Every refusal the domain core can give is one row of ``REASONS``: the one place to
translate or reword. A row's texts may hold ``{placeholders}`` (the same ones in both
languages) that :func:`refuse` fills in, e.g. the minimum capacity in kg.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

# code -> (zh, en). Each text says what happened and what to do about it.
REASONS: dict[str, tuple[str, str]] = {
    # --- using a weight (a sale line, the sellable weight) ---
    "no_weight": (
        "暂无重量数据，请稍候；如持续出现，请检查称重模块连接",
        "No weight reading yet; wait a moment, and check the weighing module connection if this persists.",
    ),
    "unstable": (
        "重量不稳定，请等待稳定后再操作",
        "The weight is not stable; wait until it settles, then try again.",
    ),
    "overload": (
        "超出最大称量 {max_kg} kg，请减少秤盘上的物品",
        "Over the maximum capacity of {max_kg} kg; take some goods off the platter.",
    ),
    "underload": (
        "重量低于零点过多，请清空秤盘后按置零键",
        "The weight is far below zero; empty the platter, then press Zero.",
    ),
    "negative": (
        "净重为负数，不能交易，请检查皮重或清空秤盘后重新置零",
        "The net weight is negative and cannot be sold; check the tare, or empty the platter and zero again.",
    ),
    "below_min": (
        "重量低于最小称量 {min_kg} kg，不能交易，请增加商品",
        "The weight is below the minimum capacity of {min_kg} kg and cannot be sold; add more goods.",
    ),
    # --- power-on zero ---
    "not_zeroed": (
        "开机置零尚未完成，请保持秤盘空载并等待重量稳定",
        "Power-on zero is not done yet; keep the platter empty and wait until the weight is stable.",
    ),
    "power_on_zero": (
        "开机时秤盘上有物品，请移除秤盘上的所有物品，等待自动置零（或重新开机）",
        "There was a load on the platter at power-on; remove everything from the platter and wait "
        "for the scale to zero itself (or restart it).",
    ),
    # --- zero key ---
    "zero_unstable": (
        "重量不稳定，无法置零，请等待稳定后再按置零键",
        "The weight is not stable, so the scale cannot be zeroed; wait until it settles, then press Zero.",
    ),
    "zero_while_tare": (
        "已去皮，不能置零，请先清除皮重",
        "A tare is set, so the scale cannot be zeroed; clear the tare first.",
    ),
    "zero_out_of_range": (
        "超出置零范围（最大称量的±{percent}%），请清空秤盘后再按置零键",
        "Outside the zero-setting range (±{percent} % of the maximum capacity); empty the platter, then press Zero.",
    ),
    # --- tare ---
    "tare_unstable": (
        "重量不稳定，无法去皮，请等待稳定后再按去皮键",
        "The weight is not stable, so it cannot be tared; wait until it settles, then press Tare.",
    ),
    "tare_empty": (
        "秤盘上没有物品，无法去皮，请先放上容器",
        "There is nothing on the platter to tare; put the container on first.",
    ),
    "tare_above_max": (
        "皮重不能超过最大称量 {max_kg} kg",
        "The tare cannot be more than the maximum capacity of {max_kg} kg.",
    ),
    "tare_above_max1": (
        "皮重不能超过第一称量段的最大称量 {max_kg} kg（多分度值/多范围秤）",
        "The tare cannot be more than {max_kg} kg, the maximum of the first weighing range "
        "(multi-interval / multiple-range scale).",
    ),
    "tare_not_positive": (
        "预置皮重必须大于零",
        "A preset tare must be greater than zero.",
    ),
    "preset_not_multiple_of_e": (
        "预置皮重必须是分度值 {e_kg} kg 的整数倍",
        "A preset tare must be a whole multiple of the scale division e = {e_kg} kg.",
    ),
    # --- protection of legal parameters (edge.core.protection, JJG 1204-2025) ---
    "locked_by_change": (
        "计量参数已更改，暂停销售：请技术人员完成铅封程序",
        "A legally relevant parameter was changed, so selling is paused; "
        "a technician must complete the sealing procedure.",
    ),
    "locked_remotely": (
        "本秤已被中心远程锁定，暂停销售（原因：{reason}）：请联系市场管理处",
        "This scale was locked remotely by central, so selling is paused (reason: {reason}); "
        "contact the market office.",
    ),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused action or an unusable weight: a stable machine ``code`` plus both texts."""

    code: str
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        """The text for ``lang``: ``zh``/``zh-CN``/... or ``en``/``en-US``/..."""
        tag = lang.strip().lower()
        if tag.startswith("zh"):
            return self.zh
        if tag.startswith("en"):
            return self.en
        raise ValueError(f"no refusal text for language {lang!r} (have zh, en)")


class RefusedError(Exception):
    """Raised where a refusal cannot be returned; carries the :class:`Refusal`."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"{refusal.code}: {refusal.en}")
        self.refusal = refusal


def placeholders(template: str) -> frozenset[str]:
    """The ``{names}`` a text template needs."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


def refuse(code: str, **values: object) -> Refusal:
    """Build the refusal ``code`` with its placeholders filled in from ``values``.

    An unknown code or a missing value is a programming error, so it raises rather
    than showing a vendor half a sentence.
    """
    try:
        zh, en = REASONS[code]
    except KeyError:
        raise ValueError(f"unknown refusal code {code!r}") from None
    missing = (placeholders(zh) | placeholders(en)) - values.keys()
    if missing:
        raise ValueError(f"refusal {code!r} needs {', '.join(sorted(missing))}")
    return Refusal(code=code, zh=zh.format(**values), en=en.format(**values))
