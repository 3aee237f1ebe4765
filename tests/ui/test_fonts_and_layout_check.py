"""The CJK font lookup, and that the layout check used on every screenshot does catch problems."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge.ui.kivy import fonts

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_the_font_named_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_CJK_FONT", fonts.KNOWN_PATHS[0])
    assert fonts.find_cjk_font() == Path(fonts.KNOWN_PATHS[0])


def test_a_missing_font_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACE_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts, "KNOWN_PATHS", ("/nonexistent/font.ttc",))
    monkeypatch.setattr(fonts, "_fc_list", lambda: [])
    with pytest.raises(fonts.FontMissing, match="install fonts-wqy-microhei"):
        fonts.find_cjk_font()


def test_fontconfig_finds_a_chinese_font_when_the_known_paths_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACE_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts, "KNOWN_PATHS", ("/nonexistent/font.ttc",))
    found = fonts.find_cjk_font()  # fonts-wqy-microhei is installed on the test machine
    assert found.is_file() and "wqy" in found.name


@pytest.mark.integration
def test_the_app_refuses_to_start_without_a_chinese_font(tmp_path: Path, xdisplay: dict[str, str]) -> None:
    config = tmp_path / "edge.toml"
    config.write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "edge", "customer-display", "--config", str(config)],
        env={**xdisplay, "TRACE_CJK_FONT": str(tmp_path / "missing.ttc")}, cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "install fonts-wqy-microhei" in done.stderr


@pytest.mark.integration
def test_the_layout_check_finds_clipped_cut_and_overlapping_text(tmp_path: Path, xdisplay: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, str(HERE / "layout_selfcheck.py"), str(tmp_path / "selfcheck.png")],
        env=xdisplay, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    problems = json.loads(done.stdout.strip().splitlines()[-1])
    assert any("does not fit" in p and "鸡蛋" in p for p in problems)
    assert any("shorten" in p for p in problems)
    assert any("'4.92'" in p and "overlaps" in p and "'30.00'" in p for p in problems)
    assert not any("FitLabel" in p for p in problems), problems  # the same text in a FitLabel fits
    assert (tmp_path / "selfcheck.png").stat().st_size > 1000
