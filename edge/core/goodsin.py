"""Goods-in at the scale (进货登记): what a scanned voucher says, and the goods-in form.

A vendor registers an incoming batch by scanning the upstream voucher (the wholesale
market's trade voucher, 交易凭证, or a supplier's delivery note) with a barcode scanner,
or by typing its code, and filling in item, weight, origin, supplier, the quarantine or
origin certificate number and an optional rapid-test (快检) result.

What the field says (docs/goodsin.md has the sources):

* MOFCOM's vegetable trace rules (蔬菜流通追溯体系基本要求（试行）) make the 产地证明 or
  检测合格证明 the proof of where vegetables came from, and the wholesale market's trade
  voucher plus the buyer's service card the proof of where they went (卡单同行); a
  stall's goods-in record is the voucher's code and that certificate.
* The system's data exchange format names the fields of a retail market's goods-in record
  (``retail_market_in_info_base/detail``): ``tran_id`` (the upstream trade voucher),
  ``quarantine_animal_products_id`` / ``inspection_meat_id`` (meat certificates),
  ``prov_id`` (产地证明), ``batch_id``, ``goods_code``, ``weight``, ``area_origin_id/name``,
  ``ws_supplier_id/name``. Our batch fields map onto these one to one.

No published layout of the upstream code itself was found (the length varies by city
platform), so a scanned code is taken as printed: the QR of a trace page URL gives the
code in it, a code shaped like our own 20-digit trace codes must pass its check digit
(edge.core.batches.register_batch), anything else is kept verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

from edge.core.batches import register_batch
from edge.core.records import RAPID_TEST_RESULTS, Batch, Plu
from edge.core.refusals import Refusal, RefusedError

# Query parameters trace pages put the code in (ours is the /t/{code} path)
_CODE_PARAMS = ("code", "tracecode", "trace_code", "traceCode", "zsm", "tc", "id")
MAX_SCAN_CHARS = 512  # a scanner's line; anything longer is not a voucher code


@dataclass(frozen=True, slots=True)
class Voucher:
    """What one scan (or typed line) gives: the upstream code, and where it was found."""

    code: str
    source: str  # "text" (the code as scanned) | "url" (taken out of a trace page URL)


def scanned_text(scanned: str) -> str:
    """A scanner's line without control characters (a stray STX, CR/LF) and outer spaces."""
    return "".join(ch for ch in scanned if ch.isprintable()).strip()


def parse_voucher(scanned: str) -> Voucher:
    """The upstream code in a scanner line (CR/LF and stray spaces removed).

    Raises RefusedError for an empty or overlong line."""
    text = scanned_text(scanned)
    if not text:
        raise RefusedError(
            Refusal("voucher_empty", "扫描内容为空，请重新扫描进货凭证", "The scan was empty; scan the voucher again.")
        )
    if len(text) > MAX_SCAN_CHARS:
        raise RefusedError(
            Refusal(
                "voucher_too_long",
                f"扫描内容过长（{len(text)} 个字符），不是进货凭证上的追溯码，请扫描凭证上的条码或二维码",
                f"The scan is too long ({len(text)} characters) for a voucher code; scan the voucher's code.",
            )
        )
    if "://" in text:
        parts = urlsplit(text)
        query = parse_qs(parts.query)
        for name in _CODE_PARAMS:
            if query.get(name) and query[name][0].strip():
                return Voucher(query[name][0].strip(), "url")
        last = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if last:
            return Voucher(last, "url")
    return Voucher(" ".join(text.split()), "text")


def parse_kg(text: str) -> int:
    """Grams from a kg text such as ``12.5`` (at most 3 decimals), without floats."""
    cleaned = text.strip().replace("，", ".").replace(",", ".")
    whole, dot, frac = cleaned.partition(".")
    if not whole:
        whole = "0"
    if not (whole.isdigit() and (not dot or (frac.isdigit() and len(frac) <= 3))):
        raise RefusedError(
            Refusal("goodsin_weight", "进货重量请填公斤数，例如 12.5", "Enter the goods-in weight in kg, e.g. 12.5.")
        )
    return int(whole) * 1000 + int((frac or "0").ljust(3, "0"))


@dataclass(frozen=True, slots=True)
class GoodsIn:
    """The goods-in form as the vendor filled it in (texts as typed or scanned)."""

    upstream_code: str
    certificate: str
    weight_kg: str = ""
    origin: str = ""
    supplier: str = ""
    supplier_node: str = ""
    rapid_test: str = ""  # "" | "pass" | "fail"


def _refuse(code: str, zh: str, en: str) -> RefusedError:
    return RefusedError(Refusal(code, zh, en))


def goods_in_batch(form: GoodsIn, plu: Plu | None, *, batch_id: str, today: date, existing: list[Batch]) -> Batch:
    """The batch the form registers (arrived today), or RefusedError saying what to fix.

    The certificate is required: one batch = one certificate (检疫证明 for meat, 产地证明
    or 检测合格证明 for vegetables). A failed rapid test is refused: that batch must not
    go on sale (the market office handles it).
    """
    if plu is None:
        raise _refuse("goodsin_item", "请先选择进货的商品", "Choose the item this batch is of first.")
    if not form.certificate.strip():
        raise _refuse(
            "goodsin_certificate",
            "请填写检疫证明或产地证明编号：一个批次对应一张证明",
            "Enter the quarantine or origin certificate number: one batch is one certificate.",
        )
    if form.rapid_test not in RAPID_TEST_RESULTS:
        raise ValueError(f"rapid_test must be one of {RAPID_TEST_RESULTS}, got {form.rapid_test!r}")
    if form.rapid_test == "fail":
        raise _refuse(
            "goodsin_rapid_fail",
            "快检不合格的货品不能登记上架销售，请联系市场管理处处理",
            "Goods that failed the rapid test cannot be put on sale; call the market office.",
        )
    weight_g = parse_kg(form.weight_kg) if form.weight_kg.strip() else 0
    return register_batch(
        batch_id=batch_id,
        plu=plu,
        upstream_code=parse_voucher(form.upstream_code).code if form.upstream_code.strip() else "",
        arrival_date=today,
        today=today,
        supplier=form.supplier,
        supplier_node=form.supplier_node,
        origin=form.origin,
        certificate=form.certificate,
        weight_g=weight_g,
        rapid_test=form.rapid_test,
        existing=existing,
    )
