"""Run model actions off the Kivy thread, in the order they were pressed.

A checkout commits to SQLite and may wait on the printer; zero/tare talk to the weighing
module. None of that may freeze the screen, and two quick presses must not overtake each
other, so every action goes through one worker thread. Results that a widget needs (the
daily report, the batch list) come back on the Kivy thread through ``then``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

log = logging.getLogger(__name__)


class ActionRunner:
    def __init__(self, target: Any, name: str = "ui-actions") -> None:
        self.target = target
        self._queue: queue.Queue[tuple[Callable[[], Any], Callable[[Any], None] | None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lock = threading.Lock()
        self.pending = 0  # queued or running; tests wait for 0
        self._thread.start()

    def call(self, method: str, *args: Any, then: Callable[[Any], None] | None = None, **kwargs: Any) -> None:
        """``target.method(*args, **kwargs)`` on the worker; ``then(result)`` on the Kivy thread."""
        fn = getattr(self.target, method)
        self.run(lambda: fn(*args, **kwargs), then)

    def run(self, fn: Callable[[], Any], then: Callable[[Any], None] | None = None) -> None:
        with self._lock:
            self.pending += 1
        self._queue.put((fn, then))

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, then = item
            try:
                result = fn()
            except Exception:  # a bug in one action must not kill the key handling for the day
                log.exception("UI action failed")
                result = None
            if then is not None:
                Clock.schedule_once(lambda _dt, r=result, cb=then: cb(r), 0)
            with self._lock:
                self.pending -= 1
