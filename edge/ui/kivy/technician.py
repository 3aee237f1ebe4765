"""The technician screen: PIN pad, then settings bound to `TechnicianModel`.

Sections: weighing module (port/protocol/baud, live raw frames, probe), printer (type,
port, paper, test print), network, identity, display placement and language, software
identification with the event log (read only), and 铅封/解锁: the extended display
(software id, event counter, lock state; JJG 1204-2025 6.10) with the sealed procedure
(who and why, logged) that lets a scale sell again after a legal change. Values are
validated and written by the model (`apply`), which also logs every legally relevant
change; the screen only edits text. The head shows the lock state even before the PIN.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.spinner import Spinner
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from edge.ui.kivy import widgets as w
from edge.ui.kivy.actions import ActionRunner

SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("scale", "称重模块", "Weighing"),
    ("printer", "打印机", "Printer"),
    ("sync", "网络", "Network"),
    ("identity", "身份", "Identity"),
    ("display", "显示与语言", "Display"),
    ("software", "软件与日志", "Software & log"),
    ("seal", "铅封/解锁", "Seal & legal"),
)

CAPTIONS: dict[str, tuple[str, str]] = {
    "title": ("技术人员设置", "Technician settings"),
    "pin": ("请输入技术人员密码", "Enter the technician PIN"),
    "ok": ("确定", "OK"),
    "clear": ("清空", "Clear"),
    "cancel": ("取消", "Cancel"),
    "exit": ("退出", "Exit"),
    "save": ("保存", "Save"),
    "undo": ("撤销修改", "Undo changes"),
    "probe": ("自动检测协议", "Probe protocol"),
    "probing": ("检测中…", "Probing…"),
    "test_print": ("打印测试页", "Test print"),
    "legal": ("（计量）", " (legal)"),
    "frames": ("模块原始数据（十六进制，最新在下）", "Raw module frames (hex, newest last)"),
    "no_frames": ("（暂无数据）", "(no data yet)"),
    "version": ("软件版本", "Software version"),
    "sha": ("计量相关模块 SHA-256", "SHA-256 of the legal modules"),
    "software_id": ("软件标识", "Software id"),
    "events": ("事件日志（只读，最新在上）", "Event log (read only, newest first)"),
    "restart": ("保存后重启秤程序生效", "Saved settings take effect after a restart"),
    "counter": ("计数", "count"),
    "seal_who": ("技术人员", "Technician"),
    "seal_why": ("铅封原因", "Reason"),
    "seal": ("铅封并解锁", "Seal and unlock"),
}

MONO_FONT = "data/fonts/RobotoMono-Regular.ttf"  # bundled with Kivy; hex only, no CJK needed
FRAME_LINES = 8
EVENT_LINES = 7
FIELDS_PER_PAGE = 8  # identity has 8 fields; more would page


def _c(key: str, lang: str) -> str:
    zh, en = CAPTIONS[key]
    return en if lang == "en" else zh


def _gap() -> float:
    return max(2.0, round(4 * w.ui_scale()))


class FitSpinner(w.FitMixin, Spinner):
    """A choice field: the current value; tap to pick another."""


class PinPad(w.Box):
    def __init__(self, screen: TechnicianScreen, lang: str, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", bg=w.PANEL, **kwargs)
        gap = _gap()
        self.padding = (gap * 20, gap * 3)
        self.spacing = gap * 2
        self.screen = screen
        self.pin = ""
        self.prompt = w.FitLabel(text=_c("pin", lang), color=w.TEXT, size_hint_y=0.14, fill=0.6)
        self.dots = w.FitLabel(text="", color=w.WEIGHT_STABLE, size_hint_y=0.14, fill=0.7)
        self.dots.test_id = "pin_dots"
        pad = w.digit_pad("pin", self.type, (_c("clear", lang), self.clear), (_c("ok", lang), self.submit),
                          spacing=gap, size_hint_y=0.72)
        for child in (self.prompt, self.dots, pad):
            self.add_widget(child)

    def type(self, ch: str) -> None:
        if len(self.pin) < 8:
            self.pin += ch
            self.dots.text = " ".join("●" * len(self.pin))

    def clear(self) -> None:
        self.pin = ""
        self.dots.text = ""

    def submit(self) -> None:
        pin, self.pin = self.pin, ""
        self.dots.text = ""
        self.screen.unlock(pin)


class FieldRow(BoxLayout):
    """Label | value (tap to edit) | error, for one `FieldView`."""

    def __init__(self, field: Any, lang: str, on_edit: Callable[[str, str], None],
                 on_open: Callable[[FieldRow], None], **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", **kwargs)
        gap = _gap()
        self.spacing = gap * 2
        self.name = field.name
        self.field = field
        self.on_edit = on_edit
        label = field.label + (_c("legal", lang) if field.legal else "")
        self.label = w.FitLabel(text=label, halign="left", color=w.TEXT, size_hint_x=0.42, fill=0.45)
        self.editor: Widget
        if field.kind == "choice":
            spinner = FitSpinner(text=field.value, values=field.choices, size_hint_x=0.36, fill=0.45,
                                 background_normal="", background_color=w.KEY_FUNC)
            spinner.bind(text=lambda _s, value: self.on_edit(self.name, value))
            self.editor = spinner
        else:
            # Text is typed in a panel at the top of the screen: Kivy's docked keyboard covers the lower half.
            value = w.FitButton(text=field.value, key_color=(0.92, 0.93, 0.95, 1), color=(0.08, 0.08, 0.1, 1),
                                action=f"field:{field.name}", size_hint_x=0.36, fill=0.45, halign="left")
            value.bind(on_release=lambda *_: on_open(self))
            self.editor = value
        self.error = w.FitLabel(text=field.error, halign="left", color=w.ERROR, size_hint_x=0.22, wrap=True,
                                fill=0.36)
        for child in (self.label, self.editor, self.error):
            self.add_widget(child)
        self.update(field)

    def update(self, field: Any) -> None:
        self.field = field
        self.error.text = field.error
        self.label.color = w.WEIGHT_MOVING if field.changed else w.TEXT
        if self.editor.text != field.value:
            self.editor.text = field.value


class EditPanel(ModalView):
    """One text field being typed, at the top of the screen above the docked keyboard."""

    def __init__(self, row: FieldRow, lang: str, on_done: Callable[[str, str], None], **kwargs: Any) -> None:
        super().__init__(size_hint=(0.96, 0.42), pos_hint={"top": 0.98, "center_x": 0.5}, auto_dismiss=False,
                         background_color=(0, 0, 0, 0.6), **kwargs)
        gap = _gap()
        self.row = row
        self.on_done = on_done
        box = w.Box(orientation="vertical", bg=w.PANEL_LIGHT, padding=(gap * 3, gap * 2), spacing=gap * 2)
        field = row.field
        box.add_widget(w.FitLabel(text=field.label, halign="left", color=w.TEXT, size_hint_y=0.25, fill=0.6))
        secret = field.kind == "secret"
        self.input = TextInput(text="" if secret else field.value, multiline=False, write_tab=False,
                               password=secret, input_filter="int" if field.kind == "int" else None,
                               size_hint_y=0.35, font_size=max(14.0, 26 * w.ui_scale()),
                               padding=(gap * 2, gap * 2))
        self.input.bind(on_text_validate=lambda *_: self.done())
        box.add_widget(self.input)
        keys = BoxLayout(orientation="horizontal", size_hint_y=0.4, spacing=gap * 2)
        keys.add_widget(w.key(_c("cancel", lang), self.cancel, action="edit_cancel", color=w.KEY_FUNC, fill=0.4))
        keys.add_widget(w.key(_c("ok", lang), self.done, action="edit_ok", color=w.KEY_PAY, fill=0.4))
        box.add_widget(keys)
        self.add_widget(box)

    def open_for_typing(self) -> None:
        self.open(animation=False)
        Clock.schedule_once(lambda _dt: setattr(self.input, "focus", True), 0)

    def done(self) -> None:
        text = self.input.text
        self.close()
        if not (self.row.field.kind == "secret" and not text):  # an untouched password stays as it is
            self.on_done(self.row.name, text)

    def cancel(self) -> None:
        self.close()

    def close(self) -> None:
        self.input.focus = False
        self.dismiss(animation=False)


class TechnicianScreen(BoxLayout):
    """Root widget while the technician works; `close()` locks the model again."""

    def __init__(self, model: Any, on_exit: Callable[[], None], *, runner: ActionRunner | None = None,
                 **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        w.clear_to_background()
        gap = _gap()
        self.padding = (gap, gap)
        self.spacing = gap
        self.model = model
        self.on_exit = on_exit
        self.runner = runner or ActionRunner(model, name="technician-actions")
        self._own_runner = runner is None
        self.lang = getattr(model, "lang", "zh")
        self.section = "scale"
        self.page = 0
        self.view: Any = None
        self.rows: dict[str, FieldRow] = {}
        self._built_for: tuple[Any, ...] | None = None
        self.seal_form = {"seal.technician": "", "seal.reason": ""}  # typed here, logged by model.seal
        head = w.Box(orientation="horizontal", bg=w.PANEL, size_hint_y=0.09, padding=(gap * 2, gap), spacing=gap)
        self.title = w.FitLabel(text=_c("title", self.lang), halign="left", color=w.TEXT, size_hint_x=0.33,
                                bold=True)
        self.ident = w.FitLabel(text="", halign="right", color=w.MUTED, size_hint_x=0.52, fill=0.5)
        self.ident.test_id = "software_id"
        exit_key = w.key(_c("exit", self.lang), self.exit, action="tech_exit", color=w.KEY_DANGER, size_hint_x=0.15)
        for child in (self.title, self.ident, exit_key):
            head.add_widget(child)
        self.body = BoxLayout(orientation="horizontal", size_hint_y=0.83, spacing=gap * 2)
        bar = w.Box(orientation="horizontal", bg=w.PANEL, size_hint_y=0.08, padding=(gap * 2, gap // 2))
        self.message = w.FitLabel(text="", halign="left", color=w.INFO, wrap=True, fill=0.6)
        self.message.test_id = "tech_message"
        bar.add_widget(self.message)
        for child in (head, self.body, bar):
            self.add_widget(child)
        self.edit_panel: EditPanel | None = None
        self.pinpad = PinPad(self, self.lang)
        self.body.add_widget(self.pinpad)
        self._poll = Clock.schedule_interval(self._live, 1.0)
        self.refresh()

    # --- model calls ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.runner.call("view", then=self.render)

    def _live(self, _dt: float) -> None:
        """Poll only what moves by itself: the module's frames and link, a running probe.

        (`TechnicianModel.view()` also verifies the whole event log: not something to do every
        second for nothing.)
        """
        view = self.view
        if view is not None and view.unlocked and (self.section == "scale" or view.probe_running):
            self.refresh()

    def unlock(self, pin: str) -> None:
        self.runner.call("unlock", pin, then=lambda _ok: self.refresh())

    def edit(self, name: str, text: str) -> None:
        self.runner.call("set_field", name, text, then=lambda _err: self.refresh())

    def open_editor(self, row: FieldRow) -> None:
        self.edit_panel = EditPanel(row, self.lang, row.on_edit)  # the row says where its text goes
        self.edit_panel.bind(on_dismiss=lambda *_: setattr(self, "edit_panel", None))
        self.edit_panel.open_for_typing()

    def save(self) -> None:
        self.runner.call("apply", then=lambda _result: self._rebuild())

    def undo(self) -> None:
        self.runner.call("reset", then=lambda _r: self._rebuild())

    def probe(self) -> None:
        self.runner.run(lambda: self.model.start_probe(done=lambda _r: Clock.schedule_once(
            lambda _dt: self._rebuild(), 0)), then=lambda _r: self.refresh())

    def edit_seal(self, name: str, text: str) -> None:
        self.seal_form[name] = text.strip()
        self._rebuild()

    def seal(self) -> None:
        who, why = self.seal_form["seal.technician"], self.seal_form["seal.reason"]
        self.runner.call("seal", who, why, then=self._sealed)

    def _sealed(self, ok: bool) -> None:
        if ok:
            self.seal_form["seal.reason"] = ""  # the next seal needs its own reason
        self._rebuild()

    def test_print(self) -> None:
        self.runner.call("test_print", then=lambda _ok: self.refresh())

    def exit(self) -> None:
        self.on_exit()

    def close(self) -> None:
        if self.edit_panel is not None:
            self.edit_panel.close()
        self._poll.cancel()
        self.runner.run(self.model.lock)
        if self._own_runner:
            self.runner.stop()

    # --- rendering ------------------------------------------------------------------------------

    def _rebuild(self) -> None:
        self._built_for = None
        self.refresh()

    def render(self, view: Any) -> None:
        if view is None:
            return
        self.view = view
        # The extended display's three facts, before the PIN too (JJG 1204-2025 6.10).
        self.ident.text = f"{view.software_id} · {_c('counter', self.lang)} {view.legal_changes} · {view.lock_text}"
        self.ident.color = w.MUTED if view.lock_state == "unlocked" else w.ERROR
        self.message.text = view.message
        self.message.color = w.ERROR if view.message_kind == "error" else w.INFO
        if not view.unlocked:
            return
        key = (self.section, self.page, view.unlocked)
        if key != self._built_for:
            self._built_for = key
            self._build(view)
        else:
            for field in view.fields:
                row = self.rows.get(field.name)
                if row is not None:
                    row.update(field)
        self._update_live(view)

    def show_section(self, name: str) -> None:
        self.section, self.page = name, 0
        self._rebuild()

    def _build(self, view: Any) -> None:
        gap = _gap()
        lang = self.lang
        self.body.clear_widgets()
        nav = BoxLayout(orientation="vertical", size_hint_x=0.2, spacing=gap)
        for name, zh, en in SECTIONS:
            color = w.KEY_ADD if name == self.section else w.KEY_FUNC
            nav.add_widget(w.key(en if lang == "en" else zh, lambda n=name: self.show_section(n),
                                 action=f"section:{name}", color=color, fill=0.4))
        self.body.add_widget(nav)
        content = w.Box(orientation="vertical", bg=w.PANEL, size_hint_x=0.8, padding=(gap * 3, gap * 2),
                        spacing=gap)
        self.body.add_widget(content)
        self.rows = {}
        self.frames: w.FitLabel | None = None
        self.link: w.FitLabel | None = None
        if self.section == "software":
            self._build_software(content, view)
            return
        if self.section == "seal":
            self._build_seal(content, view)
            return
        fields = [f for f in view.fields if f.name.split(".", 1)[0] == self.section]
        pages = max(1, -(-len(fields) // FIELDS_PER_PAGE))
        self.page = min(self.page, pages - 1)
        shown = fields[self.page * FIELDS_PER_PAGE:(self.page + 1) * FIELDS_PER_PAGE]
        extra = self.section in ("scale", "printer")
        slots = FIELDS_PER_PAGE if not extra else len(shown)
        for field in shown:
            row = FieldRow(field, lang, self.edit, self.open_editor, size_hint_y=1)
            self.rows[field.name] = row
            content.add_widget(row)
        if self.section == "scale":
            self.link = w.FitLabel(text="", halign="left", color=w.INFO, size_hint_y=0.8, fill=0.5)
            content.add_widget(self.link)
            content.add_widget(w.FitLabel(text=_c("frames", lang), halign="left", color=w.MUTED, size_hint_y=0.7,
                                          fill=0.5))
            self.frames = w.FitLabel(text="", halign="left", color=w.WEIGHT_STABLE, size_hint_y=4, wrap=True,
                                     font_name=MONO_FONT, fill=0.8)
            content.add_widget(self.frames)
        for _ in range(slots - len(shown)):
            content.add_widget(Widget())
        keys = BoxLayout(orientation="horizontal", size_hint_y=1.2, spacing=gap * 2)
        if pages > 1:
            keys.add_widget(w.key(f"{self.page + 1}/{pages} ▶", self._next_page, action="fields_next",
                                  color=w.KEY_FUNC, fill=0.45))
        if self.section == "scale":
            caption = _c("probing", lang) if view.probe_running else _c("probe", lang)
            keys.add_widget(w.key(caption, self.probe, action="probe", color=w.KEY_ADD, fill=0.45,
                                  disabled=view.probe_running))
        if self.section == "printer":
            keys.add_widget(w.key(_c("test_print", lang), self.test_print, action="test_print", color=w.KEY_ADD,
                                  fill=0.45))
        keys.add_widget(w.key(_c("undo", lang), self.undo, action="undo", color=w.KEY_FUNC, fill=0.45))
        keys.add_widget(w.key(_c("save", lang), self.save, action="save", color=w.KEY_PAY, fill=0.45))
        content.add_widget(keys)

    def _next_page(self) -> None:
        self.page += 1
        fields = [f for f in (self.view.fields if self.view else ()) if f.name.split(".", 1)[0] == self.section]
        if self.page * FIELDS_PER_PAGE >= len(fields):
            self.page = 0
        self._rebuild()

    def _build_software(self, content: BoxLayout, view: Any) -> None:
        lang = self.lang
        sha = view.software_sha256
        rows = (
            (_c("version", lang), view.software_version),
            (_c("software_id", lang), view.software_id),
            (_c("sha", lang), f"{sha[:32]}\n{sha[32:]}"),
        )
        for caption, value in rows:
            row = BoxLayout(orientation="horizontal", size_hint_y=1)
            row.add_widget(w.FitLabel(text=caption, halign="left", color=w.MUTED, size_hint_x=0.35, fill=0.4))
            mono = {"font_name": MONO_FONT} if "\n" in value else {}  # hex digits line up
            row.add_widget(w.FitLabel(text=value, halign="left", color=w.TEXT, size_hint_x=0.65, fill=0.8, **mono))
            content.add_widget(row)
        content.add_widget(w.FitLabel(text=f"{_c('events', lang)} · {view.events_text}", halign="left",
                                      color=w.ERROR if "!" in view.events_text else w.INFO, size_hint_y=0.8,
                                      fill=0.5))
        shown = view.events[:EVENT_LINES]
        for event in shown:
            content.add_widget(w.FitLabel(text=f"#{event.id}  {event.time_text}  {event.kind}  {event.detail}",
                                          halign="left", color=w.TEXT, wrap=True, size_hint_y=1, fill=0.4))
        for _ in range(EVENT_LINES - len(shown)):
            content.add_widget(Widget())

    def _build_seal(self, content: BoxLayout, view: Any) -> None:
        """The extended display on request, then who/why and the seal key."""
        lang = self.lang
        locked = view.lock_state != "unlocked"
        for text in view.legal_lines:
            label = w.FitLabel(text=text, halign="left", color=w.TEXT, size_hint_y=1, fill=0.45)
            label.test_id = "legal_line"
            content.add_widget(label)
        for _ in range(5 - len(view.legal_lines)):
            content.add_widget(Widget())
        for name, caption in (("seal.technician", "seal_who"), ("seal.reason", "seal_why")):
            field = SimpleNamespace(name=name, label=_c(caption, lang), value=self.seal_form[name], kind="text",
                                    choices=(), legal=False, changed=False, error="")
            content.add_widget(FieldRow(field, lang, self.edit_seal, self.open_editor, size_hint_y=1))
        keys = BoxLayout(orientation="horizontal", size_hint_y=1.2, spacing=_gap() * 2)
        keys.add_widget(w.key(_c("seal", lang), self.seal, action="seal", color=w.KEY_PAY if locked else w.KEY_FUNC,
                              fill=0.45))
        content.add_widget(keys)

    def _update_live(self, view: Any) -> None:
        if self.link is not None:
            self.link.text = view.link_text
        if self.frames is not None:
            frames = view.raw_frames[-FRAME_LINES:]
            self.frames.text = "\n".join(frames) if frames else _c("no_frames", self.lang)
