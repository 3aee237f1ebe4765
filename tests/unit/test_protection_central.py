"""Central's side of the protection (docs/protection.md): the heartbeat's lock state and
event counter are checked, kept (a will message keeps the last known) and shown in the fleet
API; the lock command is signed, versioned per scale and needs a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from central import api, publish
from central.admin import AdminError
from central.ingest import store_status
from central.keys import CentralKey, load_public_key
from central.validate import Rejected, Topic, load_json, parse_status
from edge.core.protection import ProtectionState
from edge.sync import wire
from edge.sync.signing import verify_document
from tests.integration.central_support import MARKET, Setup, register


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path, n_scales=1)


def _heartbeat(scale_id: str, state: ProtectionState | None) -> bytes:
    return wire.status(scale_id, software_id="0.1.0+abc", backlog=0, oldest_unacked_ms=None, printer="ok",
                       last_sale_ms=None, last_event_id=3, last_event_hash="h", sent_ms=1,
                       protection=None if state is None else state.to_dict())  # fmt: skip


def _receive(setup: Setup, payload: bytes) -> None:
    scale_id = setup.scales[0].scale_id
    status = parse_status(load_json(payload), Topic(MARKET, scale_id, "status"))
    with setup.db.connection() as conn:
        store_status(conn, scale_id, status)


def _fleet(setup: Setup) -> dict:
    with setup.db.connection() as conn:
        code, doc = api.get_fleet(conn, {"market": [MARKET]})
    assert code == 200
    [row] = doc["scales"]
    return row


def test_fleet_api_shows_lock_state_and_counter_and_keeps_them_when_offline(setup: Setup) -> None:
    scale_id = setup.scales[0].scale_id
    _receive(setup, _heartbeat(scale_id, None))  # a scale older than the protection
    assert (_fleet(setup)["lock_state"], _fleet(setup)["legal_changes"]) == (None, None)
    _receive(setup, _heartbeat(scale_id, ProtectionState(change_pending=True, legal_changes=4)))
    row = _fleet(setup)
    assert (row["lock_state"], row["legal_changes"], row["software_id"]) == ("locked-by-change", 4, "0.1.0+abc")
    _receive(setup, wire.offline_status(scale_id))  # the will: online false only
    row = _fleet(setup)
    assert row["online"] is False and row["lock_state"] == "locked-by-change" and row["legal_changes"] == 4


@pytest.mark.parametrize(
    "protection",
    [{"state": "open", "legal_changes": 1}, {"state": "unlocked", "legal_changes": -1},
     {"state": "unlocked", "legal_changes": "1"}, ["unlocked"]],
)  # fmt: skip
def test_a_bad_protection_object_is_rejected(setup: Setup, protection: object) -> None:
    doc = json.loads(_heartbeat(setup.scales[0].scale_id, ProtectionState()))
    doc["protection"] = protection
    with pytest.raises(Rejected):
        parse_status(doc, Topic(MARKET, setup.scales[0].scale_id, "status"))


def test_command_documents_are_signed_and_count_up(setup: Setup, tmp_path: Path) -> None:
    key = CentralKey.load_or_create(tmp_path / "central-key.pem")
    scale_id = setup.scales[0].scale_id
    with setup.db.connection() as conn:
        first = publish.command_document(conn, key, scale_id, "lock", " 投诉调查 ", "office")
        second = publish.command_document(conn, key, scale_id, "unlock", "结束", "office")
        with pytest.raises(AdminError, match="reason"):
            publish.command_document(conn, key, scale_id, "lock", "  ", "office")
        with pytest.raises(AdminError, match="lock or unlock"):
            publish.command_document(conn, key, scale_id, "wipe", "x", "office")
        with pytest.raises(AdminError, match="not registered"):
            publish.command_document(conn, key, "nobody", "lock", "x", "office")
    assert first.topic == f"trace/v1/{MARKET}/{scale_id}/command"
    assert (first.doc["version"], second.doc["version"]) == (1, 2)
    assert first.doc["body"] == {"action": "lock", "reason": "投诉调查", "by": "office"}
    verify_document(second.doc, load_public_key(key.public_key_b64()))
