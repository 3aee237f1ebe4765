"""The forwarder's documents on the wire, JSON or XML (docs/city-platform.md).

JSON: ``{"schema": "cityplatform/1", "sender": NODE, "records": [{"key", "view", "data"}]}``.
XML: ``<trace_data schema=... sender=...><record key=... view=...>`` holding the view's own
element (``<retail_market_tran_info_summ>...``) with one child per field, the way SB/T
10683 附录A prints the views; a goods-in record holds one ``retail_market_in_info_base``
and its ``retail_market_in_info_detail`` elements.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from central.forwarder.views import GOODS_IN, Record

SCHEMA = "cityplatform/1"
JSON_TYPE, XML_TYPE = "application/json", "application/xml"


def encode(records: list[Record], fmt: str, sender: str = "") -> tuple[bytes, str]:
    if fmt == "json":
        import orjson

        doc = {"schema": SCHEMA, "sender": sender,
               "records": [{"key": r.key, "view": r.view, "data": r.data} for r in records]}  # fmt: skip
        return orjson.dumps(doc), JSON_TYPE
    if fmt == "xml":
        return _xml(records, sender), XML_TYPE
    raise ValueError(f"format must be json or xml, got {fmt!r}")


def _fields(parent: ET.Element, tag: str, data: dict[str, Any]) -> None:
    element = ET.SubElement(parent, tag)
    for name, value in data.items():
        ET.SubElement(element, name).text = str(value)


def _xml(records: list[Record], sender: str) -> bytes:
    root = ET.Element("trace_data", {"schema": SCHEMA, "sender": sender})
    for record in records:
        holder = ET.SubElement(root, "record", {"key": record.key, "view": record.view})
        if record.view == GOODS_IN:
            _fields(holder, "retail_market_in_info_base", record.data["base"])
            for detail in record.data["details"]:
                _fields(holder, "retail_market_in_info_detail", detail)
        else:
            _fields(holder, record.view, record.data)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
