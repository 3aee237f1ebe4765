"""Instrumentation for the UI tests and bench: screenshots, a layout check, timing markers.

Off unless ``TRACE_UI_PROBE`` names a directory. Then the process appends JSON lines to
``<dir>/<role>.jsonl`` (first frame showing a weight, frames per second, the customer
display's rendered snapshots) and obeys request files ``<dir>/<role>.cmd-<name>``:
``shot`` saves ``<name>.png`` of the window plus ``<name>.layout.json`` (the layout
check). Screenshots read the frame back right before the buffer swap, because reading
after the swap (`Window.screenshot`) gives a black image under Xvfb/Mesa.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.label import Label
from kivy.uix.widget import Widget

PROBE_ENV = "TRACE_UI_PROBE"


# --- screenshots -----------------------------------------------------------------------------

_pending_shots: list[tuple[Path, Callable[[Path], None] | None]] = []


def _on_flip(*_: Any) -> None:
    if not _pending_shots:
        return
    from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
    from PIL import Image

    width, height = Window.size
    data = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
    image = Image.frombytes("RGB", (width, height), data).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    shots = list(_pending_shots)
    _pending_shots.clear()
    for path, then in shots:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
        if then is not None:  # now, so that checks see exactly the frame in the picture
            then(path)


Window.bind(on_flip=_on_flip)


def screenshot(path: str | Path, then: Callable[[Path], None] | None = None) -> None:
    """Save the next drawn frame as PNG (a redraw is requested)."""
    _pending_shots.append((Path(path), then))
    Window.canvas.ask_update()


# --- layout check ---------------------------------------------------------------------------

def _box(widget: Widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def _text_box(label: Label) -> tuple[float, float, float, float]:
    """Where the text texture is drawn: Label centres it; our FitLabel says where (``text_pos``)."""
    tw, th = label.texture_size
    if hasattr(label, "text_pos"):
        x, y = label.to_window(*label.text_pos)
        return x, y, x + tw, y + th
    cx, cy = label.to_window(label.center_x, label.center_y)
    return cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2


def _visible(widget: Widget) -> bool:
    node: Widget | None = widget
    while node is not None and node is not Window:
        if getattr(node, "opacity", 1) <= 0:
            return False
        node = node.parent
    return True


def visible_labels(root: Widget) -> list[Label]:
    return [x for x in root.walk(restrict=True) if isinstance(x, Label) and x.text.strip() and _visible(x)]


def _name(label: Label) -> str:
    return f"{type(label).__name__}({label.text[:30]!r})"


def check_layout(layers: Iterable[Widget] | None = None, tolerance: float = 1.0) -> list[str]:
    """Problems with visible text: clipped, cut by the window edge, or overlapping other text.

    Each layer (the screen, an open popup) is checked on its own: a popup covers the
    screen on purpose.
    """
    problems: list[str] = []
    win_w, win_h = Window.size
    from kivy.uix.vkeyboard import VKeyboard

    for layer in layers if layers is not None else list(Window.children):
        if isinstance(layer, VKeyboard):
            continue  # Kivy's own docked keyboard (a scaled Scatter), not our layout
        labels = visible_labels(layer)
        boxes = []
        for label in labels:
            tw, th = label.texture_size
            name = _name(label)
            if label.shorten:
                problems.append(f"{name}: shorten is on (text would be cut with an ellipsis)")
            if label.text_size[1] is not None:
                problems.append(f"{name}: text_size has a height, which can hide lines")
            if tw > label.width + tolerance or th > label.height + tolerance:
                problems.append(f"{name}: text {tw}x{th} does not fit its box {label.width:.0f}x{label.height:.0f}")
            tx0, ty0, tx1, ty1 = _text_box(label)
            wx0, wy0, wx1, wy1 = _box(label)
            if tx0 < wx0 - tolerance or ty0 < wy0 - tolerance or tx1 > wx1 + tolerance or ty1 > wy1 + tolerance:
                problems.append(f"{name}: text drawn at {tx0:.0f},{ty0:.0f}-{tx1:.0f},{ty1:.0f} outside its box "
                                f"{wx0:.0f},{wy0:.0f}-{wx1:.0f},{wy1:.0f}")
            if tw <= 0 or th <= 0:
                problems.append(f"{name}: text not rendered")
            x0, y0, x1, y1 = _box(label)
            if x0 < -tolerance or y0 < -tolerance or x1 > win_w + tolerance or y1 > win_h + tolerance:
                problems.append(f"{name}: box {x0:.0f},{y0:.0f}-{x1:.0f},{y1:.0f} leaves the {win_w}x{win_h} window")
            boxes.append((label, _text_box(label)))
        for i, (a, ra) in enumerate(boxes):
            for b, rb in boxes[i + 1:]:
                overlap_w = min(ra[2], rb[2]) - max(ra[0], rb[0])
                overlap_h = min(ra[3], rb[3]) - max(ra[1], rb[1])
                if overlap_w > tolerance and overlap_h > tolerance and not _related(a, b):
                    problems.append(f"{_name(a)} overlaps {_name(b)} by {overlap_w:.0f}x{overlap_h:.0f}")
    return problems


def _related(a: Widget, b: Widget) -> bool:
    """One inside the other (a label inside a button is drawn on it by design)."""
    for x, y in ((a, b), (b, a)):
        node = y.parent
        while node is not None and node is not Window:
            if node is x:
                return True
            node = node.parent
    return False


def touch_targets(layers: Iterable[Widget] | None = None) -> list[dict[str, Any]]:
    """Every visible key (a widget with an ``action``): its action, size in px, whether enabled, its text.

    What the touch-target check of the UI tests reads (keys a wet finger must hit).
    """
    found = []
    for layer in layers if layers is not None else list(Window.children):
        for widget in layer.walk(restrict=True):
            action = getattr(widget, "action", "")
            if action and _visible(widget) and widget.get_root_window() is not None:
                found.append({"action": action, "w": round(widget.width, 1), "h": round(widget.height, 1),
                              "disabled": bool(widget.disabled), "text": str(getattr(widget, "text", ""))})
    return found


def font_sizes(root: Widget) -> dict[str, float]:
    """The font size (px) each label with a ``test_id`` is drawn at (readability checks)."""
    return {x.test_id: float(x.font_size) for x in root.walk(restrict=True)
            if getattr(x, "test_id", None) and isinstance(x, Label) and x.text.strip()}


def label_texts(root: Widget) -> dict[str, str]:
    """Texts of the labels that carry a ``test_id`` (what the screen really shows)."""
    return {x.test_id: x.text for x in root.walk(restrict=True) if getattr(x, "test_id", None) and hasattr(x, "text")}


# --- markers for tests and the bench ----------------------------------------------------------

class Probe:
    """Writes markers to ``$TRACE_UI_PROBE/<role>.jsonl`` and serves screenshot requests."""

    def __init__(self, role: str, directory: str | os.PathLike[str] | None = None) -> None:
        value = directory if directory is not None else os.environ.get(PROBE_ENV, "")
        self.role = role
        self.dir = Path(value) if value else None
        self.root: Widget | None = None
        self._file = None
        self._frames = 0
        self._marks: set[str] = set()
        self._write_lock = threading.Lock()  # the model thread writes markers too
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._file = open(self.dir / f"{role}.jsonl", "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self.write("start", pid=os.getpid())
            Window.bind(on_flip=self._count_frame)
            Clock.schedule_interval(self._poll, 0.05)
            Clock.schedule_interval(self._report_fps, 1.0)

    @property
    def on(self) -> bool:
        return self._file is not None

    def write(self, event: str, **data: Any) -> None:
        if self._file is not None:
            record = {"event": event, "t_ns": time.monotonic_ns(), **data}
            with self._write_lock:
                self._file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def once(self, event: str, **data: Any) -> None:
        if event not in self._marks:
            self._marks.add(event)
            self.write(event, **data)

    def once_after_frame(self, event: str, **data: Any) -> None:
        if event not in self._marks:
            self._marks.add(event)
            self.after_frame(event, **data)

    def after_frame(self, event: str, **data: Any) -> None:
        """Write ``event`` when the next frame (showing what was just rendered) is on screen."""
        if self._file is None:
            return

        def flipped(*_: Any) -> None:
            Window.unbind(on_flip=flipped)
            self.write(event, **data)

        Window.bind(on_flip=flipped)
        Window.canvas.ask_update()

    def _count_frame(self, *_: Any) -> None:
        self._frames += 1

    def _report_fps(self, _dt: float) -> None:
        self.write("fps", frames=self._frames, clock_fps=Clock.get_fps())
        self._frames = 0

    def _poll(self, _dt: float) -> None:
        assert self.dir is not None
        for request in sorted(self.dir.glob(f"{self.role}.cmd-*")):
            name = request.name.split(".cmd-", 1)[1]
            command = request.read_text(encoding="utf-8").strip()
            if not command:
                continue  # caught between the writer's create and write: read it at the next poll
            request.unlink(missing_ok=True)
            if command == "shot":
                self.shoot(name)
            elif command == "quit":
                from kivy.app import App

                app = App.get_running_app()
                if app is not None:
                    app.stop()

    def shoot(self, name: str) -> None:
        assert self.dir is not None
        directory = self.dir

        def done(path: Path) -> None:
            problems = check_layout()
            texts = label_texts(self.root) if self.root is not None else {}
            report = directory / f"{name}.layout.json"
            partial = report.with_name(report.name + ".part")
            partial.write_text(
                json.dumps({"png": str(path), "size": list(Window.size), "problems": problems, "texts": texts},
                           ensure_ascii=False, indent=1),
                encoding="utf-8",
            )
            partial.replace(report)  # a test polling for the report never reads half of it
            self.write("shot", name=name)

        screenshot(directory / f"{name}.png", done)
