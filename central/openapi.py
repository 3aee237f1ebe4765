"""The OpenAPI 3 description of the regulator API, served at GET /openapi.json."""

from __future__ import annotations

from typing import Any


def _get(summary: str, params: list[dict[str, Any]], ok: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": [{"bearer": []}],
            "parameters": params,
            "responses": {
                "200": {"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        }
    }


def _p(name: str, where: str, description: str, *, required: bool = False, fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    return {"name": name, "in": where, "required": required or where == "path", "description": description,
            "schema": schema}  # fmt: skip


_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "machine-readable code"},
        "message": {"type": "string", "description": "what is wrong and what to do (English)"},
        "message_zh": {"type": "string", "description": "the same in Chinese, where available"},
    },
}


def spec() -> dict[str, Any]:
    def err(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Trace-scale central: market / regulator API",
            "version": "1.0.0",
            "description": "来源可溯、流向可追、问题可查. Money is integer fen, weight integer grams, "
            "time UTC epoch ms; dates are local (Asia/Shanghai) YYYY-MM-DD. Merchants' real-name data "
            "is never returned.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/sales/{code}": _get(
                "One sale (ticket) by its 20-digit trace code, with lines and batch data",
                [_p("code", "path", "trace code; spaces and dashes allowed")],
                "the sale",
            ),
            "/api/v1/batches/{batch_id}/flow": _get(
                "流向可追: every sale line and ticket an incoming batch went into",
                [_p("batch_id", "path", "batch id")],
                "the batch, totals and its sale lines",
            ),
            "/api/v1/search": _get(
                "问题可查: sale lines by product, origin, supplier, market and date range",
                [
                    _p("product", "query", "product name (substring), PLU or goods code"),
                    _p("origin", "query", "origin (产地), substring"),
                    _p("supplier", "query", "supplier name (substring) or node code"),
                    _p("market", "query", "market id"),
                    _p("from", "query", "first local date, inclusive", fmt="date"),
                    _p("to", "query", "last local date, inclusive", fmt="date"),
                    _p("limit", "query", "rows per page, 1-1000 (default 100)"),
                    _p("offset", "query", "rows to skip"),
                ],
                "matching sale lines",
            ),
            "/api/v1/fleet": _get(
                "Per scale: online, last seen, backlog, software id, lock state and event counter of the legal "
                "parameters (lock_state, legal_changes), ack watermark, refused messages",
                [_p("market", "query", "only this market")],
                "the scales",
            ),
            "/api/v1/daily": _get(
                "Daily totals of a market: tickets, refunds, amount, per stall and per product",
                [
                    _p("market", "query", "market id", required=True),
                    _p("date", "query", "local date", required=True, fmt="date"),
                ],
                "the day's totals",
            ),
            "/api/v1/payments/reconcile": _get(
                "Daily payment reconciliation: every mismatch between sales and provider orders, totals per method",
                [
                    _p("date", "query", "local date", required=True, fmt="date"),
                    _p("market", "query", "only this market"),
                ],
                "mismatches (kind, sale, trace code, order, amounts) and totals per method",
            ),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR},
            "responses": {
                "BadRequest": err("a parameter is malformed (e.g. a mistyped trace code)"),
                "Unauthorized": err("no or wrong bearer token"),
                "NotFound": err("no such sale or batch"),
            },
        },
    }
