"""A tiny stdlib HTTP client for the provider calls: one request, a timeout, bytes back.

Every network failure becomes a retryable ProviderError, so callers only ever handle one
exception type; HTTP error statuses are returned, not raised (providers put their error
codes in the body).
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from central.payment.providers.base import provider_unavailable

DEFAULT_TIMEOUT_S = 10.0
MAX_BODY = 4 * 1024 * 1024  # an answer bigger than this is not a payment API answer


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # names lower-case
    body: bytes
    provider: str = ""

    def json(self) -> Any:
        """The body as JSON; garbage from a provider is a retryable error, not a crash."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise provider_unavailable(self.provider, f"answer is not JSON (HTTP {self.status}): {exc}") from exc

    def error_fields(self) -> tuple[str, str]:
        """(code, message) of a JSON error answer ``{"code","message"}``; the HTTP status when it has none."""
        try:
            doc = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            doc = None
        doc = doc if isinstance(doc, dict) else {}
        return str(doc.get("code") or f"HTTP {self.status}"), str(doc.get("message") or "")


def request(
    method: str,
    url: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    provider: str,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> HttpResponse:
    """Send one request; ``provider`` names who we were talking to in the error message."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise provider_unavailable(provider, f"bad URL {url!r} in the account config")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        send_headers = {"Content-Length": str(len(body)), "Accept": "*/*", **(headers or {})}
        conn.request(method, target, body=body or None, headers=send_headers)
        resp = conn.getresponse()
        data = resp.read(MAX_BODY + 1)
        if len(data) > MAX_BODY:
            raise provider_unavailable(provider, f"answer to {method} {parts.path} larger than {MAX_BODY} bytes")
        return HttpResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, provider)
    except (OSError, http.client.HTTPException) as exc:
        raise provider_unavailable(
            provider, f"{method} {parts.hostname}:{parts.port or ''}{parts.path}: {exc}"
        ) from exc
    finally:
        conn.close()
