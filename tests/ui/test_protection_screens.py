"""The lock banner on both screens and the seal on the technician screen, under Xvfb
(tests/ui/protection_driver.py runs the real app; docs/protection.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.test_merchant_app import run_driver

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=("1024x600", "800x480"))
def run(request: pytest.FixtureRequest, xdisplay: dict[str, str], ui_artifacts: Path) -> dict[str, Any]:
    out = ui_artifacts / f"protection-{request.param}"
    print(f"\nUI screenshots ({request.param}): {out / 'probe'}")
    return run_driver(xdisplay, out, request.param, "start", script="protection_driver.py")


def test_the_scenario_runs_to_the_end(run: dict[str, Any]) -> None:
    assert run["error"] is None, f"{run['error']}\nsteps: {run['steps'][-5:]}\n{run['_log']}"


def test_both_screens_show_the_lock_and_a_sale_is_refused(run: dict[str, Any]) -> None:
    assert run["merchant_banner"] == "计量参数已更改，暂停销售：请技术人员完成铅封程序"
    assert run["customer_banner_locked"] == "本秤暂停销售（计量保护锁定）"
    assert run["refused_message"] == run["merchant_banner"]


def test_the_technician_seals_and_both_banners_go(run: dict[str, Any]) -> None:
    assert any(line.startswith("软件标识: ") for line in run["legal_lines"])
    assert any("事件计数器" in line and line.endswith(": 1") for line in run["legal_lines"])
    assert "恢复销售" in run["seal_message"]
    assert run["customer_banner_unlocked"] == ""
    assert run["shots"]["merchant-unlocked"]["texts"].get("lock_banner", "") == ""


@pytest.mark.parametrize("shot", ["merchant-locked", "customer-locked", "technician-seal", "merchant-unlocked"])
def test_no_text_is_clipped_or_overlapping(run: dict[str, Any], shot: str) -> None:
    problems = run["shots"][shot]["problems"]
    assert problems == [], "\n".join(problems)
