"""The event-log uploader goes back when central's events ack says entries were lost."""

from __future__ import annotations

import json
from typing import Any

from edge.core.eventlog import EventEntry, make_entry
from edge.sync.events import SENT_KEY, EventUploader


class Log:
    def __init__(self, n: int) -> None:
        self.entries: list[EventEntry] = []
        for i in range(n):
            self.entries.append(make_entry(self.entries[-1] if self.entries else None, "test", {"i": i}, i))
        self.settings: dict[str, Any] = {}

    def events(self, after_id: int = 0, limit: int = 100) -> list[EventEntry]:
        return [e for e in self.entries if e.id > after_id][:limit]

    def get_setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def set_setting(self, key: str, value: Any) -> None:
        self.settings[key] = value


class Done:
    def done(self) -> bool:
        return True


def test_a_behind_events_ack_rewinds_only_after_the_answer_had_time() -> None:
    log, now = Log(5), [0.0]
    sent: list[list[int]] = []

    def publish(_topic: str, body: bytes) -> Done:
        sent.append([e["id"] for e in json.loads(body)["events"]])
        return Done()

    up = EventUploader(log, "t", "S", chunk=10, resend_after_s=5.0, clock=lambda: now[0])
    assert up.step(True, 1, publish) and sent == [[1, 2, 3, 4, 5]]
    up.step(True, 1, publish)  # PUBACK: the sent cursor moves
    assert log.settings[SENT_KEY] == 5
    up.on_central_holds(2)  # central never saw 3-5 (no receiver was subscribed)
    now[0] = 1.0
    assert not up.step(True, 1, publish)  # too soon: its answer to what was just sent may still come
    now[0] = 6.0
    assert up.step(True, 1, publish) and sent[-1] == [3, 4, 5]
    up.on_central_holds(5)
    up.step(True, 1, publish)
    now[0] = 20.0
    assert not up.step(True, 1, publish) and len(sent) == 2  # caught up: nothing more to send
