"""Catalog lookup and keystroke search over a generated 20,000-item Chinese catalog."""

from __future__ import annotations

import random

import pytest

from bench.bench_search import generate_plus, generate_sold_counts
from edge.core.catalog import Catalog, normalize_query, search_keys
from edge.core.records import Plu, Pricing
from edge.core.refusals import Refusal

# --- the big catalog -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def plus() -> list[Plu]:
    return generate_plus()


@pytest.fixture(scope="module")
def sold(plus: list[Plu]) -> dict[str, int]:
    return generate_sold_counts(plus)


@pytest.fixture(scope="module")
def big(plus: list[Plu], sold: dict[str, int]) -> Catalog:
    return Catalog(plus, sold)


def names(items: list[Plu]) -> list[str]:
    return [p.name for p in items]


Row = tuple[Plu, str, str, str, str]


def reference_rows(catalog: Catalog, sold: dict[str, int]) -> list[Row]:
    """Items best-selling first, then by PLU number, with the keys each tier looks at.

    Keys are joined as "\nkey1\nkey2\n", so ``"\n" + q`` in it means "a key starts with q".
    """
    rows = []
    for p in sorted(catalog.items, key=lambda p: (-sold.get(p.plu, 0), int(p.plu))):
        k = catalog.search_keys(p.plu)
        main = "\n" + "\n".join((p.plu, k.name, k.full, k.initials)) + "\n"
        alternates = "\n" + "\n".join(k.alternates) + "\n"
        texts = "\n".join((k.name, k.full, k.initials))  # no PLU: it is matched by prefix only
        rows.append((p, main, alternates, texts, alternates))
    return rows


def reference_search(rows: list[Row], query: str, limit: int) -> list[Plu]:
    """The ranking rules written the slow, obvious way: each tier's test over every item in turn."""
    q = normalize_query(query)
    if not q:
        return []
    tiers = (
        [p for p, *_ in rows if p.plu == q],
        [p for p, main, *_ in rows if f"\n{q}\n" in main],
        [p for p, main, *_ in rows if f"\n{q}" in main],
        [p for p, _, alternates, *_ in rows if f"\n{q}" in alternates],
        [p for p, _, _, texts, _ in rows if q in texts],
        [p for p, *_, alternates in rows if q in alternates],
    )
    return list(dict.fromkeys(p for tier in tiers for p in tier))[:limit]


def test_generated_catalog_has_the_expected_goods(big: Catalog) -> None:
    assert len(big) == 20_000
    for name in ("白菜", "大白菜", "小白菜", "五花肉", "猪肉", "苹果", "长豆角"):
        assert any(p.name == name for p in big.items), name


def test_initials_find_the_exact_initials_first(big: Catalog, sold: dict[str, int]) -> None:
    results = big.search("bc")
    exact = [p for p in results if big.search_keys(p.plu).initials == "bc"]
    assert {"白菜", "菠菜"} <= set(names(exact))
    assert results[: len(exact)] == exact  # whole-key matches lead
    assert [sold[p.plu] for p in exact] == sorted((sold[p.plu] for p in exact), reverse=True)


def test_full_pinyin_and_its_prefixes_find_baicai_first(big: Catalog) -> None:
    for query in ("baic", "baica", "baicai"):
        results = big.search(query)
        assert results[0].name == "白菜", query
        assert {"大白菜", "小白菜"} <= set(names(results)), query  # substring matches follow


def test_prefix_matches_rank_above_substring_matches(big: Catalog) -> None:
    results = big.search("baicai", limit=200)
    tiers = [
        0 if big.search_keys(p.plu).full.startswith("baicai") else 1 for p in results
    ]
    assert tiers == sorted(tiers)
    assert 0 in tiers and 1 in tiers


def test_plu_exact_then_plu_prefix(big: Catalog, sold: dict[str, int]) -> None:
    results = big.search("1001")
    assert results[0].plu == "1001" and results[0].name == "白菜"
    assert all(p.plu.startswith("1001") for p in results)
    rest = results[1:]
    assert [(-sold[p.plu], int(p.plu)) for p in rest] == sorted((-sold[p.plu], int(p.plu)) for p in rest)
    ten = big.search("10", limit=50)
    assert all(p.plu.startswith("10") for p in ten)
    assert [(-sold[p.plu], int(p.plu)) for p in ten] == sorted((-sold[p.plu], int(p.plu)) for p in ten)


def test_chinese_name_prefix_then_substring(big: Catalog) -> None:
    results = big.search("菜", limit=100)
    assert all("菜" in p.name for p in results)
    starts = [p.name.startswith("菜") for p in results]
    assert starts == sorted(starts, reverse=True)  # 菜心, 菜花 ... before 白菜, 菠菜 ...
    assert starts[0] and not starts[-1]
    assert big.search("五花肉")[0].name == "五花肉"
    assert big.search("白菜")[0].name == "白菜"


def test_every_prefix_of_wuhuarou_finds_it_first(big: Catalog) -> None:
    for n in range(2, 9):
        assert big.search("wuhuarou"[:n])[0].name == "五花肉", "wuhuarou"[:n]
    assert big.search("whr")[0].name == "五花肉"


def test_polyphonic_characters_match_every_reading(big: Catalog) -> None:
    keys = big.search_keys(next(p.plu for p in big.items if p.name == "长豆角"))
    assert {keys.full, *keys.alternates} >= {"zhangdoujiao", "changdoujiao"}
    assert {keys.initials, *keys.alternates} >= {"zdj", "cdj"}
    for query in ("cdj", "zdj", "changdoujiao", "zhangdou", "changd"):
        assert big.search(query)[0].name == "长豆角", query
    assert {"有机长豆角", "精品长豆角"} <= set(names(big.search("changdou", limit=200)))  # substring, any reading
    assert all("瓜" in p.name for p in big.search("gua"))  # 果 read "guan" ranks after the real 瓜
    assert names(big.search("bocai"))[:2] == ["菠菜", "白菜"]  # 白 read "bo" ranks after the real match


def test_case_spaces_and_full_width_are_ignored(big: Catalog) -> None:
    assert big.search("BAI CAI") == big.search("baicai")
    assert big.search(" b c ") == big.search("bc")
    assert big.search("１００１") == big.search("1001")
    assert big.search("五 花 肉") == big.search("五花肉")


def test_nothing_to_find(big: Catalog) -> None:
    assert big.search("") == []
    assert big.search("   ") == []
    assert big.search("zzzzqqq") == []
    assert big.search("baicai", limit=0) == []
    assert len(big.search("b", limit=7)) == 7


def _queries(big: Catalog) -> list[str]:
    """Every prefix a vendor might type for the base goods, plus PLU prefixes and odd substrings."""
    rng = random.Random(5)
    base = [p for p in big.items if p.hotkey is not None]
    queries: set[str] = set()
    for p in rng.sample(base, 25):
        keys = big.search_keys(p.plu)
        for key in (keys.full, keys.initials, p.name, *keys.alternates[:1]):
            queries.update(key[:n] for n in range(1, len(key) + 1))
        middle = keys.full[1:4]
        queries.add(middle)
    queries.update(["1", "10", "100", "1001", "2", "20000", "199", "3h", "hao", "aic", "guo", "号", "10号", "果"])
    return sorted(queries)


def test_search_agrees_with_the_reference_ranking(big: Catalog, sold: dict[str, int]) -> None:
    rows = reference_rows(big, sold)
    queries = _queries(big)
    assert len(queries) > 200
    for query in queries:
        expected = reference_search(rows, query, 60)
        assert big.search(query, 60) == expected, query
        assert big.search(query) == expected[:20], query


def test_long_prefix_ranges_are_ranked_like_short_ones(sold: dict[str, int]) -> None:
    # 3000 items share a 5-letter prefix: more than the sort limit, so search walks rank order.
    items = [Plu(str(5000 + i), f"西瓜西瓜{i}号", "0", Pricing.WEIGHT, 100) for i in range(3000)]
    counts = {p.plu: (i * 7919) % 97 for i, p in enumerate(items)}
    catalog = Catalog(items, counts)
    rows = reference_rows(catalog, counts)
    for query in ("xiguaxigua", "xgxg", "xigua", "xiguaxiguax", "西瓜西瓜"):
        assert catalog.search(query, 30) == reference_search(rows, query, 30), query


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("白菜", "baicai", "bc"),
        ("五花肉", "wuhuarou", "whr"),
        ("绿豆", "lvdou", "ld"),  # ü is typed as v
        ("重庆小面", "chongqingxiaomian", "cqxm"),  # phrase-aware main reading
        ("白菜3号", "baicai3hao", "bc3h"),  # digits stay whole
        ("A级 苹果（一级）", "ajipingguoyiji", "ajpgyj"),  # Latin, spaces, full-width brackets
    ],
)
def test_search_keys(name: str, full: str, initials: str) -> None:
    keys = search_keys(name)
    assert (keys.full, keys.initials) == (full, initials)


def test_alternate_readings_are_bounded() -> None:
    keys = search_keys("长行重单长行重单")  # every character polyphonic: thousands of combinations
    assert len(keys.full) > 8 and len(keys.initials) == 8
    assert 0 < len(keys.alternates) < 60  # main reading plus single substitutions only


# --- lookup, hotkeys, categories -------------------------------------------------------------


def small_catalog(sold: dict[str, int] | None = None) -> Catalog:
    return Catalog(
        [
            Plu("1002", "菠菜", "6901", Pricing.WEIGHT, 600, category="蔬菜", hotkey=2),
            Plu("1001", "白菜", "6900", Pricing.WEIGHT, 398, category="蔬菜", hotkey=1),
            Plu("2001", "五花肉", "6902", Pricing.WEIGHT, 2800, category="肉类", hotkey=9),
            Plu("3001", "鸡蛋", "6903", Pricing.PIECE, 80, category="蛋类"),
            Plu("4001", "绿豆", "6904", Pricing.WEIGHT, 900),
        ],
        sold,
    )


def test_lookup_by_plu() -> None:
    catalog = small_catalog()
    assert catalog.get("1001").name == "白菜"
    assert catalog.get(" 1001 ").name == "白菜"
    assert catalog.get("9999") is None
    assert "1001" in catalog and "9999" not in catalog
    assert [p.plu for p in catalog.items] == ["1001", "1002", "2001", "3001", "4001"]
    refusal = catalog.require("9999")
    assert isinstance(refusal, Refusal) and refusal.code == "unknown_plu"
    assert "9999" in refusal.text("zh") and "9999" in refusal.text("en")
    assert catalog.require("1002").name == "菠菜"


def test_hotkey_grid_pages() -> None:
    catalog = small_catalog()
    assert catalog.by_hotkey(1).name == "白菜"
    assert catalog.by_hotkey(3) is None
    assert catalog.hotkey_page_count(4) == 3
    assert catalog.hotkey_page_count(9) == 1
    assert names([p for p in catalog.hotkey_page(0, 4) if p]) == ["白菜", "菠菜"]
    assert catalog.hotkey_page(0, 4)[2:] == (None, None)
    assert catalog.hotkey_page(1, 4) == (None, None, None, None)
    assert catalog.hotkey_page(2, 4)[0].name == "五花肉"
    assert catalog.hotkey_page(7, 4) == (None,) * 4
    with pytest.raises(ValueError, match="page size"):
        catalog.hotkey_page(0, 0)
    with pytest.raises(ValueError, match="page must be >= 0"):
        catalog.hotkey_page(-1, 4)


def test_categories_in_plu_order() -> None:
    catalog = small_catalog()
    assert catalog.categories() == ("蔬菜", "肉类", "蛋类")
    assert names(list(catalog.in_category("蔬菜"))) == ["白菜", "菠菜"]
    assert catalog.in_category("水果") == ()


def test_sold_counts_rank_and_can_be_replaced() -> None:
    catalog = small_catalog()
    assert names(catalog.search("bc")) == ["白菜", "菠菜"]  # same sales: PLU order
    reranked = catalog.with_sold_counts({"1002": 5, "1001": 1})
    assert names(reranked.search("bc")) == ["菠菜", "白菜"]
    assert reranked.sold_count("1002") == 5 and reranked.sold_count("4001") == 0
    assert names(catalog.search("bc")) == ["白菜", "菠菜"]  # the original is unchanged
    assert names(catalog.search("lvdou")) == ["绿豆"]
    assert names(catalog.search("lüdou")) == ["绿豆"]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([Plu("1", "a", "", Pricing.WEIGHT, 1), Plu("1", "b", "", Pricing.WEIGHT, 1)], "PLU 1 appears twice"),
        ([Plu("", "a", "", Pricing.WEIGHT, 1)], "empty PLU"),
        ([Plu("1", "a", "", Pricing.WEIGHT, 1, hotkey=0)], "hotkey position must be an integer >= 1"),
        (
            [Plu("1", "a", "", Pricing.WEIGHT, 1, hotkey=3), Plu("2", "b", "", Pricing.WEIGHT, 1, hotkey=3)],
            "hotkey 3 is given to both PLU 1 and PLU 2",
        ),
    ],
)
def test_bad_catalogs_are_rejected(items: list[Plu], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Catalog(items)


def test_negative_sold_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        small_catalog({"1001": -1})
