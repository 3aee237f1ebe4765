"""The 日结's shift line (班次), shared by the console's `report` and the touchscreen popup."""

from __future__ import annotations

from edge.core.report import Shift
from edge.ui.model.report import shift_line


def test_the_shift_line_in_chinese_and_english() -> None:
    start = 1764635400000  # 2025-12-02 08:30 in Beijing
    assert shift_line(Shift("W01", "王建国", start, None), "zh") == "  王建国  08:30–在岗"
    assert shift_line(Shift("W01", "王建国", start, start + 3_600_000), "en") == "  王建国  08:30-09:30"
