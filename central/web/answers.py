"""Response helpers shared by central's routes: the exact content types and JSON form of the API."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from central.web.guard import HTML, JSON, TEXT


def html(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text.encode("utf-8"), status, headers, media_type=HTML)


def json_doc(status: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
    """Compact UTF-8 JSON, as the API has always answered (no ASCII escapes, no spaces)."""
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return Response(body, status, headers, media_type=JSON)


def text(status: int, body: bytes) -> Response:
    return Response(body, status, media_type=TEXT)


def first_values(request: Request) -> dict[str, list[str]]:
    """The query as ``parse_qs`` gives it (blank values dropped), which the API's handlers take."""
    out: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if value:
            out.setdefault(name, []).append(value)
    return out


def lang(request: Request) -> str:
    from central.pages import lang_of

    return lang_of(first_values(request))
