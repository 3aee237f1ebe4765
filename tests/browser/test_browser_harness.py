"""The browser harness itself: Debian's Chromium renders CJK and the overflow check catches overflow."""

from __future__ import annotations

from tests.browser.conftest import overflow_problems


def test_chromium_renders_chinese_and_measures_layout(page_at) -> None:
    page = page_at("phone")
    page.set_content("<html><body style='margin:0'><p id=t>来源可溯</p></body></html>")
    assert page.inner_text("#t") == "来源可溯"
    assert overflow_problems(page) == []
    page.set_content("<html><body style='margin:0'><div style='width:500px'>宽</div></body></html>")
    problems = overflow_problems(page)
    assert any("500" in p or "sideways" in p for p in problems), problems
