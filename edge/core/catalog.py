"""The scale's catalog of PLUs: lookup by PLU and hotkey, categories, and keystroke search.

Search matches, case- and space-insensitively:

* the PLU number (exact, or as a prefix: ``10`` -> 1001, 1002, ...);
* the Chinese name (prefix or substring: ``菜`` -> 白菜, 菜心, ...);
* full pinyin (``baicai``, and prefixes such as ``baic``) and pinyin initials (``bc``).

Ranking (lower tier first; inside a tier the most sold first, then PLU order):

0. the exact PLU;
1. a whole key equal to the query (name, full pinyin or initials: ``bc`` -> 白菜, 菠菜);
2. a key starting with the query (PLU, name, full pinyin, initials);
3. the same through another reading of a polyphonic character (see below);
4. the query anywhere inside the name, full pinyin or initials (``cai`` -> 大白菜);
5. the same through another reading (``changdou`` -> 有机长豆角).

Tiers 1-3 are the brief's "prefix" rank and 4-5 its "substring" rank, split so the
obvious hit comes first.

Polyphonic characters (多音字): the main reading is pypinyin's phrase-aware one
(``lazy_pinyin``). Every other reading pypinyin lists for a character is indexed too
(长 -> zhang and chang, so both ``cdj`` and ``zdj`` find 长豆角), with up to
:data:`MAX_READING_VARIANTS` combinations per name (beyond that: the main reading plus each
single-character substitution). Matches through those alternative readings rank below
the main ones (tiers 3 and 5), because pypinyin's lists include rare literary readings
(白 bo, 果 guan, 葱 chuang) that would otherwise put 白菜 beside 菠菜 for ``bocai`` and
芒果 among the 瓜 for ``gua``.
``ü`` is written ``v`` (绿豆 = ``lvdou``), as on Chinese keyboards.

Speed: pinyin is computed once per item when the catalog is built (about 70 us per name
with pypinyin), never per keystroke. A query then costs a few dictionary lookups and
bisections: prefix postings for keys of up to :data:`_POSTED_PREFIX_LEN` characters,
bisection over sorted keys for longer prefixes, and n-gram postings (verified with ``in``)
for substrings. Every posting list is in rank order, so a search stops as soon as it has
``limit`` results.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import add

from edge.core.records import Plu
from edge.core.refusals import Refusal

MAX_READING_VARIANTS = 8
DEFAULT_SEARCH_LIMIT = 20

_POSTED_PREFIX_LEN = 3  # prefixes up to this length have ready posting lists (see _prefixes)
_SORT_RANGE_LIMIT = 2048  # a longer key range is scanned in rank order instead of sorted
_PREFIX_SLICES = tuple(slice(0, n) for n in range(1, _POSTED_PREFIX_LEN + 1))
_MAX_GRAM = 3  # substring postings for 1-, 2- and 3-character grams (_grams spells out the 3)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NOT_PINYIN = re.compile(r"[^a-z0-9]")
_KEY_TOP = "\U0010ffff"  # sorts after any character a key can continue with


def unknown_plu(plu: str) -> Refusal:
    return Refusal(
        code="unknown_plu",
        zh=f"商品编号 {plu} 不存在，请核对编号，或联系市场管理员更新商品目录",
        en=f"There is no item with PLU {plu}; check the number, or ask the market office to update the catalog.",
    )


def normalize_query(text: str) -> str:
    """What search compares: NFKC (full-width -> ASCII), case-folded, no spaces or control characters."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ü", "v")
    return "".join(c for c in folded if c.isprintable() and not c.isspace())


@dataclass(frozen=True, slots=True)
class SearchKeys:
    """The precomputed search keys of one item (all already normalized)."""

    name: str  # 白菜
    full: str  # main reading: baicai
    initials: str  # bc
    alternates: tuple[str, ...] = ()  # other readings, full and initials: chang..., c...

    def to_json(self) -> list[object]:
        return [self.name, self.full, self.initials, list(self.alternates)]

    @classmethod
    def from_json(cls, data: object) -> SearchKeys:
        """From :meth:`to_json`; raises ValueError on anything else (a damaged cache)."""
        if not (isinstance(data, list) and len(data) == 4 and all(isinstance(v, str) for v in data[:3])):
            raise ValueError(f"not stored search keys: {data!r}")
        if not (isinstance(data[3], list) and all(isinstance(v, str) for v in data[3])):
            raise ValueError(f"not stored search keys: {data!r}")
        return cls(data[0], data[1], data[2], tuple(data[3]))


def search_keys(name: str) -> SearchKeys:
    """Compute the search keys for a name (the slow part: pypinyin)."""
    normalized = normalize_query(name)
    full_options: list[tuple[str, ...]] = []  # per character: main reading first, then the others
    initial_options: list[tuple[str, ...]] = []
    for run in _RUNS.findall(normalized):
        if _HAN.match(run):
            for char, main in zip(run, _main_readings(run), strict=True):
                readings = tuple(r for r in dict.fromkeys((main, *_char_readings(char))) if r)
                if not readings:
                    continue  # a character pypinyin does not know: only its name key finds it
                full_options.append(readings)
                initial_options.append(tuple(dict.fromkeys(r[0] for r in readings)))
        elif cleaned := _NOT_PINYIN.sub("", run):
            # Digits and Latin letters stay whole in both keys: 白菜3号 -> baicai3hao, bc3h.
            full_options.append((cleaned,))
            initial_options.append((cleaned,))
    full_variants, initial_variants = _variants(full_options), _variants(initial_options)
    full, initials = full_variants[0], initial_variants[0]
    others = (k for k in (*full_variants[1:], *initial_variants[1:]) if k not in (full, initials))
    return SearchKeys(name=normalized, full=full, initials=initials, alternates=tuple(dict.fromkeys(others)))


@functools.lru_cache(maxsize=65_536)
def _main_readings(han_run: str) -> tuple[str, ...]:
    """pypinyin's phrase-aware reading of a run of Han characters, one per character.

    Cached per run: names such as 精品白菜1号/2号/... share their runs, and phrases never
    span a digit or a Latin letter, so this equals converting the whole name.
    """
    from pypinyin import Style, lazy_pinyin  # imported only when keys are computed: ~80 MB of dictionaries

    readings = [_NOT_PINYIN.sub("", r) for r in lazy_pinyin(han_run, style=Style.NORMAL, v_to_u=False)]
    if len(readings) != len(han_run) or not all(readings):
        # Unexpected split (a character pypinyin does not know): fall back to one per character.
        readings = [(_char_readings(char) or ("",))[0] for char in han_run]
    return tuple(readings)


@functools.cache
def _char_readings(char: str) -> tuple[str, ...]:
    """Every reading pypinyin lists for one character (toneless, ü as v)."""
    from pypinyin import Style, pinyin

    readings = (_NOT_PINYIN.sub("", r) for r in pinyin(char, style=Style.NORMAL, heteronym=True, v_to_u=False)[0])
    return tuple(dict.fromkeys(r for r in readings if r))


def _variants(options: Sequence[tuple[str, ...]]) -> list[str]:
    """Joined readings, main first: all combinations if few, else single substitutions."""
    main = "".join(opts[0] for opts in options)
    count = 1
    for opts in options:
        count *= len(opts)
    if count <= MAX_READING_VARIANTS:
        combos = ("".join(combo) for combo in itertools.product(*options))
    else:
        combos = (
            "".join(options[j][0] if j != i else alt for j in range(len(options)))
            for i, opts in enumerate(options)
            for alt in opts[1:]
        )
    return list(dict.fromkeys((main, *combos)))


# --- index structures ----------------------------------------------------------------------


class _PrefixIndex:
    """Items (as ranks) with a key starting with, or equal to, a query; best rank first."""

    def __init__(self, keys_by_rank: Sequence[Sequence[str]]) -> None:
        pairs = sorted({(key, rank) for rank, keys in enumerate(keys_by_rank) for key in keys if key})
        self._keys = [key for key, _ in pairs]
        self._ranks = [rank for _, rank in pairs]
        self._texts = ["\n" + "\n".join(keys) for keys in keys_by_rank]  # for the rank-order scan
        self._postings = _postings(keys_by_rank, _prefixes)

    def exact(self, query: str) -> list[int]:
        lo, hi = bisect_left(self._keys, query), bisect_right(self._keys, query)
        return sorted(set(self._ranks[lo:hi]))

    def prefixed(self, query: str) -> Iterable[int]:
        if len(query) <= _POSTED_PREFIX_LEN:
            return self._postings.get(query, ())
        lo, hi = bisect_left(self._keys, query), bisect_left(self._keys, query + _KEY_TOP)
        if hi - lo <= _SORT_RANGE_LIMIT:
            return sorted(set(self._ranks[lo:hi]))
        # Many matches: walking the items in rank order finds the best ones quickly.
        needle = "\n" + query
        return (rank for rank, text in enumerate(self._texts) if needle in text)


class _SubstringIndex:
    """Items (as ranks) with the query anywhere in one of their keys; best rank first."""

    def __init__(self, keys_by_rank: Sequence[Sequence[str]]) -> None:
        self._texts = ["\n".join(keys) for keys in keys_by_rank]
        self._postings = _postings(keys_by_rank, _grams)

    def containing(self, query: str) -> Iterable[int]:
        if len(query) <= _MAX_GRAM:
            return self._postings.get(query, ())
        # Candidates from the query's rarest gram, then checked against the whole query.
        grams = (query[i : i + _MAX_GRAM] for i in range(len(query) - _MAX_GRAM + 1))
        candidates = min((self._postings.get(gram, ()) for gram in grams), key=len)
        texts = self._texts
        return (rank for rank in candidates if query in texts[rank])


def _grams(key: str) -> Iterable[str]:
    """Every substring of ``key`` of 1 to 3 characters (``_MAX_GRAM``); map/zip keep it in C."""
    return itertools.chain(key, map(add, key, key[1:]), map(add, map(add, key, key[1:]), key[2:]))


def _prefixes(key: str) -> Iterable[str]:
    """``key[:1]`` .. ``key[:_POSTED_PREFIX_LEN]`` (a short key repeats itself: harmless in a set)."""
    return map(key.__getitem__, _PREFIX_SLICES)


def _postings(
    keys_by_rank: Sequence[Sequence[str]], parts: Callable[[str], Iterable[str]]
) -> dict[str, tuple[int, ...]]:
    """part -> ranks of the items with a key having that part, ascending (ranks are visited in order)."""
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for rank, keys in enumerate(keys_by_rank):
        seen: set[str] = set()
        for key in keys:
            seen.update(parts(key))
        for part in seen:
            postings[part].append(rank)
    return {part: tuple(ranks) for part, ranks in postings.items()}


@dataclass(frozen=True, slots=True)
class _Indexes:
    by_rank: tuple[Plu, ...]  # items, best-selling first, then PLU order
    rank_of_plu: dict[str, int]
    main: _PrefixIndex  # PLU, name, full pinyin, initials
    alternates: _PrefixIndex  # other readings of polyphonic characters
    substrings: _SubstringIndex  # name, full pinyin, initials
    alternate_substrings: _SubstringIndex  # other readings


def _plu_order(plu: str) -> tuple[int, int, str]:
    """PLU order: numeric for digit PLUs (2 before 10), text after them for anything else."""
    return (0, int(plu), plu) if plu.isascii() and plu.isdigit() else (1, 0, plu)


def _build_indexes(items: Sequence[Plu], keys: Mapping[str, SearchKeys], sold: Mapping[str, int]) -> _Indexes:
    by_rank = tuple(sorted(items, key=lambda p: (-sold.get(p.plu, 0), _plu_order(p.plu))))
    key_rows = [keys[p.plu] for p in by_rank]
    return _Indexes(
        by_rank=by_rank,
        rank_of_plu={p.plu: rank for rank, p in enumerate(by_rank)},
        main=_PrefixIndex([(p.plu, k.name, k.full, k.initials) for p, k in zip(by_rank, key_rows, strict=True)]),
        alternates=_PrefixIndex([k.alternates for k in key_rows]),
        substrings=_SubstringIndex([(k.name, k.full, k.initials) for k in key_rows]),
        alternate_substrings=_SubstringIndex([k.alternates for k in key_rows]),
    )


# --- the catalog ---------------------------------------------------------------------------


class Catalog:
    """An immutable catalog. Build once per catalog version; search it on every keystroke.

    ``sold_counts`` (PLU -> units sold, e.g. over the last weeks) ranks search results;
    :meth:`with_sold_counts` re-ranks without recomputing pinyin.
    Hotkey positions are 1-based: page 0 of the grid shows positions 1..page_size.
    """

    def __init__(
        self,
        plus: Iterable[Plu],
        sold_counts: Mapping[str, int] | None = None,
        known_keys: Mapping[str, SearchKeys] | None = None,
    ) -> None:
        """``known_keys`` (name -> keys, e.g. kept in the store) spare computing pinyin again;
        names missing from it are computed, and :attr:`keys_by_name` has them all."""
        items = tuple(sorted(plus, key=lambda p: _plu_order(p.plu)))
        self._check_items(items)
        known = known_keys or {}
        self._init(items, {p.plu: known.get(p.name) or search_keys(p.name) for p in items}, sold_counts or {})

    @property
    def keys_by_name(self) -> dict[str, SearchKeys]:
        """Every item's search keys by its name, to keep for the next start."""
        return {item.name: self._keys[item.plu] for item in self._items}

    def _init(self, items: tuple[Plu, ...], keys: dict[str, SearchKeys], sold: Mapping[str, int]) -> None:
        for plu, count in sold.items():
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise ValueError(f"sold count for PLU {plu} must be a non-negative integer, got {count!r}")
        self._items = items
        self._keys = keys
        self._sold = dict(sold)
        self._by_plu = {p.plu: p for p in items}
        self._by_hotkey = {p.hotkey: p for p in items if p.hotkey is not None}
        self._indexes = _build_indexes(items, keys, self._sold)

    @staticmethod
    def _check_items(items: Sequence[Plu]) -> None:
        seen_plu: set[str] = set()
        seen_hotkey: dict[int, str] = {}
        for item in items:
            if not item.plu or not item.plu.strip():
                raise ValueError(f"catalog item {item.name!r} has an empty PLU")
            if item.plu in seen_plu:
                raise ValueError(f"PLU {item.plu} appears twice in the catalog")
            seen_plu.add(item.plu)
            if item.hotkey is not None:
                if not isinstance(item.hotkey, int) or isinstance(item.hotkey, bool) or item.hotkey < 1:
                    raise ValueError(f"PLU {item.plu}: hotkey position must be an integer >= 1, got {item.hotkey!r}")
                if item.hotkey in seen_hotkey:
                    raise ValueError(
                        f"hotkey {item.hotkey} is given to both PLU {seen_hotkey[item.hotkey]} and PLU {item.plu}"
                    )
                seen_hotkey[item.hotkey] = item.plu

    def with_sold_counts(self, sold_counts: Mapping[str, int]) -> Catalog:
        """The same items ranked by new sales counts (pinyin is reused, only indexes rebuild)."""
        clone = Catalog.__new__(Catalog)
        clone._init(self._items, self._keys, sold_counts)
        return clone

    # --- lookup --------------------------------------------------------------------------

    @property
    def items(self) -> tuple[Plu, ...]:
        """Every item in PLU order."""
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, plu: object) -> bool:
        return plu in self._by_plu

    def get(self, plu: str) -> Plu | None:
        return self._by_plu.get(plu.strip())

    def require(self, plu: str) -> Plu | Refusal:
        """The item, or a refusal naming the unknown PLU (for typed PLUs)."""
        item = self.get(plu)
        return item if item is not None else unknown_plu(plu.strip())

    def sold_count(self, plu: str) -> int:
        return self._sold.get(plu, 0)

    def search_keys(self, plu: str) -> SearchKeys:
        """The precomputed keys of an item (for tests and the technician screen)."""
        return self._keys[plu]

    # --- hotkeys and categories ------------------------------------------------------------

    def by_hotkey(self, position: int) -> Plu | None:
        return self._by_hotkey.get(position)

    def hotkey_page_count(self, page_size: int) -> int:
        """Pages needed to show every hotkey position (at least one page)."""
        _check_page_size(page_size)
        highest = max(self._by_hotkey, default=0)
        return max(1, -(-highest // page_size))

    def hotkey_page(self, page: int, page_size: int) -> tuple[Plu | None, ...]:
        """The grid cells of ``page`` (0-based): position ``page * page_size + i + 1`` in cell ``i``."""
        _check_page_size(page_size)
        if page < 0:
            raise ValueError(f"hotkey page must be >= 0, got {page}")
        first = page * page_size + 1
        return tuple(self._by_hotkey.get(position) for position in range(first, first + page_size))

    def categories(self) -> tuple[str, ...]:
        """Non-empty categories, in the order their first item appears in PLU order."""
        return tuple(dict.fromkeys(p.category for p in self._items if p.category))

    def in_category(self, category: str) -> tuple[Plu, ...]:
        return tuple(p for p in self._items if p.category == category)

    # --- search --------------------------------------------------------------------------

    def search(self, query: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Plu]:
        """Items matching ``query`` (PLU, name, pinyin, initials), best first, at most ``limit``."""
        q = normalize_query(query)
        if not q or limit <= 0:
            return []
        ix = self._indexes
        tiers: tuple[Callable[[str], Iterable[int]], ...] = (
            lambda q: (ix.rank_of_plu[q],) if q in ix.rank_of_plu else (),
            ix.main.exact,
            ix.main.prefixed,
            ix.alternates.prefixed,
            ix.substrings.containing,
            ix.alternate_substrings.containing,
        )
        found: dict[int, None] = {}  # insertion-ordered set of ranks
        for tier in tiers:  # called lazily: most keystrokes are answered by the first tiers
            for rank in tier(q):
                if rank not in found:
                    found[rank] = None
                    if len(found) >= limit:
                        return [ix.by_rank[r] for r in found]
        return [ix.by_rank[r] for r in found]


def _check_page_size(page_size: int) -> None:
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise ValueError(f"hotkey page size must be a positive integer, got {page_size!r}")

