"""edge.core rules of a vendor's day: own prices within bounds, sign-in, vouchers, goods-in, stop-sale."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from edge.core.batches import stopped_check
from edge.core.goodsin import GoodsIn, goods_in_batch, parse_kg, parse_voucher
from edge.core.operators import NOT_FOUND, Operator, hash_pin, pin_matches, sign_in
from edge.core.prices import check_vendor_price, price_bounds, with_vendor_prices
from edge.core.records import Batch, Plu, Pricing
from edge.core.refusals import RefusedError
from edge.scanner import ScanFramer
from simulator.scanner.device import serial_frame

CABBAGE = Plu("1001", "白菜", "0101001", Pricing.WEIGHT, 398)
EGGS = Plu("4001", "鸡蛋", "0401001", Pricing.PIECE, 1500, price_min_fen=1200, price_max_fen=1800)
TODAY = date(2026, 12, 3)


def test_default_bounds_are_half_the_guide_price_either_side() -> None:
    assert price_bounds(CABBAGE) == (199, 597)  # 3.98 * 0.5 rounded up, * 1.5 rounded down
    assert price_bounds(EGGS) == (1200, 1800)  # central's own bounds win
    assert check_vendor_price(CABBAGE, 597) is None and check_vendor_price(CABBAGE, 199) is None
    refusal = check_vendor_price(CABBAGE, 598)
    assert refusal.code == "price_out_of_bounds" and "1.99–5.97 元/kg" in refusal.zh and "3.98" in refusal.zh
    assert check_vendor_price(EGGS, 1100).code == "price_out_of_bounds"
    assert "元/件" in check_vendor_price(EGGS, 1100).zh
    assert check_vendor_price(CABBAGE, 0).code == "price_invalid"


def test_vendor_prices_lay_over_the_catalog_and_fall_back_when_no_longer_allowed() -> None:
    sold = with_vendor_prices([CABBAGE, EGGS], {"1001": 450, "4001": 2500})
    assert [p.unit_price_fen for p in sold] == [450, 1500]  # 25.00 is outside the eggs' new bounds


def test_bounds_from_the_catalog_document() -> None:
    entry = {"plu": "4001", "name": "鸡蛋", "goods_code": "x", "pricing": "piece", "unit_price_fen": 1500}
    assert Plu.from_dict(entry).price_min_fen is None
    bounded = Plu.from_dict(entry | {"price_min_fen": 1200, "price_max_fen": 1800})
    assert price_bounds(bounded) == (1200, 1800)
    with pytest.raises(ValueError, match="above price_max_fen"):
        Plu.from_dict(entry | {"price_min_fen": 1900, "price_max_fen": 1800})


def test_sign_in_by_pin_or_card() -> None:
    salt = bytes(16)
    wang = Operator("W01", "王建国", "merchant", hash_pin("1234", salt=salt, iterations=1000), "8613000000001")
    li = Operator("L02", "李小红", "helper", card="8613000000002")
    assert pin_matches(wang.pin_hash, "1234") and not pin_matches(wang.pin_hash, "1235")
    assert sign_in([wang, li], operator_id="W01", pin="1234") == wang
    assert sign_in([wang, li], operator_id="W01", pin="0000") == NOT_FOUND
    assert sign_in([wang, li], operator_id="L02", pin="1234") == NOT_FOUND  # no PIN: card only
    assert sign_in([wang, li], card=" 8613000000002\r") == li
    assert sign_in([wang, li], card="123") == NOT_FOUND
    with pytest.raises(ValueError, match="4 to 8 digits"):
        hash_pin("12")
    with pytest.raises(ValueError, match="pin_hash or a card"):
        Operator.from_dict({"id": "X", "name": "某人"})


def test_vouchers_as_scanners_send_them() -> None:
    assert parse_voucher("6201000052611250099\r").code == "6201000052611250099"
    assert parse_voucher("https://t.example.cn/trace?code=1234567890123456").code == "1234567890123456"
    assert parse_voucher("http://127.0.0.1:8080/t/62010200112512030001").code == "62010200112512030001"
    assert parse_voucher("  TZ-620105-20261126-088 \n").source == "text"
    with pytest.raises(RefusedError):
        parse_voucher("\r\n")
    assert parse_kg("20.5") == 20500 and parse_kg("0.005") == 5 and parse_kg("3") == 3000
    with pytest.raises(RefusedError):
        parse_kg("1.2345")


def test_serial_scanner_postambles_and_preamble() -> None:
    framer = ScanFramer()
    data = b"".join(serial_frame(c, p) for c, p in (("A1", "cr"), ("B2", "lf"), ("C3", "crlf"), ("D4", "etx")))
    assert framer.feed(data[:3]) == ["A1"]  # a code split across reads waits for its end
    assert framer.feed(data[3:] + serial_frame("E5", "cr", stx=True)) == ["B2", "C3", "D4", "E5"]
    assert framer.feed("进货单号8".encode("gb18030") + b"\r") == ["进货单号8"]


def form(**values: str) -> GoodsIn:
    return GoodsIn(**({"upstream_code": "6201000052611250099", "certificate": "GS-1"} | values))


def test_goods_in_needs_item_and_certificate_and_refuses_a_failed_rapid_test() -> None:
    batch = goods_in_batch(form(weight_kg="20.5", rapid_test="pass"), CABBAGE, batch_id="b1", today=TODAY, existing=[])
    assert (batch.weight_g, batch.rapid_test, batch.arrival_date, batch.active) == (20500, "pass", "2026-12-03", True)

    def refused(**kw: object) -> str:
        with pytest.raises(RefusedError) as info:
            goods_in_batch(**({"form": form(), "plu": CABBAGE, "batch_id": "b2", "today": TODAY, "existing": []} | kw))
        return info.value.refusal.code

    assert refused(plu=None) == "goodsin_item"
    assert refused(form=form(certificate=" ")) == "goodsin_certificate"
    assert refused(form=form(rapid_test="fail")) == "goodsin_rapid_fail"
    assert refused(existing=[batch]) == "batch_certificate_used"  # one batch = one certificate
    assert refused(form=form(upstream_code="")) == "batch_upstream_missing"


def test_a_stopped_batch_is_refused_with_the_reason_and_the_next_batch_offered() -> None:
    b1 = Batch("b1", "1001", "批发", "620100", "U1", "榆中", "C1", "2026-12-01")
    b2 = replace(b1, batch_id="b2", certificate="C2", origin="武威", arrival_date="2026-12-02")
    assert stopped_check(b1, [b1, b2], CABBAGE) is None
    stopped = Batch.from_dict(b1.to_dict() | {"stop_reason": "快检不合格（农药残留超标）"})
    assert stopped.active is False and stopped.stopped
    refusal, offered = stopped_check(stopped, [b2], CABBAGE)
    assert offered == b2
    assert refusal.code == "batch_stopped" and "快检不合格（农药残留超标）" in refusal.zh and "b2" in refusal.zh
    refusal, offered = stopped_check(stopped, [], CABBAGE)
    assert offered is None and "请登记新的进货批次" in refusal.zh


def test_the_operators_file(tmp_path) -> None:
    from edge.stall.signin import OperatorsFileError, load_operators
    from edge.stall.wiring import operators_or_none

    good = tmp_path / "ops.json"
    good.write_text('[{"id": "W01", "name": "王建国", "role": "merchant", "card": "861"}]', encoding="utf-8")
    assert load_operators(good) == (Operator("W01", "王建国", "merchant", "", "861"),)
    twice = tmp_path / "twice.json"
    twice.write_text('[{"id": "W01", "name": "甲", "card": "1"}, {"id": "W01", "name": "乙", "card": "2"}]')
    with pytest.raises(OperatorsFileError, match="appears twice"):
        load_operators(twice)
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(OperatorsFileError, match="not readable JSON"):
        operators_or_none(broken, required=False)  # there but wrong: the scale does not start
    missing = tmp_path / "missing.json"
    assert operators_or_none(missing, required=False) == ()  # sign-in off, selling goes on
    with pytest.raises(OperatorsFileError, match="not found"):
        operators_or_none(missing, required=True)
