"""Store errors, each with a text for the vendor (``zh``) and one for logs/technicians (``en``).

``str(error)`` holds both, so a log line or a crash report is readable either way.
"""

from __future__ import annotations

import errno
import sqlite3

SQLITE_FULL = 13


class StoreError(Exception):
    """Something the store could not do; nothing of the failed operation was saved."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang.strip().lower().startswith("zh") else self.en


class StoreFullError(StoreError):
    """The disk is full: the operation was rolled back and the database is intact."""

    @classmethod
    def for_sale(cls) -> StoreFullError:
        return cls(
            "存储空间已满，本笔交易未保存，请联系技术人员清理空间",
            "Storage is full: this sale was NOT recorded. Call the technician to free space.",
        )

    @classmethod
    def for_write(cls) -> StoreFullError:
        return cls(
            "存储空间已满，数据未保存，请联系技术人员清理空间",
            "Storage is full: the change was NOT saved. Call the technician to free space.",
        )


class SchemaTooNewError(StoreError):
    """The file was written by newer software; opening it could lose data, so it is refused."""

    def __init__(self, found: int, supported: int, path: str) -> None:
        super().__init__(
            f"数据库版本 v{found} 高于本软件支持的 v{supported}，请升级秤软件或联系技术人员（文件未被修改）",
            f"Database {path} has schema v{found}, newer than this software supports (v{supported}); "
            "update the scale software or call the technician. The file was not changed.",
        )
        self.found = found
        self.supported = supported


class StaleVersionError(StoreError):
    """A catalog/batch list not newer than the one held; nothing was changed."""

    def __init__(self, what: str, offered: int, current: int) -> None:
        super().__init__(
            f"收到的{_ZH_NAMES.get(what, what)}版本 {offered} 不比当前版本 {current} 新，已忽略",
            f"Refused {what} version {offered}: not newer than the current version {current}; nothing changed.",
        )
        self.what = what
        self.offered = offered
        self.current = current


class NotFoundError(StoreError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"找不到{_ZH_NAMES.get(what, what)}：{key}", f"No {what} {key!r} in the store.")
        self.what = what
        self.key = key


class RefundError(StoreError):
    """A refund the store refuses (no such sale, a refund of a refund, more than was paid)."""


_ZH_NAMES = {
    "catalog": "商品目录",
    "batches": "批次列表",
    "sale": "交易",
    "print job": "打印任务",
}


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLITE_FULL (any extended code) and for ENOSPC from the OS."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF == SQLITE_FULL
        return "database or disk is full" in str(exc)
    return False


def translate(exc: BaseException, *, sale: bool) -> StoreError:
    """The StoreError to raise for a failed write (``sale``: the write was a sale)."""
    if is_disk_full(exc):
        return StoreFullError.for_sale() if sale else StoreFullError.for_write()
    detail = f"{type(exc).__name__}: {exc}"
    if sale:
        return StoreError(
            f"数据库出错，本笔交易未保存，请联系技术人员（{detail}）",
            f"Database error: this sale was NOT recorded; call the technician ({detail}).",
        )
    return StoreError(
        f"数据库出错，数据未保存，请联系技术人员（{detail}）",
        f"Database error: the change was NOT saved; call the technician ({detail}).",
    )
