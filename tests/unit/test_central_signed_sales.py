"""Central checks a sale straight from its JSON (no Sale rebuilt) and verifies the bytes the
edge signed: orjson's encoding first, the edge's own (json module) when they differ."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from central import ingest
from central.ingest import verify_sale
from central.keys import load_public_key
from central.validate import Rejected, Topic, check_sale, parse_sale
from edge.core.records import Sale, signed_body, signing_bytes
from edge.device_key import DeviceKey
from edge.store.samples import sale_builder


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> DeviceKey:
    return DeviceKey.load_or_create(Path(tmp_path_factory.mktemp("key")) / "device_key.pem")


def _signed(key: DeviceKey, **changes: object) -> Sale:
    return key.sign(dataclasses.replace(sale_builder("2024-05-12", lines=3)(7, 7), **changes))


def _wire(sale: Sale) -> dict:  # type: ignore[type-arg]
    return orjson.loads(json.dumps(sale.to_dict(), ensure_ascii=False).encode())


# Text a vendor or a catalog could hold: CJK, emoji, quotes, backslashes, control
# characters, DEL, the JavaScript line separators; no lone surrogates (not UTF-8).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(name=TEXT, operator=TEXT, origin=TEXT)
def test_an_edge_signature_verifies_whatever_the_text(key: DeviceKey, name: str, operator: str, origin: str) -> None:
    base = _signed(key)
    lines = tuple(dataclasses.replace(line, name=name, origin=origin) for line in base.lines)
    sale = key.sign(dataclasses.replace(base, lines=lines, operator=operator))
    public = load_public_key(key.public_key_b64())
    checked = check_sale(_wire(sale))
    assert orjson.dumps(signed_body(checked), option=orjson.OPT_SORT_KEYS) == sale.signing_payload()
    assert verify_sale(public, checked)


def test_the_edge_encoding_is_tried_when_the_fast_one_differs(key: DeviceKey, monkeypatch: pytest.MonkeyPatch) -> None:
    public = load_public_key(key.public_key_b64())
    checked = check_sale(_wire(_signed(key)))
    monkeypatch.setattr(ingest.orjson, "dumps", lambda *_a, **_k: b"{}")  # an encoder that disagrees
    assert verify_sale(public, checked)
    forged = {**checked, "total_fen": checked["total_fen"] - 1}
    assert not verify_sale(public, forged)


def test_an_altered_or_foreign_signed_sale_does_not_verify(key: DeviceKey, tmp_path: Path) -> None:
    public = load_public_key(key.public_key_b64())
    wire = _wire(_signed(key))
    wire["lines"][0]["origin"] = "别处"
    assert not verify_sale(public, check_sale(wire))
    other = DeviceKey.load_or_create(tmp_path / "other.pem")
    assert not verify_sale(public, check_sale(_wire(_signed(other))))


def test_payment_and_printed_may_change_after_signing(key: DeviceKey) -> None:
    public = load_public_key(key.public_key_b64())
    wire = _wire(_signed(key))
    wire["payment"] = {"method": "wechat", "status": "pending", "provider_ref": "wx-1"}
    wire["printed"] = True
    assert verify_sale(public, check_sale(wire))


def test_check_sale_completes_what_the_json_may_leave_out_like_to_dict(key: DeviceKey) -> None:
    sale = _signed(key)
    wire = _wire(sale)
    for optional in ("rounding_fen", "payment", "printed", "software_id", "refund_of"):
        wire.pop(optional)
    checked = check_sale(wire)
    assert checked["payment"] == {"method": "cash", "status": "paid", "provider_ref": ""}
    assert (checked["rounding_fen"], checked["printed"], checked["software_id"], checked["refund_of"]) == (
        0, False, "", None,
    )  # fmt: skip
    assert parse_sale(_wire(sale)) == sale  # the Sale path (payments) sees the same record


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda w: w.update(colour="red"), "unknown fields"),
        (lambda w: w["lines"][0].update(pricing="weighed"), "pricing 'weighed'"),
        (lambda w: w.update(payment={"method": "bitcoin"}), "payment method 'bitcoin'"),
        (lambda w: w.update(payment={"status": "maybe"}), "payment status 'maybe'"),
        (lambda w: w["lines"][1].update(net_g=2**63), "64-bit"),
        (lambda w: w.update(trace_code=w["trace_code"][:-1] + str((int(w["trace_code"][-1]) + 1) % 10)), "trace code"),
    ],
)
def test_check_sale_names_what_is_wrong(key: DeviceKey, change, says: str) -> None:  # type: ignore[no-untyped-def]
    wire = _wire(_signed(key))
    change(wire)
    with pytest.raises(Rejected, match=says):
        check_sale(wire)


def test_signing_bytes_is_what_the_sale_signs(key: DeviceKey) -> None:
    sale = _signed(key)
    assert sale.signing_payload() == signing_bytes(signed_body(sale.to_dict()))
    assert b'"signature"' not in sale.signing_payload() and b'"payment"' not in sale.signing_payload()


def test_deeply_nested_documents_are_refused_with_a_reason_not_a_crash() -> None:
    from central.validate import MAX_DEPTH, load_json, parse_sales

    deep = b'{"schema":"status/1","x":' + b"[" * 900 + b"]" * 900 + b"}"
    with pytest.raises(Rejected, match=f"more than {MAX_DEPTH} levels"):
        load_json(deep)
    shallow = b'{"schema":"status/1","x":' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}"
    assert load_json(shallow)["schema"] == "status/1"
    # sales/1 is checked level by level instead: junk deep inside names the level, briefly
    junk = b'{"schema":' + b"[" * 1000 + b"]" * 1000 + b"}"
    with pytest.raises(Rejected, match="schema is a JSON array"):
        parse_sales(load_json(junk, max_depth=None), Topic("m", "s", "sales"))
