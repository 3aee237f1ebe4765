"""The consumer trace page and the regulator API over real HTTP (SQLite)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from central import admin
from central.http import App, HttpServer
from central.ingest import check_signatures, store_sales
from central.keys import load_public_key
from central.localtime import local_date
from central.validate import Topic, load_json, parse_sales
from edge.core.tracecode import format_trace_code, make_trace_code
from edge.store.samples import PLUS
from tests.integration.central_support import (
    DAY,
    ID_NUMBER,
    MARKET,
    PHONE,
    REAL_NAME,
    Setup,
    register,
    sales_message,
)  # fmt: skip

pytestmark = pytest.mark.integration
TOKEN = "s3cret-token"


def _ingest(setup: Setup, i: int, first: int, sales: list) -> None:  # type: ignore[type-arg]
    scale = setup.scales[i]
    topic = Topic(MARKET, scale.scale_id, "sales")
    batch = parse_sales(load_json(sales_message(scale.scale_id, first, [("sale", s) for s in sales])), topic)
    with setup.db.connection() as conn:
        result = store_sales(conn, check_signatures(batch, load_public_key(scale.key.public_key_b64())))
    assert not result.bad


@pytest.fixture
def site(tmp_path: Path):  # type: ignore[no-untyped-def]
    setup = register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path)
    scale = setup.scales[0]
    sales = [scale.sale(n, lines=3) for n in range(1, 4)]
    _ingest(setup, 0, 1, sales)
    with setup.db.connection() as conn:
        admin.set_catalog(conn, MARKET, [p.to_dict() for p in PLUS])
        admin.set_market_phone(conn, MARKET, "0931-8123456")
    server = HttpServer(App(setup.db, TOKEN), "127.0.0.1", 0)
    server.start()
    yield setup, f"http://127.0.0.1:{server.port}", sales
    server.stop()
    setup.db.close()


def _get(url: str, token: str | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def _text(html: str) -> str:
    """What a reader sees: the page's text without tags."""
    return re.sub(r"<[^>]+>", "", html)


def _wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_consumer_page_for_a_known_code_in_chinese_without_personal_data(site) -> None:  # type: ignore[no-untyped-def]
    _setup, base, sales = site
    sale = sales[0]
    status, ctype, html = _get(f"{base}/t/{sale.trace_code}")
    assert status == 200 and ctype.startswith("text/html")
    assert "东方红综合市场" in html and "A-17" in html and "老王蔬菜" in html
    assert "产地" in html and "甘肃榆中" in html and "兰州大青山农产品批发市场" in html
    assert "QC10010001" in html and "2024-05-12" in html
    line = sale.lines[0]
    kg = f"{line.net_g // 1000}.{line.net_g % 1000:03d} kg"
    assert kg in html and f"¥{line.amount_fen // 100}.{line.amount_fen % 100:02d}" in html
    assert f"¥{sale.total_fen // 100}.{sale.total_fen % 100:02d}" in html
    assert "2024-05-12 " in html or local_date(sale.created_ms) in html  # local time shown
    for private in (REAL_NAME, ID_NUMBER, PHONE, sale.operator):
        assert private not in html
    # typed with spaces, as grouped on the ticket; and in English
    # the page is the ticket: payment, sale number, grouped code; complaints go to the office or 12315
    text = _text(html)
    assert "支付方式现金 已支付" in text and f"流水号{sale.seq}" in text
    assert format_trace_code(sale.trace_code) in text
    assert "东方红综合市场管理处 0931-8123456" in text and "12315" in text
    # typed with spaces, as grouped on the ticket; and in English, with the catalog's English names
    status, _, html = _get(f"{base}/t/{format_trace_code(sale.trace_code).replace(' ', '%20')}?lang=en")
    assert status == 200 and "Origin" in html and "Stall" in html
    assert "Chinese cabbage" in html and "白菜" not in html
    assert "Payment" in _text(html) and "Cash paid" in _text(html) and "0931-8123456" in html


def test_mistyped_and_unknown_codes(site) -> None:  # type: ignore[no-untyped-def]
    _setup, base, sales = site
    wrong = _wrong_check_digit(sales[0].trace_code)
    status, _, html = _get(f"{base}/t/{wrong}")
    assert status == 400 and "校验位不符" in html
    assert format_trace_code(wrong) in _text(html)  # what was typed, grouped as on the ticket
    assert f'href="/lookup?code={wrong}&amp;lang=en"' in html  # the English link keeps the code
    status, _, html = _get(f"{base}/t/12345")
    assert status == 400 and "溯源码应为20位数字，您输入了5位" in html
    status, _, html = _get(f"{base}/lookup?code={wrong}&lang=en")
    assert status == 400 and "check digit" in html and format_trace_code(wrong) in _text(html)
    unknown = make_trace_code("620102", 9, date(2024, 5, 13), 1)  # well formed, never sold
    status, _, html = _get(f"{base}/t/{unknown}")
    assert status == 404 and "未找到该溯源码" in html
    status, _, html = _get(f"{base}/nowhere")
    assert status == 404 and "Traceback" not in html
    status, _, html = _get(f"{base}/")
    assert status == 200 and "<form" in html
    # the form redirects a good code to its page and refuses a bad one on the spot
    status, _, html = _get(f"{base}/lookup?code={sales[1].trace_code}")
    assert status == 200 and format_trace_code(sales[1].trace_code) in _text(html)
    status, _, html = _get(f"{base}/lookup?code=abc")
    assert status == 400 and "只能包含数字" in html


def test_api_needs_its_token(site) -> None:  # type: ignore[no-untyped-def]
    _setup, base, sales = site
    for url in (f"{base}/api/v1/sales/{sales[0].trace_code}", f"{base}/api/v1/fleet"):
        assert _get(url)[0] == 401
        assert _get(url, "wrong")[0] == 401
        assert _get(url, TOKEN)[0] == 200


def test_api_answers(site) -> None:  # type: ignore[no-untyped-def]
    setup, base, sales = site
    status, ctype, body = _get(f"{base}/api/v1/sales/{sales[0].trace_code}", TOKEN)
    doc = json.loads(body)
    assert status == 200 and ctype.startswith("application/json")
    assert doc["sale_id"] == sales[0].sale_id and doc["total_fen"] == sales[0].total_fen
    assert [ln["net_g"] for ln in doc["lines"]] == [ln.net_g for ln in sales[0].lines]
    assert REAL_NAME not in body and ID_NUMBER not in body and PHONE not in body
    status, _, body = _get(f"{base}/api/v1/sales/{_wrong_check_digit(sales[0].trace_code)}", TOKEN)
    assert status == 400 and json.loads(body)["error"] == "trace_code_check_digit"

    flow = json.loads(_get(f"{base}/api/v1/batches/B-1001-01/flow", TOKEN)[2])
    expected = [s for s in sales for ln in s.lines if ln.batch_id == "B-1001-01"]
    assert flow["totals"]["lines"] == len(expected) and flow["batch"]["supplier"] == "兰州大青山农产品批发市场"
    assert {r["trace_code"] for r in flow["sales"]} == {s.trace_code for s in expected}
    assert _get(f"{base}/api/v1/batches/nope/flow", TOKEN)[0] == 404

    found = json.loads(_get(f"{base}/api/v1/search?product=%E7%99%BD%E8%8F%9C&origin=%E6%A6%86%E4%B8%AD", TOKEN)[2])
    assert found["count"] == len(expected) and all(r["name"] == "白菜" for r in found["lines"])
    none = json.loads(_get(f"{base}/api/v1/search?supplier=nobody&from={DAY}&to={DAY}", TOKEN)[2])
    assert none["count"] == 0
    assert _get(f"{base}/api/v1/search?from=yesterday", TOKEN)[0] == 400
    assert _get(f"{base}/api/v1/search", TOKEN)[0] == 400

    fleet = json.loads(_get(f"{base}/api/v1/fleet", TOKEN)[2])
    by_id = {s["scale_id"]: s for s in fleet["scales"]}
    assert by_id[setup.scales[0].scale_id]["acked_through"] == 3 and by_id[setup.scales[0].scale_id]["last_seen_ms"]
    assert by_id[setup.scales[1].scale_id]["online"] is False

    day = local_date(sales[0].created_ms)
    daily = json.loads(_get(f"{base}/api/v1/daily?market={MARKET}&date={day}", TOKEN)[2])
    assert daily["tickets"] == 3 and daily["total_fen"] == sum(s.total_fen for s in sales)
    assert _get(f"{base}/api/v1/daily?market={MARKET}", TOKEN)[0] == 400

    spec = json.loads(_get(f"{base}/openapi.json")[2])
    assert spec["openapi"].startswith("3.") and "/api/v1/batches/{batch_id}/flow" in spec["paths"]
