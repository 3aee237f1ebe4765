"""EMVCo merchant-presented QR payloads against the published examples and their CRC."""

from __future__ import annotations

import pytest

from edge.core.emvco import EmvcoError, MerchantQr, accounts, crc16_ccitt_false, parse, yuan_text

# The worked example of the EMV QR Code Specification for Payment Systems (MPM), with its CRC.
SPEC_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
    "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***"
    "0708A60086670902ME91320016A0112233449988770708123456786304A13A"
)


def test_crc16_ccitt_false_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1  # the catalogue's check value


def test_the_spec_example_parses_and_its_crc_checks():
    qr = parse(SPEC_EXAMPLE)
    assert qr.dynamic and qr.amount_fen == 2372
    assert qr.fields["59"] == "BEST TRANSPORT" and qr.fields["60"] == "BEIJING"
    assert qr.template("64") == {"00": "ZH", "01": "最佳运输", "02": "北京"}  # lengths count characters
    assert qr.bill_number == ""  # the example's tag 62 has no 01 (bill number)


@pytest.mark.parametrize("position", [10, 60, 130, len(SPEC_EXAMPLE) - 2])
def test_any_altered_character_is_refused(position):
    altered = SPEC_EXAMPLE[:position] + ("9" if SPEC_EXAMPLE[position] != "9" else "8") + SPEC_EXAMPLE[position + 1 :]
    with pytest.raises(EmvcoError):
        parse(altered)


def _stall_code(amount_fen: int | None, bill: str = "") -> MerchantQr:
    return MerchantQr(
        merchant_name="LAO WANG VEGETABLES",
        merchant_city="LANZHOU",
        category_code="5411",
        network_accounts=(("15", "622700001234567890"),),  # UnionPay's primitive merchant account
        accounts=accounts(("29", [("00", "A000000333010108"), ("01", "62010200001")])),
        amount_fen=amount_fen,
        bill_number=bill,
        extra=(("64", "0002ZH0104老王蔬菜0202兰州"),),
    )


def test_dynamic_code_carries_amount_and_bill_number_and_round_trips():
    payload = _stall_code(492, bill="62010200126112600015").payload()
    qr = parse(payload)
    assert qr.dynamic and qr.amount_fen == 492 and qr.bill_number == "62010200126112600015"
    assert "54044.92" in payload and payload.endswith(f"{crc16_ccitt_false(payload[:-4].encode()):04X}")
    assert qr.fields["15"] == "622700001234567890" and qr.template("29")["01"] == "62010200001"


def test_static_code_has_no_amount():
    qr = parse(_stall_code(None).payload())
    assert not qr.dynamic and qr.amount_fen is None and "54" not in qr.fields


@pytest.mark.parametrize(("fen", "text"), [(1, "0.01"), (100, "1.00"), (2372, "23.72"), (123456, "1234.56")])
def test_amounts_are_yuan_from_integer_fen(fen, text):
    assert yuan_text(fen) == text


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(EmvcoError):
        yuan_text(bad)


def test_a_code_without_a_merchant_account_is_refused():
    with pytest.raises(EmvcoError, match="merchant account"):
        MerchantQr("X", "Y", "5411").payload()


def test_a_cut_payload_says_so():
    with pytest.raises(EmvcoError, match="CRC"):
        parse(SPEC_EXAMPLE[:50])
