"""The regulator API under /api/v1 (behind the bearer token); its OpenAPI is generated from here.

The handlers in :mod:`central.api` do the work and validate the parameters themselves
(their messages say what to type), so every parameter is declared as an optional string:
FastAPI's own validation never answers, and an error is always ``{"error", "message"}``.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from central import api
from central.web.answers import json_doc
from central.web.services import Services, services

_bearer = HTTPBearer(auto_error=False, description="the token central was started with (--token)")


class ErrorDoc(BaseModel):
    error: str = Field(description="machine-readable code")
    message: str = Field(description="what is wrong and what to do (English)")
    message_zh: str | None = Field(None, description="the same in Chinese, where available")


class ApiRefused(Exception):
    """Answered as an error document by the app's handler."""

    def __init__(self, status: int, doc: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(doc.get("message", ""))
        self.status, self.doc, self.headers = status, doc, headers or {}


def authorized(svc: Services, header: str) -> bool:
    scheme, _, credentials = header.strip().partition(" ")
    if not svc.token or scheme.lower() != "bearer":  # the scheme is case-insensitive (RFC 9110 11.1)
        return False
    return hmac.compare_digest(credentials.strip().encode(), svc.token.encode())


def unauthorized(svc: Services) -> ApiRefused:
    why = (
        "send Authorization: Bearer <token> (the token central was started with)"
        if svc.token
        else "this central has no API token configured; start it with --token or CENTRAL_API_TOKEN"
    )
    return ApiRefused(401, api.error(401, "unauthorized", why, "需要有效的访问令牌")[1], {"WWW-Authenticate": "Bearer"})


def require_token(request: Request, _doc: Annotated[Any, Security(_bearer)] = None) -> None:
    svc = services(request)
    if not authorized(svc, request.headers.get("authorization", "")):
        raise unauthorized(svc)


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorDoc, "description": "a parameter is malformed (e.g. a mistyped trace code)"},
    401: {"model": ErrorDoc, "description": "no or wrong bearer token"},
    404: {"model": ErrorDoc, "description": "no such sale or batch"},
}
router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)], responses=_ERRORS)
Svc = Annotated[Services, Depends(services)]


def _q(description: str, alias: str | None = None) -> Any:
    return Query(description=description, alias=alias)


def _answer(svc: Services, handler: Any, *args: Any) -> Any:
    with svc.db.connection() as conn:
        status, doc = handler(conn, *args)
    return json_doc(status, doc)


def _query(**values: str) -> api.Query:
    return {name.removesuffix("_"): [value] for name, value in values.items() if value}


@router.get("/sales/{code}", summary="One sale (ticket) by its 20-digit trace code, with lines and batch data")
def get_sale(svc: Svc, code: Annotated[str, Path(description="trace code; spaces and dashes allowed")]) -> Any:
    return _answer(svc, api.get_sale, code)


@router.get(
    "/batches/{batch_id}/flow",
    summary="流向可追: every sale line and ticket an incoming batch went into",
    description="The batch (incl. goods-in at a scale and stop-sale), totals, its sale lines and the scales' "
    "refusals after a stop-sale (stop_refusals).",
)
def get_flow(svc: Svc, batch_id: Annotated[str, Path(description="batch id")]) -> Any:
    return _answer(svc, api.get_flow, batch_id)


@router.get("/search", summary="问题可查: sale lines by product, origin, supplier, market, merchant, batch, dates")
def get_search(
    svc: Svc,
    product: Annotated[str, _q("product name (substring), PLU or goods code")] = "",
    origin: Annotated[str, _q("origin (产地), substring")] = "",
    supplier: Annotated[str, _q("supplier name (substring) or node code")] = "",
    market: Annotated[str, _q("market id")] = "",
    merchant: Annotated[str, _q("merchant id, stall or display name (substring)")] = "",
    batch: Annotated[str, _q("batch id (exact)")] = "",
    from_: Annotated[str, _q("first local date YYYY-MM-DD, inclusive", alias="from")] = "",
    to: Annotated[str, _q("last local date YYYY-MM-DD, inclusive")] = "",
    limit: Annotated[str, _q("rows per page, 1-1000 (default 100)")] = "",
    offset: Annotated[str, _q("rows to skip")] = "",
) -> Any:
    query = _query(product=product, origin=origin, supplier=supplier, market=market, merchant=merchant, batch=batch,
                   from_=from_, to=to, limit=limit, offset=offset)  # fmt: skip
    return _answer(svc, api.get_search, query)


@router.get(
    "/fleet",
    summary="Per scale: online, last seen, backlog, software id, lock state, ack watermark, refused messages",
    description="lock_state and legal_changes: the lock and the event counter of the legal parameters "
    "(docs/protection.md).",
)
def get_fleet(svc: Svc, market: Annotated[str, _q("only this market")] = "") -> Any:
    return _answer(svc, api.get_fleet, _query(market=market))


@router.get("/prices", summary="Vendors' own prices per scale and PLU, beside the guide price (signed at the scale)")
def get_prices(
    svc: Svc,
    market: Annotated[str, _q("only this market")] = "",
    scale: Annotated[str, _q("only this scale")] = "",
) -> Any:
    return _answer(svc, api.get_prices, _query(market=market, scale=scale))


@router.get("/daily", summary="Daily totals of a market: tickets, refunds, amount, per stall and per product")
def get_daily(
    svc: Svc,
    market: Annotated[str, _q("market id (required)")] = "",
    date: Annotated[str, _q("local date YYYY-MM-DD (required)")] = "",
) -> Any:
    return _answer(svc, api.get_daily, _query(market=market, date=date))


@router.get(
    "/payments/reconcile",
    summary="Daily payment reconciliation: every mismatch between sales and provider orders, totals per method",
)
def get_reconcile(
    svc: Svc,
    date: Annotated[str, _q("local date YYYY-MM-DD (required)")] = "",
    market: Annotated[str, _q("only this market")] = "",
) -> Any:
    from central.payment.reconcile import get_reconcile as reconcile

    return _answer(svc, reconcile, _query(date=date, market=market))
