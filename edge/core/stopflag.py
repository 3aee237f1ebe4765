"""A stop request that a signal handler may raise.

``threading.Event.set`` takes a lock. A handler runs in the main thread between two
bytecodes, so a second SIGTERM landing while the first handler is inside ``set`` (or while
the main thread is inside ``Event.wait``'s own locking) waits for a lock its own thread
holds, for ever. That is what kept the payment simulator alive after run.sh's process
group got SIGTERM twice (from the test, then from run.sh's cleanup). Setting an attribute
takes no lock, so handlers and other threads raise this flag and loops poll it.
"""

from __future__ import annotations

import time

POLL_S = 0.2


class StopFlag:
    __slots__ = ("reason",)

    def __init__(self) -> None:
        self.reason: str | int | None = None  # the signal number, or why a thread asked

    def __call__(self, reason: str | int = "stop", _frame: object = None) -> None:
        """Raise the flag: usable as ``signal.signal(SIGTERM, flag)`` and as a callback."""
        self.reason = reason

    def __bool__(self) -> bool:
        return self.reason is not None

    def wait(self, timeout_s: float | None = None) -> bool:
        """Sleep until raised (True) or ``timeout_s`` passes (False)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self.reason is None:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.monotonic())))
        return True
