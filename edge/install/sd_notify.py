"""systemd's notify protocol in a few lines of stdlib (sd_notify(3)).

The service unit is ``Type=notify`` with ``WatchdogSec=``: the app sends ``READY=1`` once
its parts run and ``WATCHDOG=1`` from its ticker, so systemd restarts a scale app that
hangs, not only one that exits. Outside systemd (no ``$NOTIFY_SOCKET``) every call is a no-op.
"""

from __future__ import annotations

import os
import socket
import time


class SdNotifier:
    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET", "") if address is None else address
        if address.startswith("@"):  # an abstract socket
            address = "\0" + address[1:]
        self._address = address
        self._sock: socket.socket | None = None
        usec = os.environ.get("WATCHDOG_USEC", "")
        # ping at a third of systemd's interval; without one, the caller's own pace decides
        self.watchdog_interval_s = int(usec) / 3e6 if usec.isdigit() and int(usec) > 0 else 0.0
        self._last_ping = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def notify(self, state: str) -> bool:
        """Send ``state`` (e.g. ``"READY=1"``); False when not under systemd or the send failed."""
        if not self._address:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(state.encode("utf-8"), self._address)
        except OSError:
            return False  # systemd gone or restarting: the watchdog will tell
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def watchdog(self) -> bool:
        """``WATCHDOG=1``, at most once per interval (call it as often as you like)."""
        now = time.monotonic()
        if now - self._last_ping < self.watchdog_interval_s:
            return False
        self._last_ping = now
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
