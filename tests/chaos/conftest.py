"""Fixtures of the chaos suite: a running market (broker + central process) to break."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import Site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """Broker with the real ACL and ``python -m central serve`` on SQLite, both running."""
    market = Site(tmp_path)
    try:
        market.start()
        yield market
    finally:
        market.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """``small_disk(name, size)`` mounts a tmpfs of ``size`` (e.g. "4m"); all unmounted at teardown.

    Needs root and mount rights, like tests/integration/test_store_durability.py: where a
    tmpfs cannot be mounted the test is skipped with the reason shown.
    """
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the full-disk scenarios need one")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)
