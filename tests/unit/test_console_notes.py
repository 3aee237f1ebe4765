"""The headless console's notes: what changed by itself is said once, a command's own answer is not."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from edge.console_notes import Announcer
from edge.ui.model.views import CustomerView, MerchantView, PaymentPanel


class FakeModel:
    """Just the subscription of MerchantModel (snapshots are published by hand)."""

    def __init__(self) -> None:
        self.subscribers = []
        self.view = MerchantView()

    def subscribe(self, callback) -> None:
        self.subscribers.append(callback)
        callback(self.view, CustomerView())

    def publish(self, **changes) -> None:
        self.view = replace(self.view, **changes)
        for callback in self.subscribers:
            callback(self.view, CustomerView())


class FakePrinter:
    printed = 0


def said(lines: list[str], text: str, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(text in line for line in lines):
            return True
        time.sleep(0.02)
    return False


def test_changes_between_commands_are_noted_once_and_a_commands_own_message_is_not() -> None:
    model, printer, lines = FakeModel(), FakePrinter(), []
    notes = Announcer(model, printer, lines.append).start()
    try:
        model.publish(printer_text="打印机缺纸，请装纸")
        assert said(lines, "note: printer: 打印机缺纸，请装纸")
        with notes.quiet():  # a command: its message is its answer
            model.publish(message="已累计：白菜", message_kind="info")
            # meanwhile central answers on another thread: that is news
            other = threading.Thread(
                target=lambda: model.publish(message="已收款 4.92 元", payment=PaymentPanel("paying", "wechat", "4.92"))
            )
            other.start()
            other.join()
            time.sleep(0.4)
            assert not any("已收款" in line for line in lines)  # not in the middle of an answer
        assert said(lines, "note: 已收款 4.92 元")
        assert said(lines, "note: payment paying wechat 4.92 []")
        assert not any("已累计" in line for line in lines)
        printer.printed = 2
        assert said(lines, "note: 2 tickets printed (2 since start)")
        assert sum("缺纸" in line for line in lines) == 1
    finally:
        notes.stop()


def test_a_lock_and_its_lifting_are_noted() -> None:
    """Central locks the scale (or a legal change awaits the seal): the banner's text is a note."""
    model, lines = FakeModel(), []
    notes = Announcer(model, FakePrinter(), lines.append).start()
    try:
        model.publish(lock_text="本秤已被中心远程锁定，暂停销售（原因：投诉调查）")
        assert said(lines, "note: error: 本秤已被中心远程锁定，暂停销售（原因：投诉调查）")
        model.publish(lock_text="")
        assert said(lines, "note: 可以销售 selling unlocked")
    finally:
        notes.stop()


def test_a_state_known_before_the_console_started_is_said_once_at_start() -> None:
    """The print worker's first status check may finish before the console starts: still said."""
    model, lines = FakeModel(), []
    model.publish(printer_text="打印机正常", link_text="称重模块已连接")
    notes = Announcer(model, FakePrinter(), lines.append).start()
    try:
        assert said(lines, "note: printer: 打印机正常") and said(lines, "note: scale: 称重模块已连接")
        model.publish(printer_text="打印机正常")  # no change: nothing more
        time.sleep(0.4)
        assert sum("printer:" in line for line in lines) == 1
    finally:
        notes.stop()
