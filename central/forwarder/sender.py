"""Posting the outbox to the city platform: at least once, in order, with backoff.

Exactly once in effect: every record carries a key the platform dedups on, and a row
leaves the outbox only after the platform answered for it, so a crash between the
platform's commit and ours only makes it hear the record again and say "duplicate".

While the platform is down (refused connections, timeouts, 5xx, 429) nothing is marked
and the forwarder waits ``Backoff`` (exponential, capped, jittered) before the next try;
rows that the platform refuses as invalid are set aside as rejected, with its reason,
so one bad record never blocks the queue.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from central.db import Database
from central.forwarder import outbox, wire

log = logging.getLogger(__name__)
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass
class Backoff:
    """Delay after the n-th failure in a row: ``base * 2**(n-1)``, at most ``cap``, times a
    random factor in [1 - jitter, 1] so many forwarders do not retry in step."""

    base_s: float = 1.0
    cap_s: float = 300.0
    jitter: float = 0.2
    random: Callable[[], float] = random.random

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        raw = min(self.cap_s, self.base_s * 2 ** min(failures - 1, 62))
        return raw * (1 - self.jitter * self.random())


class UpstreamDown(RuntimeError):
    """The platform could not take the request now; try again later."""


@dataclass
class ForwardStats:
    requests: int = 0
    sent: int = 0  # rows the platform now holds
    duplicates: int = 0  # records it already had (a resend after a crash or a lost answer)
    rejected: int = 0
    failures: int = 0  # requests that found the platform down
    last_error: str = ""


@dataclass
class Forwarder:
    db: Database
    upstream: str  # the platform's URL the documents are POSTed to
    fmt: str = "json"
    batch_size: int = 100
    timeout_s: float = 10.0
    token: str = ""
    backoff: Backoff = field(default_factory=Backoff)
    idle_s: float = 1.0  # how often an empty outbox is looked at
    stats: ForwardStats = field(default_factory=ForwardStats)
    client: httpx.Client | None = None

    def __post_init__(self) -> None:
        if self.fmt not in ("json", "xml"):
            raise ValueError(f"format must be json or xml, got {self.fmt!r}")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.client = self.client or httpx.Client(timeout=self.timeout_s, headers=headers)
        self._failures = 0

    def run(self, stop: Any) -> None:
        """Forward until ``stop`` is raised: a StopFlag, or anything with ``wait(seconds)``
        and truth (a test's simulated clock)."""
        while not stop:
            try:
                busy = self.step()
            except UpstreamDown as exc:
                self._failures += 1
                self.stats.failures += 1
                self.stats.last_error = str(exc)
                delay = self.backoff.delay(self._failures)
                log.warning("city platform unavailable (%s); retry %d in %.1f s", exc, self._failures, delay)
                stop.wait(delay)
                continue
            self._failures = 0
            if not busy:
                stop.wait(self.idle_s)

    def step(self) -> int:
        """Send one document of the oldest pending rows; returns how many rows it settled."""
        with self.db.connection() as conn:
            rows = outbox.pending(conn, self.batch_size)
        if not rows:
            return 0
        records = [r for row in rows for r in row.records]
        sender = records[0].data.get("retail_market_id", "") if records else ""
        body, content_type = wire.encode(records, self.fmt, sender)
        self.stats.requests += 1
        try:
            answer = self.client.post(self.upstream, content=body, headers={"Content-Type": content_type})
        except httpx.HTTPError as exc:
            self._down(rows, f"{type(exc).__name__}: {exc}")
        if answer.status_code in RETRY_STATUS:
            self._down(rows, f"HTTP {answer.status_code}")
        if answer.status_code != 200:
            self._settle(rows, {}, f"HTTP {answer.status_code}: {answer.text[:500]}")
            return len(rows)
        try:
            results = {r["key"]: r for r in orjson.loads(answer.content)["results"]}
        except (ValueError, KeyError, TypeError) as exc:
            self._down(rows, f"unreadable answer from the platform ({exc})")
        self._settle(rows, results, "")
        return len(rows)

    def _down(self, rows: list[outbox.Row], error: str) -> None:
        with self.db.connection() as conn:
            outbox.note_failure(conn, [r.id for r in rows], error)
        raise UpstreamDown(error)

    def _settle(self, rows: list[outbox.Row], results: dict[str, dict[str, Any]], refused: str) -> None:
        """Rows whose every record was accepted (or already held) are sent; a row with a
        refused record, or none answered, is rejected with the platform's reasons."""
        sent, rejected = [], {}
        for row in rows:
            answers = [results.get(r.key) for r in row.records]
            problems = [f"{r.key}: {'; '.join(a.get('errors', []))}" for r, a in zip(row.records, answers, strict=True)
                        if a is not None and a.get("status") == "rejected"]  # fmt: skip
            if refused or problems or any(a is None for a in answers):
                rejected[row.id] = refused or "; ".join(problems) or "the platform did not answer for every record"
            else:
                sent.append(row.id)
                self.stats.duplicates += sum(1 for a in answers if a and a.get("status") == "duplicate")
        with self.db.connection() as conn:
            outbox.settle(conn, sent, rejected)
        self.stats.sent += len(sent)
        self.stats.rejected += len(rejected)
        for row_id, why in rejected.items():
            log.error("city platform refused outbox row %d: %s", row_id, why)
