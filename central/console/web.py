"""The console's request plumbing: who is logged in, what they may see, CSRF, pages.

A request's :class:`Ctx` carries the session, the language and the texts. Access rules
live here, in one place: :meth:`Ctx.market` says which market a page shows (an office
user only its own; a regulator any, or all), :meth:`Ctx.require_office` guards every
registration and price change. Every form carries the session's CSRF token, checked
with :meth:`Ctx.check_csrf`; cookies are HttpOnly and SameSite=Strict.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from central.console import users
from central.console.settings import ConsoleSettings
from central.console.texts import texts
from central.localtime import local_text
from central.pages import yuan
from central.web.answers import html
from central.web.services import Services, services
from edge.core.units import format_kg

SESSION_COOKIE = "central_console"
LANG_COOKIE = "central_console_lang"
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with a form post,
# and the origin check below would refuse every form
_HEADERS = {"content-security-policy": CSP, "x-frame-options": "DENY", "cache-control": "no-store",
            "referrer-policy": "same-origin"}  # fmt: skip
TEMPLATES = Path(__file__).with_name("templates")


class NotLoggedIn(Exception):
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class Forbidden(Exception):
    """The user's role or market does not allow this."""


def _fen_text(fen: int | None) -> str:
    return "—" if fen is None else yuan(int(fen))


def _kg_text(grams: int | None) -> str:
    return "—" if grams is None else f"{format_kg(int(grams))} kg"


def _time_text(ms: int | None) -> str:
    return "—" if not ms else local_text(int(ms))


ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
ENV.filters.update(yuan=_fen_text, kg=_kg_text, localtime=_time_text)


def language(request: Request) -> str:
    asked = request.query_params.get("lang", "")
    if asked:
        return "en" if asked.lower().startswith("en") else "zh"
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def console_settings(svc: Services) -> ConsoleSettings:
    return svc.console


def secure_cookie(request: Request, settings: ConsoleSettings) -> bool:
    if settings.secure_cookies == "always":
        return True
    if settings.secure_cookies == "never":
        return False
    return request.url.scheme == "https"


def finish(request: Request, response: Response) -> Response:
    """Console headers, and the language choice remembered when the URL gave one."""
    response.headers.update(_HEADERS)
    asked = request.query_params.get("lang", "")
    if asked:
        secure = secure_cookie(request, console_settings(services(request)))
        response.set_cookie(LANG_COOKIE, language(request), max_age=365 * 86400, httponly=True, samesite="strict",
                            secure=secure, path="/console")  # fmt: skip
    return response


def render(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    lang = language(request)
    body = ENV.get_template(template).render(t=texts(lang), lang=lang, path=request.url.path, **values)
    return finish(request, html(status, body))


def same_origin(request: Request) -> bool:
    """A form POST must come from a page of this site (Origin, or else Referer, when the browser sends one)."""
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    if not origin:
        return True  # no browser header to go by: the CSRF token still decides
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


@dataclass
class Ctx:
    request: Request
    svc: Services
    session: users.Session
    token: str

    @property
    def user(self) -> users.User:
        return self.session.user

    @property
    def lang(self) -> str:
        return language(self.request)

    @property
    def t(self) -> dict[str, str]:
        return texts(self.lang)

    @property
    def settings(self) -> ConsoleSettings:
        return console_settings(self.svc)

    def market(self, requested: str = "", *, required: bool = False) -> str:
        """The market this request is about: an office its own (asking for another is refused);
        a regulator the one asked for, or "" (all), or with ``required`` the first one."""
        if self.user.is_office:
            if requested and requested != self.user.market_id:
                raise Forbidden(f"{self.user.username} works for market {self.user.market_id}, not {requested}")
            return self.user.market_id or ""
        if requested or not required:
            return requested
        with self.svc.db.connection() as conn:
            return conn.scalar("SELECT market_id FROM markets ORDER BY market_id LIMIT 1") or ""

    def require_office(self) -> str:
        if not self.user.is_office:
            raise Forbidden(f"{self.user.username} is a {self.user.role}: read-only")
        return self.user.market_id or ""

    def check_csrf(self, sent: str) -> None:
        if not (same_origin(self.request) and hmac.compare_digest(sent.encode(), self.session.csrf.encode())):
            raise Forbidden("the form's CSRF token or origin is wrong")

    def markets(self) -> list[dict[str, Any]]:
        """The markets this user may pick from."""
        with self.svc.db.connection() as conn:
            if self.user.is_office:
                return conn.all("SELECT market_id, name FROM markets WHERE market_id = ?", (self.user.market_id,))
            return conn.all("SELECT market_id, name FROM markets ORDER BY market_id")

    def page(self, template: str, status: int = 200, **values: Any) -> Response:
        kept = [(k, v) for k, v in self.request.query_params.multi_items() if k not in ("export", "done", "lang")]
        return render(self.request, template, status, user=self.user, csrf=self.session.csrf,
                      markets=self.markets(), query=urlencode(kept), **values)  # fmt: skip

    def done(self, target: str, message: str) -> Response:
        """After a successful POST: back to a page (303) that shows ``message`` (a text key)."""
        address, _, fragment = target.partition("#")
        sep = "&" if "?" in address else "?"
        location = f"{address}{sep}done={message}" + (f"#{fragment}" if fragment else "")
        return finish(self.request, Response(status_code=303, headers={"Location": location}))


def ctx(request: Request) -> Ctx:
    """FastAPI dependency: the logged-in user's context, or a redirect to the login page."""
    svc = services(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    with svc.db.connection() as conn:
        session = users.session_of(conn, token) if token else None
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotLoggedIn(target)
    return Ctx(request, svc, session, token)


async def not_logged_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotLoggedIn)
    if exc.target.endswith(".json") or request.method != "GET":
        return finish(request, Response(b'{"error":"login"}', 401, media_type="application/json"))
    return finish(request, Response(status_code=303, headers={"Location": f"/console/login?next={quote(exc.target)}"}))


async def forbidden(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", 403, title_key="forbidden", hint_key="forbidden_hint", user=None)
