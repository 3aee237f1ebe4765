"""The trace page and the regulator API under bad input, injection, missing tokens; no personal data out.

Against the real HTTP server of a central that received its sales over the real broker.
tests/integration/test_central_http.py checks the normal answers and a few mistyped
codes; here the requests are hostile.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import socket
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest

from central import admin
from central.http import App, HttpServer
from edge.core.records import Sale
from edge.core.tracecode import make_trace_code
from edge.store.samples import BATCHES
from tests.integration.central_support import ID_NUMBER, MARKET, PHONE, REAL_NAME, ScaleReg
from tests.security.conftest import TOKEN, Central, HttpAnswer

pytestmark = pytest.mark.integration

EVIL = '<script>alert("x")</script>'
EVIL_ATTR = '"><img src=x onerror=alert(1)>'
# two more merchants registered under their real names (实名登记): none of this may leave central
PEOPLE = {
    "m-evil": ("李秀英", "110105198507154321", "13800138000"),
    "m-0043": ("赵建国", "44030419791231002X", "18688886666"),
}
PRIVATE = [REAL_NAME, ID_NUMBER, PHONE, *(v for person in PEOPLE.values() for v in person)]
LEAK_MARKERS = ("Traceback", 'File "', "sqlite3", "psycopg", "OperationalError", "SELECT ", "syntax error")
OK_STATUSES = {200, 303, 400, 401, 404, 405}


def _register_people(central: Central) -> None:
    with central.setup.db.connection() as conn:
        for merchant_id, (real_name, id_number, phone) in PEOPLE.items():
            display = f"{EVIL}老李{EVIL_ATTR}" if merchant_id == "m-evil" else "老赵水果"
            admin.add_merchant(conn, merchant_id, MARKET, stall=f"B-{merchant_id[-2:]}{EVIL_ATTR}",
                               display_name=display, real_name=real_name, id_number=id_number, phone=phone)  # fmt: skip
        admin.add_batch(conn, "m-evil", {**BATCHES[0].to_dict(), "batch_id": "B-EVIL-01", "supplier": f"{EVIL}供货商",
                                         "origin": f"{EVIL_ATTR}产地", "certificate": EVIL})  # fmt: skip
        admin.assign_scale(conn, central.setup.scales[1].scale_id, "m-evil")


def _evil_sale(scale: ScaleReg, seq: int) -> Sale:
    """A sale of the evil merchant whose item name and origin (set at the scale) are markup too."""
    base = scale.sale(seq)
    line = dataclasses.replace(base.lines[0], name=f"{EVIL}白菜", origin=EVIL_ATTR, batch_id="B-EVIL-01")
    return scale.key.sign(dataclasses.replace(base, merchant_id="m-evil", stall=f"B-il{EVIL_ATTR}",
                                              lines=(line, *base.lines[1:]), signature=""))  # fmt: skip


@pytest.fixture
def site(central: Central) -> tuple[Central, list[Sale]]:
    _register_people(central)
    a, b = central.setup.scales
    sales_a, sales_b = [a.sale(1), a.sale(2)], [_evil_sale(b, 1), _evil_sale(b, 2)]
    assert central.send_sales(central.scale_client(0), 0, 1, sales_a) == 2
    assert central.send_sales(central.scale_client(1), 1, 1, sales_b) == 2
    return central, sales_a + sales_b


def _assert_safe(answer: HttpAnswer, what: str, allowed: set[int] = OK_STATUSES) -> None:
    assert answer.status in allowed, f"{what}: {answer.status} {answer.body[:300]}"
    for marker in LEAK_MARKERS:
        assert marker not in answer.body, f"{what}: {marker!r} in the body"
    if answer.headers.get("content-type", "").startswith("text/html"):  # JSON carries data as data (nosniff)
        assert "<script>" not in answer.body and "<img" not in answer.body, f"{what}: markup reflected unescaped"


def _quoted(target: str) -> str:
    """Percent-encode what cannot go on a request line (spaces, quotes, <>, non-ASCII); keep the rest as typed."""
    return quote(target, safe="/?&=%;:'()!*,+$@")


def _raw(central: Central, request: bytes) -> tuple[int, bytes]:
    """Bytes on the socket as they are (for what http.client refuses to send); (status, whole answer)."""
    with socket.create_connection(("127.0.0.1", central.http_port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if data.startswith(b"HTTP/"):
        return int(data.split(b" ", 2)[1]), data
    found = re.search(rb"Error code: (\d+)", data)  # the stdlib answers an unparsable request line HTTP/0.9-style
    return (int(found.group(1)) if found else 0), data


def test_path_and_query_fuzz_never_gives_500_or_internals(site) -> None:  # type: ignore[no-untyped-def]
    central, sales = site
    code = sales[0].trace_code
    wrong_digit = code[:-1] + str((int(code[-1]) + 1) % 10)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code)
    sql = ["' OR '1'='1", "1; DROP TABLE merchants--", '" OR ""="', "%27%20OR%201=1--"]
    injections = [*sql, EVIL, EVIL_ATTR]
    pages = [
        "/t/" + "9" * 10_000, "/" + "a" * 60_000, "/t/%00", f"/t/{code[:10]}%00{code[10:]}", "/%00", "/t/%",
        "/t/%zz", "/t/%FF%FE", "/t/../../etc/passwd", "/t/..%2F..%2Fetc%2Fpasswd", "/..", "/../../etc/passwd",
        "/t/%2e%2e/%2e%2e/", "//", "/t//", "/t/%20", "/t/中文", "/t/%E4%B8%AD%E6%96%87", f"/t/{fullwidth}",
        f"/t/{wrong_digit}", f"/t/{code}0", f"/t/{code[:-1]}", f"/t/{code}/extra", f"/t/{code}?lang=%00",
        f"/t/{code}?lang={EVIL}", f"/t/{code}?lang=en&lang=zh&lang=" + "x" * 5000, "/lookup", "/lookup?code=",
        "/lookup?code=%00", f"/lookup?code={code}&code={EVIL}", "/lookup?code=%E4%B8%AD", "/?lang=" + "e" * 10_000,
        "/openapi.json?x=%00", "/healthz/../openapi.json", "/robots.txt", "/.env", "/.git/config", "/admin",
        "/api", "/api/", "/api/v2/fleet",
    ]  # fmt: skip
    pages += [f"/t/{s}" for s in injections] + [f"/lookup?code={s}" for s in injections]
    for target in pages:
        for method in ("GET", "HEAD"):
            answer = central.http(method, _quoted(target))
            _assert_safe(answer, f"{method} {target[:80]}")
    api = [
        "/api/v1/sales/%00", "/api/v1/sales/", "/api/v1/sales/" + "1" * 5000, f"/api/v1/sales/{wrong_digit}",
        f"/api/v1/sales/{code}/x", "/api/v1/sales/..%2F..%2F", "/api/v1/batches/%00/flow", "/api/v1/batches//flow",
        "/api/v1/batches/../flow", "/api/v1/batches/" + "b" * 5000 + "/flow", "/api/v1/search",
        "/api/v1/search?product=x&limit=-1", "/api/v1/search?product=x&limit=0", "/api/v1/search?product=x&limit=1e3",
        "/api/v1/search?product=x&limit=99999999999999999999999", "/api/v1/search?product=x&offset=-5",
        "/api/v1/search?product=x&limit=%EF%BC%91", "/api/v1/search?from=2024-02-30", "/api/v1/search?from=9999-99-99",
        "/api/v1/search?to=0000-00-00", "/api/v1/search?from=20240512", "/api/v1/search?from=2024-05-12T00:00",
        "/api/v1/search?from=%00", "/api/v1/daily", "/api/v1/daily?market=x&date=yesterday",
        "/api/v1/daily?market=%00&date=2024-05-12", "/api/v1/fleet?market=%00", "/api/v1/", "/api/v1/sales",
    ]  # fmt: skip
    api += [f"/api/v1/search?product={s}" for s in injections] + [f"/api/v1/fleet?market={s}" for s in injections]
    api += [f"/api/v1/daily?market={s}&date=2024-05-12" for s in injections]
    api += [f"/api/v1/batches/{s}/flow" for s in injections] + [f"/api/v1/sales/{s}" for s in injections]
    for target in api:
        quoted = _quoted(target)
        answer = central.http("GET", quoted, {"Authorization": f"Bearer {TOKEN}"})
        _assert_safe(answer, f"GET {target[:80]}")
        assert answer.headers["content-type"].startswith("application/json"), target
        doc = json.loads(answer.body)
        if answer.status != 200:
            assert doc["error"] and doc["message"], target
        elif "lines" in doc and any(target.endswith(f"={s}") for s in sql):
            assert doc["count"] == 0, target  # an injected term matches nothing: it is a parameter, not SQL
        assert not [p for p in PRIVATE if p in answer.body], target
        assert central.http("GET", quoted).status == 401, target  # and nothing of it without the token
    assert central.count("SELECT COUNT(*) FROM merchants") == 3  # the DROP TABLE did nothing


def test_methods_headers_and_raw_requests(site) -> None:  # type: ignore[no-untyped-def]
    central, sales = site
    code = sales[0].trace_code
    for target in ("/", f"/t/{code}", "/lookup?code=1", "/api/v1/fleet", f"/api/v1/sales/{code}", "/openapi.json",
                   "/pay/notify/nowhere"):  # fmt: skip
        for method in ("POST", "PUT", "DELETE"):
            answer = central.http(method, target, {"Authorization": f"Bearer {TOKEN}", "Content-Length": "0"})
            _assert_safe(answer, f"{method} {target}", {400, 401, 403, 404, 405})
            if not target.startswith("/pay/"):
                assert answer.status == 405, f"{method} {target}"
        for method in ("PATCH", "OPTIONS", "TRACE", "FOO"):  # no handler at all: 501 from the HTTP layer
            answer = central.http(method, target)
            _assert_safe(answer, f"{method} {target}", {400, 404, 405, 501})
            assert target not in answer.body or answer.status != 200  # TRACE must not echo the request
    # huge headers: refused by the HTTP layer with 431, never a crash
    answer = central.http("GET", "/", {"X-Big": "a" * 70_000})
    _assert_safe(answer, "a 70 KB header", {400, 431})
    answer = central.http("GET", "/", {f"X-H{n}": "v" for n in range(150)})
    _assert_safe(answer, "150 headers", {400, 431})
    answer = central.http("GET", "/api/v1/fleet", {"Authorization": "Bearer " + "t" * 60_000})
    _assert_safe(answer, "a 60 KB token", {401})
    answer = central.http("GET", f"/t/{code}", {"Cookie": "c=" + "x" * 30_000, "Accept-Language": EVIL})
    _assert_safe(answer, "big cookie", {200})
    # bytes http.client will not send
    for request in (
        b"GET /t/\xff\xfe\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",  # request line too long: 414
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),  # a TLS ClientHello on the plain port
        b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /t/%00 HTTP/1.1\r\nHost: x\r\nX: \xff\xfe\r\n\r\n",
    ):  # fmt: skip
        status, data = _raw(central, request)
        assert status in {400, 404, 414, 431, 505}, (request[:40], status)
        assert not any(m.encode() in data for m in LEAK_MARKERS), request[:40]
    assert central.http("GET", f"/t/{code}").status == 200  # still serving


def test_injected_markup_is_escaped_on_the_trace_page(site) -> None:  # type: ignore[no-untyped-def]
    central, sales = site
    for sale in sales[2:]:
        for lang in ("", "?lang=en"):
            answer = central.http("GET", f"/t/{sale.trace_code}{lang}")
            assert answer.status == 200
            _assert_safe(answer, f"trace page {sale.trace_code}{lang}")
            html = answer.body
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;老李" in html  # the display name, escaped
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;白菜" in html  # the item name from the scale
            assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # stall / origin
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;供货商" in html  # supplier from central's batch
            assert answer.headers["content-security-policy"].startswith("default-src 'none'")
            assert answer.headers["x-content-type-options"] == "nosniff"


def _authorization_variants() -> dict[str, dict[str, str]]:
    basic = base64.b64encode(f"regulator:{TOKEN}".encode()).decode()
    return {
        "no header": {},
        "wrong token": {"Authorization": "Bearer not-the-token"},
        "token without scheme": {"Authorization": TOKEN},
        "Basic scheme": {"Authorization": f"Basic {basic}"},
        "Token scheme": {"Authorization": f"Token {TOKEN}"},
        "scheme only": {"Authorization": "Bearer"},
        "empty bearer": {"Authorization": "Bearer "},
        "prefix of the token": {"Authorization": f"Bearer {TOKEN[:-1]}"},
        "token plus a character": {"Authorization": f"Bearer {TOKEN}x"},
        "token upper-cased": {"Authorization": f"Bearer {TOKEN.upper()}"},
        "token in the query": {"X-Token": TOKEN},
        "non-ASCII token": {"Authorization": "Bearer 令牌".encode().decode("latin-1")},
    }


def _assert_refused(answer: HttpAnswer, what: str) -> None:
    assert answer.status == 401, f"{what}: {answer.status}"
    assert answer.headers.get("www-authenticate") == "Bearer", what
    doc = json.loads(answer.body)
    assert doc["error"] == "unauthorized" and doc["message"] and doc["message_zh"], what
    for private in PRIVATE:
        assert private not in answer.body, what


def test_the_regulator_api_needs_its_token(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    central, sales = site
    routes = [f"/api/v1/sales/{sales[0].trace_code}", "/api/v1/batches/B-1001-01/flow", "/api/v1/search?product=x",
              "/api/v1/fleet", f"/api/v1/daily?market={MARKET}&date=2024-05-12", "/api/v1/nowhere"]  # fmt: skip
    for route in routes:
        for what, headers in _authorization_variants().items():
            _assert_refused(
                central.http(
                    "GET",
                    route + ("&" if "?" in route else "?") + f"token={TOKEN}"
                    if what == "token in the query"
                    else route,
                    headers,
                ),
                f"{route}: {what}",
            )
        assert central.http("GET", route, {"Authorization": f"Bearer {TOKEN}"}).status in (200, 404)
    # a central started without a token refuses everyone, whatever they send
    for token in ("", None):
        server = HttpServer(App(central.setup.db, token), "127.0.0.1", 0)
        server.start()
        try:
            bare = Central(central.setup, central.broker, central.receiver, server.port)
            for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"},
                            {"Authorization": f"Bearer {TOKEN}"}):  # fmt: skip
                answer = bare.http("GET", "/api/v1/fleet", headers)
                _assert_refused(answer, f"token {token!r}: {headers}")
                assert "--token" in json.loads(answer.body)["message"]  # says how to fix it
            assert bare.http("GET", f"/t/{sales[0].trace_code}").status == 200  # the public page still works
        finally:
            server.stop()


def test_no_personal_data_on_any_public_page(site) -> None:  # type: ignore[no-untyped-def]
    central, sales = site
    unknown = make_trace_code("620102", 9, date(2024, 5, 13), 1)  # well formed, never sold
    targets = ["/", "/?lang=en", "/openapi.json", "/healthz", f"/t/{unknown}", "/t/12345", "/nowhere",
               "/lookup?code=abc"]  # fmt: skip
    for sale in sales:
        targets += [f"/t/{sale.trace_code}", f"/t/{sale.trace_code}?lang=en", f"/lookup?code={sale.trace_code}"]
    # the API without a token (error bodies) and, with it, the regulator's own answers
    api = [f"/api/v1/sales/{s.trace_code}" for s in sales] + [
        "/api/v1/batches/B-1001-01/flow", "/api/v1/batches/B-EVIL-01/flow", "/api/v1/fleet",
        f"/api/v1/search?market={MARKET}", f"/api/v1/daily?market={MARKET}&date=2024-05-12",
    ]  # fmt: skip
    answers = [(t, central.http("GET", t)) for t in targets + api]
    answers += [(t + " (token)", central.http("GET", t, {"Authorization": f"Bearer {TOKEN}"})) for t in api]
    for target, answer in answers:
        assert answer.status in (200, 303, 400, 401, 404), target
        for private in PRIVATE:
            assert private not in answer.body, f"{private} on {target}"
            assert private not in json.dumps(answer.headers, ensure_ascii=False), f"{private} in headers of {target}"
    # the trace pages did show the public face of those merchants (so the check above was looking)
    pages = {t: a.body for t, a in answers}
    assert "老王蔬菜" in pages[f"/t/{sales[0].trace_code}"] and "老李" in pages[f"/t/{sales[2].trace_code}"]
