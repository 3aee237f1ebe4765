"""Central's HTTP side: the consumer trace page, the regulator API, /openapi.json, payment
notifications and the market office console, on FastAPI served by uvicorn.

:class:`App` holds the ASGI application (``App.asgi``) and answers one request in-process
with :meth:`App.handle` (no socket, for tests and tools); :class:`HttpServer` serves it
with uvicorn in a background thread. uvicorn's h11 protocol caps a request still being
read at 64 KiB (a bigger one gets 400); the guard (central/web/guard.py) caps the header
count and size and request bodies, and turns any failure into a page or JSON error
without internals.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from central.console.settings import ConsoleSettings
from central.db import Database
from central.web.app import create_app
from central.web.guard import HTML, JSON
from central.web.inprocess import call
from central.web.services import Services

if TYPE_CHECKING:
    from central.payment.service import Outgoing, PaymentService

log = logging.getLogger(__name__)
MAX_HEADER_BLOCK = 72 * 1024  # above the guard's 64 KiB of headers, so the guard answers those with 431

__all__ = ["HTML", "JSON", "App", "HttpServer", "Response"]


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class App:
    def __init__(
        self,
        db: Database,
        token: str | None,
        *,
        payments: PaymentService | None = None,
        publish: Callable[[list[Outgoing]], None] | None = None,
        console: ConsoleSettings | None = None,
    ) -> None:
        self.services = Services(db, token or "", payments, publish, console or ConsoleSettings())
        self.asgi = create_app(self.services)

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Response:
        answer = call(self.asgi, method, target, headers, body)
        named = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in answer["headers"]}
        return Response(answer["status"], named.pop("content-type", ""), answer["body"], named)


class _HalfCloseH11(H11Protocol):
    """uvicorn's h11 protocol, except that a client which half-closes after a complete request
    (``shutdown(SHUT_WR)``, as some probes and scripts do) still gets its answer, as the
    stdlib server gave it; uvicorn would drop the connection unanswered."""

    def eof_received(self) -> bool | None:
        if self.cycle is None or self.cycle.response_complete or self.conn.their_state is not h11.DONE:
            return None  # idle or mid-body: close, as uvicorn does
        self.cycle.keep_alive = False  # close once answered
        return True


class HttpServer:
    """uvicorn in a background thread; ``port`` is the bound port (0 picks a free one)."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self._socket = socket.create_server((host, port), family=_family(host), reuse_port=False)
        self.host, self.port = host, int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            app.asgi,
            http=_HalfCloseH11,  # h11: its incomplete-event cap bounds the header block; httptools has none
            h11_max_incomplete_event_size=MAX_HEADER_BLOCK,
            lifespan="off",
            log_config=None,
            access_log=True,
            server_header=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="central-http", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def start(self) -> None:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise OSError(f"the HTTP server on {self.host}:{self.port} did not start; see the log")
            threading.Event().wait(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
