"""Saying announcements: espeak-ng's Mandarin voice, on a worker thread of its own.

espeak-ng (Debian ``espeak-ng``, voice ``cmn``, https://github.com/espeak-ng/espeak-ng)
speaks Chinese characters through its cmn dictionary; our texts spell the numbers out
(edge.voice.texts), so the voice never guesses how to read "11.81". ``-a`` is the
amplitude 0-200 (100 is espeak-ng's default), ``-s`` the speed in words per minute,
``-w FILE`` writes a WAV instead of playing.

:class:`Announcer` never blocks the caller: :meth:`Announcer.say` puts the text in a short
queue and returns. The worker says the queue's items in order but drops what has gone
stale (a line announced 3 s after it was added would describe a platter the vendor has
already cleared) and, when a newer announcement of the same ``key`` arrives first,
the older one.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.config import EdgeConfig

log = logging.getLogger(__name__)

STALE_S = 3.0  # an announcement not started this long after it was made is dropped
MAX_PENDING = 4  # beyond this the oldest pending announcement is dropped
SAY_TIMEOUT_S = 30.0  # a TTS process that hangs is killed


class VoiceUnavailable(RuntimeError):
    """espeak-ng or its voice is missing: what to install, or how to turn the voice off."""


def find_espeak(voice: str = "cmn", binary: str | None = None) -> str:
    """The espeak-ng program, checked to have ``voice``; raises VoiceUnavailable saying what to do."""
    path = binary or shutil.which("espeak-ng")
    if not path or not Path(path).exists():
        raise VoiceUnavailable(
            "espeak-ng is not installed, so the scale cannot speak (语音播报): "
            "install it with `sudo apt-get install espeak-ng` (scripts/apt-packages.txt), "
            "or turn the voice off with [voice].enabled = false in edge.toml"
        )
    try:
        listed = subprocess.run([path, f"--voices={voice}"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        why = f"espeak-ng at {path} does not run ({exc}); reinstall it (apt-get install espeak-ng)"
        raise VoiceUnavailable(why) from None
    if not any(line.split()[1:2] == [voice] for line in listed.splitlines()[1:]):
        raise VoiceUnavailable(
            f"espeak-ng has no {voice!r} voice: install espeak-ng-data, or set [voice].voice to one that "
            f"`espeak-ng --voices` lists"
        )
    return path


@dataclass(frozen=True, slots=True)
class Espeak:
    """One espeak-ng voice at a volume (0-100 %) and speed (words per minute)."""

    binary: str
    voice: str = "cmn"
    volume: int = 80
    speed: int = 160

    @classmethod
    def find(cls, voice: str = "cmn", volume: int = 80, speed: int = 160) -> Espeak:
        return cls(find_espeak(voice), voice, volume, speed)

    def _args(self, text: str) -> list[str]:
        amplitude = max(0, min(200, self.volume * 2))  # 100 % = 200, espeak-ng's loudest
        return [self.binary, "-v", self.voice, "-a", str(amplitude), "-s", str(self.speed), "--", text]

    def synthesize(self, text: str, wav: str | Path) -> Path:
        """Write ``text`` spoken as a WAV file (what the tests listen to)."""
        args = self._args(text)
        args[1:1] = ["-w", str(wav)]
        self._run(args)
        return Path(wav)

    def play(self, text: str) -> None:
        """Say ``text`` on the default sound device; returns when it has been said."""
        self._run(self._args(text))

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(args, capture_output=True, text=True, timeout=SAY_TIMEOUT_S)
        # espeak-ng exits 0 even when it found no sound device; its stderr then says "error: ..."
        if done.returncode != 0 or "error:" in done.stderr:
            why = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            raise OSError(f"espeak-ng could not say it ({why[0][:200]}): check the speaker and the sound device")


class WavRecorder:
    """A speaker that writes each announcement as ``NNNN.wav`` (+ ``.txt``) into a directory."""

    def __init__(self, espeak: Espeak, directory: str | Path) -> None:
        self.espeak = espeak
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._n = len(list(self.directory.glob("*.wav")))

    def __call__(self, text: str) -> None:
        self._n += 1
        stem = self.directory / f"{self._n:04d}"
        self.espeak.synthesize(text, stem.with_suffix(".wav.part"))
        stem.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        stem.with_suffix(".wav.part").rename(stem.with_suffix(".wav"))  # a reader never sees half a file


@dataclass(slots=True)
class _Pending:
    text: str
    key: str
    made: float


class Announcer:
    """Says texts through ``speak`` on its own thread; :meth:`say` returns at once."""

    def __init__(
        self,
        speak: Callable[[str], None],
        *,
        stale_s: float = STALE_S,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.speak = speak
        self.stale_s = stale_s
        self.max_pending = max_pending
        self.clock = clock
        self.said = 0
        self.dropped = 0
        self.failed = 0
        self._pending: deque[_Pending] = deque()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    def say(self, text: str, *, key: str = "") -> None:
        """Queue ``text``; a pending announcement of the same non-empty ``key`` is replaced."""
        with self._cond:
            if key:
                before = len(self._pending)
                self._pending = deque(p for p in self._pending if p.key != key)
                self.dropped += before - len(self._pending)
            self._pending.append(_Pending(text, key, self.clock()))
            while len(self._pending) > self.max_pending:
                self._pending.popleft()
                self.dropped += 1
            self._cond.notify()

    def idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until nothing is pending or being said (for tests and shutdown)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._pending.clear()
            self._cond.notify_all()
        self._thread.join(SAY_TIMEOUT_S)

    _busy = False

    def _next(self) -> _Pending | None:
        with self._cond:
            while True:
                if self._stopped:
                    return None
                now = self.clock()
                while self._pending and now - self._pending[0].made > self.stale_s:
                    self._pending.popleft()
                    self.dropped += 1
                if self._pending:
                    self._busy = True
                    return self._pending.popleft()
                self._cond.notify_all()  # idle() waiters
                self._cond.wait(0.5)

    def _run(self) -> None:
        while (item := self._next()) is not None:
            try:
                self.speak(item.text)
                self.said += 1
            except Exception as exc:  # a missing speaker must not stop the scale
                self.failed += 1
                level = logging.WARNING if self.failed == 1 else logging.DEBUG
                log.log(level, "voice announcement %r not said: %s", item.text, exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


def announcer_from_config(config: EdgeConfig) -> Announcer | None:
    """The scale's announcer from its [voice] section; None when off or espeak-ng is missing (logged)."""
    voice = config.voice
    if not voice.enabled:
        return None
    try:
        espeak = Espeak.find(voice.voice, voice.volume, voice.speed)
    except VoiceUnavailable as exc:
        log.warning("%s", exc)
        return None
    if voice.out_dir:
        return Announcer(WavRecorder(espeak, config.path(voice.out_dir)))
    return Announcer(espeak.play)
