"""Console users, their roles and their sessions.

Two roles (issue 16): ``office`` works for one market (registration, goods-in, prices,
catalog push, stop-sale); ``regulator`` (the city's market regulator) sees every market,
read-only, and may stop the sale of a batch. Passwords are kept as PBKDF2-HMAC-SHA512
hashes (``central.passwords``' ``$7$`` form) with 210,000 iterations, OWASP's figure for
that hash (Password Storage Cheat Sheet). A session is a random token in a cookie; the
database keeps its SHA-256, the CSRF token bound to it and when it expires.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from central.admin import AdminError, check_id
from central.db import Connection, is_unique_violation
from central.localtime import now_ms
from central.passwords import check_password, hash_password

OFFICE, REGULATOR = "office", "regulator"
ROLES = (OFFICE, REGULATOR)
ITERATIONS = 210_000
SESSION_MS = 8 * 3600 * 1000  # one working day; log in again tomorrow
MIN_PASSWORD = 10
# a bad password for any user costs as much as a good one (no user-name probing by timing)
_DUMMY_HASH = hash_password("not-a-password", iterations=ITERATIONS)


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: str
    market_id: str | None  # None for a regulator: every market
    display_name: str

    @property
    def is_office(self) -> bool:
        return self.role == OFFICE

    def may_see(self, market_id: str | None) -> bool:
        return self.role == REGULATOR or market_id == self.market_id


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str


def add_user(
    conn: Connection, username: str, password: str, role: str, market_id: str | None = None, display_name: str = ""
) -> User:
    check_id("user name", username)
    if role not in ROLES:
        raise AdminError(
            f"角色应为 {' 或 '.join(ROLES)}，收到 {role!r}", f"role must be one of {', '.join(ROLES)}, got {role!r}"
        )
    if role == OFFICE and not market_id:
        raise AdminError(
            "市场管理处的用户须加 --market MARKET_ID（它所服务的市场）",
            "a market office user needs --market MARKET_ID (the market it works for)",
        )
    if role == REGULATOR and market_id:
        raise AdminError("监管用户可查看所有市场：请去掉 --market", "a regulator sees every market: leave out --market")
    _check_length(password)
    if market_id and conn.one("SELECT 1 AS x FROM markets WHERE market_id = ?", (market_id,)) is None:
        raise AdminError(
            f"市场 {market_id!r} 未登记：请先登记（central market add）",
            f"market {market_id!r} is not registered; register it first (central market add)",
        )
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO console_users (username, role, market_id, password_hash, display_name, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (username, role, market_id or None, hash_password(password, iterations=ITERATIONS),
                 display_name.strip() or username, now_ms()),
            )  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(
                f"用户 {username} 已存在：请换一个用户名，或用 `central user password --name {username}` 重设密码",
                f"user {username} already exists; choose another name or reset the password",
            ) from None
        raise
    return User(username, role, market_id or None, display_name.strip() or username)


def _check_length(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AdminError(
            f"密码至少需要 {MIN_PASSWORD} 个字符", f"the password needs at least {MIN_PASSWORD} characters"
        )


def set_password(conn: Connection, username: str, password: str) -> None:
    _check_length(password)
    with conn.transaction():
        changed = conn.execute(
            "UPDATE console_users SET password_hash = ? WHERE username = ?",
            (hash_password(password, iterations=ITERATIONS), username),
        ).rowcount
        if not changed:
            raise AdminError(
                f"用户 {username!r} 不存在：请先用 `central user add` 创建",
                f"user {username!r} does not exist; create it with `central user add`",
            )
        conn.execute("DELETE FROM console_sessions WHERE username = ?", (username,))  # log out everywhere


def list_users(conn: Connection) -> list[dict[str, object]]:
    return conn.all(
        "SELECT username, role, market_id, display_name, disabled, created_ms FROM console_users ORDER BY username"
    )


class LoginThrottle:
    """At most ``attempts`` failed logins per user name in ``window_s``; then wait (in-process)."""

    def __init__(self, attempts: int = 5, window_s: float = 300.0) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, username: str) -> bool:
        with self._lock:
            recent = [t for t in self._failures.get(username, []) if time.monotonic() - t < self.window_s]
            self._failures[username] = recent
            return len(recent) >= self.attempts

    def failed(self, username: str) -> None:
        with self._lock:
            self._failures.setdefault(username, []).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


def authenticate(conn: Connection, username: str, password: str) -> User | None:
    row = conn.one(
        "SELECT username, role, market_id, password_hash, display_name, disabled FROM console_users WHERE username = ?",
        (username,),
    )
    ok = check_password(password, row["password_hash"] if row else _DUMMY_HASH)
    if row is None or not ok or row["disabled"]:
        return None
    return User(row["username"], row["role"], row["market_id"], row["display_name"])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(conn: Connection, user: User) -> tuple[str, Session]:
    """A new session: (the cookie's token, the session). Expired sessions are dropped on the way."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), now_ms()
    with conn.transaction():
        conn.execute("DELETE FROM console_sessions WHERE expires_ms < ?", (now,))
        conn.execute(
            "INSERT INTO console_sessions (token_sha256, username, csrf, created_ms, expires_ms) "
            "VALUES (?, ?, ?, ?, ?)",
            (_digest(token), user.username, csrf, now, now + SESSION_MS),
        )
    return token, Session(user, csrf)


def session_of(conn: Connection, token: str) -> Session | None:
    if not token or len(token) > 100:
        return None
    row = conn.one(
        "SELECT u.username, u.role, u.market_id, u.display_name, u.disabled, s.csrf, s.expires_ms "
        "FROM console_sessions s JOIN console_users u ON u.username = s.username WHERE s.token_sha256 = ?",
        (_digest(token),),
    )
    if row is None or row["disabled"] or row["expires_ms"] < now_ms():
        return None
    return Session(User(row["username"], row["role"], row["market_id"], row["display_name"]), row["csrf"])


def close_session(conn: Connection, token: str) -> None:
    with conn.transaction():
        conn.execute("DELETE FROM console_sessions WHERE token_sha256 = ?", (_digest(token),))


def audit(conn: Connection, username: str, action: str, target: str, detail: str = "") -> None:
    """Record a console action; call inside the caller's transaction where there is one."""
    conn.execute(
        "INSERT INTO console_audit (username, action, target, detail, created_ms) VALUES (?, ?, ?, ?, ?)",
        (username, action, target, detail, now_ms()),
    )
