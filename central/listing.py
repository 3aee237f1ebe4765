"""The office CLI's listings as a table for people (Chinese headers first, CJK-wide columns lined
up), and a bilingual line when there is nothing to list; ``--json`` keeps the machine output."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from central.localtime import local_text
from central.pages import yuan
from edge.core.units import format_kg
from edge.printer.textwidth import display_width

Row = dict[str, Any]
Column = tuple[str, Callable[[Row], object]]  # (header, the cell of a row)


def table(rows: Sequence[Row], columns: Sequence[Column], empty: str) -> str:
    """``rows`` under ``columns``' headers, or ``empty`` when there are none."""
    if not rows:
        return empty
    cells = [[header for header, _ in columns]] + [
        ["" if (v := cell(row)) is None else str(v) for _, cell in columns] for row in rows
    ]
    widths = [max(display_width(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(text + " " * (width - display_width(text)) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )


def _batch_state(row: Row) -> str:
    if row.get("active"):
        return "在售 on sale"
    if row.get("stop_reason"):
        return f"停售 stopped: {row['stop_reason']}"
    return "停用 inactive"


BATCH_COLUMNS: tuple[Column, ...] = (
    ("批次号 batch", lambda r: r["batch_id"]),
    ("商户 merchant", lambda r: r["merchant_id"]),
    ("PLU", lambda r: r["plu"]),
    ("产地 origin", lambda r: r["origin"]),
    ("供货方 supplier", lambda r: r["supplier"]),
    ("重量 kg", lambda r: format_kg(int(r["weight_g"])) if r["weight_g"] else None),  # 0: not given
    ("进货日 arrival", lambda r: r["arrival_date"]),
    ("快检 test", lambda r: {"pass": "合格 pass", "fail": "不合格 fail"}.get(r["rapid_test"], r["rapid_test"])),
    ("来源 source", lambda r: r["source"] if not r.get("scale_id") else f"{r['source']} {r['scale_id']}"),
    ("状态 state", _batch_state),
)
NO_BATCHES = "没有批次 / no batches"

PRICE_COLUMNS: tuple[Column, ...] = (
    ("秤 scale", lambda r: r["scale_id"]),
    ("商户 merchant", lambda r: r["merchant_id"]),
    ("PLU", lambda r: r["plu"]),
    ("品名 name", lambda r: r["name"]),
    ("售价 price", lambda r: yuan(r["unit_price_fen"])),
    ("指导价 guide", lambda r: yuan(r["guide_fen"])),
    ("自定价 own", lambda r: "是 yes" if r["vendor_price"] else "否 no"),
    ("操作人 by", lambda r: r["operator"]),
    ("改价时间 changed", lambda r: local_text(int(r["changed_ms"]))),
)
NO_PRICES = "没有商户自定价 / no vendor prices"
