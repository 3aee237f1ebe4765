"""How the console reaches the scales (central's signing key and broker), and its cookie policy."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from central.console.users import LoginThrottle

if TYPE_CHECKING:
    from central.keys import CentralKey
    from central.publish import Document


@dataclass
class ConsoleSettings:
    key: CentralKey | None = None  # signs catalog and batches documents
    send: Callable[[list[Document]], None] | None = None  # publishes them (central.publish.send)
    # Secure cookies: "auto" sets the flag when the request came over HTTPS (behind a TLS proxy,
    # run uvicorn with --forwarded-allow-ips); "always" / "never" force it.
    secure_cookies: str = field(default_factory=lambda: os.environ.get("CENTRAL_CONSOLE_SECURE_COOKIES", "auto"))
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @property
    def can_publish(self) -> bool:
        return self.key is not None and self.send is not None
