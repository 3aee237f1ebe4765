"""Small building blocks shared by the merchant, customer and technician screens.

Texts never clip: `FitLabel`/`FitButton` shrink their font until the text fits the box
they were given (a long product name gets smaller, not cut), which is also what the UI
tests check on every screen size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Rectangle
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

# Palette: dark background, high contrast, readable in a bright market hall.
BG = (0.07, 0.08, 0.09, 1)
PANEL = (0.13, 0.15, 0.17, 1)
PANEL_LIGHT = (0.19, 0.21, 0.24, 1)
TEXT = (0.95, 0.95, 0.95, 1)
MUTED = (0.65, 0.68, 0.72, 1)
TEXT_SOFT = (0.82, 0.84, 0.87, 1)  # secondary text that must still read at a glance (cart details)
WEIGHT_STABLE = (0.35, 1.0, 0.45, 1)
WEIGHT_MOVING = (1.0, 0.78, 0.25, 1)
ERROR = (1.0, 0.38, 0.33, 1)
INFO = (0.55, 0.8, 1.0, 1)
KEY = (0.2, 0.32, 0.42, 1)
KEY_FUNC = (0.3, 0.33, 0.38, 1)
KEY_ADD = (0.12, 0.42, 0.75, 1)
KEY_PAY = (0.1, 0.58, 0.3, 1)
KEY_DANGER = (0.62, 0.2, 0.18, 1)
FLAG_ON = (0.15, 0.6, 0.3, 1)
FLAG_OFF = (0.22, 0.24, 0.27, 1)


def ui_scale() -> float:
    """1.0 at 1024×600; the window's size relative to it (0.78 at 800×480, 1.8 at 1920×1080)."""
    from kivy.core.window import Window

    return min(Window.width / 1024, Window.height / 600)


class _FitCache:
    """(text, font, size, box) -> font size: the weight repeats the same few texts at 50 Hz."""

    def __init__(self, limit: int = 2048) -> None:
        self.limit = limit
        self.data: dict[tuple[Any, ...], float] = {}

    def get(self, key: tuple[Any, ...]) -> float | None:
        return self.data.get(key)

    def put(self, key: tuple[Any, ...], value: float) -> None:
        if len(self.data) >= self.limit:
            self.data.clear()
        self.data[key] = value


_CACHE = _FitCache()


def _measure(text: str, font_size: float, font_name: str, bold: bool) -> tuple[int, int]:
    core = CoreLabel(font_size=font_size, font_name=font_name, bold=bold)
    lines = text.split("\n")
    widths = [core.get_extents(line)[0] for line in lines]
    height = core.get_extents("国Hg")[1]
    return max(widths), height * len(lines)


class FitMixin:
    """Font size = the largest <= `max_font` (and <= `fill` x height) at which the text fits.

    ``wrap``: break lines at the box width (messages); otherwise one line per text line,
    drawn as a tight texture at the ``halign`` side (less to fill per frame than a
    texture as wide as the box). A text that does not fit even at ``min_font`` wraps.
    ``inset``: horizontal margin each side, in pixels.
    """

    max_font = NumericProperty(40)
    min_font = NumericProperty(9)
    fill = NumericProperty(0.62)  # font size relative to the box height (for one line)
    wrap = BooleanProperty(False)
    inset = NumericProperty(4)
    text_pos = ListProperty([0, 0])  # bottom-left of the drawn text, window-independent (parent coords)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("halign", "center")
        kwargs.setdefault("max_font", 46 * ui_scale())
        super().__init__(**kwargs)
        refit = self._refit
        for name in ("text", "size", "max_font", "fill", "wrap", "halign", "font_name", "bold"):
            self.fbind(name, refit)
        for name in ("pos", "size", "texture_size", "halign", "text_size", "inset"):
            self.fbind(name, self._place)
        refit()
        self._place()

    def _refit(self, *_: Any) -> None:
        w = max(1.0, self.width - 2 * self.inset)
        h = max(1.0, self.height)
        lines = max(1, self.text.count("\n") + 1)
        top = max(self.min_font, min(self.max_font, self.fill * h / lines))
        if not self.text:
            self.font_size = top
            self.text_size = (w, None) if self.wrap else (None, None)
            return
        key = (self.text, self.font_name, self.bold, w, h, top, self.wrap, self.min_font)
        fitted = _CACHE.get(key)
        if fitted is None:
            fitted = self._fit_wrapped(w, h, top) if self.wrap else self._fit_line(w, h, top)
            _CACHE.put(key, fitted)
        size, fits = fitted
        self.font_size = size
        self.text_size = (w, None) if self.wrap or not fits else (None, None)

    def _fit_line(self, w: float, h: float, top: float) -> tuple[float, bool]:
        size = top
        while True:
            tw, th = _measure(self.text, size, self.font_name, self.bold)
            if tw <= w and th <= h:
                return size, True
            if size <= self.min_font:
                return self.min_font, False
            ratio = min(w / tw if tw else 1.0, h / th if th else 1.0)
            size = max(self.min_font, min(size * 0.95, size * ratio))

    def _fit_wrapped(self, w: float, h: float, top: float) -> tuple[float, bool]:
        size = top
        while size > self.min_font:
            core = CoreLabel(text=self.text, font_size=size, font_name=self.font_name, bold=self.bold,
                             text_size=(w, None))
            core.refresh()
            if core.content_height <= h and core.content_width <= w:
                return size, True
            size = max(self.min_font, size * 0.9)
        return self.min_font, True

    def _place(self, *_: Any) -> None:
        """Where the texture goes: at the inset on its ``halign`` side, else centred (see the kv rule)."""
        tw, th = self.texture_size
        if self.text_size[0] is None and self.halign in ("left", "right"):
            x = self.x + self.inset if self.halign == "left" else self.right - self.inset - tw
        else:
            x = self.center_x - tw / 2
        self.text_pos = (int(x), int(self.center_y - th / 2))


class FitLabel(FitMixin, Label):
    pass


# Label's own rule always centres the texture; ours puts a tight texture at its halign side.
Builder.load_string(
    """
<-FitLabel>:
    canvas:
        Color:
            rgba: 1, 1, 1, 1
        Rectangle:
            texture: self.texture
            size: self.texture_size
            pos: self.text_pos
"""
)


class Box(BoxLayout):
    """A BoxLayout with a flat background colour.

    Flat rectangles on purpose: under a software renderer (llvmpipe, as under Xvfb or on
    a scale without GPU driver) every filled pixel and every rounded corner's triangles
    cost frame time, and the weight must follow the module at 20+ frames/s.
    """

    bg = ColorProperty(PANEL)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.canvas.before:
            self._color = Color(*self.bg)
            self._rect = Rectangle(pos=self.pos, size=self.size)
        self.fbind("pos", self._redraw)
        self.fbind("size", self._redraw)
        self.fbind("bg", self._redraw)

    def _redraw(self, *_: Any) -> None:
        self._color.rgba = self.bg
        self._rect.pos = self.pos
        self._rect.size = self.size


class FitButton(ButtonBehavior, FitLabel):
    """A flat, coloured touch key; darker while pressed; greyed when disabled.

    ButtonBehavior on a Label rather than a Button: Button paints a 9-patch image under
    the text, a second full-size fill per key for nothing (we draw our own colour).
    """

    key_color = ColorProperty(KEY)
    action = StringProperty("")  # what the key does, for tests and logs

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.canvas.before:
            self._color = Color(*self.key_color)
            self._rect = Rectangle(pos=self.pos, size=self.size)
        for name in ("pos", "size", "key_color", "state", "disabled"):
            self.fbind(name, self._redraw)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        r, g, b, a = self.key_color
        if self.disabled:
            r, g, b = (r + 0.2) / 2.4, (g + 0.2) / 2.4, (b + 0.2) / 2.4
        elif self.state == "down":
            r, g, b = r * 0.6, g * 0.6, b * 0.6
        self._color.rgba = (r, g, b, a)
        self._rect.pos = self.pos
        self._rect.size = self.size


class Flag(FitLabel):
    """An indicator lamp such as 稳定 / 零位 / 净重: lit or dark."""

    on = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fill", 0.55)
        super().__init__(**kwargs)
        with self.canvas.before:
            self._color = Color(*FLAG_OFF)
            self._rect = Rectangle(pos=self.pos, size=self.size)
        for name in ("pos", "size", "on"):
            self.fbind(name, self._redraw)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        self._color.rgba = FLAG_ON if self.on else FLAG_OFF
        self.color = TEXT if self.on else MUTED
        self._rect.pos = self.pos
        self._rect.size = self.size


class Filler(Widget):
    """Empty space that keeps a grid's cells in place (an empty hotkey)."""


def clear_to_background() -> None:
    """The screen's background is the window's clear colour: a full-window fill costs a frame's time in software GL."""
    from kivy.core.window import Window

    Window.clearcolor = BG


def key(text: str, on_press: Callable[[], Any], *, action: str = "", color: Sequence[float] = KEY,
        **kwargs: Any) -> FitButton:
    """A touch key that calls ``on_press()`` on release (the finger lifted inside the key)."""
    button = FitButton(text=text, key_color=color, action=action, **kwargs)
    button.bind(on_release=lambda *_: on_press())
    return button


def digit_pad(prefix: str, on_digit: Callable[[str], Any], clear: tuple[str, Callable[[], Any]],
              ok: tuple[str, Callable[[], Any]], *, spacing: float, **kwargs: Any) -> GridLayout:
    """A 3 × 4 number pad: 1–9, then clear, 0, ok; keys report ``{prefix}:{digit|clear|ok}`` as action."""
    pad = GridLayout(cols=3, spacing=spacing, **kwargs)
    for ch in "123456789":
        pad.add_widget(key(ch, lambda c=ch: on_digit(c), action=f"{prefix}:{ch}", color=KEY_FUNC, fill=0.5))
    pad.add_widget(key(clear[0], clear[1], action=f"{prefix}:clear", color=KEY_DANGER, fill=0.4))
    pad.add_widget(key("0", lambda: on_digit("0"), action=f"{prefix}:0", color=KEY_FUNC, fill=0.5))
    pad.add_widget(key(ok[0], ok[1], action=f"{prefix}:ok", color=KEY_PAY, fill=0.4))
    return pad
