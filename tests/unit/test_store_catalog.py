"""Store: catalog and batches with versions, settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.core.records import Plu, Pricing
from edge.store import StaleVersionError, Store, StoreError
from edge.store.samples import BATCHES, PLUS


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "scale.db") as s:
        yield s


def test_catalog_round_trip_keeps_order(store: Store) -> None:
    assert store.catalog() == [] and store.catalog_version() == 0
    plus = list(reversed(PLUS))
    store.replace_catalog(plus, 3)
    assert store.catalog() == plus and store.catalog_version() == 3


def test_catalog_replace_is_whole_and_versioned(store: Store) -> None:
    store.replace_catalog(list(PLUS), 5)
    cheaper = [dataclasses.replace(PLUS[0], unit_price_fen=1)]
    for stale in (5, 4):
        with pytest.raises(StaleVersionError) as info:
            store.replace_catalog(cheaper, stale)
        assert (info.value.offered, info.value.current) == (stale, 5)
        assert "not newer" in info.value.en and "版本" in info.value.zh
    assert store.catalog() == list(PLUS)
    store.replace_catalog(cheaper, 6)
    assert store.catalog() == cheaper and store.catalog_version() == 6


def test_a_bad_catalog_changes_nothing(store: Store) -> None:
    store.replace_catalog(list(PLUS), 1)
    with pytest.raises(ValueError, match=r"duplicate PLU.*1001"):
        store.replace_catalog([PLUS[0], PLUS[0]], 2)
    bad = Plu("9", "坏", "0", Pricing.WEIGHT, -1)  # CHECK unit_price_fen >= 0
    with pytest.raises(StoreError, match="CHECK"):
        store.replace_catalog([PLUS[1], bad], 2)
    assert store.catalog() == list(PLUS) and store.catalog_version() == 1


def test_batches(store: Store) -> None:
    store.replace_batches(list(BATCHES), 1)
    assert store.batches_version() == 1
    assert {b.batch_id for b in store.active_batches()} == {b.batch_id for b in BATCHES}
    assert store.active_batches("1001") == [BATCHES[0]]

    local = dataclasses.replace(BATCHES[0], batch_id="L-1", arrival_date="2024-06-01", upstream_code="scan-1")
    store.upsert_batch(local)
    assert store.active_batches("1001") == [local, BATCHES[0]]  # newest arrival first

    # central's next list drops B-1001-01 and changes B-1002-01; the local batch stays
    changed = dataclasses.replace(BATCHES[1], origin="甘肃定西")
    store.replace_batches([changed, *BATCHES[2:]], 2)
    assert store.active_batches("1001") == [local]
    assert store.get_batch(BATCHES[0].batch_id) == dataclasses.replace(BATCHES[0], active=False)  # kept
    assert store.get_batch(changed.batch_id) == changed
    with pytest.raises(StaleVersionError):
        store.replace_batches([], 2)
    store.upsert_batch(dataclasses.replace(local, active=False))
    assert store.active_batches("1001") == [] and store.get_batch("nope") is None


def test_replace_batches_with_empty_list_deactivates_central_ones(store: Store) -> None:
    store.replace_batches(list(BATCHES), 1)
    store.replace_batches([], 2)
    assert store.active_batches() == []


def test_settings_hold_json(store: Store) -> None:
    assert store.get_setting("missing") is None
    assert store.get_setting("missing", {"a": 1}) == {"a": 1}
    store.set_setting("scale", {"protocol": "mt-sics", "e_g": 1, "max_g": 15000, "名": "秤"})
    store.set_setting("scale", {"protocol": "toledo-8217", "e_g": 2, "max_g": 30000})
    assert store.get_setting("scale") == {"protocol": "toledo-8217", "e_g": 2, "max_g": 30000}
    store.set_setting("flag", False)
    assert store.get_setting("flag", True) is False
    with pytest.raises(TypeError):
        store.set_setting("bad", object())
    with pytest.raises(ValueError):
        store.set_setting("bad", float("nan"))
    assert store.get_setting("bad") is None
