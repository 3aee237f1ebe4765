"""The providers' time formats <-> UTC epoch ms, all in Beijing time (+08:00, no DST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from central.localtime import LOCAL

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(dt: datetime) -> int:
    return (dt - _EPOCH) // _MS  # integer arithmetic, no float rounding


def rfc3339(ms: int) -> str:
    """WeChat v3 time_expire: ``2024-01-15T10:00:00+08:00``."""
    return datetime.fromtimestamp(ms // 1000, LOCAL).isoformat(timespec="seconds")


def parse_rfc3339(text: object) -> int | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_ms(dt if dt.tzinfo else dt.replace(tzinfo=LOCAL))


def beijing_text(ms: int, fmt: str) -> str:
    return datetime.fromtimestamp(ms // 1000, LOCAL).strftime(fmt)


def parse_beijing(text: object, fmt: str) -> int | None:
    """Alipay ``2024-01-15 10:00:00`` / WeChat v2 ``20240115100000`` -> ms; None when absent or malformed."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return to_ms(datetime.strptime(text, fmt).replace(tzinfo=LOCAL))
    except ValueError:
        return None
