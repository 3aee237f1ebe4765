"""The market office console in Chromium: each role logs in and does its day's work.

Against a real central over HTTP (tests/integration/console_support.py): the office
registers a merchant and a goods-in batch, finds the sales of a batch (问题可查, 流向可追)
and follows a ticket; the regulator sees every market, cannot register, and stops a
batch; the fleet table updates by itself. Screenshots at 1280x800 go to
var/browser-shots (the README's come from there).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from central import publish
from central.console.settings import ConsoleSettings
from central.keys import CentralKey
from central.localtime import now_ms
from central.mqtt import MqttUrl
from edge.core.batches import stopped_check
from edge.store.samples import PLUS
from edge.store.store import Store
from edge.sync.inbound import InboundHandler, Outcome
from tests.browser.conftest import overflow_problems, shot
from tests.integration.central_support import MARKET, REAL_NAME, ScaleClient, wait_for
from tests.integration.console_support import (
    OFFICE,
    OFFICE_PW,
    OTHER_MARKET,
    REGULATOR,
    REGULATOR_PW,
    ConsoleSite,
    build_site,
)  # fmt: skip

pytestmark = pytest.mark.integration


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ConsoleSite]:
    built = build_site(tmp_path)
    yield built
    built.server.stop()
    built.setup.db.close()


def _login(page, site: ConsoleSite, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site.base}/console/")
    assert "/console/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stack button")
    page.wait_for_url(f"{site.base}/console/")


def _view(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The whole page (for people) and the 1280x800 view a user first sees (the README's pictures)."""
    path = shot(page, name)
    page.screenshot(path=str(path.with_name(f"{name}-1280x800.png")))


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    problems = [p for p in overflow_problems(page) if "DIV.scroll" not in p]  # a wide table scrolls in its box
    assert problems == [], problems


def test_office_registers_a_merchant_and_a_batch_and_follows_a_batch_to_its_tickets(page_at, site) -> None:  # type: ignore[no-untyped-def]
    page = page_at("desktop")
    page.goto(f"{site.base}/console/login")
    _view(page, "console-login")
    _login(page, site, OFFICE, OFFICE_PW)
    assert "东方红市场管理处" in page.inner_text("header") and "市场管理处" in page.inner_text("header")
    _view(page, "console-overview")

    page.click("nav >> text=商户与摊位")
    assert REAL_NAME in page.inner_text("#merchants")  # the office sees the real name it registered
    form = page.locator("#merchant-form")
    person = {"merchant_id": "m-0077", "stall": "C-08", "display_name": "马师傅牛肉", "real_name": "马建军",
              "id_number": "620102198203034567", "phone": "13809310000"}  # fmt: skip
    for name, value in person.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button").click()
    page.wait_for_selector(".msg.ok")
    assert "商户已登记" in page.inner_text(".msg.ok") and "马建军" in page.inner_text("#merchants")
    _fits(page)
    _view(page, "console-merchants")

    page.click("nav >> text=进货批次")
    form = page.locator("#goods-in")
    form.locator("select[name=merchant_id]").select_option("m-0077")
    form.locator("select[name=plu]").select_option("1001")
    for name, value in {"batch_id": "B-C08-0001", "supplier": "兰州大青山农产品批发市场", "origin": "甘肃榆中",
                        "certificate": "QC2024051301", "inspection_cert": "RP2024051301", "weight_kg": "120.5",
                        "price_yuan": "2.10", "test_detail": "农残快检 抑制率 12%"}.items():  # fmt: skip
        form.locator(f"input[name={name}]").fill(value)
    form.locator("select[name=rapid_test]").select_option("pass")
    form.locator("button").click()
    page.wait_for_selector("#b-B-C08-0001")
    assert "批次已登记" in page.inner_text(".msg.ok")
    assert "未下发" in page.inner_text("#sent")  # this central has no broker: it says so instead of pretending
    with site.setup.db.connection() as conn:
        row = conn.one(
            "SELECT merchant_id, origin, active, weight_g, price_fen, inspection_cert, rapid_test FROM batches "
            "WHERE batch_id = 'B-C08-0001'"
        )
    assert row == {"merchant_id": "m-0077", "origin": "甘肃榆中", "active": 1, "weight_g": 120_500, "price_fen": 210,
                   "inspection_cert": "RP2024051301", "rapid_test": "pass"}  # fmt: skip
    _view(page, "console-batches")

    # 问题可查: find the sales of a batch, open the batch's flow, follow a ticket to the public page
    page.click("nav >> text=问题可查")
    page.fill("#search-form input[name=batch]", "B-1001-01")
    page.locator("#search-form button").click()
    page.wait_for_selector("#results")
    expected = {s.trace_code for s in site.sales for ln in s.lines if ln.batch_id == "B-1001-01"}
    codes = set(page.locator("#results a.code").all_inner_texts())
    assert codes == expected
    _fits(page)
    _view(page, "console-search")
    page.locator("#results a", has_text="B-1001-01").first.click()
    page.wait_for_selector("#flow")
    assert set(page.locator("#flow a.code").all_inner_texts()) == expected
    _view(page, "console-batch-flow")
    page.locator("#flow a.code").first.click()
    page.wait_for_selector("text=溯源查询")
    assert "/t/" in page.url and REAL_NAME not in page.content()  # the public page: no real name


def test_regulator_sees_all_markets_cannot_register_and_stops_a_batch(page_at, site) -> None:  # type: ignore[no-untyped-def]
    page = page_at("desktop")
    _login(page, site, REGULATOR, REGULATOR_PW)
    assert "市场监管" in page.inner_text("header")
    page.click("nav >> text=商户与摊位")
    table = page.inner_text("#merchants")
    assert "A-17" in table and "X-01" in table and REAL_NAME not in table
    assert page.locator("#merchant-form").count() == 0
    page.click("nav >> text=进货批次")
    assert page.locator("#goods-in").count() == 0

    page.goto(f"{site.base}/console/batches/B-1001-01")
    page.fill("#stop-sale input[name=reason]", "快检不合格：农残超标")
    page.once("dialog", lambda dialog: dialog.accept())  # the confirm() before a stop-sale
    page.locator("#stop-sale button").click()
    page.wait_for_selector("#batch-status.stop")
    assert page.inner_text("#batch-status") == "已停售" and "批次已停售" in page.inner_text(".msg.ok")
    with site.setup.db.connection() as conn:
        assert conn.scalar("SELECT active FROM batches WHERE batch_id = 'B-1001-01'") == 0
        audit = conn.one("SELECT username, action, detail FROM console_audit WHERE target = 'B-1001-01'")
    assert audit == {"username": REGULATOR, "action": "batch.stop_sale", "detail": "快检不合格：农残超标"}
    _view(page, "console-stop-sale")

    page.goto(f"{site.base}/console/reports?market={OTHER_MARKET}")
    assert page.locator("svg.chart").count() == 2
    page.goto(f"{site.base}/console/reports?market=lz-dfh&day=2024-05-12")
    _fits(page)
    _view(page, "console-daily-report")


def test_office_cannot_open_another_market_and_the_fleet_updates_live(page_at, site) -> None:  # type: ignore[no-untyped-def]
    page = page_at("desktop")
    _login(page, site, OFFICE, OFFICE_PW)
    answer = page.goto(f"{site.base}/console/merchants?market={OTHER_MARKET}")
    assert answer.status == 403 and "无权访问" in page.inner_text("main")
    page.goto(f"{site.base}/console/fleet")
    scale = site.setup.scales[1].scale_id
    cell = page.locator(f'tr[data-scale="{scale}"] [data-field=state]')
    assert cell.inner_text() == "离线"
    with site.setup.db.connection() as conn, conn.transaction():  # the scale's heartbeat arrives
        conn.execute(
            "INSERT INTO scale_status (scale_id, online, software_id, backlog, last_sale_ms, received_ms, lock_state, "
            "legal_changes) VALUES (?, 1, 'trace-scale 0.1.0 sha256:abcd', 3, ?, ?, 'locked-remotely', 7)",
            (scale, now_ms(), now_ms()),
        )
    expect(cell).to_have_text("在线", timeout=15_000)  # the page polls fleet.json every 5 s (CSP: no eval)
    assert page.locator(f'tr[data-scale="{scale}"] [data-field=backlog]').inner_text() == "3"
    assert page.locator(f'tr[data-scale="{scale}"] [data-field=lock]').inner_text() == "远程锁定 · 7"
    _fits(page)
    _view(page, "console-fleet")


def test_stop_sale_clicked_in_the_console_reaches_the_scale_which_refuses_the_batch(  # type: ignore[no-untyped-def]
    page_at, tmp_path: Path, mosquitto
) -> None:
    """The whole path: the office clicks 停售 -> central stops the batch and publishes the
    merchant's signed batches document over the real broker -> the scale takes it (signature
    checked) and refuses to sell from the batch, naming the reason and the next batch."""
    key = CentralKey.load_or_create(tmp_path / "central-key.pem")
    settings = ConsoleSettings(key=key)
    site = build_site(tmp_path, settings)
    try:
        broker = mosquitto(site.setup.db)
        url = MqttUrl.parse(broker.url("central", site.setup.central_password))
        settings.send = lambda docs: publish.send(url, docs, client_id="console-test")
        reg = site.setup.scales[0]
        scale = ScaleClient(broker.port, reg.scale_id, reg.password, "the-scale")
        topic = f"trace/v1/{MARKET}/{reg.scale_id}/batches"
        scale.subscribe(topic, f"trace/v1/{MARKET}/catalog")
        store = Store.open(tmp_path / "scale.db")
        inbound = InboundHandler(store, MARKET, reg.scale_id, key.public_key_b64())

        page = page_at("desktop")
        _login(page, site, OFFICE, OFFICE_PW)
        page.goto(f"{site.base}/console/batches/B-1001-01")
        page.fill("#stop-sale input[name=reason]", "农残快检不合格")
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#stop-sale button").click()
        page.wait_for_selector("#batch-status.stop")
        assert "已下发到秤: 2" in page.inner_text("#sent")  # both scales of the merchant got the document
        assert "农残快检不合格" in page.inner_text("#stop-reason")
        _view(page, "console-stop-sale-sent")

        wait_for(lambda: any(t == topic for t, _ in scale.received), 10, "the batches document at the scale")
        payload = next(p for t, p in scale.received if t == topic)
        assert inbound.handle("batches", topic, payload).outcome is Outcome.APPLIED
        stopped = store.get_batch("B-1001-01")
        assert stopped is not None and stopped.stopped and stopped.stop_reason == "农残快检不合格"
        cabbage = next(p for p in PLUS if p.plu == "1001")
        check = stopped_check(stopped, store.active_batches("1001"), cabbage)
        assert check is not None  # the scale refuses a line from this batch
        refusal, _offered = check
        assert refusal.code == "batch_stopped" and "已被市场停售：农残快检不合格" in refusal.zh
        assert [b.batch_id for b in store.active_batches("1001")] == []  # and offers no stopped batch instead

        # a new guide price, then the catalog to every scale of the market
        page.click("nav >> text=价格与目录")
        row = page.locator("#prices tr", has_text="白菜")
        row.locator("input[name=price_yuan]").fill("4.20")
        row.locator("form.price-form button").click()
        page.wait_for_selector(".msg.ok")
        page.locator("form[action='/console/catalog/push'] button").click()
        page.wait_for_selector("#sent")
        assert "已下发到秤: 1" in page.inner_text("#sent")  # one retained document for the market's scales
        wait_for(lambda: any(t.endswith("/catalog") for t, _ in scale.received), 10, "the catalog at the scale")
        catalog = next(p for t, p in scale.received if t.endswith("/catalog"))
        assert inbound.handle("catalog", f"trace/v1/{MARKET}/catalog", catalog).outcome is Outcome.APPLIED
        doc = json.loads(catalog)
        assert {p["plu"]: p["unit_price_fen"] for p in doc["body"]["plus"]}["1001"] == 420
        _view(page, "console-prices")
        scale.close()
        store.close()
    finally:
        site.server.stop()
        site.setup.db.close()
