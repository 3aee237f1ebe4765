"""A/B software slots: ``ROOT/slots/a``, ``ROOT/slots/b`` (virtualenvs) and ``ROOT/current``.

The systemd unit runs ``ROOT/current/bin/python -m edge run``; an update installs into the
slot that is not current and then switches the ``current`` symlink with one atomic
``rename``, so a power cut leaves either the old or the new version, never half of one.

A slot is ``python -m venv --system-site-packages --without-pip`` plus ``pip install
--no-deps --no-index WHEEL`` (about a second, offline). The project's dependencies are
not downloaded: the slot sees the ones the running version uses through a ``.pth`` file
listing their site-packages folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SLOT_NAMES = ("a", "b")
DIST_INFO_GLOB = "lib/python*/site-packages/trace_scale-*.dist-info"
DEPS_PTH = "trace-scale-deps.pth"


class SlotError(RuntimeError):
    """A slot could not be built or switched; the message says what and what to do."""


@dataclass(frozen=True, slots=True)
class SlotInfo:
    name: str
    version: str | None  # None: empty slot
    current: bool


def _dependency_dirs(exclude: Path) -> list[str]:
    """site-packages folders of the running interpreter, except those inside ``exclude``."""
    out = []
    for entry in sys.path:
        path = Path(entry)
        if path.name in ("site-packages", "dist-packages") and path.is_dir():
            try:
                path.resolve().relative_to(exclude.resolve())
            except ValueError:
                out.append(str(path.resolve()))
    return list(dict.fromkeys(out))


class Slots:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.current_link = self.root / "current"

    def path(self, name: str) -> Path:
        return self.root / "slots" / name

    def active(self) -> str | None:
        """The slot ``current`` points at (None before the first install)."""
        try:
            target = os.readlink(self.current_link)
        except OSError:
            return None
        name = Path(target).name
        return name if name in SLOT_NAMES else None

    def inactive(self) -> str:
        return "b" if self.active() == "a" else "a"

    def version(self, name: str) -> str | None:
        found = sorted(self.path(name).glob(DIST_INFO_GLOB))
        if not found:
            return None
        return found[-1].name.removesuffix(".dist-info").split("-", 1)[1]

    def info(self) -> list[SlotInfo]:
        active = self.active()
        return [SlotInfo(n, self.version(n), n == active) for n in SLOT_NAMES]

    def python(self, name: str) -> Path:
        return self.path(name) / "bin" / "python"

    def build(self, name: str, wheel: Path, *, timeout_s: float = 300) -> None:
        """(Re)create slot ``name`` with ``wheel`` installed. Never touches the current slot."""
        if name == self.active():
            raise SlotError(f"slot {name} is the running version's; install into the other slot")
        target = self.path(name)
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        steps = [
            [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(target)],
            [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install", "--no-deps",
             "--no-index", "--disable-pip-version-check", "--quiet", str(wheel)],
        ]  # fmt: skip
        for i, command in enumerate(steps):
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SlotError(f"安装失败 installing into slot {name} failed: {exc}") from exc
            if done.returncode != 0:
                raise SlotError(
                    f"安装失败 installing into slot {name} failed ({' '.join(command[:3])}): "
                    f"{(done.stderr or done.stdout).strip()[-400:]}"
                )
            if i == 0:  # the venv exists: let it see the running version's dependencies
                site = next(target.glob("lib/python*/site-packages"))
                deps = _dependency_dirs(self.root / "slots")
                (site / DEPS_PTH).write_text("".join(d + "\n" for d in deps), encoding="utf-8")

    def switch(self, name: str) -> None:
        """Point ``current`` at slot ``name`` atomically (symlink to a temp name, then rename)."""
        if name not in SLOT_NAMES or not self.python(name).exists():
            raise SlotError(f"slot {name} has no installed version; nothing to switch to")
        tmp = self.root / "current.new"
        tmp.unlink(missing_ok=True)
        os.symlink(Path("slots") / name, tmp)
        os.replace(tmp, self.current_link)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself must survive a power cut
        finally:
            os.close(fd)
