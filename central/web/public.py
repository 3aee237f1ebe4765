"""Public routes: the consumer trace page (扫码溯源), health, firmware downloads, payment notifications.

The page content comes from :mod:`central.pages`; here only the addresses and status codes.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from central import pages
from central.queries import sale_by_code
from central.web.answers import first_values, html, lang, text
from central.web.services import Services, services
from edge.core.tracecode import TraceCodeError, parse_trace_code

log = logging.getLogger("central.http")
router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


@router.get("/")
def home(request: Request) -> Any:
    return html(200, pages.home(lang(request)))


@router.get("/healthz")
def healthz(svc: Svc) -> Any:
    with svc.db.connection() as conn:
        conn.scalar("SELECT 1")
    return text(200, b"ok\n")


@router.get("/lookup")
def lookup(request: Request) -> Any:
    """The form: send the reader to the code's own address."""
    language = lang(request)
    typed = first_values(request).get("code", [""])[0]
    try:
        code = parse_trace_code(typed).code
    except TraceCodeError as exc:
        return html(400, pages.bad_code(language, typed, exc.text(language)))
    suffix = "?lang=en" if language == "en" else ""
    return html(303, "", {"Location": f"/t/{quote(code)}{suffix}"})


@router.get("/t/{typed:path}")
def trace_page(request: Request, svc: Svc, typed: str) -> Any:
    language = lang(request)
    try:
        code = parse_trace_code(typed).code
    except TraceCodeError as exc:
        return html(400, pages.bad_code(language, typed, exc.text(language)))
    with svc.db.connection() as conn:
        sale = sale_by_code(conn, code)
    if sale is None:
        return html(404, pages.not_found(language, code))
    return html(200, pages.sale(language, sale))


@router.get("/firmware/{version}/{wheel}")
def firmware(request: Request, svc: Svc, version: str, wheel: str) -> Any:
    """A release's wheel, for OTA."""
    from central.firmware import release_file

    with svc.db.connection() as conn:
        stored = release_file(conn, version, wheel)
    if stored is not None and stored.is_file():
        return Response(stored.read_bytes(), 200, media_type="application/octet-stream")
    return html(404, pages.error(lang(request), 404))


@router.post("/pay/notify/{provider}/{merchant_id}")
async def notify(request: Request, provider: str, merchant_id: str) -> Any:
    """The payment service verifies; answer as the provider expects (central/payment)."""
    svc = services(request)
    if svc.payments is None:
        return text(404, b"no such notification endpoint\n")
    body = await request.body()  # the guard caps it at MAX_NOTIFY_BYTES
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await run_in_threadpool(_notify, svc, provider, merchant_id, headers, body)


def _notify(svc: Services, provider: str, merchant_id: str, headers: dict[str, str], body: bytes) -> Any:
    assert svc.payments is not None
    try:
        (status, content_type, answer), outgoing = svc.payments.handle_notification(
            provider, merchant_id, headers, body
        )
    except Exception:  # e.g. the database is down: the provider retries later
        log.exception("payment notification %s/%s not processed", provider, merchant_id)
        return text(503, b"try again later\n")
    if outgoing and svc.publish is not None:
        try:
            svc.publish(outgoing)
        except Exception:  # stored already; the scale can still query
            log.exception("payment results for %s/%s not published", provider, merchant_id)
    return Response(answer, status, media_type=content_type)
