"""The scale's durable SQLite store (DESIGN.md, Edge storage): sales, outbox, print queue,
catalog and batches, settings, the hash-chained event log and the daily report."""

from edge.store.errors import (
    NotFoundError,
    RefundError,
    SchemaTooNewError,
    StaleVersionError,
    StoreError,
    StoreFullError,
)
from edge.store.store import Store

__all__ = [
    "NotFoundError",
    "RefundError",
    "SchemaTooNewError",
    "StaleVersionError",
    "Store",
    "StoreError",
    "StoreFullError",
]
