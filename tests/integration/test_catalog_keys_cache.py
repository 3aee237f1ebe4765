"""A running scale does not load pypinyin's dictionaries: search keys are kept in the store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

BUILD = """
import sys
from edge import runtime
from edge.config import load_config
config = load_config(sys.argv[1])
store = runtime.open_store(config)
goods = runtime.catalog(store)
print([p.name for p in goods.search("bc")][:1], "pypinyin" in sys.modules)
"""


def _run(config: Path) -> str:
    done = subprocess.run([sys.executable, "-c", BUILD, str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_keys_are_computed_once_then_read_from_the_store(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "edge.toml").read_text(encoding="utf-8")
    text = text.replace('"../var/edge.db"', f'"{tmp_path / "edge.db"}"')
    text = text.replace('"catalog.json"', f'"{ROOT / "examples" / "catalog.json"}"')
    config = tmp_path / "edge.toml"
    config.write_text(text, encoding="utf-8")
    assert _run(config) == "['白菜'] True"  # first start: computed with pypinyin, then kept
    assert _run(config) == "['白菜'] False"  # later starts: the same results without pypinyin
