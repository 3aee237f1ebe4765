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


def test_state_signature_covers_payment_printed_and_the_sale_itself(tmp_path):
    key = DeviceKey.load_or_create(tmp_path / "device.pem")
    signed = key.sign(_sale())
    public = key.public_key_b64()
    assert verify_sale(signed, public, state=True) and signed.state_no == 0
    for tampered in (
        dataclasses.replace(signed, payment=Payment(status=PaymentStatus.PENDING)),
        dataclasses.replace(signed, printed=True),
        dataclasses.replace(signed, state_no=1),
        dataclasses.replace(signed, total_fen=1),  # the state is bound to the sale's body
        dataclasses.replace(signed, signature=key.sign(dataclasses.replace(_sale(), sale_id="u2")).signature),
    ):
        assert not verify_sale(tampered, public, state=True)
    later = key.sign_state(dataclasses.replace(signed, printed=True, state_no=1))
    assert verify_sale(later, public, state=True) and verify_sale(later, public)
    assert signed.state_payload().startswith(b"trace-sale-state/1\n")


def test_the_scales_store_signs_every_new_state(tmp_path):
    import json

    from edge import runtime
    from edge.checkout import Checkout
    from edge.core.cart import Cart
    from edge.core.records import PaymentMethod
    from tests.unit.test_cart import CABBAGE, CABBAGE_OLD, weight
    from tests.unit.ui_model_support import make_config

    config = make_config(tmp_path)
    store = runtime.open_store(config)
    key = runtime.device_key(config)
    try:
        cart = Cart().add_weighed(weight(1235), CABBAGE, CABBAGE_OLD)
        sale = Checkout(config, store, key).commit(cart, Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, ""))
        store.set_payment(sale.sale_id, Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-1"))
        store.mark_printed(sale.sale_id)
        states = [Sale.from_dict(json.loads(text)) for _seq, text in store.outbox_batch(10)]
    finally:
        store.close()
    assert [(s.state_no, str(s.payment.status), s.printed) for s in states] == [
        (0, "pending", False),
        (1, "paid", False),
        (2, "paid", True),
    ]
    assert all(verify_sale(s, key.public_key_b64(), state=True) for s in states)
    assert len({s.state_signature for s in states}) == 3 and len({s.signature for s in states}) == 1
