"""Central's ASGI application (FastAPI): the routes, the error documents and the guard around them.

FastAPI, not bare Starlette: the regulator API's OpenAPI document is generated from the
route declarations (``/openapi.json``), and dependencies carry the token check and the
console's login. Old behaviour kept: every URL, status code, error document and header.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from central import api, pages
from central.console import routes as console
from central.web import api_routes, public
from central.web.answers import html, json_doc, lang, text
from central.web.guard import JSON, Guard
from central.web.services import Services

_DESCRIPTION = (
    "来源可溯、流向可追、问题可查. Money is integer fen, weight integer grams, time UTC epoch ms; dates are local "
    "(Asia/Shanghai) YYYY-MM-DD. Merchants' real-name data is never returned."
)


def create_app(svc: Services) -> FastAPI:
    app = FastAPI(
        title="Trace-scale central: market / regulator API",
        version="1.0.0",
        description=_DESCRIPTION,
        docs_url=None,  # the Swagger/ReDoc pages load scripts from a CDN; the network here is closed
        redoc_url=None,
        openapi_url=None,  # served below, GET/HEAD only
        redirect_slashes=False,
    )
    app.state.services = svc
    app.include_router(public.router)
    app.include_router(api_routes.router)
    console.install(app)
    spec: list[bytes] = []

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> Any:
        if not spec:
            spec.append(json.dumps(_without_422(app.openapi()), ensure_ascii=False, indent=1).encode("utf-8"))
        return Response(spec[0], 200, media_type=JSON)

    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(api_routes.ApiRefused, _refused)
    app.add_exception_handler(api.BadRequest, _bad_request)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_middleware(Guard)
    return app


def _without_422(doc: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422 for every route with parameters; ours never answer it (bad input is a 400)."""
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return doc


async def _refused(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, api_routes.ApiRefused)
    return json_doc(exc.status, exc.doc, exc.headers)


async def _bad_request(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, api.BadRequest)
    return json_doc(400, api.error(400, exc.code, str(exc), exc.message_zh)[1])


async def _invalid(_request: Request, exc: Exception) -> Response:
    return json_doc(400, api.error(400, "bad_request", "a parameter is malformed; see /openapi.json")[1])


async def _http_error(request: Request, exc: Exception) -> Response:
    """No route, or not this method: the old server's answers (405 before the token, then 401, then 404)."""
    assert isinstance(exc, HTTPException)
    path, method = request.url.path, request.method
    if method == "POST" and path.startswith("/pay/notify/"):
        return text(404, b"no such notification endpoint\n")
    is_api = path.startswith("/api/")
    if method not in ("GET", "HEAD") or exc.status_code == 405:
        if is_api:
            return json_doc(405, api.error(405, "method", f"{method} is not supported here; use GET")[1])
        return html(405, pages.error(lang(request), 405))
    if is_api:
        svc = request.app.state.services
        if not api_routes.authorized(svc, request.headers.get("authorization", "")):
            return await _refused(request, api_routes.unauthorized(svc))
        return json_doc(404, api.error(404, "not_found", f"no API route {path}; see /openapi.json")[1])
    return html(exc.status_code, pages.error(lang(request), exc.status_code))
