"""Central's HTTP side: the consumer trace page, the regulator API and /openapi.json.

stdlib ``ThreadingHTTPServer``; :class:`App` maps a request to a :class:`Response` and
knows nothing of sockets, so tests can also call it directly. Every failure becomes a
400/401/404/500 page or JSON document without internals; the details go to the log.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from central import api, pages
from central.db import Database
from central.openapi import spec
from central.queries import sale_by_code
from edge.core.tracecode import TraceCodeError, parse_trace_code

if TYPE_CHECKING:
    from central.payment.service import Outgoing, PaymentService

log = logging.getLogger(__name__)
MAX_NOTIFY_BYTES = 64 * 1024  # a provider notification is a few KiB
HTML, JSON = "text/html; charset=utf-8", "application/json; charset=utf-8"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def html(cls, status: int, text: str) -> Response:
        return cls(status, HTML, text.encode("utf-8"))

    @classmethod
    def json(cls, status: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, JSON, body, headers or {})


class App:
    def __init__(
        self,
        db: Database,
        token: str | None,
        *,
        payments: PaymentService | None = None,
        publish: Callable[[list[Outgoing]], None] | None = None,
    ) -> None:
        self.db = db
        self.token = token or ""
        self.payments = payments  # provider notifications go here; ``publish`` sends the results on
        self.publish = publish
        self._spec = json.dumps(spec(), ensure_ascii=False, indent=1).encode("utf-8")

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Response:
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        is_api = path.startswith("/api/")
        lang = pages.lang_of(query)
        try:
            if method == "POST" and path.startswith("/pay/notify/"):
                return self._notify(path, headers, body)
            if method not in ("GET", "HEAD"):
                if is_api:
                    return Response.json(405, api.error(405, "method", f"{method} is not supported here; use GET")[1])
                return Response.html(405, pages.error(lang, 405))
            if is_api:
                return self._api(path, query, headers)
            return self._page(path, query, lang)
        except api.BadRequest as exc:
            return Response.json(400, api.error(400, exc.code, str(exc), exc.message_zh)[1])
        except Exception:
            log.exception("%s %s failed", method, path)
            if is_api:
                return Response.json(500, api.error(500, "internal", "central could not answer; try again later")[1])
            return Response.html(500, pages.error(lang, 500))

    # --- consumer pages ---------------------------------------------------------------------

    def _page(self, path: str, query: dict[str, list[str]], lang: str) -> Response:
        if path == "/":
            return Response.html(200, pages.home(lang))
        if path == "/healthz":
            with self.db.connection() as conn:
                conn.scalar("SELECT 1")
            return Response(200, "text/plain; charset=utf-8", b"ok\n")
        if path == "/openapi.json":
            return Response(200, JSON, self._spec)
        if path == "/lookup":  # the form: send the reader to the code's own address
            typed = query.get("code", [""])[0]
            try:
                code = parse_trace_code(typed).code
            except TraceCodeError as exc:
                return Response.html(400, pages.bad_code(lang, typed, exc.text(lang)))
            suffix = "?lang=en" if lang == "en" else ""
            return Response(303, HTML, b"", {"Location": f"/t/{quote(code)}{suffix}"})
        if path.startswith("/t/"):
            typed = path.removeprefix("/t/")
            try:
                code = parse_trace_code(typed).code
            except TraceCodeError as exc:
                return Response.html(400, pages.bad_code(lang, typed, exc.text(lang)))
            with self.db.connection() as conn:
                sale = sale_by_code(conn, code)
            if sale is None:
                return Response.html(404, pages.not_found(lang, code))
            return Response.html(200, pages.sale(lang, sale))
        if path.startswith("/firmware/") and path.count("/") == 3:  # a release's wheel, for OTA
            from central.firmware import release_file

            _, _, version, wheel = path.split("/")
            with self.db.connection() as conn:
                stored = release_file(conn, version, wheel)
            if stored is not None and stored.is_file():
                return Response(200, "application/octet-stream", stored.read_bytes())
        return Response.html(404, pages.error(lang, 404))

    # --- payment provider notifications -------------------------------------------------------

    def _notify(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        """POST /pay/notify/{provider}/{merchant_id}: the service verifies; answer as the provider expects."""
        parts = path.split("/")  # "", pay, notify, provider, merchant
        if self.payments is None or len(parts) != 5 or not parts[3] or not parts[4]:
            return Response(404, "text/plain; charset=utf-8", b"no such notification endpoint\n")
        try:
            (status, content_type, answer), outgoing = self.payments.handle_notification(
                parts[3], parts[4], headers, body
            )
        except Exception:  # e.g. the database is down: the provider retries later
            log.exception("payment notification %s not processed", path)
            return Response(503, "text/plain; charset=utf-8", b"try again later\n")
        if outgoing and self.publish is not None:
            try:
                self.publish(outgoing)
            except Exception:  # stored already; the scale can still query
                log.exception("payment results for %s not published", path)
        return Response(status, content_type, answer)

    # --- regulator API ----------------------------------------------------------------------

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
        if not self.token or scheme.lower() != "bearer":  # the scheme is case-insensitive (RFC 9110 11.1)
            return False
        return hmac.compare_digest(credentials.strip().encode(), self.token.encode())

    def _api(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Response:
        if not self._authorized(headers):
            why = (
                "send Authorization: Bearer <token> (the token central was started with)"
                if self.token
                else "this central has no API token configured; start it with --token or CENTRAL_API_TOKEN"
            )
            return Response.json(
                401, api.error(401, "unauthorized", why, "需要有效的访问令牌")[1], {"WWW-Authenticate": "Bearer"}
            )
        parts = path.strip("/").split("/")  # api, v1, ...
        with self.db.connection() as conn:
            if len(parts) == 4 and parts[2] == "sales":
                status, doc = api.get_sale(conn, parts[3])
            elif len(parts) == 5 and parts[2] == "batches" and parts[4] == "flow":
                status, doc = api.get_flow(conn, parts[3])
            elif parts == ["api", "v1", "search"]:
                status, doc = api.get_search(conn, query)
            elif parts == ["api", "v1", "fleet"]:
                status, doc = api.get_fleet(conn, query)
            elif parts == ["api", "v1", "prices"]:
                status, doc = api.get_prices(conn, query)
            elif parts == ["api", "v1", "daily"]:
                status, doc = api.get_daily(conn, query)
            elif parts == ["api", "v1", "payments", "reconcile"]:
                from central.payment.reconcile import get_reconcile

                status, doc = get_reconcile(conn, query)
            else:
                status, doc = api.error(404, "not_found", f"no API route {path}; see /openapi.json")
        return Response.json(status, doc)


def _handler(app: App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "central"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = headers.get("content-length", "0").strip()
            if self.command == "POST" and self.path.startswith("/pay/notify/") and length.isdigit():
                if int(length) > MAX_NOTIFY_BYTES:
                    response = Response(413, "text/plain; charset=utf-8", b"notification too large\n")
                else:
                    response = app.handle(self.command, self.path, headers, self.rfile.read(int(length)))
            else:
                response = app.handle(self.command, self.path, headers)
            if self.command not in ("GET", "HEAD"):
                self.close_connection = True  # a request body we did not read must not be taken as the next request
                response.headers["Connection"] = "close"
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in {**_SECURITY_HEADERS, **response.headers}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler


class HttpServer:
    """The HTTP side in a background thread; ``port`` is the bound port (0 picks a free one)."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self._server = ThreadingHTTPServer((host, port), _handler(app))
        self._server.daemon_threads = True
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="central-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
