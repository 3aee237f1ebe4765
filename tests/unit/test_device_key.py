import dataclasses

from edge.core.records import Payment, PaymentStatus, Pricing, Sale, SaleLine
from edge.device_key import DeviceKey, verify_sale


def _sale() -> Sale:
    line = SaleLine("1001", "6901234567892", "白菜", Pricing.WEIGHT, 1235, 0, 1, 398, 492, "B1", "山东寿光")
    return Sale("u1", 1, "62010200126112600015", "m", "s", "M1", "A-01", "", 0, (line,), 492)


def test_signed_sale_verifies_and_survives_payment_and_print_updates(tmp_path):
    key = DeviceKey.load_or_create(tmp_path / "device.pem")
    signed = key.sign(_sale())
    assert verify_sale(signed, key.public_key_b64())
    later = dataclasses.replace(signed, printed=True, payment=Payment(status=PaymentStatus.PENDING))
    assert verify_sale(later, key.public_key_b64())


def test_tampered_amount_or_other_key_is_refused(tmp_path):
    key = DeviceKey.load_or_create(tmp_path / "device.pem")
    other = DeviceKey.load_or_create(tmp_path / "other.pem")
    signed = key.sign(_sale())
    assert not verify_sale(dataclasses.replace(signed, total_fen=1), key.public_key_b64())
    assert not verify_sale(signed, other.public_key_b64())
    assert not verify_sale(dataclasses.replace(signed, signature="not base64!"), key.public_key_b64())


def test_key_is_created_once_private_and_reloaded(tmp_path):
    path = tmp_path / "keys" / "device.pem"
    first = DeviceKey.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert DeviceKey.load_or_create(path).public_key_b64() == first.public_key_b64()
