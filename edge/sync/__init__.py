"""Store-and-forward to central over MQTT (docs/sync.md): outbox publisher, heartbeat,
event-log upload, signed catalog/batches/config. Start it with :class:`SyncService`."""

from edge.sync.service import SyncService, SyncState, check_sync_config

__all__ = ["SyncService", "SyncState", "check_sync_config"]
