"""The customer-display link over a real Unix socket: latest snapshot on connect, reconnect
after the publisher restarts, a stuck display dropped without holding up the merchant."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.ui.customer_link import CustomerPublisher, CustomerSubscriber
from edge.ui.model.views import CartLineView, CustomerView

pytestmark = pytest.mark.integration


def wait_for(cond: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


class Inbox:
    def __init__(self) -> None:
        self.views: list[CustomerView] = []
        self.states: list[bool] = []
        self.lock = threading.Lock()

    def __call__(self, view: CustomerView) -> None:
        with self.lock:
            self.views.append(view)

    def last(self) -> CustomerView | None:
        with self.lock:
            return self.views[-1] if self.views else None


def view(seq: int, **fields) -> CustomerView:
    return CustomerView(seq=seq, market_name="兰州市城关区张掖路农贸市场", stall="A-12", **fields)


@pytest.fixture
def sock_path(tmp_path) -> Path:
    return tmp_path / "run" / "customer.sock"


def test_a_new_display_gets_the_latest_snapshot_at_once(sock_path):
    with CustomerPublisher(sock_path) as pub:
        pub.publish(view(1))
        pub.publish(view(2, mode="weighing", weight_text="1.235", item_name="白菜", amount_text="4.92"))
        inbox = Inbox()
        with CustomerSubscriber(sock_path, inbox):
            wait_for(lambda: inbox.last() is not None)
            assert [v.seq for v in inbox.views] == [2]  # only the latest, not the history
            assert inbox.last().item_name == "白菜" and inbox.last().amount_text == "4.92"
            lines = (CartLineView(0, "白菜", "1.235 kg × 3.98 元/kg", "4.92"),)
            pub.publish(view(3, mode="cart", lines=lines, total_text="4.92"))
            wait_for(lambda: inbox.last().seq == 3)
            assert inbox.last().lines == lines


def test_older_snapshots_are_dropped_and_garbage_ignored(sock_path):
    with CustomerPublisher(sock_path) as pub:
        inbox = Inbox()
        with CustomerSubscriber(sock_path, inbox) as sub:
            wait_for(lambda: sub.connected and pub.client_count == 1)
            pub.publish(view(5))
            wait_for(lambda: inbox.last() is not None)
            pub.publish(view(4))  # out of order: the display keeps 5
            time.sleep(0.2)
            pub.publish_line(b"not json\n")  # a stray line must not break the display
            time.sleep(0.2)
            pub.publish(view(6))
            wait_for(lambda: inbox.last().seq == 6)
            assert [v.seq for v in inbox.views] == [5, 6]


def test_the_display_reconnects_after_the_merchant_app_restarts(sock_path):
    inbox = Inbox()
    states: list[bool] = []
    sub = CustomerSubscriber(sock_path, inbox, on_connected=states.append, retry_s=0.05).start()
    try:
        pub = CustomerPublisher(sock_path).start()
        pub.publish(view(7, mode="paid", total_text="34.92"))
        wait_for(lambda: inbox.last() is not None and inbox.last().seq == 7)
        pub.stop()
        wait_for(lambda: not sub.connected)
        pub = CustomerPublisher(sock_path).start()  # a restarted app counts seq from 1 again
        pub.publish(view(1, mode="idle"))
        wait_for(lambda: inbox.last().seq == 1)
        assert inbox.last().mode == "idle"
        assert states[:3] == [True, False, True]
        pub.stop()
    finally:
        sub.stop()


def test_a_stuck_display_is_dropped_without_blocking_the_merchant(sock_path):
    big = "x" * 4000  # a long text: ~4 KB per snapshot fills a socket quickly
    with CustomerPublisher(sock_path, stall_s=2.0) as pub:
        stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(str(sock_path))  # connects and never reads
        inbox = Inbox()
        with CustomerSubscriber(sock_path, inbox) as healthy:
            wait_for(lambda: healthy.connected and pub.client_count == 2)
            # Keep the merchant publishing until the stuck display's buffers are full and it has
            # taken nothing for stall_s; publish() never waits for it meanwhile.
            seq, deadline = 0, time.monotonic() + 60
            while pub.dropped == 0 and time.monotonic() < deadline:
                seq += 1
                pub.publish(view(seq, mode="weighing", origin=big))
                time.sleep(0.002)
            wait_for(lambda: pub.dropped == 1 and pub.client_count == 1)
            # The healthy display skipped what it had no time for, and ends on the latest.
            wait_for(lambda: inbox.last() is not None and inbox.last().seq == seq)
            assert healthy.connected
            seqs = [v.seq for v in inbox.views]
            assert seqs == sorted(seqs)
        stuck.settimeout(5)
        while stuck.recv(65536):  # the stuck one finds its connection closed once it reads
            pass
        stuck.close()
