"""The red banner both screens show while the legal parameters are locked (docs/protection.md).

One widget for the merchant screen and the customer display: it takes no room at all while
the scale may sell, and a full-width strip at the top while it may not (``view.lock_text``:
the vendor's says why and what to do, the customer's that nothing is sold here now).
"""

from __future__ import annotations

from typing import Any

from edge.ui.kivy import widgets as w


class LockBanner(w.Box):
    def __init__(self, share: float = 0.08, **kwargs: Any) -> None:
        # Hidden = a fixed height of 0 (a size_hint_y of 0 would mean "keep my own height" to Kivy).
        super().__init__(orientation="horizontal", bg=w.KEY_DANGER, size_hint_y=None, height=0, opacity=0, **kwargs)
        self.share = share  # of the screen's height while shown
        self.label = w.FitLabel(text="", color=w.TEXT, halign="center", wrap=True, fill=0.5, bold=True)
        self.label.test_id = "lock_banner"
        self.add_widget(self.label)

    def show(self, text: str) -> None:
        """``text`` while locked, "" to hide; cheap when nothing changed (called every render)."""
        if text == self.label.text:
            return
        self.label.text = text
        self.size_hint_y = self.share if text else None
        if not text:
            self.height = 0
        self.opacity = 1 if text else 0
