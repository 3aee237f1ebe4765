"""Display width on a receipt printer: ASCII takes one column, CJK two.

Font A is 12 dots wide per ASCII character and 24 dots per Chinese character, so a
58 mm (384-dot) line holds 32 columns and an 80 mm (576-dot) line 48. ``len()`` would
count 白菜 as 2 columns instead of 4 and overflow the line.
"""

from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    if ch.isascii():
        return 0 if ch < " " else 1
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return 2
    # In Chinese mode every multi-byte GB18030 character is drawn with the 24-dot font,
    # so a non-ASCII "narrow" character (é, ¥) still fills two columns on the paper.
    return 2


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def _tokens(text: str) -> list[str]:
    """ASCII words and single spaces stay whole; each wide character is its own token."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and ch != " ":
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        out.append(ch)
    if word:
        out.append(word)
    return out


def _take(token: str, width: int) -> str:
    """The longest prefix of ``token`` that fits ``width`` columns (at least one character)."""
    cur = ""
    for ch in token:
        if cur and display_width(cur + ch) > width:
            break
        cur += ch
    return cur


def wrap(text: str, width: int, indent: int = 0) -> list[str]:
    """Greedy wrap to ``width`` columns; continuation lines start with ``indent`` spaces.

    Chinese may break between any two characters; ASCII breaks at spaces unless one word
    is longer than the line (a long batch id), which is then split.
    """
    if width <= indent:
        raise ValueError("wrap width must exceed the indent")
    lines: list[str] = []
    cur = ""
    for token in _tokens(text):
        limit = width if not lines else width - indent
        if display_width(cur + token) <= limit:
            cur += token
            continue
        if cur.strip():
            lines.append(cur.rstrip())
        cur = ""
        if token == " ":
            continue
        while display_width(token) > (width if not lines else width - indent):
            head = _take(token, width if not lines else width - indent)
            lines.append(head)
            token = token[len(head) :]
        cur = token
    if cur.strip() or not lines:
        lines.append(cur.rstrip())
    return [lines[0], *(" " * indent + line for line in lines[1:])]


def justify(left: str, right: str, width: int) -> list[str]:
    """``left`` and ``right`` on one line padded to ``width``; wrapped when they do not fit."""
    gap = width - display_width(left) - display_width(right)
    if gap >= 1:
        return [left + " " * gap + right]
    head = wrap(left, width)
    pad = width - display_width(right)
    return [*head, " " * max(pad, 0) + right]
