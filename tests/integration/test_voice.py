"""语音播报 through the real espeak-ng Mandarin voice: WAVs that are speech of plausible length."""

from __future__ import annotations

import array
import threading
import time
import wave
from pathlib import Path

import pytest

from edge.config import parse_config
from edge.voice import texts
from edge.voice.player import Announcer, Espeak, VoiceUnavailable, WavRecorder, announcer_from_config, find_espeak

pytestmark = pytest.mark.integration


def _listen(path: Path) -> tuple[float, float]:
    """(duration in s, RMS of the samples as a fraction of full scale) of a 16-bit mono WAV."""
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        frames = w.readframes(w.getnframes())
        rate = w.getframerate()
    samples = array.array("h", frames)
    rms = (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5 / 32768
    return len(samples) / rate, rms


def _syllables(text: str) -> int:
    return sum(1 for c in text if "\u4e00" <= c <= "\u9fff")


@pytest.fixture(scope="module")
def espeak() -> Espeak:
    return Espeak.find("cmn", volume=80, speed=160)  # fails (not skips) with what to install


@pytest.mark.parametrize(
    "text",
    [texts.payment_received(1181), texts.line_added("白菜", 492, net_g=1235, e_g=5), texts.fault("paper_out")],
)
def test_each_announcement_is_speech_of_plausible_length(espeak: Espeak, tmp_path: Path, text: str) -> None:
    duration, rms = _listen(espeak.synthesize(text, tmp_path / "say.wav"))
    per_syllable = duration / _syllables(text)
    assert 0.12 < per_syllable < 0.8, f"{text}: {duration:.2f} s for {_syllables(text)} syllables"
    assert rms > 0.02, f"{text}: RMS {rms:.4f}: silence"


def test_the_numbers_are_said_and_volume_is_louder(espeak: Espeak, tmp_path: Path) -> None:
    short, _ = _listen(espeak.synthesize(texts.payment_received(500), tmp_path / "a.wav"))  # 收款五元
    long, _ = _listen(espeak.synthesize(texts.payment_received(106167), tmp_path / "b.wav"))  # 收款一千零六十一点六七元
    assert long > 2 * short  # the digits are spoken, not skipped
    quiet = Espeak(espeak.binary, volume=20)
    _, soft = _listen(quiet.synthesize("收款五元", tmp_path / "q.wav"))
    _, loud = _listen(espeak.synthesize("收款五元", tmp_path / "l.wav"))
    assert loud > 2.5 * soft


def test_missing_espeak_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VoiceUnavailable, match=r"apt-get install espeak-ng.*\[voice\].enabled = false"):
        find_espeak(binary=str(tmp_path / "no-espeak-ng"))
    with pytest.raises(VoiceUnavailable, match="no 'xx-none' voice"):
        find_espeak("xx-none")


def test_the_announcer_never_blocks_and_drops_stale_announcements(espeak: Espeak, tmp_path: Path) -> None:
    release = threading.Event()
    said: list[str] = []
    busy = threading.Event()

    def slow_speaker(text: str) -> None:  # a speaker still busy with the first announcement
        busy.set()
        release.wait(60)
        said.append(text)

    announcer = Announcer(slow_speaker, stale_s=0.3)
    try:
        announcer.say("第0")
        assert busy.wait(60)  # the speaker has taken 第0 (not left stale by a slow thread start)
        start = time.monotonic()
        for n in range(1, 50):
            announcer.say(f"第{n}")
        announcer.say("收款一元", key="payment")
        announcer.say("收款两元", key="payment")  # replaces the pending one
        assert time.monotonic() - start < 5  # say() only queues: it never waits the speaker's 60 s
        time.sleep(0.5)  # everything pending is now stale...
        announcer.say("打印机缺纸")  # ...except this
        release.set()
        assert announcer.idle(60)
        assert said[-1] == "打印机缺纸" and "收款一元" not in said and len(said) == 2
        assert announcer.dropped == 51
    finally:
        announcer.stop()


def test_the_scale_config_records_announcements_as_wavs(tmp_path: Path) -> None:
    config = parse_config({"voice": {"out_dir": "voice", "volume": 60}}, base_dir=tmp_path)
    announcer = announcer_from_config(config)
    assert announcer is not None and isinstance(announcer.speak, WavRecorder)
    try:
        announcer.say(texts.payment_received(1181))
        assert announcer.idle(60)
    finally:
        announcer.stop()
    [wav] = sorted((tmp_path / "voice").glob("*.wav"))
    assert (tmp_path / "voice" / "0001.txt").read_text(encoding="utf-8") == "收款十一点八一元\n"
    duration, rms = _listen(wav)
    assert duration > 1.0 and rms > 0.02
    assert announcer_from_config(parse_config({"voice": {"enabled": False}})) is None


def test_a_scale_without_a_sound_device_keeps_selling_and_says_why(tmp_path: Path, caplog) -> None:
    # espeak-ng without a sound card prints ALSA's complaint and "error: ..." but exits 0; this
    # stand-in does exactly that (a machine with a speaker would really play the real one)
    fake = tmp_path / "espeak-ng"
    fake.write_text("#!/bin/sh\necho 'ALSA lib pcm.c:2666: Unknown PCM default' >&2\n"
                    "echo 'error: No such file or directory' >&2\nexit 0\n")  # fmt: skip
    fake.chmod(0o755)
    announcer = Announcer(Espeak(str(fake)).play)
    try:
        announcer.say("收款五元")
        announcer.say("打印机缺纸")
        assert announcer.idle(60)
    finally:
        announcer.stop()
    assert (announcer.failed, announcer.said) == (2, 0)
    assert caplog.text.count("check the speaker and the sound device") == 1  # warned once, not per line
