"""Shared fixtures: a real Mosquitto configured by central, a throw-away PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Callable[..., object]]:
    """``mosquitto(db)`` starts a broker with passwd/acl generated from ``db``; all stop at teardown."""
    from tests.broker import Broker

    brokers: list[Broker] = []

    def start(db: object, **kwargs: object) -> Broker:
        broker = Broker.from_db(db, tmp_path / f"broker{len(brokers)}", **kwargs)  # type: ignore[arg-type]
        brokers.append(broker)
        broker.start()
        return broker

    yield start
    for broker in brokers:
        broker.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database ``central_test_<random>``, dropped afterwards (skip without a server)."""
    psycopg = pytest.importorskip("psycopg")
    name = f"central_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
