"""Carry out (or only show) an install or uninstall: files under a prefix, a manifest, commands.

Install writes every file atomically and records it (path, SHA-256, mode) and every folder
it had to create in ``/var/lib/trace-scale/install-manifest.json``; uninstall removes
exactly those files and the folders that are empty again, nothing else. A file already
there that a previous install did not write is never overwritten (the technician decides).
Commands that change the running system (systemctl, udevadm, usermod) run only for a real
install at prefix ``/``; under another prefix they are listed as skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from edge.install.files import MANIFEST, FileSpec, uninstall_commands

Say = Callable[[str], None]


class InstallError(RuntimeError):
    """What went wrong and what to do (Chinese first)."""


@dataclass
class Outcome:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _sha(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def _under(prefix: Path, path: PurePosixPath) -> Path:
    return prefix / path.relative_to("/")


def read_manifest(prefix: Path) -> dict[str, object] | None:
    try:
        return json.loads(_under(prefix, MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InstallError(f"安装清单损坏 / the install manifest {MANIFEST} is unreadable ({exc})") from exc


def _command_text(command: list[str]) -> str:
    return " ".join(command)


def _run(commands: list[list[str]], real: bool, dry_run: bool, say: Say, out: Outcome) -> None:
    for command in commands:
        text = _command_text(command)
        if dry_run:
            say(f"--- run: {text}")
        elif not real:
            say(f"skipped (not the real system, --prefix): {text}")
            out.skipped.append(text)
        else:
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise InstallError(f"命令失败 / `{text}` failed: {(done.stderr or done.stdout).strip()}")
            say(f"ran: {text}")
            out.ran.append(text)


def _write(target: Path, data: bytes, mode: int) -> None:
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, target)


def _make_dirs(prefix: Path, path: PurePosixPath, created: list[str]) -> None:
    missing = []
    for parent in path.parents:
        if _under(prefix, parent).is_dir():
            break
        missing.append(parent)
    for parent in reversed(missing):
        _under(prefix, parent).mkdir()
        created.append(str(parent))


def install(
    files: list[FileSpec], commands: list[list[str]], prefix: Path, *, dry_run: bool, say: Say = print
) -> Outcome:
    out = Outcome()
    real = prefix.resolve() == Path("/")
    if dry_run:
        say("# dry run: nothing is written, nothing is run")
        for spec in files:
            say(f"--- file {spec.path} (mode {spec.mode:o})")
            say(spec.content.rstrip("\n"))
        _run(commands, real, True, say, out)
        return out
    if real and os.geteuid() != 0:
        raise InstallError("需要 root 权限 / installing needs root: run it with sudo (or use --dry-run to look first)")
    previous = read_manifest(prefix) or {"files": [], "dirs": []}
    ours = {entry["path"] for entry in previous["files"]}  # type: ignore[index, union-attr]
    for spec in files:
        if _under(prefix, spec.path).exists() and str(spec.path) not in ours:
            raise InstallError(
                f"文件已存在 / {spec.path} already exists and was not written by `edge install`; "
                "move it away (or merge it by hand), then install again"
            )
    created: list[str] = list(previous.get("dirs", []))  # type: ignore[arg-type]
    entries = []
    for spec in files:
        _make_dirs(prefix, spec.path, created)
        data = spec.content.encode("utf-8")
        _write(_under(prefix, spec.path), data, spec.mode)
        entries.append({"path": str(spec.path), "sha256": _sha(data), "mode": spec.mode})
        say(f"wrote {spec.path}")
        out.written.append(str(spec.path))
    _make_dirs(prefix, MANIFEST, created)
    manifest = {"files": entries, "dirs": created}
    _write(_under(prefix, MANIFEST), json.dumps(manifest, indent=1).encode("utf-8"), 0o644)
    _run(commands, real, False, say, out)
    return out


def uninstall(prefix: Path, *, dry_run: bool, say: Say = print) -> Outcome:
    out = Outcome()
    real = prefix.resolve() == Path("/")
    manifest = read_manifest(prefix)
    if manifest is None:
        raise InstallError(f"没有安装记录 / nothing to uninstall: {MANIFEST} not found under {prefix}")
    if real and not dry_run and os.geteuid() != 0:
        raise InstallError("需要 root 权限 / uninstalling needs root: run it with sudo")
    before, after = uninstall_commands()
    _run(before, real, dry_run, say, out)
    paths = [entry["path"] for entry in manifest["files"]] + [str(MANIFEST)]  # type: ignore[index, union-attr]
    for path in paths:
        target = _under(prefix, PurePosixPath(path))
        if dry_run:
            say(f"--- remove {path}")
            continue
        if target.exists():
            target.unlink()
            say(f"removed {path}")
            out.removed.append(path)
    for folder in sorted(manifest.get("dirs", []), key=len, reverse=True):  # type: ignore[arg-type, union-attr]
        target = _under(prefix, PurePosixPath(folder))
        if dry_run:
            say(f"--- remove folder {folder} if empty")
        elif target.is_dir() and not any(target.iterdir()):
            target.rmdir()
            out.removed.append(folder)
    _run(after, real, dry_run, say, out)
    return out
