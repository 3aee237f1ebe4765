"""Signed documents from central: catalog, batch list, device configuration, lock command.

Each arrives retained (docs/sync.md), so it is seen again on every reconnect. A document
is applied only if it parses, carries central's valid signature, is for this market (and
scale), and has a version above the one held; the store applies it in one transaction.
The same version again is "already applied" and silent. Everything else is refused and
written to the event log as ``sync_refused`` with the reason (once per distinct payload
per run, so a bad retained message does not fill the log on every reconnect).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.config import ConfigError, EdgeConfig, parse_config
from edge.core import protection
from edge.core.records import Batch, Plu
from edge.store.errors import StaleVersionError
from edge.store.store import Store
from edge.sync.signing import SignatureError, json_object, load_public_key, verify_document

T = TypeVar("T")

log = logging.getLogger(__name__)

REFUSED_EVENT = "sync_refused"
CONFIG_EVENT = "config.remote_applied"
REMOTE_CONFIG_KEY = "sync.remote_config"

# What central may set in [section].key; the rest of edge.toml is the technician's
# (metrology settings are sealed, and broker/key settings could cut the scale off).
REMOTE_KEYS: dict[str, frozenset[str]] = {
    "identity": frozenset({"market_name", "merchant_id", "merchant_name", "stall", "operator"}),
    "ticket": frozenset({"trace_base_url", "lang", "rounding"}),
    "sync": frozenset({"heartbeat_s", "batch_size", "window", "ack_timeout_s"}),
}

# Legally relevant parameters are the technician's alone (they lock the scale until sealed).
if any(protection.is_legal(f"{s}.{k}") for s, keys in REMOTE_KEYS.items() for k in keys):  # pragma: no cover
    raise RuntimeError("a legally relevant parameter must not be settable remotely")

SCHEMAS = {"catalog": "catalog/1", "batches": "batches/1", "config": "config/1", "command": "command/1"}
_MAX_REMEMBERED = 256


class Outcome(StrEnum):
    APPLIED = "applied"
    ALREADY = "already applied"
    REFUSED = "refused"
    IGNORED = "ignored"  # an empty retained message: central cleared the topic


@dataclass(frozen=True, slots=True)
class InboundResult:
    kind: str
    outcome: Outcome
    version: int | None = None
    reason: str = ""


class Refused(Exception):
    """Why a document is not applied (becomes the event's reason)."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _peek_version(payload: bytes) -> int | None:
    """The version a refused document claims, for the log (None if it has none)."""
    try:
        version = json.loads(payload).get("version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def _records(items: list[Any], parse: Callable[[Any], T]) -> list[T]:
    try:
        return [parse(item) for item in items]
    except ValueError as exc:
        raise Refused(str(exc)) from exc


def check_remote_config(body: Any) -> dict[str, dict[str, Any]]:
    """The sections/keys central may set, type-checked like edge.toml itself."""
    if not isinstance(body, dict):
        raise Refused("config body must be an object of edge.toml sections")
    for section, values in body.items():
        allowed = REMOTE_KEYS.get(section)
        if allowed is None:
            raise Refused(f"section [{section}] cannot be set remotely; allowed: {', '.join(sorted(REMOTE_KEYS))}")
        if not isinstance(values, dict):
            raise Refused(f"[{section}] must be an object")
        for key in values:
            if key not in allowed:
                raise Refused(f"[{section}].{key} cannot be set remotely; allowed: {', '.join(sorted(allowed))}")
    try:
        parse_config(body, source="central config")
    except ConfigError as exc:
        raise Refused(str(exc)) from exc
    return body


def apply_remote_config(config: EdgeConfig, body: Mapping[str, Mapping[str, Any]]) -> EdgeConfig:
    """``config`` with central's remote settings laid over it (for the app at start-up and
    on change; see :func:`remote_config`)."""
    changes = {name: dataclasses.replace(getattr(config, name), **dict(values)) for name, values in body.items()}
    return dataclasses.replace(config, **changes)


def remote_config(store: Store) -> dict[str, dict[str, Any]]:
    """The last applied remote configuration body ({} if none)."""
    held = store.get_setting(REMOTE_CONFIG_KEY) or {}
    return dict(held.get("body", {}))


class InboundHandler:
    def __init__(
        self,
        store: Store,
        market_id: str,
        scale_id: str,
        central_public_key: str,
        *,
        wall_ms: Callable[[], int] = _now_ms,
        on_applied: Callable[[str, int], None] | None = None,
    ) -> None:
        self._store = store
        self._market_id = market_id
        self._scale_id = scale_id
        self._wall_ms = wall_ms
        self._on_applied = on_applied
        self._key: Ed25519PublicKey | None = None
        self._key_problem = ""
        try:
            self._key = load_public_key(central_public_key)
        except ValueError as exc:
            self._key_problem = str(exc)
            log.warning("%s", exc)
        self._refused_digests: dict[bytes, None] = {}

    def handle(self, kind: str, topic: str, payload: bytes) -> InboundResult:
        if kind not in SCHEMAS:
            raise ValueError(f"unknown inbound document kind {kind!r}")
        if not payload:
            return InboundResult(kind, Outcome.IGNORED)
        version: int | None = None
        try:
            doc = self._parse(kind, payload)
            version = doc["version"]
            current = self._current_version(kind)
            if version == current:
                return InboundResult(kind, Outcome.ALREADY, version)
            if version < current:
                raise Refused(f"version {version} is older than the version {current} already applied")
            self._apply(kind, doc)
        except Refused as exc:
            return self._refuse(kind, topic, payload, version, str(exc))
        except StaleVersionError as exc:  # only if something else raced us to a newer version
            if exc.offered == exc.current:
                return InboundResult(kind, Outcome.ALREADY, version)
            return self._refuse(kind, topic, payload, version, exc.en)
        log.info("applied %s version %s from central", kind, version)
        if self._on_applied is not None:
            try:
                self._on_applied(kind, int(version))
            except Exception:
                log.exception("on_applied callback failed for %s version %s", kind, version)
        return InboundResult(kind, Outcome.APPLIED, version)

    # --- checks --------------------------------------------------------------------------

    def _parse(self, kind: str, payload: bytes) -> dict[str, Any]:
        try:
            doc = json_object(payload)
        except ValueError as exc:
            raise Refused(str(exc)) from exc
        if doc.get("schema") != SCHEMAS[kind]:
            raise Refused(f"schema is {doc.get('schema')!r}, expected {SCHEMAS[kind]!r}")
        if self._key is None:
            raise Refused(self._key_problem)
        try:
            verify_document(doc, self._key)
        except SignatureError as exc:
            raise Refused(str(exc)) from exc
        if doc.get("market_id") != self._market_id:
            raise Refused(f"for market {doc.get('market_id')!r}, but this scale is in market {self._market_id!r}")
        if kind != "catalog" and doc.get("scale_id") != self._scale_id:
            raise Refused(f"for scale {doc.get('scale_id')!r}, but this scale is {self._scale_id!r}")
        version = doc.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise Refused(f"version must be a positive integer, got {version!r}")
        if not isinstance(doc.get("body"), dict):
            raise Refused("body must be an object")
        return doc

    def _current_version(self, kind: str) -> int:
        if kind == "catalog":
            return self._store.catalog_version()
        if kind == "batches":
            return self._store.batches_version()
        if kind == "command":  # derived from the event log, like the lock itself
            return self._store.protection().command_version
        held = self._store.get_setting(REMOTE_CONFIG_KEY) or {}
        return int(held.get("version", 0))

    def _apply(self, kind: str, doc: dict[str, Any]) -> None:
        body, version = doc["body"], doc["version"]
        if kind == "catalog":
            items = body.get("plus")
            if not isinstance(items, list):
                raise Refused("catalog body needs a list 'plus'")
            plus = _records(items, Plu.from_dict)
            try:
                self._store.replace_catalog(plus, version)
            except ValueError as exc:  # duplicate PLUs
                raise Refused(str(exc)) from exc
        elif kind == "batches":
            items = body.get("batches")
            if not isinstance(items, list):
                raise Refused("batches body needs a list 'batches'")
            batches = _records(items, Batch.from_dict)
            try:
                self._store.replace_batches(batches, version)
            except ValueError as exc:
                raise Refused(str(exc)) from exc
        elif kind == "command":
            try:
                event_kind, data = protection.command_data(
                    body.get("action"), body.get("reason"), str(body.get("by") or "central"), version,
                    doc.get("issued_ms"),
                )  # fmt: skip
            except protection.SealError as exc:
                raise Refused(exc.en) from exc
            # One entry: the lock, its reason and the version that makes a replay "older".
            self._store.append_event(event_kind, data, self._wall_ms())
        else:
            checked = check_remote_config(body)
            # One settings row holds version and body together, so they change atomically.
            self._store.set_setting(
                REMOTE_CONFIG_KEY, {"version": version, "issued_ms": doc.get("issued_ms"), "body": checked}
            )
            self._store.append_event(
                CONFIG_EVENT, {"version": version, "sections": sorted(checked)}, self._wall_ms()
            )

    def _refuse(self, kind: str, topic: str, payload: bytes, version: int | None, reason: str) -> InboundResult:
        if version is None:
            version = _peek_version(payload)
        digest = hashlib.sha256(topic.encode() + b"\0" + payload).digest()
        if digest not in self._refused_digests:
            self._refused_digests[digest] = None
            if len(self._refused_digests) > _MAX_REMEMBERED:
                self._refused_digests.pop(next(iter(self._refused_digests)))
            log.warning("refused %s from %s (version %s): %s", kind, topic, version, reason)
            self._store.append_event(
                REFUSED_EVENT, {"doc": kind, "topic": topic, "version": version, "reason": reason}, self._wall_ms()
            )
        return InboundResult(kind, Outcome.REFUSED, version, reason)
