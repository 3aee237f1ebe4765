"""The outermost layer of central's ASGI app: limits, security headers and the last-resort 500.

It does what the stdlib server used to do by itself: refuse more than ``MAX_HEADERS``
header lines or ``MAX_HEADER_BYTES`` of them (431) and HTTP versions other than 1.0/1.1
(505); it also refuses request bodies over the route's limit (413) and answers an
unexpected exception with a page or error document that says nothing of the internals
(the traceback goes to the log). Every answer carries the security headers; a route may
set its own Content-Security-Policy (the console does) and that one wins.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from central import pages

log = logging.getLogger("central.http")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_HEADERS = 100  # as http.server (and most servers) allow
MAX_HEADER_BYTES = 64 * 1024  # all header lines together; a 60 KB bearer token still fits
MAX_NOTIFY_BYTES = 64 * 1024  # a provider notification is a few KiB
MAX_FORM_BYTES = 256 * 1024  # a console form
HTML, JSON, TEXT = "text/html; charset=utf-8", "application/json; charset=utf-8", "text/plain; charset=utf-8"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "referrer-policy": "no-referrer",
}


class BodyTooLarge(Exception):
    """The request body is over this route's limit."""


def body_limit(path: str) -> int:
    return MAX_NOTIFY_BYTES if path.startswith("/pay/notify/") else MAX_FORM_BYTES


def error_answer(scope: Scope, status: int) -> tuple[str, bytes]:
    """(content type, body) of an error the app itself did not answer: JSON under /api/, else a page."""
    path = scope.get("path", "")
    if path.startswith("/api/"):
        text = {413: "the request body is too large", 431: "too many request headers"}.get(
            status, "central could not answer; try again later"
        )
        code = {413: "too_large", 431: "too_many_headers"}.get(status, "internal")
        return JSON, json.dumps({"error": code, "message": text}, separators=(",", ":")).encode()
    if path.startswith("/pay/notify/"):
        return TEXT, b"notification too large\n" if status == 413 else b"try again later\n"
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return HTML, pages.error(pages.lang_of(query), status).encode("utf-8")


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("http_version", "1.1") not in ("1.0", "1.1"):
            await _answer(send, scope, 505)
            return
        if len(scope["headers"]) > MAX_HEADERS or sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADER_BYTES:
            await _answer(send, scope, 431)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, scope, 413)
            return
        started = False
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # a chunked body has no Content-Length to refuse up front
                raise BodyTooLarge
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _with_security_headers(message.get("headers", []))
            await send(message)

        try:
            await self.app(scope, counted_receive, secured_send)
        except BodyTooLarge:
            if not started:
                await _answer(send, scope, 413)
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if not started:
                await _answer(send, scope, 500)


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
    return [*headers, *extra]


async def _answer(send: Send, scope: Scope, status: int) -> None:
    content_type, body = error_answer(scope, status)
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": _with_security_headers(headers)})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
