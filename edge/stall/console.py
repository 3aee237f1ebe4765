"""Headless console commands for the vendor's day (edge.app's console hands them here).

    login ID PIN | login card NUMBER | logout | whoami
    price PLU YUAN | price PLU guide | prices
    goodsin PLU cert=NUMBER [code=UPSTREAM] [kg=12.5] [origin=..] [supplier=..] [node=..] [test=pass|fail]
    scan TEXT          as if scanned (a card signs in; anything else is a voucher for goodsin)
    report             today's 日结, by payment method and by operator

A line that is only a long code (8+ characters with a digit, no spaces) is taken as a
scan too: a USB HID scanner on a headless scale types into this console.
"""

from __future__ import annotations

from typing import Any, Protocol

from edge.core import batches as core_batches
from edge.core.goodsin import GoodsIn
from edge.core.operators import Operator
from edge.core.records import Batch, Plu
from edge.core.refusals import Refusal, RefusedError
from edge.stall.wiring import Stall
from edge.ui.model import texts
from edge.ui.model.report import report_lines

HELP = """  login ID PIN | login card NUMBER   实名登录 sign in       logout | whoami
  price PLU YUAN | price PLU guide    调价 the vendor's own unit price (guide: central's)    prices
  goodsin PLU cert=NO [code=UPSTREAM] [kg=12.5] [origin=..] [supplier=..] [node=..] [test=pass|fail]
                      进货登记 (code: the last scanned voucher if left out)
  scan TEXT           a scan (a card signs in; else a voucher for goodsin)"""

_FORM_KEYS = {"cert": "certificate", "code": "upstream_code", "kg": "weight_kg", "origin": "origin",
              "supplier": "supplier", "node": "supplier_node", "test": "rapid_test"}  # fmt: skip
COMMANDS = frozenset({"login", "logout", "whoami", "price", "prices", "goodsin", "scan", "report"})


class Console(Protocol):
    def say(self, text: str) -> None: ...


def _yuan_to_fen(text: str) -> int:
    """``3.5`` -> 350 without floats (at most 2 decimals)."""
    whole, dot, frac = text.strip().partition(".")
    if not (whole.isdigit() and (not dot or (frac.isdigit() and len(frac) <= 2))):
        raise ValueError(text)
    return int(whole) * 100 + int((frac or "0").ljust(2, "0"))


class StallCommands:
    def __init__(self, stall: Stall, console: Console, lang: Any, e_g: int) -> None:
        self.stall = stall
        self.console = console
        self.lang = lang  # () -> "zh" | "en"
        self.e_g = e_g

    def _refused(self, refusal: Refusal) -> None:
        self.console.say(f"error: {texts.refusal_text(refusal, self.lang())}")

    def announce_scan(self, kind: str, value: Any) -> None:
        """What a scan did, said at once (the serial scanner scans while nobody types)."""
        if isinstance(value, Refusal):
            self.console.say(f"scan: {texts.refusal_text(value, self.lang())}")
        elif kind == "signin":
            self.console.say(f"scan: 已登录 signed in {value.name} ({value.operator_id}, {value.role_zh})")
        elif kind == "paycode":
            self.console.say(f"scan: 付款码 paycode {value[:4]}… ({len(value)} 位 digits) — 支付中 paying")
        else:
            self.console.say(f"scan: 进货凭证 voucher {value.code} — goodsin PLU cert=NUMBER ...")

    def handle(self, line: str, daily_report: Any) -> bool:
        """True when the line was one of these commands (answered here)."""
        words = line.split()
        if not words:
            return False
        name, args = words[0].lower(), words[1:]
        if name not in COMMANDS:
            code = line.strip()
            if len(words) == 1 and len(code) >= 8 and any(c.isdigit() for c in code):  # a HID scanner typed it
                self._scanned(code)
                return True
            return False
        getattr(self, f"_{name}")(args, daily_report)
        return True

    def _scan(self, args: list[str], _report: Any) -> None:
        if len(args) != 1:
            self.console.say("error: 用法 usage: scan CODE（扫到的码，一个词 one word）")
            return
        self._scanned(args[0])

    def _scanned(self, code: str) -> None:
        kind, value = self.stall.on_scan(code)
        if isinstance(value, Refusal):
            self._refused(value)
        elif kind == "signin":
            self.console.say(f"ok: 已登录 {value.name} ({value.operator_id})")
        elif kind == "paycode":
            self.console.say(f"ok: 付款码 paycode {value[:4]}…")
        else:
            self.console.say(f"ok: voucher {value.code}")

    def _login(self, args: list[str], _report: Any) -> None:
        if len(args) == 2 and args[0] == "card":
            self._scanned(args[1])
            return
        if len(args) != 2:
            self.console.say("error: login ID PIN, or login card NUMBER")
            return
        result = self.stall.sign_in(args[0], args[1])
        if isinstance(result, Operator):
            self.console.say(f"ok: 已登录 {result.name} ({result.operator_id}, {result.role_zh})")
        else:
            self._refused(result)

    def _logout(self, args: list[str], _report: Any) -> None:
        gone = self.stall.signin.sign_out()
        self.console.say(f"ok: 已退出 {gone.name}" if gone else "ok: nobody was signed in")

    def _whoami(self, args: list[str], _report: Any) -> None:
        op = self.stall.signin.current
        self.console.say(f"ok: {op.name} ({op.operator_id}, {op.role_zh})" if op else "ok: 未登录 not signed in")

    def _price(self, args: list[str], _report: Any) -> None:
        if len(args) != 2:
            self.console.say("error: price PLU YUAN (e.g. price 1001 3.50), or price PLU guide")
            return
        try:
            fen = None if args[1] == "guide" else _yuan_to_fen(args[1])
        except ValueError:
            self.console.say(f"error: 单价请填元数，例如 3.50；{args[1]!r} is not a price in yuan such as 3.50")
            return
        if fen is None:
            guide = self.stall.prices.guide_item(args[0])
            fen = guide.unit_price_fen if isinstance(guide, Plu) else 0
        result = self.stall.set_price(args[0], fen)
        if isinstance(result, Plu):
            price = texts.unit_price_text(result.pricing, result.unit_price_fen, self.lang())
            self.console.say(f"ok: {result.plu} {result.name} {price}")
        else:
            self._refused(result)

    def _prices(self, args: list[str], _report: Any) -> None:
        own = self.stall.store.vendor_prices()
        for plu in self.stall.store.catalog():
            if plu.plu in own:
                self.console.say(f"  {plu.plu} {plu.name} {texts.amount_text(own[plu.plu])} "
                                 f"(指导价 guide {texts.amount_text(plu.unit_price_fen)})")  # fmt: skip
        self.console.say(f"ok: {len(own)} own price(s)")

    def _goodsin(self, args: list[str], _report: Any) -> None:
        if not args:
            self.console.say("error: goodsin PLU cert=NUMBER [code=..] [kg=..] [origin=..] [supplier=..]")
            return
        values: dict[str, str] = {"upstream_code": "", "certificate": ""}
        for word in args[1:]:
            key, eq, value = word.partition("=")
            if not eq or key not in _FORM_KEYS:
                self.console.say(f"error: {word!r}: use {', '.join(k + '=' for k in _FORM_KEYS)}")
                return
            values[_FORM_KEYS[key]] = value
        # origin and supplier left out: the item's current batch's, as the screen's form fills them
        current = core_batches.active_batches(self.stall.store.active_batches(args[0]), args[0])
        if current:
            values.setdefault("origin", current[0].origin)
            values.setdefault("supplier", current[0].supplier)
        try:
            result = self.stall.goods_in(GoodsIn(**values), args[0])
        except (RefusedError, ValueError) as exc:
            if isinstance(exc, RefusedError):
                self._refused(exc.refusal)
            else:
                self.console.say(f"error: {exc}")
            return
        if isinstance(result, Batch):
            self.console.say(f"batch: {result.batch_id} plu {result.plu} code {result.upstream_code} "
                             f"cert {result.certificate}")  # fmt: skip
            self.console.say(f"ok: 进货已登记 batch {result.batch_id}")
        else:
            self._refused(result)

    def _report(self, args: list[str], daily_report: Any) -> None:
        for text in report_lines(daily_report(), self.lang(), self.e_g):
            self.console.say(text)
        self.console.say("ok: -")
