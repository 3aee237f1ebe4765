"""Builds text that is clipped and text that overlaps, and prints what `check_layout` finds (JSON).

Run by test_layout_check.py in its own process (Kivy: one window per process).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edge.ui.kivy import boot

boot.configure((800, 480))

from edge.ui.kivy.fonts import register_cjk_font  # noqa: E402

register_cjk_font()

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from edge.ui.kivy import probe  # noqa: E402
from edge.ui.kivy.widgets import FitLabel  # noqa: E402

LONG = "鸡蛋（盒装10枚）土鸡蛋农家散养"


class SelfCheck(App):
    def build(self) -> FloatLayout:
        root = FloatLayout()
        # clipped: a plain Label whose text is wider than its box
        root.add_widget(Label(text=LONG, font_size=40, size_hint=(None, None), size=(120, 40), pos=(10, 400)))
        # overlapping: two labels on the same spot
        root.add_widget(Label(text="4.92", font_size=30, size_hint=(None, None), size=(100, 40), pos=(10, 300)))
        root.add_widget(Label(text="30.00", font_size=30, size_hint=(None, None), size=(100, 40), pos=(40, 310)))
        # cut with an ellipsis
        root.add_widget(Label(text=LONG, shorten=True, text_size=(100, None), size_hint=(None, None),
                              size=(100, 40), pos=(10, 200)))
        # fine: the same long text in a FitLabel shrinks to fit
        root.add_widget(FitLabel(text=LONG, size_hint=(None, None), size=(120, 40), pos=(400, 400), max_font=40))
        Clock.schedule_once(self.check, 0.3)
        return root

    def check(self, _dt: float) -> None:
        def taken(_path: Path) -> None:
            print(json.dumps(probe.check_layout(), ensure_ascii=False))
            self.stop()

        probe.screenshot(Path(sys.argv[1]), taken)


SelfCheck().run()
