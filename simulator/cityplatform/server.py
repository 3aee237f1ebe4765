"""The city platform simulator: an HTTP server over a SQLite file.

``POST /api/views`` takes a JSON or XML document of records (docs/city-platform.md) and
answers 200 with one result per record: ``accepted`` (stored), ``duplicate`` (its key is
held with the same content: stored once, counted), or ``rejected`` with the errors (bad
record, or a key reused with other content). A malformed document gets 400.

Down on purpose: ``down("503", seconds)`` answers 503 to every view post, ``down("refuse",
seconds)`` closes the listening socket so connections are refused; ``up()`` ends either
(a timer ends them after ``seconds``). Controls: ``POST /sim/down {"mode", "seconds"}``,
``POST /sim/up``, ``GET /sim/stats``, ``GET /sim/records?view=``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulator.cityplatform.rules import GOODS_IN, check

MAX_BODY = 16 * 1024 * 1024
SCHEMA = "cityplatform/1"


class BadDocument(ValueError):
    """The document itself cannot be read (not its records)."""


def parse_document(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Records ``{"key", "view", "data"}`` from a JSON or XML document."""
    if "xml" in content_type:
        return _parse_xml(body)
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadDocument(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("records"), list):
        raise BadDocument(f'a document is {{"schema": "{SCHEMA}", "records": [...]}}')
    for record in doc["records"]:
        if not isinstance(record, dict) or not isinstance(record.get("key"), str) or not record["key"]:
            raise BadDocument("every record needs a key")
    return doc["records"]


def _element_fields(element: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in element}


def _parse_xml(body: bytes) -> list[dict[str, Any]]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadDocument(f"not XML: {exc}") from None
    if root.tag != "trace_data" or root.get("schema") != SCHEMA:
        raise BadDocument(f'the root is <trace_data schema="{SCHEMA}">')
    out = []
    for holder in root:
        key, view = holder.get("key") or "", holder.get("view") or ""
        if holder.tag != "record" or not key:
            raise BadDocument("every <record> needs a key")
        if view == GOODS_IN:
            bases = [_element_fields(e) for e in holder if e.tag == "retail_market_in_info_base"]
            details = [_element_fields(e) for e in holder if e.tag == "retail_market_in_info_detail"]
            data: Any = {"base": bases[0] if len(bases) == 1 else None, "details": details}
        else:
            parts = [_element_fields(e) for e in holder if e.tag == view]
            data = parts[0] if len(parts) == 1 else None
        out.append({"key": key, "view": view, "data": data})
    return out


class Store:
    """Every accepted record once; duplicates counted."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, view TEXT NOT NULL, data TEXT NOT NULL, "
            "received_ms INTEGER NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS refusals (key TEXT, errors TEXT, received_ms INTEGER)")
        self._lock = threading.Lock()

    def take(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        ts = int(time.time() * 1000)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for record in records:
                    results.append(self._take_one(record, ts))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return results

    def _take_one(self, record: dict[str, Any], ts: int) -> dict[str, Any]:
        key, view, data = record["key"], record.get("view"), record.get("data")
        errors = check(view, data) if isinstance(view, str) else ["record without a view"]
        text = json.dumps(data, sort_keys=True, ensure_ascii=False)
        if not errors:
            held = self._db.execute("SELECT data FROM records WHERE key = ?", (key,)).fetchone()
            if held is not None and held[0] != text:
                errors = [f"key {key} is already held with other content"]
            elif held is not None:
                self._db.execute("UPDATE records SET duplicates = duplicates + 1 WHERE key = ?", (key,))
                return {"key": key, "status": "duplicate"}
        if errors:
            refusal = (key, json.dumps(errors, ensure_ascii=False), ts)
            self._db.execute("INSERT INTO refusals VALUES (?, ?, ?)", refusal)
            return {"key": key, "status": "rejected", "errors": errors}
        self._db.execute(
            "INSERT INTO records (key, view, data, received_ms) VALUES (?, ?, ?, ?)", (key, view, text, ts)
        )
        return {"key": key, "status": "accepted"}

    def stats(self) -> dict[str, Any]:
        with self._lock:
            by_view = dict(self._db.execute("SELECT view, COUNT(*) FROM records GROUP BY view").fetchall())
            dups = self._db.execute("SELECT COALESCE(SUM(duplicates), 0) FROM records").fetchone()[0]
            refused = self._db.execute("SELECT COUNT(*) FROM refusals").fetchone()[0]
        return {"records": sum(by_view.values()), "by_view": by_view, "duplicates": dups, "rejected": refused}

    def records(self, view: str = "") -> list[dict[str, Any]]:
        where, params = ("WHERE view = ?", (view,)) if view else ("", ())
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, view, data, duplicates FROM records {where} ORDER BY rowid", params
            ).fetchall()
        return [{"key": k, "view": v, "data": json.loads(d), "duplicates": n} for k, v, d, n in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CityPlatform:
    def __init__(self, db_path: str | Path, host: str = "127.0.0.1", port: int = 0, log_fn: Any = None) -> None:
        self.store = Store(db_path)
        self.host, self.port = host, port
        self.log = log_fn or (lambda _m: None)
        self.mode = ""  # "", "503" or "refuse"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.RLock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/api/views"

    def start(self) -> CityPlatform:
        with self._lock:
            platform = self

            class Handler(_Handler):
                owner = platform

            server = ThreadingHTTPServer((self.host, self.port), Handler)
            server.daemon_threads = True
            self.port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, name="cityplatform", daemon=True)
            self._thread.start()
        return self

    def _close_socket(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def down(self, mode: str, seconds: float | None = None) -> None:
        """Be down: ``503`` answers 503, ``refuse`` refuses connections; up again after ``seconds``."""
        if mode not in ("503", "refuse"):
            raise ValueError("mode is 503 or refuse")
        with self._lock:
            self._cancel_timer()
            if mode == "refuse" and self.mode != "refuse":
                threading.Thread(target=self._close_socket, daemon=True).start()  # not from a handler's own thread
            self.mode = mode
            if seconds is not None:
                self._timer = threading.Timer(seconds, self.up)
                self._timer.daemon = True
                self._timer.start()
        self.log(f"cityplatform: down ({mode})" + (f" for {seconds:g} s" if seconds is not None else ""))

    def up(self) -> None:
        with self._lock:
            self._cancel_timer()
            was = self.mode
            self.mode = ""
            if was == "refuse":
                deadline = time.monotonic() + 5
                while self._server is not None and time.monotonic() < deadline:
                    time.sleep(0.01)  # the closing thread is still at it
                self.start()
        self.log("cityplatform: up")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def stop(self) -> None:
        with self._lock:
            self._cancel_timer()
            self._close_socket()
        self.store.close()


class _Handler(BaseHTTPRequestHandler):
    owner: CityPlatform
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, doc: Any) -> None:
        body = json.dumps(doc, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadDocument(f"document larger than {MAX_BODY} bytes")
        return self.rfile.read(length)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/sim/stats":
            self._send(200, {**self.owner.store.stats(), "mode": self.owner.mode})
        elif url.path == "/sim/records":
            view = parse_qs(url.query).get("view", [""])[0]
            self._send(200, {"records": self.owner.store.records(view)})
        else:
            self._send(404, {"error": "no such page"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        try:
            body = self._body()
            if url.path == "/sim/down":
                doc = json.loads(body or b"{}")
                self.owner.down(str(doc.get("mode", "503")), doc.get("seconds"))
                self._send(200, {"mode": self.owner.mode})
            elif url.path == "/sim/up":
                self.owner.up()
                self._send(200, {"mode": self.owner.mode})
            elif url.path != "/api/views":
                self._send(404, {"error": "post views to /api/views"})
            elif self.owner.mode:
                self._send(503, {"error": "platform down for maintenance (simulated)"})
            else:
                records = parse_document(body, self.headers.get("Content-Type", ""))
                self._send(200, {"results": self.owner.store.take(records)})
        except (BadDocument, ValueError) as exc:
            self._send(400, {"error": str(exc)})
