"""The HTTP side: one ThreadingHTTPServer for the three providers' APIs and the /sim controls.

`PaymentGateway` is the public face (docs/payment.md "Payment gateway simulator"); tests use
its methods, people and scripts use the same things over HTTP (`POST /sim/scan` ...).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from simulator.payment.alipay import AlipaySim
from simulator.payment.common import MICROPAY_BEHAVIOURS, Behaviour, ProviderSim, Request, Response, json_response
from simulator.payment.keys import GatewayKeys
from simulator.payment.notifier import Notifier
from simulator.payment.orders import OrderBook, SimError
from simulator.payment.unionpay import UnionpaySim
from simulator.payment.wechat import WechatSim

ACTIONS = ("pay", "cancel", "pay_twice", "replay")
_SIM_ORDER = re.compile(r"^/sim/orders/([^/]+)(?:/([a-z_]+))?$")
MAX_BODY = 1 << 20

log = logging.getLogger("simulator.payment")


class PaymentGateway:
    """WeChat Pay, Alipay and a UnionPay acquirer on one local port, with the customer's controls."""

    def __init__(
        self, state_dir: Path | str, host: str = "127.0.0.1", port: int = 0, log_fn: Callable[[str], None] | None = None
    ) -> None:
        self.state_dir = Path(state_dir)
        self.host, self.port = host, port
        self.log = log_fn or log.info
        self.book = OrderBook()
        self.behaviour = Behaviour()
        self.notifier = Notifier(self.book, self.log)
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.providers: dict[str, ProviderSim] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.accounts_path = self.state_dir / "accounts.json"

    @property
    def url(self) -> str:
        if self._http is None:
            raise RuntimeError("the payment gateway is not started")
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> PaymentGateway:
        keys = GatewayKeys.load_or_create(self.state_dir)
        self.providers = {
            cls.name: cls(keys, self.book, self.notifier, self.behaviour) for cls in (WechatSim, AlipaySim, UnionpaySim)
        }
        self._http = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        self._http.daemon_threads = True
        self.accounts = keys.accounts(self.url)
        self.accounts_path = keys.write_accounts(self.state_dir, self.url)
        self.notifier.start()
        self._thread = threading.Thread(target=self._http.serve_forever, name="payment-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        self.notifier.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PaymentGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the customer's phone, and the test's knobs --------------------------------------
    def scan(self, qr_content: str, action: str = "pay") -> dict[str, Any]:
        """The customer scans ``qr_content`` and pays / cancels / pays with a duplicate notification."""
        if action not in ("pay", "cancel", "pay_twice"):
            raise SimError(400, f"扫码操作须为 pay、cancel 或 pay_twice，而不是 {action}", f"scan action {action!r}")
        provider = next((p for p in self.providers.values() if p.owns_qr(qr_content)), None)
        if provider is None:
            raise SimError(
                404,
                "无法识别的二维码：不是微信、支付宝或银联动态码",
                f"unknown QR content {qr_content[:40]!r}: not weixin://wxpay, https://qr.alipay.com/ or EMVCo",
            )
        order = provider.order_for_scan(qr_content)
        self.log(f"payment: customer scans {provider.name} {order.order_id}: {action}")
        with self.book.lock:
            return provider.act(order, action).to_dict()

    def act(self, order_id: str, action: str) -> dict[str, Any]:
        if action not in ACTIONS:
            raise SimError(400, f"操作须为 {'、'.join(ACTIONS)} 之一", f"action must be one of {', '.join(ACTIONS)}")
        order = self.book.find(order_id)
        if order is None:
            raise SimError(404, f"没有订单 {order_id}", f"no order {order_id!r} at any provider")
        self.log(f"payment: {action} {order.provider} {order_id}")
        with self.book.lock:
            return self.providers[order.provider].act(order, action).to_dict()

    def set_behaviour(self, micropay: str | None = None, notify: bool | None = None) -> dict[str, Any]:
        if micropay is not None:
            if micropay not in MICROPAY_BEHAVIOURS:
                raise SimError(
                    400,
                    f"micropay 须为 {'、'.join(MICROPAY_BEHAVIOURS)} 之一",
                    f"micropay must be one of {', '.join(MICROPAY_BEHAVIOURS)}",
                )
            self.behaviour.micropay = micropay
        if notify is not None:
            if not isinstance(notify, bool):
                raise SimError(400, "notify 须为 true 或 false", "notify must be true or false")
            self.behaviour.notify = notify
        return self.behaviour_dict()

    def behaviour_dict(self) -> dict[str, Any]:
        return {"micropay": self.behaviour.micropay, "notify": self.behaviour.notify}

    def orders(self) -> list[dict[str, Any]]:
        with self.book.lock:
            return [order.to_dict() for order in self.book.all()]

    def order(self, order_id: str) -> dict[str, Any] | None:
        with self.book.lock:
            order = self.book.find(order_id)
            return None if order is None else order.to_dict()

    # --- HTTP dispatch -------------------------------------------------------------------
    def dispatch(self, req: Request) -> Response:
        if req.path.startswith("/sim/"):
            try:
                return self._control(req)
            except SimError as exc:
                return json_response(
                    exc.status, {"error": exc.message, "message_zh": exc.message_zh, "message": exc.message}
                )
        for provider in self.providers.values():
            answer = provider.handle(req)
            if answer is not None:
                return answer
        return json_response(404, {"code": "NOT_FOUND", "message": f"没有这个接口 / no such endpoint: {req.path}"})

    def _control(self, req: Request) -> Response:
        doc = _json_doc(req.body) if req.method == "POST" else {}
        if req.path == "/sim/scan" and req.method == "POST":
            qr = doc.get("qr_content")
            if not isinstance(qr, str) or not qr:
                raise SimError(400, "需要 qr_content（顾客扫到的内容）", "qr_content is required")
            return json_response(200, self.scan(qr, str(doc.get("action", "pay"))))
        if req.path == "/sim/behaviour":
            if req.method == "POST":
                return json_response(200, self.set_behaviour(doc.get("micropay"), doc.get("notify")))
            return json_response(200, self.behaviour_dict())
        if req.path == "/sim/orders" and req.method == "GET":
            return json_response(200, self.orders())
        match = _SIM_ORDER.match(req.path)
        if match and match.group(2) and req.method == "POST":
            return json_response(200, self.act(match.group(1), match.group(2)))
        if match and not match.group(2) and req.method == "GET":
            found = self.order(match.group(1))
            if found is None:
                raise SimError(404, f"没有订单 {match.group(1)}", f"no order {match.group(1)!r}")
            return json_response(200, found)
        raise SimError(404, "没有这个控制接口", f"no control {req.method} {req.path}; see docs/payment.md")


def _json_doc(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        raise SimError(400, "请求体不是 JSON", "the body is not JSON") from None
    if not isinstance(doc, dict):
        raise SimError(400, "请求体须为 JSON 对象", "the body must be a JSON object")
    return doc


def _handler_for(gateway: PaymentGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TracePaymentSim/1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(json_response(413, {"code": "PARAM_ERROR", "message": "请求体过大 / body too large"}))
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            split = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
            req = Request(self.command, split.path, self.path, query, self.headers, body)
            try:
                answer = gateway.dispatch(req)
            except Exception as exc:  # a simulator bug must not look like a hung provider
                log.exception("payment: %s %s failed", self.command, self.path)
                answer = json_response(500, {"code": "SYSTEM_ERROR", "message": f"系统错误 / simulator error: {exc}"})
            self._send(answer)

        def _send(self, answer: Response) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if answer.body:
                self.wfile.write(answer.body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("payment http: " + format, *args)

    return Handler
