"""Keystroke search on a 20,000-PLU catalog: the index against two naive scans.

    python bench/bench_search.py

prints a markdown table (p50/p99 per keystroke, target p99 <= 1 ms); ``run()`` returns
the rows as dicts for a combined report. ``generate_plus()`` builds the deterministic
catalog the unit tests use too.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.core.catalog import Catalog, normalize_query
from edge.core.records import Plu, Pricing

CATALOG_SIZE = 20_000
TARGET_P99_MS = 1.0


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# (category, pricing, words): real market goods; the first rows get the low PLUs.
GOODS: tuple[tuple[str, Pricing, tuple[str, ...]], ...] = (
    ("蔬菜", Pricing.WEIGHT, _words(
        "白菜 大白菜 小白菜 菠菜 芹菜 韭菜 生菜 油菜 菜心 菜花 西兰花 卷心菜 紫甘蓝 空心菜 茼蒿 香菜 "
        "芥菜 荠菜 苋菜 莴笋 土豆 红薯 山药 芋头 萝卜 白萝卜 胡萝卜 洋葱 大葱 小葱 生姜 大蒜 蒜苗 "
        "西红柿 番茄 黄瓜 茄子 长茄子 青椒 尖椒 彩椒 冬瓜 南瓜 丝瓜 苦瓜 西葫芦 豆角 长豆角 四季豆 "
        "荷兰豆 毛豆 蚕豆 豌豆 莲藕 竹笋 春笋 香菇 平菇 金针菇 杏鲍菇 木耳 银耳 芦笋 秋葵 薄荷"
    )),
    ("肉类", Pricing.WEIGHT, _words(
        "猪肉 五花肉 瘦肉 前腿肉 后腿肉 里脊 排骨 猪蹄 猪肝 猪肚 牛肉 牛腩 牛腱子 牛排 羊肉 羊排 羊腿 "
        "鸡肉 鸡腿 鸡翅 鸡胸肉 鸭肉 鸭腿 鹅肉 腊肉 香肠"
    )),
    ("水产", Pricing.WEIGHT, _words(
        "草鱼 鲤鱼 鲫鱼 鲢鱼 黑鱼 鲈鱼 带鱼 黄花鱼 鱿鱼 虾仁 基围虾 小龙虾 螃蟹 扇贝 蛤蜊 海带 紫菜"
    )),
    ("水果", Pricing.WEIGHT, _words(
        "苹果 红富士苹果 梨 香梨 香蕉 橘子 橙子 柚子 葡萄 提子 草莓 蓝莓 樱桃 桃子 油桃 李子 杏 西瓜 "
        "哈密瓜 甜瓜 芒果 荔枝 龙眼 猕猴桃 石榴 柿子 山楂 红枣 和田枣 核桃"
    )),
    ("蛋禽豆品", Pricing.PIECE, _words("鸡蛋 鸭蛋 鹌鹑蛋 咸鸭蛋 豆腐 老豆腐 嫩豆腐 豆腐皮 腐竹 玉米 粽子 馒头")),
)
MODIFIERS = ("有机", "精品", "本地", "散装", "特级", "新鲜", "农家", "进口", "冷鲜", "土", "高山", "优选")

# Keystroke sequences a vendor types, one query per keystroke.
KEYSTROKES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pinyin", ("b", "ba", "bai", "baic", "baica", "baicai")),
    ("pinyin", tuple("wuhuarou"[:n] for n in range(1, 9))),
    ("initials", ("w", "wh", "whr")),
    ("initials", ("c", "cd", "cdj")),  # 长豆角 through an alternate reading of 长
    ("plu", ("1", "10", "100", "1001")),
    ("plu", ("2", "20", "200", "2000", "20000")),
    ("name", ("菜",)),
    ("name", ("白", "白菜")),
    ("name", ("五", "五花", "五花肉")),
    ("substring", ("cai", "rou", "gua", "aic")),
    ("alternate reading", ("xq", "changdou")),
    ("no match", ("zzzz", "qqq", "v", "鑫")),
)


def generate_plus(count: int = CATALOG_SIZE) -> list[Plu]:
    """A deterministic catalog of ``count`` PLUs from 1001 up: real goods, then variants.

    Order: every base word, then modifier + word (有机白菜, ...), then numbered variants
    (有机白菜3号, ...). Base words hold hotkeys 1..N.
    """
    rows = [(category, pricing, word) for category, pricing, words in GOODS for word in words]
    names = [(row, row[2]) for row in rows]
    names += [(row, modifier + row[2]) for modifier in MODIFIERS for row in rows]
    number = 1
    while len(names) < count:
        names += [(row, f"{modifier}{row[2]}{number}号") for modifier in MODIFIERS for row in rows]
        number += 1
    rng = random.Random(20_000)
    plus = []
    for index, ((category, pricing, _word), name) in enumerate(names[:count]):
        plu = str(1001 + index)
        price = rng.randrange(150, 12_000) if pricing is Pricing.WEIGHT else rng.randrange(50, 2_000)
        plus.append(
            Plu(
                plu=plu,
                name=name,
                goods_code=f"69{int(plu):011d}",
                pricing=pricing,
                unit_price_fen=price,
                category=category,
                hotkey=index + 1 if index < len(rows) else None,
            )
        )
    return plus


def generate_sold_counts(plus: list[Plu]) -> dict[str, int]:
    """Deterministic sales: base goods sell a lot, variants a little, many not at all."""
    rng = random.Random(7)
    base = {word for _, _, words in GOODS for word in words}
    return {
        p.plu: rng.randrange(200, 2_000) if p.name in base else rng.choice((0, 0, 0, rng.randrange(1, 200)))
        for p in plus
    }


def _percentile(samples_ms: list[float], fraction: float) -> float:
    ordered = sorted(samples_ms)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _time_ms(call: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def _naive_pinyin_scan(plus: list[Plu], query: str) -> list[Plu]:
    """What a scale without an index does: pinyin for every name on every keystroke."""
    from pypinyin import lazy_pinyin

    q = normalize_query(query)
    hits = []
    for p in plus:
        syllables = lazy_pinyin(p.name)
        if q in "".join(syllables) or q in "".join(s[:1] for s in syllables) or q in p.name or p.plu.startswith(q):
            hits.append(p)
    return hits[:20]


def run(repeat: int = 200, naive_queries: int = 3) -> list[dict]:
    """Measure every keystroke; returns one dict per row of the table."""
    plus = generate_plus()
    sold = generate_sold_counts(plus)
    start = time.perf_counter()
    catalog = Catalog(plus, sold)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    catalog.with_sold_counts(sold)
    rerank_s = time.perf_counter() - start
    initials = [catalog.search_keys(p.plu).initials for p in plus]

    def initials_scan(q: str) -> list[Plu]:
        q = normalize_query(q)
        return [p for p, ini in zip(plus, initials, strict=True) if q in ini][:20]

    rows: list[dict] = []
    listed: list[float] = []
    naive_left = naive_queries
    for kind, sequence in KEYSTROKES:
        for query in sequence:
            indexed = _time_ms(lambda q=query: catalog.search(q), repeat)
            scanned = _time_ms(lambda q=query: initials_scan(q), max(10, repeat // 10))
            naive_ms = None
            if naive_left and kind == "pinyin":
                naive_left -= 1
                naive_ms = _time_ms(lambda q=query: _naive_pinyin_scan(plus, q), 1)[0]
            listed += indexed
            row = _summary_row(query, kind, indexed)
            row.update(
                results=len(catalog.search(query)),
                top="、".join(p.name for p in catalog.search(query, limit=3)),
                initials_scan_p50_ms=_percentile(scanned, 0.50),
                initials_scan_p99_ms=_percentile(scanned, 0.99),
                naive_pinyin_scan_ms=naive_ms,
            )
            rows.append(row)
    rows.append(_summary_row("(all keystrokes above)", "summary", listed))
    sweep = _sweep(catalog, plus)
    base_goods = sum(1 for p in plus if p.hotkey is not None)
    rows.append(_summary_row(f"(every prefix of {base_goods} base goods' keys and PLUs, x5)", "sweep", sweep))
    build = _summary_row("(catalog build)", f"{len(plus)} PLUs: build {build_s:.2f} s, re-rank {rerank_s:.2f} s", [0.0])
    build.update(index_p50_ms=None, index_p99_ms=None, target_p99_ms=None, top="", **{"pass": None})
    rows.append(build)
    return rows


def _sweep(catalog: Catalog, plus: list[Plu], repeat: int = 5) -> list[float]:
    """Every keystroke a vendor could type to reach one of the base goods."""
    queries: set[str] = set()
    for p in plus:
        if p.hotkey is None:
            continue
        keys = catalog.search_keys(p.plu)
        for key in (keys.full, keys.initials, keys.name, p.plu, *keys.alternates):
            queries.update(key[:n] for n in range(1, len(key) + 1))
    samples: list[float] = []
    for query in sorted(queries):
        samples += _time_ms(lambda q=query: catalog.search(q), repeat)
    return samples


def _summary_row(query: str, kind: str, samples: list[float]) -> dict:
    """A table row for ``samples`` (search times in ms) against the p99 target."""
    p99 = _percentile(samples, 0.99)
    return {
        "query": query,
        "kind": kind,
        "results": None,
        "top": f"{len(samples)} searches",
        "index_p50_ms": _percentile(samples, 0.50),
        "index_p99_ms": p99,
        "initials_scan_p50_ms": None,
        "initials_scan_p99_ms": None,
        "naive_pinyin_scan_ms": None,
        "target_p99_ms": TARGET_P99_MS,
        "pass": p99 <= TARGET_P99_MS,
    }


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "pass" if value else "short"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 100 else f"{value:.0f}"
    return str(value)


QUICK = {"repeat": 20, "naive_queries": 1}  # bench/report.py --quick


def figures(rows: list[dict]) -> list:
    """The report's figures (bench/figures.py): p99 per keystroke (anchor: scanning precomputed initials)."""
    from bench.figures import Figure, at_most, reference

    scans = [r["initials_scan_p99_ms"] for r in rows if r["initials_scan_p99_ms"] is not None]
    anchor = (max(scans), "linear scan of precomputed initials, worst query p99") if scans else None
    out = [at_most("search p99, " + ("every listed keystroke" if r["kind"] == "summary" else r["query"].strip("()")),
                   r["index_p99_ms"], "ms", TARGET_P99_MS, anchor=anchor)
           for r in rows if r["kind"] in ("summary", "sweep")]  # fmt: skip
    naive = [r["naive_pinyin_scan_ms"] for r in rows if r["naive_pinyin_scan_ms"] is not None]
    if naive:
        out.append(reference("naive pinyin conversion scan of the catalog, per query", max(naive), "ms"))
    out += [Figure("catalog build", "", r["kind"]) for r in rows if r["query"] == "(catalog build)"]
    return out


def markdown(rows: list[dict]) -> str:
    header = (
        "| query | kind | hits | top 3 | index p50 ms | index p99 ms | initials scan p50 ms | "
        "initials scan p99 ms | naive pinyin scan ms | target p99 ms | result |"
    )
    keys = (
        "query", "kind", "results", "top", "index_p50_ms", "index_p99_ms", "initials_scan_p50_ms",
        "initials_scan_p99_ms", "naive_pinyin_scan_ms", "target_p99_ms", "pass",
    )
    lines = [header, "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_cell(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
