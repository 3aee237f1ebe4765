"""The outbox publisher's window / ack / resend rule (docs/sync.md) against fakes."""

from __future__ import annotations

import json

import pytest

from edge.sync.publisher import OutboxPublisher
from edge.sync.wire import OutboxRow

TOPIC = "trace/v1/M/S/sales"


class FakeOutbox:
    """Rows 1..n; ack_through deletes a prefix, as Store does."""

    def __init__(self, n: int) -> None:
        self.rows_held = {i: OutboxRow(i, "sale", json.dumps({"sale_id": f"s{i}"})) for i in range(1, n + 1)}
        self.acks: list[int] = []
        self.fail_next_ack = False

    def rows(self, limit: int, after: int) -> list[OutboxRow]:
        return [self.rows_held[k] for k in sorted(self.rows_held) if k > after][:limit]

    def ack_through(self, seq: int) -> int:
        if self.fail_next_ack:
            self.fail_next_ack = False
            raise OSError("disk trouble")
        self.acks.append(seq)
        gone = [k for k in self.rows_held if k <= seq]
        for k in gone:
            del self.rows_held[k]
        return len(gone)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Wire:
    def __init__(self) -> None:
        self.sent: list[tuple[int, int]] = []
        self.up = True

    def __call__(self, topic: str, body: bytes) -> bool:
        assert topic == TOPIC
        if not self.up:
            return False
        doc = json.loads(body)
        self.sent.append((doc["first"], doc["last"]))
        return True


def make(n: int = 100, **kw: object) -> tuple[OutboxPublisher, FakeOutbox, Wire, Clock]:
    outbox, wire, clock = FakeOutbox(n), Wire(), Clock()
    options = {"batch_size": 10, "window": 3, "ack_timeout_s": 5.0, **kw}
    pub = OutboxPublisher(outbox, outbox, TOPIC, "S", monotonic=clock, **options)  # type: ignore[arg-type]
    return pub, outbox, wire, clock


def test_publishes_in_order_up_to_the_window() -> None:
    pub, outbox, wire, _ = make()
    assert pub.step(True, 1, wire)
    assert wire.sent == [(1, 10), (11, 20), (21, 30)]
    assert not pub.step(True, 1, wire)  # window full, nothing acked
    assert pub.state().in_flight == 3 and outbox.acks == []


def test_ack_removes_rows_and_opens_the_window() -> None:
    pub, outbox, wire, _ = make()
    pub.step(True, 1, wire)
    pub.on_ack(20)
    assert pub.step(True, 1, wire)
    assert outbox.acks == [20] and min(outbox.rows_held) == 21
    assert wire.sent[3:] == [(31, 40), (41, 50)]
    assert pub.state().acked_through == 20 and pub.state().in_flight == 3


def test_a_partial_ack_keeps_the_message_in_flight() -> None:
    pub, outbox, wire, _ = make()
    pub.step(True, 1, wire)
    pub.on_ack(5)
    pub.step(True, 1, wire)
    assert outbox.acks == [5] and pub.state().in_flight == 3 and len(wire.sent) == 3


def test_no_progress_for_ack_timeout_resends_from_the_watermark() -> None:
    pub, _, wire, clock = make()
    pub.step(True, 1, wire)
    pub.on_ack(10)  # message 2 lost: central repeats its watermark for message 3
    pub.step(True, 1, wire)
    pub.on_ack(10)
    clock.t += 4.9
    pub.step(True, 1, wire)
    assert len(wire.sent) == 4  # (31, 40) after the first ack, no resend yet
    clock.t += 0.2
    assert pub.step(True, 1, wire)
    assert wire.sent[4:] == [(11, 20), (21, 30), (31, 40)]
    assert pub.state().resends == 1


def test_steady_ack_progress_never_triggers_a_resend() -> None:
    # A slow but live central: each ack takes 3 s; the oldest message waits longer than
    # ack_timeout_s in total, but the watermark keeps moving.
    pub, _, wire, clock = make(n=60, window=4)
    pub.step(True, 1, wire)
    acked = 0
    while acked < 60:
        clock.t += 3.0
        acked += 10
        pub.on_ack(acked)
        pub.step(True, 1, wire)
    assert pub.state().resends == 0
    assert len(wire.sent) == 6


def test_reconnect_restarts_from_the_outbox() -> None:
    pub, outbox, wire, _ = make()
    pub.step(True, 1, wire)
    pub.on_ack(10)
    pub.step(False, 1, wire)
    assert pub.state().in_flight == 0
    pub.step(True, 2, wire)
    assert wire.sent[-3:] == [(11, 20), (21, 30), (31, 40)]
    assert outbox.acks == [10]


def test_new_session_without_a_seen_disconnect_also_restarts() -> None:
    pub, _, wire, _ = make()
    pub.step(True, 1, wire)
    pub.step(True, 2, wire)  # the client reconnected between two steps
    assert wire.sent[3:] == [(1, 10), (11, 20), (21, 30)]


def test_failed_publish_waits_for_the_next_step() -> None:
    pub, _, wire, _ = make()
    wire.up = False
    assert not pub.step(True, 1, wire)
    wire.up = True
    pub.step(False, 1, wire)
    pub.step(True, 2, wire)
    assert wire.sent == [(1, 10), (11, 20), (21, 30)]


def test_an_ack_never_deletes_rows_not_yet_published() -> None:
    # e.g. central's watermark from a previous copy of this scale's database
    pub, outbox, wire, _ = make()
    pub.step(True, 1, wire)
    pub.on_ack(5000)
    pub.step(True, 1, wire)
    assert outbox.acks[0] == 30
    assert min(outbox.rows_held) == 31


def test_ack_store_failure_is_retried() -> None:
    pub, outbox, wire, _ = make()
    pub.step(True, 1, wire)
    pub.on_ack(30)
    outbox.fail_next_ack = True
    with pytest.raises(OSError):
        pub.step(True, 1, wire)
    assert pub.state().acked_through == 0
    pub.step(True, 1, wire)
    assert outbox.acks == [30] and pub.state().acked_through == 30


def test_old_and_duplicate_acks_are_harmless() -> None:
    pub, outbox, wire, _ = make()
    pub.step(True, 1, wire)
    pub.on_ack(20)
    pub.step(True, 1, wire)
    pub.on_ack(10)
    pub.on_ack(20)
    pub.step(True, 1, wire)
    assert outbox.acks == [20]


def test_drains_everything_exactly_through_the_watermark() -> None:
    pub, outbox, wire, _ = make(n=95)
    while outbox.rows_held:
        pub.step(True, 1, wire)
        pub.on_ack(wire.sent[-1][1])
    pub.step(True, 1, wire)
    assert outbox.acks[-1] == 95
    assert [a for a, _ in wire.sent] == list(range(1, 96, 10))


def test_bad_settings_are_refused() -> None:
    outbox = FakeOutbox(1)
    with pytest.raises(ValueError, match=r"\[sync\]"):
        OutboxPublisher(outbox, outbox, TOPIC, "S", window=0)


def test_resends_without_progress_back_off_and_progress_resets_them() -> None:
    pub, _, wire, clock = make(ack_timeout_s=5.0)
    pub.step(True, 1, wire)
    resend_times = []
    for _ in range(60):  # 6 s of a central that never acks
        clock.t += 1.0
        before = len(wire.sent)
        pub.step(True, 1, wire)
        if len(wire.sent) > before:
            resend_times.append(clock.t - 1000.0)
    assert resend_times == [5.0, 15.0, 35.0]  # after 5, then 10, then 20 s
    pub.on_ack(10)
    pub.step(True, 1, wire)
    sent = len(wire.sent)
    clock.t += 5.0
    pub.step(True, 1, wire)
    assert len(wire.sent) > sent  # back to ack_timeout_s after progress
