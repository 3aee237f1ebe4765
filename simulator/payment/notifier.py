"""Sends notifications to the merchant's notify_url and retries them like the real providers.

Real gateways retry over hours (WeChat 15 s, 15 s, 30 s, 3 min, ...); the simulator keeps the
pattern but shortens the waits so tests see retries within seconds. A delivery ends when the
provider's own rule says the merchant took it (`accepted`), or after the last retry.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from simulator.payment.orders import Order, OrderBook, Outgoing

RETRY_S = (0.3, 0.6, 1.2, 2.4)  # waits before the 2nd..5th attempt
SEND_TIMEOUT_S = 3.0

Accepted = Callable[[int, bytes], bool]  # (HTTP status, body) -> did the merchant take it?


@dataclass
class Delivery:
    order: Order
    outgoing: Outgoing
    accepted: Accepted
    attempt: int = 0


class Notifier:
    def __init__(self, book: OrderBook, log: Callable[[str], None]) -> None:
        self.book = book
        self.log = log
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="payment-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=SEND_TIMEOUT_S + 2)

    def send(self, order: Order, outgoing: Outgoing, accepted: Accepted) -> None:
        self._schedule(Delivery(order, outgoing, accepted), 0.0)

    def pending(self) -> int:
        with self._wake:
            return len(self._queue)

    def _schedule(self, delivery: Delivery, delay_s: float) -> None:
        with self._wake:
            heapq.heappush(self._queue, (time.monotonic() + delay_s, next(self._seq), delivery))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._wake.wait(None if not self._queue else max(0.0, self._queue[0][0] - time.monotonic()))
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
            self._attempt(delivery)

    def _attempt(self, delivery: Delivery) -> None:
        out, order = delivery.outgoing, delivery.order
        status, body = post(out.url, out.headers, out.body)
        ok = delivery.accepted(status, body)
        with self.book.lock:
            order.notify_attempts += 1
            order.last_answer = f"{status} {body[:60].decode('utf-8', 'replace')}".strip()
            if ok:
                order.notifications_sent += 1
        self.log(f"payment: notify {order.provider} {order.order_id} -> {out.url}: {order.last_answer or 'no answer'}")
        if not ok and delivery.attempt < len(RETRY_S):
            delivery.attempt += 1
            self._schedule(delivery, RETRY_S[delivery.attempt - 1])


def post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """POST and return (status, body); (0, b"") when the merchant cannot be reached at all."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_S) as answer:
            return answer.status, answer.read(4096)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4096)
    except (OSError, ValueError):  # refused, timed out, bad URL: the provider just retries later
        return 0, b""
