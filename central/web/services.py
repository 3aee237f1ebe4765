"""What the routes need from the running central, kept on ``app.state.services``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request

from central.db import Database

if TYPE_CHECKING:
    from central.payment.service import Outgoing, PaymentService


@dataclass
class Services:
    db: Database
    token: str
    payments: PaymentService | None = None  # provider notifications go here
    publish: Callable[[list[Outgoing]], None] | None = None  # ... and their results on to the scales
    console: Any = None  # central.console.settings.ConsoleSettings, when the console is on


def services(request: Request) -> Services:
    return request.app.state.services
