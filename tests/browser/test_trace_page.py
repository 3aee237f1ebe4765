"""The consumer trace page in a real headless Chromium, served by a real ``central serve``.

A shopper scans the ticket's QR on a phone (360x740) or opens the page on a desktop
(1280x800): nothing may overflow the screen, the trace code must stay on one line with
no group broken, and the page must show everything the ticket does.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from central import admin
from central.ingest import check_signatures, store_sales
from central.keys import load_public_key
from central.validate import Topic, load_json, parse_sales
from edge.core.records import Payment, PaymentMethod, PaymentStatus, Pricing
from edge.core.tracecode import format_trace_code
from edge.store.samples import PLUS
from tests.broker import free_port
from tests.browser.conftest import overflow_problems, shot
from tests.integration.central_support import MARKET, register, sales_message, wait_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
OFFICE_PHONE = "0931-8123456"


@dataclasses.dataclass
class Site:
    url: str
    codes: list[str]


def _serve(db_url: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "central", "serve", "--db", db_url, "--http", f"127.0.0.1:{port}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, "central serve exited"
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    wait_for(up, 30, "central serve to answer /healthz")
    return proc, url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("trace-page")
    db_url = f"sqlite:///{work / 'central.db'}"
    setup = register(db_url, work, n_scales=1)
    scale = setup.scales[0]
    # a sale of four lines (three weighed, one piece item), paid by WeChat, and a one-line cash sale
    paid = Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx-1")
    sales = [scale.sale(1, lines=4, payment=paid), scale.sale(2, lines=1)]
    assert any(line.pricing is Pricing.PIECE for line in sales[0].lines)
    topic = Topic(MARKET, scale.scale_id, "sales")
    batch = parse_sales(load_json(sales_message(scale.scale_id, 1, [("sale", s) for s in sales])), topic)
    with setup.db.connection() as conn:
        result = store_sales(conn, check_signatures(batch, load_public_key(scale.key.public_key_b64())))
        assert not result.bad, result.bad
        admin.set_catalog(conn, MARKET, [p.to_dict() for p in PLUS])
        admin.set_market_phone(conn, MARKET, OFFICE_PHONE)
    setup.db.close()
    proc, url = _serve(db_url)
    yield Site(url, [s.trace_code for s in sales])
    proc.terminate()
    proc.wait(10)


# The trace code's groups: each must be one line box, and all on the same line.
_CODE_LINES_JS = """(selector) => {
  const groups = [...document.querySelectorAll(selector + ' .g')];
  return {
    groups: groups.map(g => g.textContent),
    boxes: groups.map(g => g.getClientRects().length),
    tops: [...new Set(groups.map(g => Math.round(g.getBoundingClientRect().top)))],
  };
}"""


def _code_layout(page: object, selector: str) -> dict[str, list[object]]:
    return page.evaluate(_CODE_LINES_JS, selector)  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_ticket_page_fits_and_shows_what_the_ticket_shows(page_at, site: Site, size: str) -> None:
    page = page_at(size)
    code = site.codes[0]
    page.goto(f"{site.url}/t/{code}")
    path = shot(page, f"trace-page-{size}")
    assert path.stat().st_size > 10_000
    assert overflow_problems(page) == []
    layout = _code_layout(page, ".codeblock")
    assert " ".join(layout["groups"]) == format_trace_code(code)
    assert layout["boxes"] == [1] * 5, "a group of the trace code is broken over two lines"
    assert len(layout["tops"]) == 1, f"the trace code wraps: {layout}"
    text = page.inner_text("body")
    for shown in ("东方红综合市场", "A-17", "老王蔬菜", "交易时间", "流水号", "白菜", "重量", "单价", "金额",
                  "件", "合计", "微信支付 已支付", "甘肃榆中"):  # fmt: skip
        assert shown in text, f"{shown!r} missing from the page"
    footer = page.inner_text("footer")
    assert OFFICE_PHONE in footer and "12315" in footer and "投诉" in footer


def test_english_names_and_footer(page_at, site: Site) -> None:
    page = page_at("phone", locale="en-US")
    page.goto(f"{site.url}/t/{site.codes[0]}")
    page.click("text=English")
    assert page.url.endswith(f"/t/{site.codes[0]}?lang=en")
    shot(page, "trace-page-phone-en")
    assert overflow_problems(page) == []
    text = page.inner_text("main")
    assert "Chinese cabbage" in text and "白菜" not in text and "WeChat Pay paid" in text
    assert "Complaints" in page.inner_text("footer") and "12315" in page.inner_text("footer")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_mistyped_code_keeps_what_was_typed_in_both_languages(page_at, site: Site, size: str) -> None:
    page = page_at(size)
    code = site.codes[1]
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    page.goto(f"{site.url}/")
    page.fill("input[name=code]", wrong)
    page.click("button")
    assert "校验位" in page.inner_text("main")
    layout = _code_layout(page, ".err")
    assert " ".join(layout["groups"]) == format_trace_code(wrong) and layout["boxes"] == [1] * 5
    assert len(layout["tops"]) == 1, f"the typed code wraps: {layout}"
    assert overflow_problems(page) == []
    shot(page, f"trace-typo-{size}")
    page.click("text=English")
    assert "check digit" in page.inner_text("main")
    layout = _code_layout(page, ".err")
    assert " ".join(layout["groups"]) == format_trace_code(wrong)  # the English page kept the code
    assert page.input_value("input[name=code]") == wrong
    assert overflow_problems(page) == []
