"""The console's pages under /console (FastAPI routes, Jinja2 templates in ./templates).

Every route takes the logged-in :class:`~central.console.web.Ctx`; the rules of who may
see and change what are in web.py (``ctx.market``, ``ctx.require_office``,
``ctx.check_csrf``). Forms post url-encoded fields, all optional at the FastAPI level so
a missing one is our own clear message, never a 422 document.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from central import admin, queries
from central.console import data, goodsin, users
from central.console.export import Column, table_response
from central.console.web import (
    SESSION_COOKIE,
    Ctx,
    Forbidden,
    NotLoggedIn,
    console_settings,
    ctx,
    finish,
    forbidden,
    not_logged_in,
    render,
    same_origin,
    secure_cookie,
)
from central.localtime import local_date, local_text, now_ms
from central.pages import yuan
from central.web.services import services
from edge.core.records import Plu

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console", include_in_schema=False)
Context = Annotated[Ctx, Depends(ctx)]
Field = Annotated[str, Form()]


def install(app: FastAPI) -> None:
    from central.console.web import TEMPLATES

    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=TEMPLATES.with_name("static")), name="console-static")
    app.add_exception_handler(NotLoggedIn, not_logged_in)
    app.add_exception_handler(Forbidden, forbidden)


def _today() -> str:
    return local_date(now_ms())


def _date_or_today(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat() if text else _today()
    except ValueError:
        return _today()


# --- login --------------------------------------------------------------------------------------


def _safe_next(target: str) -> str:
    """Only back into the console (no open redirect to another site)."""
    return (
        target
        if target.startswith("/console") and not target.startswith("//") and "\\" not in target
        else ("/console/")
    )


@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:
    return render(request, "login.html", user=None, next=_safe_next(next), error_key="")


@router.post("/login")
def login(request: Request, username: Field = "", password: Field = "", next: Field = "") -> Response:
    svc = services(request)
    settings = console_settings(svc)
    target = _safe_next(next)
    if not same_origin(request):
        return render(request, "login.html", 403, user=None, next=target, error_key="login_expired")
    name = username.strip()
    if settings.throttle.blocked(name):
        return render(request, "login.html", 429, user=None, next=target, error_key="login_blocked")
    with svc.db.connection() as conn:
        user = users.authenticate(conn, name, password)
        if user is None:
            settings.throttle.failed(name)
            log.warning("console: failed login for %r", name[:64])
            return render(request, "login.html", 401, user=None, next=target, error_key="login_failed")
        settings.throttle.succeeded(name)
        token, _session = users.open_session(conn, user)
        with conn.transaction():
            users.audit(conn, user.username, "login", user.market_id or "*")
    response = Response(status_code=303, headers={"Location": target})
    response.set_cookie(SESSION_COOKIE, token, max_age=users.SESSION_MS // 1000, httponly=True, samesite="strict",
                        secure=secure_cookie(request, settings), path="/console")  # fmt: skip
    return finish(request, response)


@router.post("/logout")
def logout(c: Context, csrf: Field = "") -> Response:
    c.check_csrf(csrf)
    with c.svc.db.connection() as conn:
        users.close_session(conn, c.token)
    response = Response(status_code=303, headers={"Location": "/console/login"})
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return finish(c.request, response)


# --- overview -----------------------------------------------------------------------------------


@router.get("/")
def overview(c: Context, market: str = "") -> Response:
    chosen = c.market(market)
    with c.svc.db.connection() as conn:
        figures = data.overview(conn, chosen, _today())
        actions = data.recent_actions(conn, c.user.market_id or "")
    return c.page("overview.html", market=chosen, figures=figures, actions=actions, today=_today())


# --- merchants and stalls -----------------------------------------------------------------------


def _merchants_page(c: Context, market: str, status: int = 200, error: str = "", form: dict[str, str] | None = None,
                    done: str = "") -> Response:  # fmt: skip
    with c.svc.db.connection() as conn:
        rows = data.merchants(conn, market, private=c.user.is_office)
        scales = data.scales(conn, market)
    return c.page("merchants.html", status, market=market, merchants=rows, scales=scales, error=error,
                  form=form or {}, done=done)  # fmt: skip


@router.get("/merchants")
def merchants(c: Context, market: str = "", done: str = "") -> Response:
    return _merchants_page(c, c.market(market), done=done)


@router.post("/merchants")
def add_merchant(
    c: Context, csrf: Field = "", merchant_id: Field = "", stall: Field = "", display_name: Field = "",
    real_name: Field = "", id_number: Field = "", phone: Field = "",
) -> Response:  # fmt: skip
    c.check_csrf(csrf)
    market = c.require_office()
    form = {"merchant_id": merchant_id, "stall": stall, "display_name": display_name, "real_name": real_name,
            "id_number": id_number, "phone": phone}  # fmt: skip
    try:
        with c.svc.db.connection() as conn:
            admin.add_merchant(conn, merchant_id.strip(), market, stall=stall, display_name=display_name,
                               real_name=real_name, id_number=id_number, phone=phone)  # fmt: skip
            with conn.transaction():
                users.audit(conn, c.user.username, "merchant.add", merchant_id.strip(), stall.strip())
    except admin.AdminError as exc:
        return _merchants_page(c, market, 400, exc.text(c.lang), form)
    return c.done("/console/merchants", "merchant_added")


@router.post("/scales/assign")
def assign_scale(c: Context, csrf: Field = "", scale_id: Field = "", merchant_id: Field = "") -> Response:
    c.check_csrf(csrf)
    market = c.require_office()
    try:
        with c.svc.db.connection() as conn:
            scale_market = conn.scalar("SELECT market_id FROM scales WHERE scale_id = ?", (scale_id,))
            if scale_market != market:
                raise admin.AdminError(f"秤 {scale_id!r} 不属于市场 {market}",
                                       f"scale {scale_id!r} is not a scale of market {market}")  # fmt: skip
            admin.assign_scale(conn, scale_id, merchant_id)
            with conn.transaction():
                users.audit(conn, c.user.username, "scale.assign", scale_id, merchant_id)
    except admin.AdminError as exc:
        return _merchants_page(c, market, 400, exc.text(c.lang))
    return c.done("/console/merchants", "scale_assigned")


# --- 问题可查: search and flow --------------------------------------------------------------------

PAGE_ROWS = 200
SEARCH_FIELDS = ("product", "batch", "origin", "supplier", "merchant", "from", "to")
LINE_COLUMNS = [
    ("trace_code", "trace_code", "text"), ("created_ms", "time", "time"), ("stall", "stall", "text"),
    ("merchant_id", "merchant_id", "text"), ("name", "product", "text"), ("batch_id", "batch_id", "text"),
    ("origin", "origin", "text"), ("supplier", "supplier", "text"), ("net_g", "weight_kg", "grams"),
    ("quantity", "qty", "int"), ("unit_price_fen", "unit_price", "fen"), ("amount_fen", "amount", "fen"),
]  # fmt: skip


def _columns(c: Ctx, spec: list[tuple[str, str, str]]) -> list[Column]:
    return [Column(key, c.t[header], kind) for key, header, kind in spec]


def _export(c: Ctx, kind: str, name: str, spec: list[tuple[str, str, str]], rows: list[dict[str, Any]]) -> Response:
    return finish(c.request, table_response(kind, name, _columns(c, spec), rows, local_text))


@router.get("/search")
def search(c: Context, market: str = "", export: str = "", page: int = 0) -> Response:
    """问题可查: PAGE_ROWS lines a page (pages of a few hundred rows render fast); an export
    takes up to MAX_ROWS from the first."""
    chosen = c.market(market)
    asked = {k: c.request.query_params.get(k, "").strip() for k in SEARCH_FIELDS}
    rows: list[dict[str, Any]] | None = None
    error, more, page = "", False, max(0, min(page, queries.MAX_ROWS))
    if any(asked.values()):
        exporting = export in ("csv", "xlsx")
        try:
            f = queries.SearchFilter(
                product=asked["product"], origin=asked["origin"], supplier=asked["supplier"], market=chosen,
                merchant=asked["merchant"], batch=asked["batch"], date_from=_checked_date(asked["from"]),
                date_to=_checked_date(asked["to"]), limit=queries.MAX_ROWS if exporting else PAGE_ROWS + 1,
                offset=0 if exporting else page * PAGE_ROWS,
            )  # fmt: skip
        except ValueError as exc:
            error = str(exc)
        else:
            with c.svc.db.connection() as conn:
                rows = queries.search(conn, f)
            if exporting:
                return _export(c, export, f"search-{_today()}", LINE_COLUMNS, rows)
            more, rows = len(rows) > PAGE_ROWS, rows[:PAGE_ROWS]
    kept = urlencode([(k, v) for k, v in c.request.query_params.multi_items() if k not in ("page", "export")])
    return c.page("search.html", 400 if error else 200, market=chosen, asked=asked, rows=rows, error=error,
                  page=page, more=more, first_row=page * PAGE_ROWS, page_query=kept)  # fmt: skip


def _checked_date(text: str) -> str:
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"{text!r}: 日期格式应为 YYYY-MM-DD / use YYYY-MM-DD") from None


FLOW_COLUMNS = [
    ("trace_code", "trace_code", "text"), ("created_ms", "time", "time"), ("stall", "stall", "text"),
    ("scale_id", "scale", "text"), ("name", "product", "text"), ("net_g", "weight_kg", "grams"),
    ("quantity", "qty", "int"), ("unit_price_fen", "unit_price", "fen"), ("amount_fen", "amount", "fen"),
]  # fmt: skip


@router.get("/batches/{batch_id}")
def batch_page(c: Context, batch_id: str, export: str = "", done: str = "") -> Response:
    with c.svc.db.connection() as conn:
        market = data.batch_market(conn, batch_id)
        flow = queries.batch_flow(conn, batch_id)
        goods_in = conn.one("SELECT * FROM batches WHERE batch_id = ?", (batch_id,))
    if flow is None or (market is None and c.user.is_office):
        return c.page("error.html", 404, title_key="not_found", hint_key="back")
    if market is not None:
        c.market(market)  # an office user may open only its own market's batches
    elif any(not c.user.may_see(s["market_id"]) for s in flow["sales"]):
        raise Forbidden(f"batch {batch_id} was sold outside {c.user.market_id}")
    if export in ("csv", "xlsx"):
        return _export(c, export, f"flow-{batch_id}", FLOW_COLUMNS, flow["sales"])
    return c.page("batch.html", flow=flow, goods_in=goods_in or {}, batch_id=batch_id, done=done,
                  sent=c.request.query_params.get("sent", ""))  # fmt: skip


# --- fleet --------------------------------------------------------------------------------------


def _fleet(c: Ctx, market: str) -> list[dict[str, Any]]:
    with c.svc.db.connection() as conn:
        return queries.fleet(conn, market)


def _lock_text(c: Ctx, scale: dict[str, Any]) -> str:
    """The scale's protection of its legal parameters (docs/protection.md) and event counter."""
    state = scale.get("lock_state")
    if not state:
        return "—"
    text = c.t.get(f"lock_{state}", state)
    changes = scale.get("legal_changes")
    return f"{text} · {changes}" if changes is not None else text


@router.get("/fleet")
def fleet(c: Context, market: str = "") -> Response:
    chosen = c.market(market)
    scales = [{**s, "lock": _lock_text(c, s)} for s in _fleet(c, chosen)]
    return c.page("fleet.html", market=chosen, scales=scales)


@router.get("/fleet.json")
def fleet_json(c: Context, market: str = "") -> Response:
    """What the fleet page polls every 5 s: the same rows, with the texts it shows."""
    from central.web.answers import json_doc

    rows = []
    for s in _fleet(c, c.market(market)):
        rows.append({
            "scale_id": s["scale_id"], "online": s["online"],
            "state": c.t["online"] if s["online"] else c.t["offline"],
            "backlog": "—" if s["backlog"] is None else str(s["backlog"]),
            "last_sale": local_text(s["last_sale_ms"]) if s["last_sale_ms"] else "—",
            "last_seen": local_text(s["last_seen_ms"]) if s["last_seen_ms"] else "—",
            "software_id": s["software_id"] or "—", "printer": s["printer"] or "—", "rejects": str(s["rejects"]),
            "lock": _lock_text(c, s),
        })  # fmt: skip
    return finish(c.request, json_doc(200, {"scales": rows, "at": local_text(now_ms())}))


# --- reports ------------------------------------------------------------------------------------

STALL_COLUMNS = [("stall", "stall", "text"), ("merchant_id", "merchant_id", "text"), ("tickets", "tickets", "int"),
                 ("refunds", "refunds", "int"), ("total_fen", "amount", "fen")]  # fmt: skip
PRODUCT_COLUMNS = [
    ("plu", "plu", "text"), ("name", "product", "text"), ("lines", "lines", "int"), ("net_g", "weight_kg", "grams"),
    ("quantity", "qty", "int"), ("amount_fen", "amount", "fen"),
]  # fmt: skip
DAY_COLUMNS = [("local_date", "date", "text"), ("tickets", "tickets", "int"), ("refunds", "refunds", "int"),
               ("total_fen", "amount", "fen")]  # fmt: skip


@router.get("/reports")
def daily_report(c: Context, market: str = "", day: str = "", export: str = "") -> Response:
    from central.console.charts import bar_chart

    chosen = c.market(market, required=True)
    day = _date_or_today(day)
    with c.svc.db.connection() as conn:
        report = queries.daily(conn, chosen, day)
        hours = data.hourly(conn, chosen, day)
    if export in ("csv", "xlsx"):
        return _export(c, export, f"daily-{chosen}-{day}", PRODUCT_COLUMNS, report["products"])
    chart = bar_chart([(f"{h:02d}", fen) for h, _n, fen in hours], value_text=yuan, title=c.t["per_hour"],
                      label_every=2)  # fmt: skip
    products = bar_chart([(p["name"], max(p["amount_fen"], 0)) for p in report["products"]], value_text=yuan,
                         title=c.t["per_product"], width=520)  # fmt: skip
    return c.page("reports.html", market=chosen, day=day, report=report, chart=chart, product_chart=products)


@router.get("/reports/monthly")
def monthly_report(c: Context, market: str = "", month: str = "", export: str = "") -> Response:
    from central.console.charts import bar_chart

    chosen = c.market(market, required=True)
    if not (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit() and 1 <= int(month[5:]) <= 12):
        month = _today()[:7]
    with c.svc.db.connection() as conn:
        days = data.monthly(conn, chosen, month)
    if export in ("csv", "xlsx"):
        return _export(c, export, f"monthly-{chosen}-{month}", DAY_COLUMNS, days)
    by_day = {d["local_date"]: d["total_fen"] for d in days}
    length = calendar.monthrange(int(month[:4]), int(month[5:]))[1]
    labels = [f"{month}-{n:02d}" for n in range(1, length + 1)]
    chart = bar_chart([(d[-2:], max(by_day.get(d, 0), 0)) for d in labels], value_text=yuan, title=c.t["per_day"])
    totals = {k: sum(d[k] for d in days) for k in ("tickets", "refunds", "total_fen")}
    return c.page("monthly.html", market=chosen, month=month, days=days, chart=chart, totals=totals)


# --- goods-in, batches, stop-sale ----------------------------------------------------------------


def _sent_code(sent: goodsin.Sent) -> str:
    """For the page after the redirect: how many documents went out, "off" or "fail" (a code, not
    free text, so a crafted link cannot put words on the console)."""
    if not sent.configured:
        return "off"
    return "fail" if sent.error else str(len(sent.topics))


def _batches_page(c: Ctx, market: str, status: int = 200, *, error: str = "", form: dict[str, str] | None = None,
                  done: str = "", sent: str = "") -> Response:  # fmt: skip
    params = c.request.query_params
    with c.svc.db.connection() as conn:
        rows = data.batches(conn, market, status=params.get("status", ""), merchant=params.get("merchant", ""))
        merchants = data.merchants(conn, market, private=False)
        plus = data.catalog_rows(conn, market) if market else []
    return c.page("batches.html", status, market=market, batches=rows, merchants=merchants, plus=plus, error=error,
                  form=form or {"arrival_date": _today()}, done=done, sent=sent,
                  status_filter=params.get("status", ""), batch_rows=data.BATCH_ROWS)  # fmt: skip


@router.get("/batches")
def batches(c: Context, market: str = "", done: str = "", sent: str = "") -> Response:
    return _batches_page(c, c.market(market), done=done, sent=sent)


@router.post("/batches")
def add_batch(
    c: Context, csrf: Field = "", merchant_id: Field = "", batch_id: Field = "", plu: Field = "", supplier: Field = "",
    supplier_node: Field = "", upstream_code: Field = "", origin: Field = "", certificate: Field = "",
    inspection_cert: Field = "", arrival_date: Field = "", weight_kg: Field = "", price_yuan: Field = "",
    rapid_test: Field = "", test_detail: Field = "",
) -> Response:  # fmt: skip
    c.check_csrf(csrf)
    market = c.require_office()
    form = {"merchant_id": merchant_id, "batch_id": batch_id, "plu": plu, "supplier": supplier,
            "supplier_node": supplier_node, "upstream_code": upstream_code, "origin": origin,
            "certificate": certificate, "inspection_cert": inspection_cert, "arrival_date": arrival_date,
            "weight_kg": weight_kg, "price_yuan": price_yuan, "rapid_test": rapid_test,
            "test_detail": test_detail}  # fmt: skip
    try:
        with c.svc.db.connection() as conn:
            stored = goodsin.register(conn, c.user, merchant_id.strip(), form)
            sent = goodsin.send_batches(conn, c.settings, merchant_id.strip())
    except admin.AdminError as exc:
        return _batches_page(c, market, 400, error=exc.text(c.lang), form=form)
    return c.done(f"/console/batches?sent={_sent_code(sent)}#b-{quote(stored)}", "batch_added")


@router.post("/batches/{batch_id}/stop-sale")
def stop_sale(c: Context, batch_id: str, csrf: Field = "", reason: Field = "") -> Response:
    """One click (and a reason) for the office of the batch's market or the city regulator."""
    c.check_csrf(csrf)
    with c.svc.db.connection() as conn:
        market = data.batch_market(conn, batch_id)
        if market is None:
            return c.page("error.html", 404, title_key="not_found", hint_key="back")
        c.market(market)
        if not reason.strip():
            reason = c.t["stop_sale"]
        try:
            sent = goodsin.stop_sale(conn, c.settings, c.user, batch_id, reason)
        except admin.AdminError as exc:
            log.warning("console: stop-sale of %s refused: %s", batch_id, exc)
            return c.page("error.html", 400, title_key="bad_input", hint_key="back")
    return c.done(f"/console/batches/{quote(batch_id)}?sent={_sent_code(sent)}", "stopped_ok")


# --- prices and catalog ------------------------------------------------------------------------


def _prices_page(c: Ctx, market: str, status: int = 200, *, error: str = "", done: str = "",
                 sent: str = "") -> Response:  # fmt: skip
    with c.svc.db.connection() as conn:
        plus = data.catalog_rows(conn, market)
    bounds = any("price_min_fen" in p for p in plus)
    return c.page("prices.html", status, market=market, plus=plus, bounds=bounds, error=error, done=done, sent=sent)


@router.get("/prices")
def prices(c: Context, market: str = "", done: str = "", sent: str = "") -> Response:
    return _prices_page(c, c.market(market, required=True), done=done, sent=sent)


def _optional_yuan(typed: str, what: tuple[str, str]) -> int | None:
    """A price bound typed in yuan as integer fen; empty is None (the scale's default bound)."""
    if not typed.strip():
        return None
    fen = goodsin.decimal_units(typed, 2, what)
    if fen <= 0:
        raise admin.AdminError(
            f"{what[0]} {typed!r} 应大于 0（留空则用默认限价）",
            f"{what[1]} {typed!r}: must be above zero (leave it empty for the default)",
        )
    return fen


def check_bounds(guide: int, low: int | None, high: int | None) -> None:
    """Central's rule for a PLU's vendor price bounds: lowest <= guide price <= highest."""
    if low is not None and low > guide:
        raise admin.AdminError(f"最低价 {yuan(low)} 高于指导价 {yuan(guide)}：请调低最低价或先提高指导价",
                               "the lowest price is above the guide price: lower it or raise the guide price first")
    if high is not None and high < guide:
        raise admin.AdminError(f"最高价 {yuan(high)} 低于指导价 {yuan(guide)}：请调高最高价或先降低指导价",
                               "the highest price is below the guide price: raise it or lower the guide price first")


def _change_plu(c: Ctx, market: str, plu: str, change: Callable[[Plu], dict[str, Any]], action: str,
                detail: str) -> None:  # fmt: skip
    """Store ``change(current PLU)`` over the PLU (AdminError if it is not the market's) and audit it."""
    with c.svc.db.connection() as conn:
        current = {p.plu: p for p in admin.catalog(conn, market)}
        if plu not in current:
            raise admin.AdminError(f"商品 {plu!r} 不在 {market} 的目录中",
                                   f"PLU {plu!r} is not in the catalog of {market}")  # fmt: skip
        admin.set_catalog(conn, market, [{**current[plu].to_dict(), **change(current[plu])}], replace=False)
        with conn.transaction():
            users.audit(conn, c.user.username, action, f"{market}/{plu}", detail)


@router.post("/prices")
def set_price(c: Context, csrf: Field = "", plu: Field = "", price_yuan: Field = "") -> Response:
    c.check_csrf(csrf)
    market = c.require_office()

    def guide(p: Plu) -> dict[str, Any]:
        check_bounds(fen, p.price_min_fen, p.price_max_fen)  # a guide price outside its own bounds would lock sales
        return {"unit_price_fen": fen}

    try:
        fen = goodsin.decimal_units(price_yuan, 2, ("指导价 (元)", "guide price (yuan)"))
        _change_plu(c, market, plu, guide, "price.guide", str(fen))
    except admin.AdminError as exc:
        return _prices_page(c, market, 400, error=exc.text(c.lang))
    return c.done("/console/prices", "price_saved")


@router.post("/prices/bounds")
def set_bounds(c: Context, csrf: Field = "", plu: Field = "", min_yuan: Field = "", max_yuan: Field = "") -> Response:
    """The vendor price bounds of one PLU (empty: the scale's default, guide price ±50 %)."""
    c.check_csrf(csrf)
    market = c.require_office()

    def bounds(p: Plu) -> dict[str, Any]:
        check_bounds(p.unit_price_fen, low, high)
        return {"price_min_fen": low, "price_max_fen": high}

    try:
        low = _optional_yuan(min_yuan, ("最低价 (元)", "lowest price (yuan)"))
        high = _optional_yuan(max_yuan, ("最高价 (元)", "highest price (yuan)"))
        _change_plu(c, market, plu, bounds, "price.bounds", f"{low or ''}-{high or ''}")
    except admin.AdminError as exc:
        return _prices_page(c, market, 400, error=exc.text(c.lang))
    return c.done("/console/prices", "bounds_saved")


@router.post("/catalog/push")
def push_catalog(c: Context, csrf: Field = "") -> Response:
    c.check_csrf(csrf)
    market = c.require_office()
    with c.svc.db.connection() as conn:
        sent = goodsin.send_catalog(conn, c.settings, market)
        with conn.transaction():
            users.audit(conn, c.user.username, "catalog.push", market, ",".join(sent.topics) or sent.error)
    return c.done(f"/console/prices?sent={_sent_code(sent)}", "catalog_pushed" if sent.topics else "")
