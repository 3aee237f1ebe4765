"""The market office console over real HTTP: roles, markets, CSRF, sessions, exports.

The browser tests (tests/browser/test_console.py) click through the same pages in
Chromium; here the rules are checked request by request, including the ones a browser
would never send (a forged form, a foreign Origin, a stolen cookie after logout).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from central.console import data
from central.console.settings import ConsoleSettings
from central.localtime import local_dt
from tests.integration.central_support import ID_NUMBER, MARKET, PHONE, REAL_NAME
from tests.integration.console_support import (
    OFFICE,
    OFFICE_PW,
    OTHER_BATCH,
    OTHER_MARKET,
    OTHER_REAL_NAME,
    REGULATOR,
    REGULATOR_PW,
    ConsoleClient,
    ConsoleSite,
    build_site,
    ingest,
)  # fmt: skip

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ConsoleSite]:
    built = build_site(tmp_path)
    yield built
    built.server.stop()
    built.setup.db.close()


def _logged_in(site: ConsoleSite, username: str, password: str) -> ConsoleClient:
    client = ConsoleClient(site.base)
    answer = client.login(username, password)
    assert answer.status == 200 and client.csrf, answer.text[:300]
    return client


def test_login_is_required_and_wrong_passwords_are_refused(site: ConsoleSite) -> None:
    bare = ConsoleClient(site.base, follow=False)
    answer = bare.get("/console/merchants?market=x")
    assert answer.status == 303 and answer.headers["location"] == "/console/login?next=/console/merchants%3Fmarket%3Dx"
    assert bare.get("/console/fleet.json").status == 401
    assert bare.login(OFFICE, "not-the-password").status == 401
    assert bare.login("nobody", OFFICE_PW).status == 401
    answer = bare.login(OFFICE, OFFICE_PW)
    assert answer.status == 303 and answer.headers["location"] == "/console/"
    cookie = answer.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=strict", "Path=/console"):
        assert flag.lower() in cookie.lower(), cookie
    # a login may only send the user back into the console, never to another site
    answer = bare.post("/console/login", {"username": OFFICE, "password": OFFICE_PW, "next": "//evil.example/"})
    assert answer.headers["location"] == "/console/"


def test_five_failed_logins_lock_the_name_for_a_while(site: ConsoleSite) -> None:
    client = ConsoleClient(site.base)
    for _ in range(5):
        assert client.login(OFFICE, "wrong-password").status == 401
    answer = client.login(OFFICE, OFFICE_PW)
    assert answer.status == 429 and "5 分钟" in answer.text
    assert ConsoleClient(site.base).login(REGULATOR, REGULATOR_PW).status == 200  # others are not locked out


def test_the_office_sees_real_names_of_its_own_market_only(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    page = office.get("/console/merchants").text
    assert REAL_NAME in page and ID_NUMBER in page and PHONE in page and "A-17" in page
    assert OTHER_REAL_NAME not in page and "X-01" not in page
    assert office.get(f"/console/merchants?market={OTHER_MARKET}").status == 403
    assert office.get(f"/console/search?market={OTHER_MARKET}&product=白菜").status == 403
    assert office.get(f"/console/batches/{OTHER_BATCH}").status == 403
    assert office.get(f"/console/reports?market={OTHER_MARKET}").status == 403
    assert office.get(f"/console/fleet.json?market={OTHER_MARKET}").status == 403


def test_the_regulator_sees_every_market_without_real_names_and_cannot_register(site: ConsoleSite) -> None:
    city = _logged_in(site, REGULATOR, REGULATOR_PW)
    page = city.get("/console/merchants").text
    assert "A-17" in page and "X-01" in page and "老王蔬菜" in page
    for private in (REAL_NAME, ID_NUMBER, PHONE, OTHER_REAL_NAME):
        assert private not in page
    assert 'action="/console/merchants"' not in page  # no registration form
    fields = {"merchant_id": "m-7777", "stall": "Z-1", "display_name": "x", "real_name": "y", "id_number": "z",
              "phone": "1"}  # fmt: skip
    assert city.post("/console/merchants", fields).status == 403
    assert city.post("/console/prices", {"plu": "1001", "price_yuan": "9.99"}).status == 403
    assert city.post("/console/catalog/push", {}).status == 403
    with site.setup.db.connection() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM merchants WHERE merchant_id = 'm-7777'") == 0
        assert conn.scalar("SELECT unit_price_fen FROM catalog WHERE plu = '1001'") != 999
    assert city.get(f"/console/batches/{OTHER_BATCH}").status == 200
    assert city.get(f"/console/reports?market={OTHER_MARKET}").status == 200


def test_forms_need_the_session_csrf_token_and_a_same_origin(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    fields = {"merchant_id": "m-0100", "stall": "B-9", "display_name": "新摊", "real_name": "周一",
              "id_number": "620102199901019999", "phone": "13100000000"}  # fmt: skip
    assert office.post("/console/merchants", fields, csrf="forged").status == 403
    assert office.post("/console/merchants", fields, csrf="").status == 403
    assert office.post("/console/merchants", fields, headers={"Origin": "http://evil.example"}).status == 403
    with site.setup.db.connection() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM merchants WHERE merchant_id = 'm-0100'") == 0
    answer = office.post("/console/merchants", fields)
    assert answer.status == 200 and "商户已登记" in answer.text and "周一" in answer.text
    again = office.post("/console/merchants", fields)  # the same id twice: a clear message, nothing lost
    assert again.status == 400 and "已登记" in again.text and 'value="新摊"' in again.text


def test_registration_errors_are_shown_in_the_language_the_user_chose(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    fields = {"merchant_id": "m-0101", "stall": "B-10", "display_name": "新摊", "real_name": "周二",
              "id_number": "620102199901019998", "phone": ""}  # fmt: skip
    missing = office.post("/console/merchants", fields)
    assert missing.status == 400 and "实名登记须填写手机号" in missing.text
    assert "real-name registration" not in missing.text
    assert office.post("/console/merchants", {**fields, "phone": "13100000001"}).status == 200
    twice = office.post("/console/merchants", {**fields, "phone": "13100000001"})
    assert twice.status == 400 and "商户 m-0101" in twice.text and "已登记" in twice.text
    assert "already registered" not in twice.text
    office.get("/console/?lang=en")  # English from now on (the cookie keeps it)
    missing = office.post("/console/merchants", {**fields, "merchant_id": "m-0102"})
    assert missing.status == 400 and "real-name registration needs phone" in missing.text
    assert "实名登记" not in missing.text
    twice = office.post("/console/merchants", {**fields, "phone": "13100000001"})
    assert twice.status == 400 and "merchant m-0101" in twice.text and "is already registered" in twice.text
    assert "已登记" not in twice.text


def test_logout_ends_the_session_for_good(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    stolen = next(c for c in office.jar if c.name == "central_console").value
    assert office.post("/console/logout", {}).status == 200  # back on the login page
    thief = ConsoleClient(site.base, follow=False)
    answer = thief.get("/console/", {"Cookie": f"central_console={stolen}"})
    assert answer.status == 303 and answer.headers["location"].startswith("/console/login")


def test_search_by_batch_finds_every_sale_and_exports_csv_and_excel(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    expected = [(s, ln) for s in site.sales for ln in s.lines if ln.batch_id == "B-1001-01"]
    page = office.get("/console/search?batch=B-1001-01").text
    assert all(s.trace_code in page for s, _ in expected) and f"(1–{len(expected)})" in page
    by_supplier = office.get("/console/search?supplier=大青山&batch=B-1001-01").text  # supplier name, substring
    assert all(s.trace_code in by_supplier for s, _ in expected) and f"(1–{len(expected)})" in by_supplier
    assert "(0)" in office.get("/console/search?supplier=别的批发商").text
    by_merchant = office.get("/console/search?merchant=老王&batch=B-1001-01").text  # display name, substring
    assert all(s.trace_code in by_merchant for s, _ in expected)
    assert "620102" not in office.get("/console/search?merchant=nobody").text.split('id="results"')[1]
    flow = office.get("/console/batches/B-1001-01").text
    assert all(f"/t/{s.trace_code}" in flow for s, _ in expected)  # 流向可追: every ticket, linked

    answer = office.get("/console/search?batch=B-1001-01&export=csv")
    assert answer.headers["content-type"].startswith("text/csv") and answer.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["溯源码", "时间"] and len(rows) == len(expected) + 1
    amounts = sorted(Decimal(r[-1]) for r in rows[1:])
    assert amounts == sorted(Decimal(ln.amount_fen).scaleb(-2) for _, ln in expected)

    answer = office.get("/console/batches/B-1001-01?export=xlsx")
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.body)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][0] == "溯源码" and len(table) == len(expected) + 1
    grams = sorted(round(Decimal(str(r[5])) * 1000) for r in table[1:])
    assert grams == sorted(ln.net_g for _, ln in expected)


def test_reports_show_the_day_and_month_with_charts(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    total = sum(s.total_fen for s in site.sales)
    page = office.get("/console/reports?day=2024-05-12").text
    assert f'id="report-tickets">{len(site.sales)}<' in page and f"¥{total // 100}.{total % 100:02d}" in page
    assert page.count("<svg") == 2 and "<rect" in page
    with site.setup.db.connection() as conn:  # the chart's hours are local (Asia/Shanghai) hours
        hours = {h: fen for h, _n, fen in data.hourly(conn, MARKET, "2024-05-12") if fen}
    expected: dict[int, int] = {}
    for sale in site.sales:
        expected[local_dt(sale.created_ms).hour] = expected.get(local_dt(sale.created_ms).hour, 0) + sale.total_fen
    assert hours == expected
    monthly = office.get("/console/reports/monthly?month=2024-05").text
    assert "2024-05-12" in monthly and "<svg" in monthly
    rows = list(csv.reader(io.StringIO(office.get("/console/reports/monthly?month=2024-05&export=csv")
                                       .body.decode("utf-8-sig"))))  # fmt: skip
    assert rows[1][0] == "2024-05-12" and Decimal(rows[1][-1]) == Decimal(total).scaleb(-2)


def test_english_on_request_and_remembered(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    assert "商户与摊位" in office.get("/console/").text
    assert "Merchants &amp; stalls" in office.get("/console/?lang=en").text
    assert "Merchants &amp; stalls" in office.get("/console/fleet").text  # the cookie keeps it
    assert "商户与摊位" in office.get("/console/fleet?lang=zh").text


def test_console_pages_carry_a_strict_policy(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    answer = office.get("/console/fleet")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"
    assert office.get("/console/static/console.js").status == 200


def test_cli_creates_a_user_who_can_log_in(site: ConsoleSite, tmp_path: Path) -> None:
    env = {**os.environ, "CENTRAL_DB": site.setup.db.url, "PYTHONPATH": str(ROOT)}

    def central(*args: str, password: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "central", *args], input=password, env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    done = central("user", "add", "--name", "dfh-2", "--role", "office", "--market", MARKET, "--password-stdin",
                   password="a-long-password\n")  # fmt: skip
    assert done.returncode == 0 and "created" in done.stdout, done.stderr
    refused = central("user", "add", "--name", "x", "--role", "office", "--password-stdin", password="long-enough-pw\n")
    assert refused.returncode == 2 and "--market" in refused.stderr
    short = central("user", "add", "--name", "y", "--role", "regulator", "--password-stdin", password="short\n")
    assert short.returncode == 2 and "at least 10" in short.stderr
    assert _logged_in(site, "dfh-2", "a-long-password").get("/console/merchants").status == 200
    assert central("user", "password", "--name", "dfh-2", "--password-stdin", password="another-password\n"
                   ).returncode == 0  # fmt: skip
    assert ConsoleClient(site.base).login("dfh-2", "a-long-password").status == 401


def test_the_console_pages_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The same pages against a city database: the SQL is portable (no SQLite-only syntax)."""
    built = build_site(tmp_path, db_url=pg_url)
    try:
        office = _logged_in(built, OFFICE, OFFICE_PW)
        for path in ("/console/", "/console/merchants", "/console/batches", "/console/prices", "/console/fleet",
                     "/console/fleet.json", "/console/search?batch=B-1001-01&merchant=老王",
                     "/console/batches/B-1001-01", "/console/reports?day=2024-05-12",
                     "/console/reports/monthly?month=2024-05"):  # fmt: skip
            assert office.get(path).status == 200, path
        page = office.get("/console/reports?day=2024-05-12").text
        assert f'id="report-tickets">{len(built.sales)}<' in page
        assert office.post("/console/batches/B-1001-01/stop-sale", {"reason": "快检不合格"}).status == 200
    finally:
        built.server.stop()
        built.setup.db.close()


def test_goods_in_with_a_failed_rapid_test_is_registered_stopped(site: ConsoleSite) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    fields = {"merchant_id": "m-0042", "plu": "1001", "batch_id": "B-FAIL-01", "supplier": "某批发商", "origin": "外省",
              "arrival_date": "2024-05-12", "weight_kg": "50", "price_yuan": "1.8", "rapid_test": "fail",
              "test_detail": "农残抑制率 62%"}  # fmt: skip
    answer = office.post("/console/batches", fields)
    assert answer.status == 200 and "批次已登记" in answer.text
    with site.setup.db.connection() as conn:
        row = conn.one("SELECT active, stop_reason, weight_g, price_fen FROM batches WHERE batch_id = 'B-FAIL-01'")
    assert row == {"active": 0, "stop_reason": "农残抑制率 62%", "weight_g": 50_000, "price_fen": 180}
    page = office.get("/console/batches/B-FAIL-01").text
    assert "已停售" in page and "农残抑制率 62%" in page and 'id="stop-sale"' not in page
    bad = office.post("/console/batches", {**fields, "batch_id": "B-FAIL-02", "weight_kg": "1.2345"})
    assert bad.status == 400 and "最多 3 位小数" in bad.text and 'value="B-FAIL-02"' in bad.text


def test_search_pages_through_many_lines(site: ConsoleSite) -> None:
    more = [site.setup.scales[1].sale(n, lines=3) for n in range(1, 80)]
    ingest(site.setup, 1, 1, more)
    office = _logged_in(site, OFFICE, OFFICE_PW)
    total = 3 * (len(site.sales) + len(more))
    first = office.get("/console/search?from=2024-05-12&to=2024-05-12").text
    assert "(1–200)" in first and 'id="next-page"' in first
    last = office.get(f"/console/search?from=2024-05-12&to=2024-05-12&page={total // 200}").text
    assert f"({total // 200 * 200 + 1}–{total})" in last and 'id="next-page"' not in last
    rows = office.get("/console/search?from=2024-05-12&to=2024-05-12&page=1&export=csv").body.decode("utf-8-sig")
    assert len(rows.strip().splitlines()) == total + 1  # the export has them all, from the first


def test_the_office_sets_price_bounds_that_the_catalog_carries_to_the_scales(tmp_path: Path) -> None:
    from central.keys import CentralKey
    from central.publish import Document
    from edge.core.prices import price_bounds
    from edge.core.records import Plu

    sent: list[Document] = []
    built = build_site(tmp_path, ConsoleSettings(key=CentralKey.load_or_create(tmp_path / "key.pem"), send=sent.extend))
    try:
        office = _logged_in(built, OFFICE, OFFICE_PW)
        page = office.get("/console/prices").text
        assert 'action="/console/prices/bounds"' in page and "修改限价" in page
        answer = office.post("/console/prices/bounds", {"plu": "1001", "min_yuan": "3", "max_yuan": "4.5"})
        assert answer.status == 200 and "限价已保存" in answer.text and "¥3.00 – ¥4.50" in answer.text
        # only a highest price: the lowest stays the scale's default (guide price -50 %)
        answer = office.post("/console/prices/bounds", {"plu": "1002", "min_yuan": "", "max_yuan": "8"})
        assert answer.status == 200 and "默认 – ¥8.00" in answer.text
        with built.setup.db.connection() as conn:
            stored = conn.all("SELECT plu, price_min_fen, price_max_fen FROM catalog WHERE plu IN ('1001', '1002') "
                              "ORDER BY plu")  # fmt: skip
            audit = conn.all("SELECT username, target, detail FROM console_audit WHERE action = 'price.bounds' "
                             "ORDER BY target")  # fmt: skip
        assert stored == [{"plu": "1001", "price_min_fen": 300, "price_max_fen": 450},
                          {"plu": "1002", "price_min_fen": None, "price_max_fen": 800}]  # fmt: skip
        assert audit == [{"username": OFFICE, "target": f"{MARKET}/1001", "detail": "300-450"},
                         {"username": OFFICE, "target": f"{MARKET}/1002", "detail": "-800"}]  # fmt: skip

        assert office.post("/console/catalog/push", {}).status == 200
        entries = {p["plu"]: p for p in sent[-1].doc["body"]["plus"]}
        assert (entries["1001"]["price_min_fen"], entries["1001"]["price_max_fen"]) == (300, 450)
        assert "price_min_fen" not in entries["1002"] and entries["1002"]["price_max_fen"] == 800
        assert price_bounds(Plu.from_dict(entries["1002"])) == (230, 800)  # what the scale then allows: 4.60 -50 %
        assert "price_max_fen" not in entries["2001"]  # untouched PLUs keep the default

        # emptying both fields goes back to the default
        assert office.post("/console/prices/bounds", {"plu": "1002", "min_yuan": "", "max_yuan": ""}).status == 200
        with built.setup.db.connection() as conn:
            assert conn.one("SELECT price_min_fen, price_max_fen FROM catalog WHERE plu = '1002'") == {
                "price_min_fen": None, "price_max_fen": None}  # fmt: skip
    finally:
        built.server.stop()
        built.setup.db.close()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"min_yuan": "4.5", "max_yuan": "9"}, "最低价 ¥4.50 高于指导价 ¥3.98"),
        ({"min_yuan": "1", "max_yuan": "3.5"}, "最高价 ¥3.50 低于指导价 ¥3.98"),
        ({"min_yuan": "1.005", "max_yuan": ""}, "最多 2 位小数"),
        ({"min_yuan": "-1", "max_yuan": ""}, "最多 2 位小数"),
        ({"min_yuan": "0", "max_yuan": ""}, "应大于 0"),
        ({"min_yuan": "", "max_yuan": "1e3"}, "最多 2 位小数"),
        ({"plu": "9999", "min_yuan": "1", "max_yuan": "5"}, "不在 lz-dfh 的目录中"),
    ],
)  # fmt: skip
def test_bad_price_bounds_are_refused_with_the_reason(site: ConsoleSite, fields: dict[str, str], reason: str) -> None:
    office = _logged_in(site, OFFICE, OFFICE_PW)
    answer = office.post("/console/prices/bounds", {"plu": "1001", **fields})
    assert answer.status == 400 and reason in answer.text, answer.text[-600:]
    with site.setup.db.connection() as conn:
        assert conn.one("SELECT price_min_fen, price_max_fen FROM catalog WHERE plu = '1001'") == {
            "price_min_fen": None, "price_max_fen": None}  # fmt: skip
        assert conn.scalar("SELECT COUNT(*) FROM console_audit WHERE action = 'price.bounds'") == 0


def test_the_regulator_cannot_change_price_bounds_and_a_guide_price_must_stay_within_them(site: ConsoleSite) -> None:
    city = _logged_in(site, REGULATOR, REGULATOR_PW)
    page = city.get(f"/console/prices?market={MARKET}").text
    assert 'action="/console/prices/bounds"' not in page
    assert city.post("/console/prices/bounds", {"plu": "1001", "min_yuan": "1", "max_yuan": "5"}).status == 403
    office = _logged_in(site, OFFICE, OFFICE_PW)
    assert office.post("/console/prices/bounds", {"plu": "1001", "min_yuan": "3", "max_yuan": "5"}).status == 200
    answer = office.post("/console/prices", {"plu": "1001", "price_yuan": "5.50"})
    assert answer.status == 400 and "最高价 ¥5.00 低于指导价 ¥5.50" in answer.text
    with site.setup.db.connection() as conn:
        assert conn.one("SELECT unit_price_fen, price_min_fen, price_max_fen FROM catalog WHERE plu = '1001'") == {
            "unit_price_fen": 398, "price_min_fen": 300, "price_max_fen": 500}  # fmt: skip
