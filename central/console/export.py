"""CSV and Excel (openpyxl) downloads of a console table.

Money goes out in yuan and weight in kg, converted from the integer fen and grams exactly
(``Decimal``, never floats); Excel gets them as numbers with a fixed number format, CSV
as text. The CSV starts with a UTF-8 byte-order mark so Excel opens the Chinese right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | fen | grams | time


def _value(row: dict[str, Any], column: Column, time_text: Callable[[int], str]) -> Any:
    value = row.get(column.key)
    if value is None or value == "":
        return ""
    if column.kind == "fen":
        return Decimal(int(value)).scaleb(-2)
    if column.kind == "grams":
        return Decimal(int(value)).scaleb(-3)
    if column.kind == "int":
        return int(value)
    if column.kind == "time":
        return time_text(int(value))
    return str(value)


def table_response(
    kind: str, name: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]], time_text: Callable[[int], str]
) -> Response:
    """``kind`` csv or xlsx; ``name`` the file name without extension (may be Chinese)."""
    values = [[_value(row, c, time_text) for c in columns] for row in rows]
    if kind == "xlsx":
        body, media = _xlsx(name, columns, values), XLSX
    else:
        body, media = _csv(columns, values), "text/csv; charset=utf-8"
    filename = f"{name}.{'xlsx' if kind == 'xlsx' else 'csv'}"
    disposition = f"attachment; filename=\"export.{filename.rsplit('.', 1)[1]}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, 200, {"Content-Disposition": disposition}, media_type=media)


def _csv(columns: Sequence[Column], values: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    for row in values:  # CSV cells that a spreadsheet would run as a formula are quoted with a leading '
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(name: str, columns: Sequence[Column], values: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="".join(c for c in name if c not in "[]:*?/\\")[:31] or "export")
    sheet.append([c.header for c in columns])
    formats = {"fen": "0.00", "grams": "0.000"}
    for row in values:
        cells = []
        for column, value in zip(columns, row, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: a value starting with '=' is not a formula
            elif column.kind in formats:
                cell.number_format = formats[column.kind]
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
