"""The broker configuration central generates: logins and the per-scale ACL, with real clients."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.integration.central_support import MARKET, ScaleClient, register, sales_message, wait_for

pytestmark = pytest.mark.integration


def test_scales_are_fenced_in_and_strangers_are_refused(tmp_path: Path, mosquitto) -> None:  # type: ignore[no-untyped-def]
    setup = register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path)
    broker = mosquitto(setup.db)
    a, b = setup.scales
    base_a, base_b = f"trace/v1/{MARKET}/{a.scale_id}", f"trace/v1/{MARKET}/{b.scale_id}"

    central = ScaleClient(broker.port, "central", setup.central_password, "central-watch")
    assert not central.refused
    central.subscribe("$share/central/trace/v1/+/+/sales", "trace/v1/#")
    scale_a = ScaleClient(broker.port, a.scale_id, a.password, "scale-a")
    scale_b = ScaleClient(broker.port, b.scale_id, b.password, "scale-b")
    assert not scale_a.refused and not scale_b.refused
    scale_a.subscribe("trace/v1/#", f"{base_b}/ack", f"{base_b}/batches", f"{base_a}/ack", f"trace/v1/{MARKET}/catalog")

    # A publishes as B (on B's topics) and as itself
    forged = sales_message(b.scale_id, 1, [("sale", b.sale(1))])
    scale_a.publish(f"{base_b}/sales", forged)
    scale_a.publish(f"{base_b}/status", b'{"schema":"status/1"}')
    scale_a.publish(f"trace/v1/{MARKET}/catalog", b"{}")
    scale_a.publish(f"{base_a}/sales", b"from-a")
    # central answers both scales; B's ack, batches and config must not reach A
    central.publish(f"{base_b}/ack", json.dumps({"acked_through": 7}).encode())
    central.publish(f"{base_b}/batches", b"b-batches")
    central.publish(f"{base_a}/ack", json.dumps({"acked_through": 1}).encode())
    central.publish(f"trace/v1/{MARKET}/catalog", b"catalog")
    wait_for(lambda: any(t == f"{base_a}/ack" for t, _ in scale_a.received), 10, "A's own ack")
    wait_for(lambda: any(t == f"trace/v1/{MARKET}/catalog" for t, _ in scale_a.received), 10, "the catalog")
    time.sleep(0.5)  # anything wrongly delivered would have arrived by now

    central_topics = [t for t, p in central.received if p != b"catalog"]
    assert f"{base_a}/sales" in central_topics
    assert not any(t.startswith(base_b) and p in (forged, b'{"schema":"status/1"}') for t, p in central.received)
    assert not any(t.startswith(base_b) for t, _ in scale_a.received)
    assert all(p != b"{}" for _, p in central.received)  # A cannot write the market catalog
    assert {t for t, _ in scale_a.received} <= {f"{base_a}/ack", f"trace/v1/{MARKET}/catalog"}

    wrong = ScaleClient(broker.port, a.scale_id, "not-the-password", "wrong-password")
    anonymous = ScaleClient(broker.port, None, None, "anonymous")
    unknown = ScaleClient(broker.port, "nobody", a.password, "unknown-user")
    assert wrong.refused and anonymous.refused and unknown.refused
    for client in (central, scale_a, scale_b, wrong, anonymous, unknown):
        client.close()
