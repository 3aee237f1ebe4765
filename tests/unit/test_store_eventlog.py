"""The hash-chained event log: pure chain functions and the store's append-only table."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.core.eventlog import GENESIS_HASH, EventEntry, canonical_entry, canonical_json, make_entry, verify_chain
from edge.store import Store

# --- pure chain functions


def chain(n: int) -> list[EventEntry]:
    entries: list[EventEntry] = []
    for i in range(n):
        entries.append(make_entry(entries[-1] if entries else None, "setting.changed", {"key": f"k{i}", "new": i}, i))
    return entries


def test_entry_hash_is_sha256_of_prev_hash_and_canonical_entry() -> None:
    first = make_entry(None, "clock.changed", {"from_ms": 1, "to_ms": 2, "by": "技术员"}, 1_700_000_000_000)
    assert (first.id, first.prev_hash) == (1, GENESIS_HASH)
    body = '{"created_ms":1700000000000,"data":{"by":"技术员","from_ms":1,"to_ms":2},"id":1,"kind":"clock.changed"}'
    assert canonical_entry(1, "clock.changed", first.data, first.created_ms) == body.encode()
    assert first.hash == hashlib.sha256((GENESIS_HASH + body).encode()).hexdigest()
    second = make_entry(first, "software.updated", {"version": "0.2.0"}, 1_700_000_000_001)
    assert (second.id, second.prev_hash) == (2, first.hash)


def test_canonical_json_is_order_independent_and_strict() -> None:
    assert (
        canonical_json({"b": 1, "a": [1, "二"]}) == canonical_json({"a": [1, "二"], "b": 1}) == '{"a":[1,"二"],"b":1}'
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("inf")})
    with pytest.raises(TypeError):
        make_entry(None, "k", {1: "x"}, 0)  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        make_entry(None, "k", {}, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make_entry(None, "", {}, 0)


def test_verify_chain_names_the_first_bad_entry() -> None:
    entries = chain(5)
    assert verify_chain(entries) == (True, None)
    assert verify_chain([]) == (True, None)
    assert verify_chain(entries[2:], prev=entries[1]) == (True, None)
    edited = dataclasses.replace(entries[2], data={"key": "k2", "new": 999})
    assert verify_chain([*entries[:2], edited, *entries[3:]]) == (False, 3)
    assert verify_chain([*entries[:2], *entries[3:]]) == (False, 4)  # a removed entry
    assert verify_chain([entries[1], entries[0], *entries[2:]]) == (False, 2)  # reordered
    rehashed = make_entry(entries[1], "setting.changed", {"key": "k2", "new": 999}, 2)
    assert verify_chain([*entries[:2], rehashed, *entries[3:]]) == (False, 4)  # re-hashed edit breaks the next link


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3), max_size=6))
def test_any_chain_verifies_after_a_json_round_trip(datas: list[dict]) -> None:
    entries: list[EventEntry] = []
    for i, data in enumerate(datas):
        entries.append(make_entry(entries[-1] if entries else None, "k", data, i))
    stored = [dataclasses.replace(e, data=json.loads(json.dumps(e.data))) for e in entries]
    assert verify_chain(stored) == (True, None)


# --- the store's event table


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "scale.db") as s:
        yield s


def fill(store: Store, n: int) -> list[EventEntry]:
    return [store.append_event("setting.changed", {"key": "division_g", "new": i}, 1_000 + i) for i in range(n)]


def test_append_read_verify(store: Store) -> None:
    assert store.verify_events() == (True, None)
    appended = fill(store, 5)
    assert [e.id for e in appended] == [1, 2, 3, 4, 5]
    assert store.events() == appended
    assert store.events(after_id=3, limit=1) == [appended[3]]
    assert store.verify_events() == (True, None)


def test_there_is_no_api_to_change_the_log() -> None:
    names = {n for n in dir(Store) if "event" in n}
    assert names == {"append_event", "events", "verify_events"}


def test_triggers_block_update_and_delete(store: Store) -> None:
    fill(store, 3)
    for sql in (
        "UPDATE events SET data = '{}' WHERE id = 2",
        "DELETE FROM events WHERE id = 3",
        "DELETE FROM events",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    # an insert that does not extend the chain is refused too
    with pytest.raises(sqlite3.IntegrityError, match="extend the chain"):
        store.db.execute(
            "INSERT INTO events (id, kind, data, created_ms, prev_hash, hash) VALUES (4, 'x', '{}', 0, ?, ?)",
            (GENESIS_HASH, GENESIS_HASH),
        )
    assert len(store.events()) == 3 and store.verify_events() == (True, None)


def drop_triggers(store: Store) -> None:
    for name in ("events_no_update", "events_no_delete", "events_extend_chain"):
        store.db.execute(f"DROP TRIGGER {name}")


def test_verification_catches_an_edit_made_with_the_triggers_dropped(store: Store) -> None:
    fill(store, 6)
    drop_triggers(store)
    store.db.execute("UPDATE events SET data = ? WHERE id = 4", ('{"key":"division_g","new":5}',))
    assert store.verify_events() == (False, 4)


@pytest.mark.parametrize(
    ("sql", "bad_id"),
    [
        ("UPDATE events SET created_ms = created_ms + 1 WHERE id = 2", 2),
        ("UPDATE events SET kind = 'nothing' WHERE id = 5", 5),
        ("DELETE FROM events WHERE id = 3", 4),
        ("UPDATE events SET data = 'not json' WHERE id = 2", 2),
        ("UPDATE events SET data = '[1]' WHERE id = 1", 1),
    ],
)
def test_verification_catches_other_tampering(store: Store, sql: str, bad_id: int) -> None:
    fill(store, 6)
    drop_triggers(store)
    store.db.execute(sql)
    assert store.verify_events() == (False, bad_id)


def test_verify_walks_past_one_chunk(store: Store) -> None:
    fill(store, 1_205)  # more than the 1000 rows verify reads at a time
    assert store.verify_events() == (True, None)
    drop_triggers(store)
    store.db.execute("UPDATE events SET created_ms = 0 WHERE id = 1100")
    assert store.verify_events() == (False, 1100)


def test_append_continues_the_chain_after_reopen(tmp_path: Path) -> None:
    with Store.open(tmp_path / "scale.db") as store:
        first = fill(store, 2)
    with Store.open(tmp_path / "scale.db") as store:
        third = store.append_event("software.updated", {"version": "0.2.0"}, 9)
        assert (third.id, third.prev_hash) == (3, first[-1].hash)
        assert store.verify_events() == (True, None)
