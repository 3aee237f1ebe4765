"""Browser tests: pages of central in a real headless Chromium (Debian's ``chromium``).

Playwright drives the browser that ``scripts/bootstrap.sh`` installs from Debian
(``/usr/bin/chromium``); Playwright's own browser download is never used (it cannot run
here). One browser per test session; each test gets a fresh context at the size it asks
for (``phone``: 360x740, ``desktop``: 1280x800) and may save screenshots with ``shot``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SIZES = {"phone": (360, 740), "phone-390": (390, 844), "desktop": (1280, 800)}
# The flags a headless Chromium needs on a closed network, as root, without a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SHOTS = Path(os.environ.get("TRACE_SHOTS", Path(__file__).resolve().parents[2] / "var" / "browser-shots"))


def chromium_path() -> str:
    for candidate in (os.environ.get("TRACE_CHROMIUM", ""), "/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium is not installed: the browser tests need it (sudo apt-get install chromium)", pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a failure, not a skip: these tests are part of the suite
        pytest.fail("playwright is missing: run scripts/bootstrap.sh (it is in the dev extra)", pytrace=False)
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page_at(browser: object) -> Iterator[Callable[[str], object]]:
    """``page_at("phone")`` -> a fresh Playwright page of that size (Chinese locale)."""
    contexts: list[object] = []

    def open_page(size: str, *, locale: str = "zh-CN") -> object:
        width, height = SIZES[size]
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)  # type: ignore[attr-defined]
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()  # type: ignore[attr-defined]


def shot(page: object, name: str) -> Path:
    """Save a full-page screenshot as ``var/browser-shots/NAME.png`` (for people to look at)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


# Elements wider than the viewport, or whose text is clipped: what a phone user would see as broken.
_OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  const sw = document.documentElement.scrollWidth;
  if (sw > vw) bad.push('page scrolls sideways: ' + sw + ' > ' + vw);
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const name = el.tagName + (el.className ? '.' + el.className : '');
    if (r.right > vw + 0.5) bad.push(name + ' ends at ' + Math.round(r.right) + ' > ' + vw);
    const style = getComputedStyle(el);
    if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) bad.push(name + ' clips its text');
  }
  return bad;
}"""


def overflow_problems(page: object) -> list[str]:
    """What overflows the viewport or is clipped on ``page`` (empty when the layout fits)."""
    return list(page.evaluate(_OVERFLOW_JS))  # type: ignore[attr-defined]
