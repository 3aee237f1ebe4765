"""Signed documents from central: signing bytes, verification, apply/refuse rules."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.config import EdgeConfig
from edge.core.eventlog import canonical_json
from edge.core.signed import signed_payload
from edge.store import Store
from edge.store.samples import BATCHES, PLUS
from edge.sync.inbound import (
    REFUSED_EVENT,
    InboundHandler,
    Outcome,
    apply_remote_config,
    remote_config,
)
from edge.sync.signing import SignatureError, load_public_key, public_key_b64, sign_document, verify_document

MARKET, SCALE = "lz", "620102-007"
CENTRAL = Ed25519PrivateKey.generate()
TOPIC = {"catalog": f"trace/v1/{MARKET}/catalog", "batches": f"trace/v1/{MARKET}/{SCALE}/batches",
         "config": f"trace/v1/{MARKET}/{SCALE}/config"}


def plu_dict(p: Any) -> dict[str, Any]:
    return {**dataclasses.asdict(p), "pricing": str(p.pricing)}


def catalog_doc(version: int, *, market: str = MARKET, price: int = 398) -> dict[str, Any]:
    plus = [plu_dict(p) for p in PLUS]
    plus[0]["unit_price_fen"] = price
    return {"schema": "catalog/1", "market_id": market, "version": version, "issued_ms": 1, "body": {"plus": plus}}


def batches_doc(version: int, *, scale: str = SCALE, market: str = MARKET) -> dict[str, Any]:
    return {"schema": "batches/1", "market_id": market, "scale_id": scale, "version": version, "issued_ms": 1,
            "body": {"batches": [dataclasses.asdict(b) for b in BATCHES]}}


def signed(doc: dict[str, Any], key: Ed25519PrivateKey = CENTRAL) -> bytes:
    return json.dumps(sign_document(doc, key), ensure_ascii=False).encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "scale.db") as s:
        yield s


@pytest.fixture
def handler(store: Store) -> InboundHandler:
    return InboundHandler(store, MARKET, SCALE, public_key_b64(CENTRAL), wall_ms=lambda: 1_700_000_000_000)


def refusals(store: Store) -> list[dict[str, Any]]:
    return [e.data for e in store.events() if e.kind == REFUSED_EVENT]


def test_signed_payload_is_canonical_json_without_the_signature() -> None:
    doc = {"b": 1, "a": "白菜", "signature": "x"}
    assert signed_payload(doc) == canonical_json({"a": "白菜", "b": 1}).encode()
    assert signed_payload(doc) == '{"a":"白菜","b":1}'.encode()


def test_sign_and_verify_round_trip_and_tamper() -> None:
    key = load_public_key(public_key_b64(CENTRAL))
    doc = sign_document(catalog_doc(1), CENTRAL)
    verify_document(doc, key)
    verify_document(json.loads(json.dumps(doc, indent=2)), key)  # formatting does not matter
    with pytest.raises(SignatureError, match="bad signature"):
        verify_document({**doc, "version": 2}, key)
    with pytest.raises(SignatureError, match="unsigned"):
        verify_document(catalog_doc(1), key)
    with pytest.raises(SignatureError, match="bad signature"):
        verify_document(sign_document(catalog_doc(1), Ed25519PrivateKey.generate()), key)
    with pytest.raises(SignatureError, match="base64"):
        verify_document({**doc, "signature": "***"}, key)


@pytest.mark.parametrize("bad", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_bad_public_keys_say_what_to_do(bad: str) -> None:
    with pytest.raises(ValueError, match=r"\[sync\]\.central_public_key"):
        load_public_key(bad)


def test_catalog_applied_then_same_version_is_silent(store: Store, handler: InboundHandler) -> None:
    result = handler.handle("catalog", TOPIC["catalog"], signed(catalog_doc(3, price=450)))
    assert (result.outcome, result.version) == (Outcome.APPLIED, 3)
    assert store.catalog_version() == 3
    assert store.catalog()[0].unit_price_fen == 450
    again = handler.handle("catalog", TOPIC["catalog"], signed(catalog_doc(3, price=450)))
    assert again.outcome is Outcome.ALREADY
    assert refusals(store) == []


def test_older_catalog_is_refused_and_logged(store: Store, handler: InboundHandler) -> None:
    handler.handle("catalog", TOPIC["catalog"], signed(catalog_doc(3, price=450)))
    result = handler.handle("catalog", TOPIC["catalog"], signed(catalog_doc(2, price=1)))
    assert result.outcome is Outcome.REFUSED and "older" in result.reason
    assert store.catalog()[0].unit_price_fen == 450
    (event,) = refusals(store)
    assert event["doc"] == "catalog" and event["version"] == 2 and "older" in event["reason"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (json.dumps(catalog_doc(5)).encode(), "unsigned"),
        (signed(catalog_doc(5)).replace(b'"version": 5', b'"version": 6'), "bad signature"),
        (signed(catalog_doc(5), Ed25519PrivateKey.generate()), "bad signature"),
        (signed(catalog_doc(5, market="other")), "market"),
        (b"{not json", "JSON"),
        (signed({**catalog_doc(5), "schema": "catalog/9"}), "schema"),
        (signed({**catalog_doc(5), "version": 0}), "version"),
        (signed({**catalog_doc(5), "body": {"plus": [{"plu": "1001"}]}}), "pricing"),
        (signed({**catalog_doc(5), "body": {"plus": [plu_dict(PLUS[0]), plu_dict(PLUS[0])]}}), "duplicate"),
    ],
)
def test_bad_catalogs_are_refused_logged_and_change_nothing(
    store: Store, handler: InboundHandler, payload: bytes, reason: str
) -> None:
    result = handler.handle("catalog", TOPIC["catalog"], payload)
    assert result.outcome is Outcome.REFUSED and reason in result.reason
    assert store.catalog_version() == 0 and store.catalog() == []
    (event,) = refusals(store)
    assert reason in event["reason"] and event["topic"] == TOPIC["catalog"]
    # The same retained payload again (every reconnect) is not logged twice.
    handler.handle("catalog", TOPIC["catalog"], payload)
    assert len(refusals(store)) == 1
    assert store.verify_events() == (True, None)


def test_batches_for_this_scale_only(store: Store, handler: InboundHandler) -> None:
    other = handler.handle("batches", TOPIC["batches"], signed(batches_doc(1, scale="620102-008")))
    assert other.outcome is Outcome.REFUSED and "620102-008" in other.reason
    ok = handler.handle("batches", TOPIC["batches"], signed(batches_doc(1)))
    assert ok.outcome is Outcome.APPLIED
    assert store.batches_version() == 1
    assert {b.batch_id for b in store.active_batches()} == {b.batch_id for b in BATCHES}


def test_centrals_first_documents_apply_over_the_seed_file(store: Store, handler: InboundHandler) -> None:
    """The demo/seed file has version 1, the same as central's first catalog and batches:
    the office's first documents must still reach the scale, and the file never undoes them."""
    from edge.seed import load_seed

    seed = Path(__file__).resolve().parents[2] / "examples" / "catalog.json"
    assert json.loads(seed.read_text(encoding="utf-8"))["version"] == 1
    assert load_seed(store, seed) and store.active_batches()  # the seed's batches are on sale
    office = batches_doc(1)
    office["body"]["batches"] = office["body"]["batches"][:1]  # the office lists one batch only
    assert handler.handle("batches", TOPIC["batches"], signed(office)).outcome is Outcome.APPLIED
    assert [b.batch_id for b in store.active_batches()] == [BATCHES[0].batch_id]
    assert handler.handle("catalog", TOPIC["catalog"], signed(catalog_doc(1, price=420))).outcome is Outcome.APPLIED
    assert store.catalog()[0].unit_price_fen == 420
    assert not load_seed(store, seed)  # the next start: the same seed is not applied again
    assert [b.batch_id for b in store.active_batches()] == [BATCHES[0].batch_id]
    assert store.catalog()[0].unit_price_fen == 420 and refusals(store) == []


def test_remote_config_applied_within_allowed_keys(store: Store, handler: InboundHandler) -> None:
    body = {"ticket": {"trace_base_url": "https://trace.lz.example.cn"}, "identity": {"stall": "B-02"}}
    doc = {"schema": "config/1", "market_id": MARKET, "scale_id": SCALE, "version": 1, "issued_ms": 1, "body": body}
    assert handler.handle("config", TOPIC["config"], signed(doc)).outcome is Outcome.APPLIED
    assert remote_config(store) == body
    merged = apply_remote_config(EdgeConfig(), remote_config(store))
    assert merged.ticket.trace_base_url == "https://trace.lz.example.cn" and merged.identity.stall == "B-02"
    assert merged.identity.scale_id == EdgeConfig().identity.scale_id
    assert [e.kind for e in store.events()] == ["config.remote_applied"]
    assert handler.handle("config", TOPIC["config"], signed(doc)).outcome is Outcome.ALREADY


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"scale": {"max_g": 30000}}, "cannot be set remotely"),
        ({"identity": {"scale_id": "x"}}, "cannot be set remotely"),
        ({"sync": {"broker_url": "mqtt://evil:1883"}}, "cannot be set remotely"),
        ({"ticket": {"rounding": 5}}, "must be a str"),
        ({"ticket": {"rounding": "half"}}, "rounding"),
    ],
)
def test_remote_config_outside_the_allowed_keys_is_refused(
    store: Store, handler: InboundHandler, body: dict[str, Any], reason: str
) -> None:
    doc = {"schema": "config/1", "market_id": MARKET, "scale_id": SCALE, "version": 1, "issued_ms": 1, "body": body}
    result = handler.handle("config", TOPIC["config"], signed(doc))
    assert result.outcome is Outcome.REFUSED and reason in result.reason
    assert remote_config(store) == {}


def test_without_a_public_key_everything_is_refused(store: Store) -> None:
    handler = InboundHandler(store, MARKET, SCALE, "")
    result = handler.handle("catalog", TOPIC["catalog"], signed(catalog_doc(1)))
    assert result.outcome is Outcome.REFUSED and "central_public_key" in result.reason
    assert store.catalog_version() == 0


def test_an_empty_retained_message_is_ignored(store: Store, handler: InboundHandler) -> None:
    assert handler.handle("catalog", TOPIC["catalog"], b"").outcome is Outcome.IGNORED
    assert store.events() == []


@pytest.mark.parametrize("how", ["tampered", "unsigned", "other key"])
def test_remote_config_and_batches_tampered_or_unsigned_are_refused(
    store: Store, handler: InboundHandler, how: str
) -> None:
    config = {"schema": "config/1", "market_id": MARKET, "scale_id": SCALE, "version": 1, "issued_ms": 1,
              "body": {"identity": {"stall": "B-02"}}}  # fmt: skip
    for kind, doc in (("config", config), ("batches", batches_doc(1))):
        if how == "tampered":  # signed, then a value changed: e.g. a stall moved by someone on the network
            raw = json.loads(signed(doc))
            raw["version"] = 2
            payload = json.dumps(raw).encode()
        elif how == "unsigned":
            payload = json.dumps(doc).encode()
        else:
            payload = signed(doc, Ed25519PrivateKey.generate())
        result = handler.handle(kind, TOPIC[kind], payload)
        assert result.outcome is Outcome.REFUSED, (kind, result)
    assert remote_config(store) == {} and store.batches_version() == 0
    assert {e["doc"] for e in refusals(store)} == {"config", "batches"}
