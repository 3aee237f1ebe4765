"""Seeded structural mutations of valid scale messages (sales, status, events, payment).

Not random bytes: each payload starts from a message central would accept and breaks it
the way a buggy or hostile client would — wrong types, missing fields, huge or negative
numbers, NaN/Infinity, deep nesting, invalid UTF-8, lone surrogates, 64 KiB strings,
duplicate keys, oversized padding, truncation. The same seed gives the same payloads,
so a failure can be replayed.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

MiB = 1024 * 1024
_DEEP = "__deep__"


@dataclass(frozen=True, slots=True)
class Fuzzed:
    kind: str  # sales | status | events | payment
    mutation: str
    payload: bytes


_WRONG_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1.5, "", "x", "1", [], [1, "a"], {}, {"a": 1}, "中文", 2**63, -(2**63) - 1,
)  # fmt: skip
_HUGE: tuple[Any, ...] = (10**30, -(10**30), 2**63, 2**64, -(2**63) - 1, 10**19, 9007199254740993)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (dict keys / list indexes) to a value inside ``doc``."""
    out: list[tuple[Any, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


def _get_parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _leaf_paths(doc: Any, want: Callable[[Any], bool]) -> list[tuple[Any, ...]]:
    return [p for p in _paths(doc) if want(_get_parent(doc, p)[p[-1]])]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _set(rng: random.Random, doc: Any, paths: list[tuple[Any, ...]], value: Any) -> bool:
    if not paths:
        return False
    path = rng.choice(paths)
    _get_parent(doc, path)[path[-1]] = value
    return True


class Mutator:
    """``mutate(kind, doc)`` -> one bad payload; pick ops by name or at random."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ops: dict[str, Callable[[dict[str, Any]], bytes | None]] = {
            "wrong_type": self._wrong_type,
            "missing_field": self._missing_field,
            "huge_number": self._huge_number,
            "too_many_digits": self._too_many_digits,
            "negative": self._negative,
            "nan_infinity": self._nan_infinity,
            "deep_nesting": self._deep_nesting,
            "invalid_utf8": self._invalid_utf8,
            "lone_surrogate": self._lone_surrogate,
            "string_64k": self._string_64k,
            "duplicate_keys": self._duplicate_keys,
            "oversized": self._oversized,
            "truncated": self._truncated,
            "wrong_top_level": self._wrong_top_level,
            "random_bytes": self._random_bytes,
            "combined": self._combined,
        }

    def mutate(self, doc: dict[str, Any], op: str | None = None) -> tuple[str, bytes]:
        rng = self.rng
        while True:
            name = op or rng.choice(list(self.ops))
            payload = self.ops[name](copy.deepcopy(doc))
            if payload is not None:
                return name, payload

    # --- structural (the doc is changed, then dumped) ------------------------------------------

    def _dump(self, doc: Any) -> bytes:
        return json.dumps(doc, ensure_ascii=self.rng.random() < 0.5).encode("utf-8", "surrogatepass")

    def _wrong_type(self, doc: dict[str, Any]) -> bytes | None:
        rng = self.rng
        path = rng.choice(_paths(doc))
        old = _get_parent(doc, path)[path[-1]]
        choices = [v for v in _WRONG_VALUES if type(v) is not type(old)]
        _get_parent(doc, path)[path[-1]] = copy.deepcopy(rng.choice(choices))
        return self._dump(doc)

    def _missing_field(self, doc: dict[str, Any]) -> bytes | None:
        paths = [p for p in _paths(doc) if isinstance(_get_parent(doc, p), dict)]
        path = self.rng.choice(paths)
        del _get_parent(doc, path)[path[-1]]
        return self._dump(doc)

    def _huge_number(self, doc: dict[str, Any]) -> bytes | None:
        return self._dump(doc) if _set(self.rng, doc, _leaf_paths(doc, _is_int), self.rng.choice(_HUGE)) else None

    def _too_many_digits(self, doc: dict[str, Any]) -> bytes | None:
        # past Python's 4300-digit int limit json.loads raises ValueError, not JSONDecodeError
        paths = _leaf_paths(doc, _is_int)
        if not _set(self.rng, doc, paths, _DEEP):
            return None
        digits = "9" * self.rng.choice((4301, 5000, 20000))
        return self._dump(doc).replace(f'"{_DEEP}"'.encode(), digits.encode())

    def _negative(self, doc: dict[str, Any]) -> bytes | None:
        paths = _leaf_paths(doc, lambda v: _is_int(v) and v > 0)
        if not paths:
            return None
        path = self.rng.choice(paths)
        parent = _get_parent(doc, path)
        parent[path[-1]] = -parent[path[-1]]
        return self._dump(doc)

    def _nan_infinity(self, doc: dict[str, Any]) -> bytes | None:
        value = self.rng.choice((float("nan"), float("inf"), float("-inf"), 1e308 * 10, -0.0, 1e-320))
        return self._dump(doc) if _set(self.rng, doc, _paths(doc), value) else None

    def _deep_nesting(self, doc: dict[str, Any]) -> bytes | None:
        depth = self.rng.choice((64, 1_000, 5_000, 100_000, 400_000))
        _set(self.rng, doc, _paths(doc), _DEEP)
        opener, closer = self.rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
        return self._dump(doc).replace(f'"{_DEEP}"'.encode(), opener * depth + b"1" + closer * depth)

    def _lone_surrogate(self, doc: dict[str, Any]) -> bytes | None:
        text = self.rng.choice(("\ud800", "a\udfffb", "\udc00" * 3, "\ud83d"))  # no low half
        paths = _leaf_paths(doc, lambda v: isinstance(v, str))
        if not _set(self.rng, doc, paths, text):
            return None
        if self.rng.random() < 0.5:  # as a \u escape
            return json.dumps(doc, ensure_ascii=True).encode()
        return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")  # as raw ED A0 80 bytes

    def _string_64k(self, doc: dict[str, Any]) -> bytes | None:
        text = self.rng.choice(("x" * 65_536, "白菜" * 32_768, "<script>" * 8_192, "\u0000" * 65_536))
        return self._dump(doc) if _set(self.rng, doc, _paths(doc), text) else None

    # --- textual (the valid bytes are broken) ------------------------------------------------------

    def _invalid_utf8(self, doc: dict[str, Any]) -> bytes | None:
        data = self._dump(doc)
        bad = self.rng.choice((b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xf0\x28\x8c\xbc", b"\xc0\xaf", b"\x80"))
        quote = [i for i, b in enumerate(data) if b == ord('"')]
        at = self.rng.choice(quote) + 1
        return data[:at] + bad + data[at:]

    def _duplicate_keys(self, doc: dict[str, Any]) -> bytes | None:
        key = self.rng.choice(list(doc))
        value = self.rng.choice((*_WRONG_VALUES, "620102-999", "sales/1", "status/1"))
        data = self._dump(doc)
        extra = json.dumps({key: value})[1:-1].encode()
        if self.rng.random() < 0.5:
            return b"{" + extra + b"," + data[1:]  # before: the genuine value wins
        return data[:-1] + b"," + extra + b"}"  # after: the forged value wins

    def _oversized(self, doc: dict[str, Any]) -> bytes | None:
        doc["pad"] = "p" * (MiB + self.rng.randrange(1, 64 * 1024))
        return self._dump(doc)

    def _truncated(self, doc: dict[str, Any]) -> bytes | None:
        data = self._dump(doc)
        return data[: self.rng.randrange(0, len(data))]

    def _wrong_top_level(self, doc: dict[str, Any]) -> bytes | None:
        return json.dumps(self.rng.choice(([doc], "sales/1", 42, None, True, [], ""))).encode()

    def _random_bytes(self, doc: dict[str, Any]) -> bytes | None:
        return self.rng.randbytes(self.rng.randrange(0, 2048))

    def _combined(self, doc: dict[str, Any]) -> bytes | None:
        structural = ("wrong_type", "missing_field", "huge_number", "negative", "nan_infinity")
        for name in self.rng.sample(structural, 2):
            payload = self.ops[name](doc)
            if payload is None:
                continue
            try:
                doc = json.loads(payload)
            except ValueError:
                return payload
            if not isinstance(doc, dict):
                return payload
        return self._dump(doc)


def fuzzed(seed: int, count: int, bases: dict[str, list[dict[str, Any]]]) -> Iterator[Fuzzed]:
    """``count`` bad payloads, round-robin over the kinds of ``bases`` (kind -> valid documents)."""
    mutator = Mutator(seed)
    kinds = sorted(bases)
    for n in range(count):
        kind = kinds[n % len(kinds)]
        name, payload = mutator.mutate(mutator.rng.choice(bases[kind]))
        yield Fuzzed(kind, name, payload)
