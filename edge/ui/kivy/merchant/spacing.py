"""Spacing shared by the merchant screen's panels."""

from __future__ import annotations

from kivy.uix.widget import Widget

from edge.ui.kivy import widgets as w


def gap_px(_widget: Widget | None = None) -> float:
    """Spacing proportional to the window (4 px at 1024×600)."""
    return max(2.0, round(4 * w.ui_scale()))
