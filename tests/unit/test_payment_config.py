"""``[payment]`` in edge.toml: the QR buttons, the answer timeout and the static code."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import ConfigError, load_config, parse_config
from edge.core import emvco

STATIC = emvco.MerchantQr("ZHANG JI", "LANZHOU", "5411", network_accounts=(("15", "123456789012345"),)).payload()


def test_defaults_offer_every_qr_method_and_no_static_code() -> None:
    payment = parse_config({}).payment
    assert (payment.methods, payment.answer_timeout_s, payment.static_qr) == (("wechat", "alipay", "unionpay"), 5.0, "")


def test_a_file_sets_the_methods_and_a_valid_static_code(tmp_path: Path) -> None:
    path = tmp_path / "edge.toml"
    path.write_text(
        f'[payment]\nmethods = ["alipay"]\nanswer_timeout_s = 8\nstatic_qr = "{STATIC}"\n', encoding="utf-8"
    )
    payment = load_config(path).payment
    assert (payment.methods, payment.answer_timeout_s, payment.static_qr) == (("alipay",), 8, STATIC)


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"methods": ["wechat", "visa"]}, "[payment].methods: 'visa' is unknown"),
        ({"methods": ["wechat", "wechat"]}, "[payment].methods lists a method twice"),
        ({"methods": "wechat"}, "[payment].methods must be a list of strings"),
        ({"answer_timeout_s": 0}, "[payment].answer_timeout_s must be positive"),
        ({"static_qr": STATIC[:-1] + ("0" if STATIC[-1] != "0" else "1")}, "CRC mismatch"),
        ({"static_qr": "hello"}, "[payment].static_qr is not a valid EMVCo payload"),
    ],
)
def test_bad_values_name_the_key(section: dict, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"payment": section}, "edge.toml")
    assert words in str(err.value) and str(err.value).startswith("edge.toml: ")


def test_a_dynamic_code_is_not_a_static_code() -> None:
    dynamic = emvco.MerchantQr(
        "ZHANG JI", "LANZHOU", "5411", network_accounts=(("15", "123456789012345"),), amount_fen=492
    ).payload()
    with pytest.raises(ConfigError, match="must be a static code"):
        parse_config({"payment": {"static_qr": dynamic}})
