"""A central with the console for tests: one market with sales (central_support), a second
market of its own, an office user for each and a city regulator, served over real HTTP.

:class:`ConsoleClient` is a browser without a browser: a cookie jar, the CSRF token read
from the last page, form posts.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from central import admin
from central.console import users
from central.console.settings import ConsoleSettings
from central.http import App, HttpServer
from central.ingest import check_signatures, store_sales
from central.keys import load_public_key
from central.validate import Topic, load_json, parse_sales
from edge.core.records import Sale
from edge.store.samples import BATCHES, PLUS
from tests.integration.central_support import MARKET, Setup, register, sales_message

OTHER_MARKET, OTHER_MERCHANT, OTHER_BATCH = "lz-xg", "m-9001", "B-XG-0001"
OFFICE, OFFICE_PW = "dfh-office", "dfh-office-pass"
OTHER_OFFICE, OTHER_PW = "xg-office", "xg-office-pass"
REGULATOR, REGULATOR_PW = "city-regulator", "city-regulator-pass"
OTHER_REAL_NAME = "孙秀兰"


@dataclass
class ConsoleSite:
    setup: Setup
    server: HttpServer
    sales: list[Sale]
    settings: ConsoleSettings = field(default_factory=ConsoleSettings)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


def ingest(setup: Setup, scale_index: int, first: int, sales: list[Sale]) -> None:
    scale = setup.scales[scale_index]
    topic = Topic(MARKET, scale.scale_id, "sales")
    batch = parse_sales(load_json(sales_message(scale.scale_id, first, [("sale", s) for s in sales])), topic)
    with setup.db.connection() as conn:
        result = store_sales(conn, check_signatures(batch, load_public_key(scale.key.public_key_b64())))
    assert not result.bad


def build_site(workdir: Path, settings: ConsoleSettings | None = None, db_url: str = "") -> ConsoleSite:
    setup = register(db_url or f"sqlite:///{workdir / 'central.db'}", workdir)
    sales = [setup.scales[0].sale(n, lines=3) for n in range(1, 5)]
    ingest(setup, 0, 1, sales)
    with setup.db.connection() as conn:
        admin.set_catalog(conn, MARKET, [p.to_dict() for p in PLUS])
        admin.add_market(conn, OTHER_MARKET, "620103", "西固农贸市场", "兰州")
        admin.add_merchant(conn, OTHER_MERCHANT, OTHER_MARKET, stall="X-01", display_name="西固老孙",
                           real_name=OTHER_REAL_NAME, id_number="620104198001011111", phone="13300000000")  # fmt: skip
        admin.add_batch(conn, OTHER_MERCHANT, {**BATCHES[0].to_dict(), "batch_id": OTHER_BATCH})
        users.add_user(conn, OFFICE, OFFICE_PW, users.OFFICE, MARKET, "东方红市场管理处")
        users.add_user(conn, OTHER_OFFICE, OTHER_PW, users.OFFICE, OTHER_MARKET)
        users.add_user(conn, REGULATOR, REGULATOR_PW, users.REGULATOR, display_name="市场监管局")
    settings = settings or ConsoleSettings()
    server = HttpServer(App(setup.db, "api-token", console=settings), "127.0.0.1", 0)
    server.start()
    return ConsoleSite(setup, server, sales, settings)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class ConsoleClient:
    def __init__(self, base: str, *, follow: bool = True) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPCookieProcessor(self.jar)]
        if not follow:
            handlers.append(_NoRedirect())
        self.opener = urllib.request.build_opener(*handlers)
        self.csrf = ""

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=20) as response:
                answer = Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as exc:
            answer = Answer(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())
        found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self._open(urllib.request.Request(self.base + urllib.parse.quote(path, safe="/?=&%#"), None,
                                                 headers or {}))  # fmt: skip

    def post(self, path: str, fields: dict[str, str], *, csrf: str | None = None,
             headers: dict[str, str] | None = None) -> Answer:  # fmt: skip
        body = urllib.parse.urlencode({"csrf": self.csrf if csrf is None else csrf, **fields}).encode()
        request = urllib.request.Request(self.base + urllib.parse.quote(path, safe="/?=&%"), body, headers or {})
        return self._open(request)

    def login(self, username: str, password: str) -> Answer:
        return self.post("/console/login", {"username": username, "password": password, "next": "/console/"})
