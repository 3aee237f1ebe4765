"""What the headless console says by itself: a payment arrived, a ticket printed, the printer ran out of paper.

The console answers each command with an ``ok:``/``error:`` line; everything that
happens between commands (driven by central, the print worker, the weighing module)
would otherwise only show in ``status``. `Announcer` watches the model's snapshots and
the print worker and writes one ``note: ...`` line per change, so a script can tell a
note from an answer. While a command runs it stays quiet (the answer says it all); a
ticket printed is always noted, after the answer.

The first snapshot is compared with a blank screen, so the console says the printer's,
the weighing module's and sync's state once at start, whatever the order in which the
print worker's first status check and the console's start happen to run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from edge.ui.model.views import CustomerView, MerchantView

POLL_S = 0.25  # also how often the print count is looked at


@dataclass(frozen=True, slots=True)
class Seen:
    """The parts of a snapshot worth a note when they change."""

    message: str
    error: bool
    payment: tuple[str, str, str, tuple[str, ...]] | None  # stage, method, amount, actions
    printer: str
    link: str
    sync: str
    customer: str
    lock: str  # the red banner: selling locked (a legal change not sealed, central's lock)

    @classmethod
    def of(cls, merchant: MerchantView, customer: CustomerView) -> Seen:
        pay = merchant.payment
        return cls(
            merchant.message,
            merchant.message_kind == "error",
            (pay.stage, pay.method, pay.amount_text, pay.actions) if pay is not None else None,
            merchant.printer_text,
            merchant.link_text,
            merchant.sync_text,
            customer.mode,
            merchant.lock_text,
        )


def notes(before: Seen, now: Seen, *, message: bool = True) -> list[str]:
    """The ``note:`` lines for what changed from ``before`` to ``now`` (``message``: also a new message)."""
    lines = []
    if now.payment is not None and now.payment != before.payment:
        stage, method, amount, actions = now.payment
        lines.append(f"note: payment {stage} {method or '-'} {amount} [{' '.join(actions)}]")
    if now.customer != before.customer and now.customer in ("payment", "paid"):
        lines.append(f"note: customer screen: {now.customer}")
    for name in ("printer", "link", "sync"):
        text = getattr(now, name)
        if text and text != getattr(before, name):
            lines.append(f"note: {'scale' if name == 'link' else name}: {text}")
    if now.lock != before.lock:  # the banner both screens show: the console says it too
        lines.append(f"note: error: {now.lock}" if now.lock else "note: 可以销售 selling unlocked")
    if message and now.message and (now.message, now.error) != (before.message, before.error):
        lines.append(f"note: {'error: ' if now.error else ''}{now.message}")
    return lines


class Announcer:
    """Subscribes to ``model`` and counts ``printer.printed``; ``say(line)`` writes a note."""

    def __init__(self, model: Any, printer: Any, say: Callable[[str], None]) -> None:
        self.model, self.printer, self.say = model, printer, say
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        # A blank screen, not the first snapshot: a printer status that arrived before the
        # console started is still said (else whether it is noted depends on thread timing).
        self._last = Seen.of(MerchantView(), CustomerView())
        self._pending: list[tuple[Seen, bool]] = []  # (snapshot, seen while a command ran)
        self._quiet = 0
        self._command_thread = 0  # the thread running the command, while quiet
        self._printed = self._printed_now()

    def start(self) -> Announcer:
        self.model.subscribe(self._on_snapshot)  # replays the current state: said at start
        threading.Thread(target=self._run, name="console-notes", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """While a command runs: notes so far first, then none until it has answered.

        What changed meanwhile is noted afterwards, except the message the command itself
        set (its answer); a message from elsewhere (a payment arriving) is noted too.
        """
        self._flush()
        with self._lock:
            self._quiet += 1
            self._command_thread = threading.get_ident()
        try:
            yield
        finally:
            with self._lock:
                self._quiet -= 1

    def _on_snapshot(self, merchant: MerchantView, customer: CustomerView) -> None:
        # Under the model's lock: only record, never write here.
        seen = Seen.of(merchant, customer)
        with self._lock:
            # The command's own doing (published on its thread) is in its answer; all else is noted.
            self._pending.append((seen, bool(self._quiet) and threading.get_ident() == self._command_thread))
        self._wake.set()

    def _printed_now(self) -> int:
        return int(getattr(self.printer, "printed", 0) or 0)

    def _flush(self) -> None:
        lines: list[str] = []
        with self._lock:
            if self._quiet:
                return
            for seen, during_command in self._pending:
                lines.extend(notes(self._last, seen, message=not during_command))
                self._last = seen
            self._pending.clear()
            printed = self._printed_now()
            if printed > self._printed:
                n = printed - self._printed
                lines.append(f"note: {n} ticket{'s' if n > 1 else ''} printed ({printed} since start)")
                self._printed = printed
        for line in lines:  # outside the lock: the model's thread never waits for the terminal
            self.say(line)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            self._flush()
