"""Write edge.toml: a serializer for our value types and an atomic save that keeps a backup.

Our configuration is flat (``[section]`` + ``key = scalar``), so the serializer only knows
strings, integers, floats and booleans. Editing an existing file line by line (keeping the
technician's comments) is edge/ui/model/toml_edit.py; this module writes whole documents
and saves either kind of text safely.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

from edge.ui.model.toml_edit import dumps, toml_string, toml_value, write_atomic_begin, write_atomic_commit

__all__ = ["dumps", "save_atomic", "toml_string", "toml_value"]  # one serializer, shared with the line editor

def save_atomic(path: Path, text: str, *, backup: bool = True) -> Path | None:
    """Replace ``path`` with ``text`` atomically (temp file, fsync, rename, fsync of the directory).

    The previous file is kept as ``edge.toml.bak`` first (also written atomically), so a
    technician can always go back. On any failure the original file is untouched and the
    temporary file is removed; the OSError propagates. Returns the backup's path, if any.
    """
    return commit(begin(path, text), path, backup=backup)


def begin(path: Path, text: str, *, private: bool = False) -> Path:
    """First half of :func:`save_atomic` for callers that must do something (log an event)
    between writing the new text and making it take effect; finish with :func:`commit`.

    The new file keeps the old one's permissions (a technician's ``chmod 600`` stays);
    ``private`` also takes away group and other access.
    """
    tmp = write_atomic_begin(path, text)
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
        os.chmod(tmp, mode & ~0o077 if private else mode)
    except OSError:
        abort(tmp)
        raise
    return tmp


def commit(tmp: Path, path: Path, *, backup: bool = True) -> Path | None:
    try:
        bak = _backup(path) if backup else None
        write_atomic_commit(tmp, path)
    except BaseException:  # the original file is untouched; leave no temporary file behind
        abort(tmp)
        raise
    return bak


def abort(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def _backup(path: Path) -> Path | None:
    if not path.exists():
        return None
    bak = path.with_name(path.name + ".bak")
    tmp = bak.with_name(f".{bak.name}.tmp-{os.getpid()}")
    shutil.copy2(path, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, bak)
    return bak
