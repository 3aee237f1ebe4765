"""The city platform simulator over real HTTP: strict checks, dedup, JSON and XML alike,
down as 503 and as refused connections; and what the forwarder does with its answers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from central import admin
from central.forwarder import outbox, wire
from central.forwarder.sender import Backoff, Forwarder, UpstreamDown
from central.forwarder.views import Record
from central.ingest import store_sales
from central.validate import SalesBatch, SalesItem
from edge.store.samples import sale_builder
from simulator.cityplatform.server import CityPlatform
from tests.integration.central_support import wait_for
from tests.integration.city_support import register, store_hour

SALE = {
    "retail_market_id": "330212333", "retail_market_name": "鄞州区中河菜市场", "in_date": "2024-05-12",
    "sale_date": "2024-05-12", "retailer_id": "3302123330001", "retailer_name": "老陈肉菜", "position_id": "A-07",
    "tran_id": "620100001202405120001", "quarantine_animal_products_id": "QC20010001",
    "batch_id": "10000000000000000001", "goods_code": "0201001", "goods_name": "猪肉", "weight": "1.235",
    "price": "32.80", "sale_tran_id": "33021200124051200015",
}  # fmt: skip


@pytest.fixture
def platform(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = CityPlatform(tmp_path / "city.db").start()
    yield p
    p.stop()


def _post(platform: CityPlatform, records: list[Record], fmt: str = "json") -> httpx.Response:
    body, kind = wire.encode(records, fmt)
    return httpx.post(platform.url, content=body, headers={"Content-Type": kind})


def _status(answer: httpx.Response) -> list[tuple[str, str]]:
    return [(r["status"], " ".join(r.get("errors", []))) for r in answer.json()["results"]]


def test_strict_checks_and_dedup(platform: CityPlatform) -> None:
    from edge.core.tracecode import luhn_check_digit

    code = SALE["sale_tran_id"][:19] + luhn_check_digit(SALE["sale_tran_id"][:19])
    good = Record("sale:x:1", "retail_market_tran_info_summ", {**SALE, "sale_tran_id": code})
    assert _status(_post(platform, [good])) == [("accepted", "")]
    assert _status(_post(platform, [good], "xml")) == [("duplicate", "")]  # XML reads back to the same record
    altered = Record("sale:x:1", good.view, {**good.data, "weight": "2.000"})
    assert "already held with other content" in _status(_post(platform, [altered]))[0][1]
    bad = {
        "retail_market_id": ("620102", "9-digit node id"),
        "retailer_id": ("3302123340001", "starting with the node id"),
        "batch_id": ("B-2001-01", "20-digit (meat) or 16-digit"),
        "weight": ("1.2", "kg with 3 decimals"),
        "price": ("32.8", "yuan with 2 decimals"),
        "sale_tran_id": (code[:-1] + str((int(code[-1]) + 1) % 10), "valid check digit"),
        "sale_date": ("2024-05-11", "before the goods-in date"),
        "goods_name": ("", "empty"),
    }
    for field, (value, why) in bad.items():
        answer = _post(platform, [Record(f"sale:bad-{field}", good.view, {**good.data, field: value})])
        status, errors = _status(answer)[0]
        assert status == "rejected" and why in errors, (field, errors)
    missing = {k: v for k, v in good.data.items() if k != "position_id"}
    assert "position_id: missing" in _status(_post(platform, [Record("sale:m", good.view, missing)]))[0][1]
    extra = {**good.data, "phone": "13800000000"}
    assert "phone: unknown field" in _status(_post(platform, [Record("sale:e", good.view, extra)]))[0][1]
    junk = httpx.post(platform.url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert junk.status_code == 400
    stats = platform.store.stats()
    assert (stats["records"], stats["duplicates"]) == (1, 1)


def test_down_as_503_and_refused_then_up(platform: CityPlatform) -> None:
    platform.down("503")
    assert httpx.post(platform.url, content=b"{}").status_code == 503
    platform.down("refuse")  # the socket closes (a connection caught half-way is reset), then nothing listens
    wait_for(lambda: _refused(platform.url), 5, "connections refused")
    platform.up()
    assert httpx.get(platform.url.replace("/api/views", "/sim/stats")).json()["mode"] == ""
    platform.down("503", seconds=0.2)  # a timed outage ends by itself
    wait_for(lambda: platform.mode == "", 5, "the outage to end")


def _refused(url: str) -> bool:
    try:
        httpx.post(url, content=b"{}", timeout=2)
    except httpx.ConnectError:
        return True
    except httpx.TransportError:
        pass
    return False


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_forwarder_sets_refused_rows_aside_and_keeps_going(
    tmp_path: Path, platform: CityPlatform, dialect: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path}/central.db" if dialect == "sqlite" else request.getfixturevalue("pg_url")
    db = register(url, tmp_path, 2)
    with db.connection() as conn:  # a legacy merchant without a sellable national id: the platform refuses it
        admin.add_market(conn, "old", "620102", "老市场")
        admin.add_merchant(conn, "m-old", "old", stall="B-1", display_name="老李", real_name="李", id_number="1",
                           phone="1")  # fmt: skip
        admin.add_batch(conn, "m-old", {"batch_id": "B-old", "plu": "1001", "supplier": "批发", "supplier_node": "",
                                        "upstream_code": "", "origin": "", "certificate": "",
                                        "arrival_date": "2024-05-12"})  # fmt: skip
    sales = store_hour(db, 2, 3)
    refund = dataclasses.replace(sale_builder("2024-05-12", refund_of=sales[0])(9, 9), scale_id=sales[0].scale_id,
                                 sale_id="refund-1")  # fmt: skip
    with db.connection() as conn:  # a refund is stored, but the city views have no refund: not queued
        store_sales(conn, SalesBatch(refund.scale_id, 9, 9, [SalesItem(9, "sale", refund.to_dict())]))
        assert conn.scalar("SELECT COUNT(*) FROM sales WHERE sale_id = 'refund-1'") == 1
        assert conn.scalar("SELECT COUNT(*) FROM forward_outbox WHERE ref = 'refund-1'") == 0
    forwarder = Forwarder(db, platform.url, fmt="json", batch_size=4)
    while forwarder.step():
        pass
    with db.connection() as conn:
        state = outbox.status(conn)
    assert (state["pending"], state["sent"], state["rejected"]) == (0, 4 + 6, 1)
    assert "9-digit node id" in state["recent_rejects"][0]["last_error"]
    assert platform.store.stats()["records"] == 4 + 12
    platform.down("503")
    with db.connection() as conn:
        admin.stop_sale(conn, "B-1001-01", "农残快检不合格")
    with pytest.raises(UpstreamDown, match="503"):
        forwarder.step()
    platform.up()
    assert forwarder.step() == 1 and platform.store.records("retail_market_stop_sale")[0]["data"]["reason"] == (
        "农残快检不合格"
    )


def test_backoff_doubles_to_its_cap() -> None:
    backoff = Backoff(base_s=1, cap_s=300, jitter=0.2, random=lambda: 0.0)
    assert [backoff.delay(n) for n in range(0, 11)] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert Backoff(base_s=1, cap_s=300, jitter=0.2, random=lambda: 1.0).delay(20) == 240
    # an hour down, the cap reached after ~9 tries: about 20 tries in the hour, not thousands
    waited, tries = 0.0, 0
    while waited < 3600:
        tries += 1
        waited += backoff.delay(tries)
    assert tries < 25


def test_cli_serves_and_answers(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "cityplatform", "--listen", "127.0.0.1:0",
                             "--db", str(tmp_path / "c.db")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        url = proc.stdout.readline().strip()
        assert url.endswith("/api/views")
        proc.stdin.write("down 503\n")
        proc.stdin.flush()
        wait_for(lambda: httpx.post(url, content=b"{}").status_code == 503, 10, "503 from the CLI's down")
        proc.stdin.write("up\n")
        proc.stdin.flush()
        wait_for(lambda: httpx.post(url, content=b"{}").status_code == 400, 10, "up again")
    finally:
        proc.terminate()
        proc.wait(10)
