"""[scale].intervals in edge.toml: loading, errors, `edge configure` and the technician screen."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from edge.config import ConfigError, load_config, parse_config
from edge.core.metrology import ScaleConfig
from edge.store import Store
from edge.technician import configure
from edge.technician.configure import ConfigureError
from edge.ui.model.technician import TechnicianModel

SCALE = """\
[scale]
port = "/dev/ttyUSB0"
protocol = "mt-sics"
{body}

[store]
path = "edge.db"
"""


def scale_of(body: str):  # type: ignore[no-untyped-def]
    return parse_config(tomllib.loads(SCALE.format(body=body))).scale


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("intervals = [[6000, 2], [15000, 5]]", ScaleConfig.with_ranges([(6000, 2), (15000, 5)]), id="mi"),
        pytest.param(
            'intervals = [[6000, 2], [15000, 5]]\nrange_mode = "multiple-range"',
            ScaleConfig.with_ranges([(6000, 2), (15000, 5)], "multiple-range"),
            id="mr",
        ),
        pytest.param(
            "max_g = 15000\ne_g = 2\nintervals = [[6000, 2], [15000, 5]]",
            ScaleConfig.with_ranges([(6000, 2), (15000, 5)]),
            id="consistent-max-e-kept",
        ),
        pytest.param("max_g = 15000\ne_g = 5", ScaleConfig(15000, 5), id="single-unchanged"),
        pytest.param("max_g = 15000\ne_g = 5\nintervals = []", ScaleConfig(15000, 5), id="empty-is-single"),
    ],
)
def test_scale_section_gives_the_metrology(body: str, expected: ScaleConfig) -> None:
    scale = scale_of(body)
    assert scale.metrology() == expected
    assert (scale.max_g, scale.e_g) == (expected.max_g, expected.e_g)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param("max_g = 15000\ne_g = 5\nintervals = [[6000, 2], [15000, 5]]", "disagree", id="e-not-e1"),
        pytest.param("intervals = [[6000, 2], [15000]]", "pairs in grams", id="short-pair"),
        pytest.param('intervals = [[6000, "2"]]', "pairs in grams", id="string-e"),
        pytest.param("intervals = [6000, 2]", "pairs in grams", id="flat-list"),
        pytest.param("intervals = [[6000, 5], [15000, 2]]", "grow", id="e-decreasing"),
        pytest.param('intervals = [[6000, 2], [15000, 5]]\nrange_mode = "auto"', "range_mode", id="bad-mode"),
    ],
)
def test_bad_intervals_are_refused_clearly(body: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment) as caught:
        scale_of(body)
    assert "edge.toml" in str(caught.value)


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "edge.toml"
    path.write_text(SCALE.format(body="max_g = 15000\ne_g = 5"), encoding="utf-8")
    return path


def logged(tmp_path: Path) -> list[dict]:
    with Store.open(tmp_path / "edge.db") as store:
        return [e.data for e in store.events()]


def test_configure_sets_intervals_and_logs_them(conf: Path, tmp_path: Path) -> None:
    wanted = dict(
        [
            configure.parse_assignment("scale.intervals=6000/2, 15000/5"),
            configure.parse_assignment("scale.e_g=2"),
        ]
    )
    p = configure.plan(conf, wanted)
    assert [(c.name, c.legal) for c in p.changes] == [("scale.intervals", True), ("scale.e_g", True)]
    configure.apply(p, now_ms=lambda: 1_795_000_000_000)
    assert "intervals = [[6000, 2], [15000, 5]]" in conf.read_text(encoding="utf-8")
    assert load_config(conf).scale.metrology() == ScaleConfig.with_ranges([(6000, 2), (15000, 5)])
    assert logged(tmp_path)[0] == {
        "key": "scale.intervals",
        "old": [],
        "new": [[6000, 2], [15000, 5]],
        "by": "configure",
    }


@pytest.mark.parametrize(
    ("assignment", "fragment"),
    [
        pytest.param("scale.intervals=6000:2", "6000/2, 15000/5", id="wrong-separator"),
        pytest.param("scale.intervals=6000/2, 15000/5", "disagree", id="e_g-left-at-5"),
    ],
)
def test_configure_refuses_bad_intervals(conf: Path, tmp_path: Path, assignment: str, fragment: str) -> None:
    with pytest.raises(ConfigureError, match=fragment):
        configure.plan(conf, dict([configure.parse_assignment(assignment)]))
    assert "intervals" not in conf.read_text(encoding="utf-8")


def test_technician_screen_edits_intervals_as_a_legal_field(conf: Path, tmp_path: Path) -> None:
    with Store.open(tmp_path / "edge.db") as store:
        model = TechnicianModel(conf, load_config(conf), store, clock_ms=lambda: 1_795_000_000_000)
        assert model.unlock("0000")
        field = {f.name: f for f in model.view().fields}["scale.intervals"]
        assert (field.value, field.legal) == ("", True)
        assert model.set_field("scale.intervals", "6000/2 15000/5") != ""  # no comma: refused with a hint
        assert model.set_field("scale.intervals", "6000/2, 15000/5") == ""
        assert model.set_field("scale.e_g", "2") == ""
        result = model.apply()
        assert result.ok, result.message
        assert len(result.logged) == 2
        assert model.current_value("scale.intervals") == "6000/2, 15000/5"
    assert load_config(conf).scale.intervals == ((6000, 2), (15000, 5))
    assert {"key": "scale.intervals", "old": [], "new": [[6000, 2], [15000, 5]]} in logged(tmp_path)


@pytest.mark.parametrize(
    ("mode", "loads", "weight_text", "amount_text", "range_no"),
    [
        # 白菜 3.98 元/kg. Multi-interval: 7.233 kg -> 7.235 (e2 = 5 g) -> 28.7953 -> 28.80 元.
        pytest.param("multi-interval", [7_233], "7.235", "28.80", 0, id="mi-r2"),
        pytest.param("multi-interval", [7_233, 1_233], "1.234", "4.91", 0, id="mi-back-to-e1"),
        # Multiple-range: latched in range 2 after 7.2 kg, so 1.233 kg shows 1.235 (4.92 元).
        pytest.param("multiple-range", [7_233, 1_233], "1.235", "4.92", 2, id="mr-latched"),
        pytest.param("multiple-range", [7_233, 0, 1_233], "1.234", "4.91", 1, id="mr-unloaded"),
    ],
)
def test_merchant_screen_and_price_follow_the_interval(
    tmp_path: Path, mode: str, loads: list[int], weight_text: str, amount_text: str, range_no: int
) -> None:
    from tests.unit.ui_model_support import Rig

    rig = Rig(tmp_path, scale={"intervals": [[6000, 2], [15000, 5]], "range_mode": mode})
    try:
        rig.power_on()
        for grams in loads:
            rig.weigh(grams)
        rig.model.select_plu("1001")
        m, c = rig.model.snapshot()
        assert (m.weight.weight_text, m.weight.range_no) == (weight_text, range_no)
        assert m.item is not None and m.item.amount_text == amount_text
        assert (c.weight_text, c.amount_text, c.range_no) == (weight_text, amount_text, range_no)  # the same
    finally:
        rig.close()
