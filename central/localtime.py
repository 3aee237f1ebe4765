"""Asia/Shanghai local time for records kept in UTC epoch ms (China has no DST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

try:
    from zoneinfo import ZoneInfo

    LOCAL = ZoneInfo("Asia/Shanghai")
except Exception:  # no tz database on the machine: +08:00 all year is the same thing
    LOCAL = timezone(timedelta(hours=8), "CST")  # type: ignore[assignment]


def local_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, LOCAL)


def local_date(ms: int) -> str:
    return local_dt(ms).date().isoformat()


def local_text(ms: int) -> str:
    return local_dt(ms).strftime("%Y-%m-%d %H:%M:%S")


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)
