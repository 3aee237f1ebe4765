"""The updater inside the running app: on when the scale was installed with slots.

``$TRACE_SCALE_ROOT`` (written into the service unit by ``python -m edge install``) names
the folder holding ``slots/`` and ``current``; without it the scale runs from a plain
checkout and OTA is off. Firmware is downloaded from central's HTTP side, the same server
as the trace page (``[ticket].trace_base_url``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from edge.config import EdgeConfig
from edge.store.store import Store
from edge.update.updater import Updater, mark_booted

log = logging.getLogger(__name__)

EXIT_RESTART = 75  # the app exits with this after a switch; Restart=on-failure starts the new version
BOOT_OK_AFTER_S = 60.0  # a version that runs this long counts as booted even without a broker


class AppUpdater:
    """Updater thread + the booted-OK report of the running version."""

    def __init__(self, updater: Updater, boot_ok_after_s: float = BOOT_OK_AFTER_S) -> None:
        self.updater = updater
        self.restart_requested = threading.Event()
        self._started = time.monotonic()
        self._boot_ok_after_s = boot_ok_after_s
        self._reported = False

    @classmethod
    def from_config(cls, config: EdgeConfig, store: Store, root: Path) -> AppUpdater:
        from edge.software_id import software_id

        app: AppUpdater | None = None

        def switched(version: str) -> None:
            log.warning("firmware %s installed and switched in: restarting into it", version)
            assert app is not None
            app.restart_requested.set()

        updater = Updater(
            store,
            root,
            config.sync.central_public_key,
            config.ticket.trace_base_url,
            running_version=software_id().version,
            on_switched=switched,
        )
        app = cls(updater)
        return app

    @property
    def offer(self) -> Callable[[bytes], None]:
        return self.updater.offer

    def start(self) -> AppUpdater:
        self.updater.start()
        return self

    def stop(self) -> None:
        self.updater.stop()

    def tick(self, connected: bool) -> None:
        """From the app's ticker: end the running version's trial once it is connected, or ran long enough."""
        if self._reported or not (connected or time.monotonic() - self._started >= self._boot_ok_after_s):
            return
        self._reported = True
        try:
            mark_booted(self.updater.root, self.updater.store, self.updater.running_version)
        except Exception:
            log.exception("could not record the booted-OK marker")
