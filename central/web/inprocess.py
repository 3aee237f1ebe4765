"""Call an ASGI app in this process, without a socket: one request in, the whole answer out.

What ``App.handle`` uses, so tests (and tools) can ask central a question directly. It
speaks the ASGI HTTP scope as uvicorn builds it: the path percent-decoded, the raw target
kept in ``raw_path``, header names lower-cased bytes.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote, urlsplit

from central.web.guard import ASGIApp, Message


async def _call(app: ASGIApp, method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    parts = urlsplit(target)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method.upper(),
        "scheme": "http", "path": unquote(parts.path), "raw_path": parts.path.encode("latin-1", "replace"),
        "query_string": parts.query.encode("latin-1", "replace"), "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers.items()],
        "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    answer: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # nobody disconnects in-process
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], message.get("headers", [])
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    if method.upper() == "HEAD":
        answer["body"] = b""
    return answer


def call(app: ASGIApp, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    """Runs in a thread of its own with its own event loop, so it works from any caller, also
    one whose thread already runs a loop (asyncio.run would refuse there; Playwright's sync
    API, for one, leaves a loop running in the main thread)."""
    with ThreadPoolExecutor(1, thread_name_prefix="central-inprocess") as pool:
        return pool.submit(asyncio.run, _call(app, method, target, headers, body)).result()
