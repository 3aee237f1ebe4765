"""Change a few keys of edge.toml and write it back atomically, keeping the technician's comments.

Our configuration is flat (``[section]`` + ``key = scalar``), so a line edit is enough:
the key's line is replaced (its trailing comment kept), a missing key is added at the end
of its section, a missing section at the end of the file. The result is re-parsed and
compared with what was intended; should a hand-written file defeat the line edit (a
multi-line value), the whole file is regenerated instead (comments lost, values kept).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Changes = Mapping[tuple[str, str], Any]  # (section, key) -> new value; None removes the key

_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string; every control character (TOML forbids them raw, DEL included) escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # shortest text that reads back as the same float; always has . or e
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):  # one-line arrays, e.g. [scale].intervals = [[6000, 2], [15000, 5]]
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} to edge.toml (only strings, numbers, booleans and arrays)")


def _comment(line: str) -> str:
    """The trailing ``# comment`` of a ``key = value`` line ('' if none), quotes respected."""
    quote = ""
    escaped = False
    for i, ch in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[i:].rstrip("\n")
    return ""


def _apply_to_data(data: dict[str, Any], changes: Changes) -> dict[str, Any]:
    out = {name: dict(section) for name, section in data.items()}
    for (section, key), value in changes.items():
        table = out.setdefault(section, {})
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return out


def _line_edit(text: str, changes: Changes) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    pending = dict(changes)
    section = ""
    out: list[str] = []
    section_end: dict[str, int] = {}  # section -> index in out after its last non-blank line
    for line in lines:
        header = _HEADER.match(line)
        if header:
            section = header.group(1)
            out.append(line)
            section_end[section] = len(out)
            continue
        key = _KEY.match(line)
        if key and (section, key.group(1)) in pending:
            value = pending.pop((section, key.group(1)))
            if value is not None:
                comment = _comment(line[key.end() :])
                indent = line[: len(line) - len(line.lstrip())]
                out.append(f"{indent}{key.group(1)} = {toml_value(value)}{'  ' + comment if comment else ''}\n")
        else:
            out.append(line)
        if line.strip() and section in section_end:
            section_end[section] = len(out)
    additions: dict[str, list[str]] = {}
    for (sec, key), value in pending.items():
        if value is not None:
            additions.setdefault(sec, []).append(f"{key} = {toml_value(value)}\n")
    # Insert from the bottom up so earlier indexes stay valid.
    for sec in sorted((s for s in additions if s in section_end), key=lambda s: section_end[s], reverse=True):
        out[section_end[sec] : section_end[sec]] = additions[sec]
    for sec, new_lines in additions.items():
        if sec not in section_end:
            out.append(f"\n[{sec}]\n")
            out.extend(new_lines)
    return "".join(out)


def dumps(data: Mapping[str, Mapping[str, Any]]) -> str:
    """A whole document: one ``[section]`` per table, keys in the given order."""
    parts = []
    for section, table in data.items():
        body = "".join(f"{key} = {toml_value(value)}\n" for key, value in table.items())
        parts.append(f"[{section}]\n{body}")
    return "\n".join(parts)


def edit_toml(text: str, changes: Changes) -> str:
    """``text`` with ``changes`` made; raises tomllib.TOMLDecodeError if ``text`` is not TOML."""
    wanted = _apply_to_data(tomllib.loads(text), changes)
    edited = _line_edit(text, changes)
    try:
        if tomllib.loads(edited) == wanted:
            return edited
    except tomllib.TOMLDecodeError:
        pass
    return dumps(wanted)


def write_atomic_begin(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file next to ``path`` and fsync it; :func:`write_atomic_commit` renames."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return tmp


def write_atomic_commit(tmp: Path, path: Path) -> None:
    """Rename over ``path`` (atomic on POSIX) and fsync the directory so the rename survives a power cut."""
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
