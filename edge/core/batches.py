"""Incoming batches (进货批次): which batch a sale line binds to, and batches registered at the scale.

A line binds to the batch the vendor picked, if that batch is active and of the line's
PLU; otherwise to the oldest active batch of the PLU (first in, first out: by arrival
date, then batch id). Without one the sale is refused: every line must be traceable.

Stop-sale (停售): central marks a batch unfit (a failed rapid test, a recall) in the signed
batches document; such a batch carries ``stop_reason`` and is never active again. A line
still bound to it is refused with the reason and the next batch of the item offered
(:func:`stopped_check`); the vendor confirms the offered one by pressing 累计 again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from edge.core.records import RAPID_TEST_RESULTS, Batch, Plu
from edge.core.refusals import Refusal, RefusedError
from edge.core.tracecode import TraceCodeError, looks_like_trace_code, parse_trace_code

MAX_FIELD_LENGTH = 128  # what a ticket line and the platform's fields can hold


def no_active_batch(plu: Plu) -> Refusal:
    return Refusal(
        code="no_active_batch",
        zh=f"“{plu.name}”（{plu.plu}）没有可用的进货批次，请先登记该商品的进货批次（扫描或输入上游溯源码）",
        en=(
            f"{plu.name_en or plu.name} (PLU {plu.plu}) has no active incoming batch; register its batch "
            "first (scan or type the upstream trace code)."
        ),
    )


def _invalid(code: str, zh: str, en: str) -> RefusedError:
    return RefusedError(Refusal(code=code, zh=zh, en=en))


def _arrival_order(batch: Batch) -> tuple[date, str]:
    try:
        arrived = date.fromisoformat(batch.arrival_date)
    except (TypeError, ValueError):
        arrived = date.max  # a malformed date from upstream sorts last instead of breaking sales
    return arrived, batch.batch_id


def active_batches(batches: Iterable[Batch], plu: str) -> list[Batch]:
    """The PLU's active batches, oldest first (the order a vendor sells them in)."""
    return sorted((b for b in batches if b.plu == plu and b.active), key=_arrival_order)


def pick_batch(batches: Iterable[Batch], plu: Plu, chosen_batch_id: str | None = None) -> Batch | Refusal:
    """The batch a line of ``plu`` binds to, or the refusal asking to register one.

    ``chosen_batch_id`` is the vendor's pick. One that is inactive or of another PLU is
    refused rather than silently replaced: a sale must never bind to a batch the vendor
    did not choose (the office may just have withdrawn that batch).
    """
    candidates = active_batches(batches, plu.plu)
    if chosen_batch_id is not None:
        for batch in candidates:
            if batch.batch_id == chosen_batch_id:
                return batch
        return batch_not_usable(plu, chosen_batch_id)
    return candidates[0] if candidates else no_active_batch(plu)


def batch_not_usable(plu: Plu, batch_id: str) -> Refusal:
    return Refusal(
        "batch_not_usable",
        f"批次 {batch_id} 不是“{plu.name}”当前可用的进货批次，请重新选择批次",
        f"Batch {batch_id} is not an active batch of {plu.name_en or plu.name}; choose another batch.",
    )


def batch_stopped(name: str, batch: Batch, offered: Batch | None, line_no: int | None = None) -> Refusal:
    """The refusal for a line of ``name`` bound to a stopped batch, naming the next batch if any.

    ``line_no`` (1-based): the line is already in the cart and must be removed and added again.
    """
    reason = batch.stop_reason or "市场已停售"
    where_zh = f"购物车第 {line_no} 行" if line_no else ""
    where_en = f"Cart line {line_no}: b" if line_no else "B"
    if offered is not None:
        origin = offered.origin or "产地未填"
        if line_no:
            zh_next = f"请删除该行后重新累计（将改用批次 {offered.batch_id}，{origin}）"
            en_next = f"void the line and add it again (from batch {offered.batch_id})"
        else:
            zh_next = f"已改选批次 {offered.batch_id}（{origin}），确认后请再按“累计”"
            en_next = f"batch {offered.batch_id} is chosen instead; press Add again"
    else:
        zh_next = "该商品没有其他可用批次，请登记新的进货批次" + ("并删除该行" if line_no else "")
        en_next = "the item has no other batch; register a new incoming batch"
        en_next += " and void the line" if line_no else ""
    return Refusal(
        "batch_stopped",
        f"{where_zh}批次 {batch.batch_id}（{name}）已被市场停售：{reason}。不能销售，{zh_next}",
        f"{where_en}atch {batch.batch_id} ({name}) is stopped by the market: {reason}. It cannot be sold; {en_next}.",
    )


def stopped_notice(name: str, batch: Batch, offered: Batch | None) -> Refusal:
    """What the vendor sees the moment central stops the batch the selected item is bound to."""
    reason = batch.stop_reason or "市场已停售"
    origin = (offered.origin or "产地未填") if offered else ""
    zh_next = f"，下一批次为 {offered.batch_id}（{origin}）" if offered else "，请登记新的进货批次"
    en_next = f"; the next batch is {offered.batch_id}" if offered else "; register a new incoming batch"
    return Refusal(
        "batch_stopped_notice",
        f"批次 {batch.batch_id}（{name}）已被市场停售：{reason}。不能再从该批次销售{zh_next}",
        f"Batch {batch.batch_id} ({name}) has just been stopped by the market: {reason}. "
        f"Nothing more may be sold from it{en_next}.",
    )


def stopped_check(current: Batch | None, active: Iterable[Batch], plu: Plu) -> tuple[Refusal, Batch | None] | None:
    """None while the line's batch (``current``, read fresh from the store) may be sold;
    else the refusal and the batch to offer next (oldest active one, or None)."""
    if current is None or not current.stopped:
        return None
    offered = next((b for b in active_batches(active, plu.plu) if b.batch_id != current.batch_id), None)
    return batch_stopped(plu.name, current, offered), offered


def require_batch(batches: Iterable[Batch], plu: Plu, chosen_batch_id: str | None = None) -> Batch:
    """:func:`pick_batch` for callers that raise: :class:`RefusedError` carries the refusal."""
    result = pick_batch(batches, plu, chosen_batch_id)
    if isinstance(result, Refusal):
        raise RefusedError(result)
    return result


def register_batch(
    *,
    batch_id: str,
    plu: Plu,
    upstream_code: str,
    arrival_date: date,
    today: date,
    supplier: str = "",
    supplier_node: str = "",
    origin: str = "",
    certificate: str = "",
    weight_g: int = 0,
    rapid_test: str = "",
    existing: Iterable[Batch] = (),
) -> Batch:
    """A batch the vendor scanned or typed at the scale, checked field by field.

    ``batch_id`` comes from the caller (a new UUID); ``today`` is the scale's local date.
    The upstream code must not be empty; one shaped like our 20-digit trace codes must
    carry a valid check digit (a typo there would break the trace chain). Raises
    :class:`RefusedError` with a message for the vendor.

    One batch = one certificate: a certificate number already used by one of ``existing``
    (the batches the scale holds) is refused, so one voucher cannot be booked twice.
    """
    if not batch_id or not batch_id.strip():
        raise ValueError("batch_id must be a non-empty id (e.g. a new UUID)")
    code = _clean_field(upstream_code)
    if not code:
        raise _invalid(
            "batch_upstream_missing",
            "请扫描或输入上游溯源码（进货单或批发市场小票上的追溯码）",
            "Scan or type the upstream trace code (from the delivery note or the wholesale market ticket).",
        )
    if looks_like_trace_code(code):
        try:
            code = parse_trace_code(code).code
        except TraceCodeError as error:
            raise _invalid(
                "batch_upstream_invalid", f"上游溯源码有误：{error.zh}", f"The upstream trace code is wrong: {error.en}"
            ) from error
    if not isinstance(arrival_date, date):
        raise TypeError(f"arrival_date must be a datetime.date, got {arrival_date!r}")
    if arrival_date > today:
        raise _invalid(
            "batch_arrival_future",
            f"进货日期 {arrival_date.isoformat()} 晚于今天 {today.isoformat()}，请核对日期",
            f"The arrival date {arrival_date.isoformat()} is after today ({today.isoformat()}); check the date.",
        )
    fields = {
        "upstream_code": code,
        "supplier": _clean_field(supplier),
        "supplier_node": _clean_field(supplier_node),
        "origin": _clean_field(origin),
        "certificate": _clean_field(certificate),
    }
    for name, value in fields.items():
        if len(value) > MAX_FIELD_LENGTH:
            raise _invalid(
                "batch_field_too_long",
                f"输入内容过长（最多 {MAX_FIELD_LENGTH} 个字符），请检查扫描结果",
                f"The {name.replace('_', ' ')} is too long (at most {MAX_FIELD_LENGTH} characters); check the scan.",
            )
    if fields["certificate"]:
        twin = next((b for b in existing if b.certificate == fields["certificate"]), None)
        if twin is not None:
            raise _invalid(
                "batch_certificate_used",
                f"证明编号 {fields['certificate']} 已登记为批次 {twin.batch_id}，一张证明只能登记一个批次",
                f"Certificate {fields['certificate']} is already batch {twin.batch_id}; one certificate is one batch.",
            )
    if isinstance(weight_g, bool) or not isinstance(weight_g, int) or weight_g < 0:
        raise _invalid(
            "batch_weight_invalid", "进货重量须为不小于 0 的整数克数", "The goods-in weight must be whole grams >= 0."
        )
    if rapid_test not in RAPID_TEST_RESULTS:
        raise ValueError(f"rapid_test must be one of {RAPID_TEST_RESULTS}, got {rapid_test!r}")
    return Batch(
        batch_id=batch_id.strip(),
        plu=plu.plu,
        arrival_date=arrival_date.isoformat(),
        active=True,
        weight_g=weight_g,
        rapid_test=rapid_test,
        **fields,
    )


def _clean_field(text: str) -> str:
    # Scanners append CR/LF and people paste stray spaces; inner spaces are kept.
    if not isinstance(text, str):
        raise TypeError(f"batch fields must be text, got {type(text).__name__}")
    return " ".join(text.split())
