"""The printer simulator's ESC/POS decoder, fed hand-written byte strings from the reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.printer.decoder import EscPosDecoder, StatusRequest
from simulator.printer.document import Align, Document, Feed, InlineImage, QrCode, RasterImage, TextLine, TextRun

ESC, GS, FS, DLE = b"\x1b", b"\x1d", b"\x1c", b"\x10"
INIT = ESC + b"@"
CHINESE_ON, CHINESE_OFF = FS + b"&", FS + b"."
CUT = GS + b"V\x00"
URL = "https://trace.example.cn/t/62010200125110200017"


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def qr_bytes(data: bytes, module: int = 6, ecc: int = 49) -> bytes:
    """GS ( k: model 2, module size, error correction, store (pL pH = len + 3), print."""
    store_len = len(data) + 3
    return (
        GS + b"(k" + bytes([4, 0, 49, 65, 50, 0])
        + GS + b"(k" + bytes([3, 0, 49, 67, module])
        + GS + b"(k" + bytes([3, 0, 49, 69, ecc])
        + GS + b"(k" + bytes([store_len % 256, store_len // 256, 49, 80, 48]) + data
        + GS + b"(k" + bytes([3, 0, 49, 81, 48])
    )  # fmt: skip


def decode(data: bytes, paper_width: int = 384) -> list[Document]:
    events = EscPosDecoder(paper_width).feed(data)
    return [e for e in events if isinstance(e, Document)]


def one_ticket(data: bytes) -> Document:
    docs = decode(data)
    assert len(docs) == 1, docs
    return docs[0]


def text_lines(doc: Document) -> list[TextLine]:
    return [e for e in doc.elements if isinstance(e, TextLine)]


def test_chinese_text_in_chinese_mode() -> None:
    doc = one_ticket(INIT + CHINESE_ON + gb("白菜 1.235kg") + b"\n" + CUT)

    assert doc.text() == "白菜 1.235kg\n"
    assert doc.warnings == []
    assert doc.cut == "full"
    (line,) = text_lines(doc)
    wide, narrow = line.runs
    assert isinstance(wide, TextRun) and isinstance(narrow, TextRun)
    assert (wide.text, wide.style.wide, wide.style.advance) == ("白菜", True, 24)
    assert (narrow.text, narrow.style.wide, narrow.style.advance) == (" 1.235kg", False, 12)
    assert line.width == 2 * 24 + 8 * 12


def test_four_byte_gb18030_and_leaving_chinese_mode() -> None:
    rare = chr(0x20000)  # 𠀀: a 4-byte GB18030 sequence
    assert len(gb(rare)) == 4
    doc = one_ticket(INIT + CHINESE_ON + gb(f"产地{rare}") + CHINESE_OFF + b" ok\n" + CUT)

    assert doc.text() == f"产地{rare} ok\n"
    assert doc.warnings == []


def test_chinese_bytes_without_fs_ampersand_are_warned() -> None:
    doc = one_ticket(INIT + gb("白菜") + b"\n" + CUT)

    assert "白菜" not in doc.text()
    assert len(doc.text().strip()) == 4  # four code page characters, one per byte
    (warning,) = doc.warnings
    assert "FS &" in warning and "白菜" in warning  # says what it would have read


def test_alignment_bold_and_size() -> None:
    doc = one_ticket(
        INIT + ESC + b"a\x01" + ESC + b"E\x01" + GS + b"!\x11" + b"TOTAL\n"
        + ESC + b"a\x02" + ESC + b"E\x00" + GS + b"!\x00" + ESC + b"-\x02" + b"right\n"
        + ESC + b"a\x00" + ESC + b"!\x30" + b"big\n" + CUT
    )  # fmt: skip

    first, second, third = text_lines(doc)
    style = first.runs[0].style
    assert first.align is Align.CENTER
    assert (style.bold, style.width, style.height) == (True, 2, 2)
    assert first.width == 5 * 24 and first.advance >= 48  # double-height line moves the paper further
    assert second.align is Align.RIGHT
    assert (second.runs[0].style.bold, second.runs[0].style.underline) == (False, 2)
    assert third.align is Align.LEFT
    assert (third.runs[0].style.width, third.runs[0].style.height) == (2, 2)
    assert doc.warnings == []


def test_print_mode_font_b_and_kanji_double_size() -> None:
    doc = one_ticket(INIT + CHINESE_ON + ESC + b"!\x01" + b"b" + FS + b"!\x0c" + gb("大") + b"\n" + CUT)

    narrow, wide = text_lines(doc)[0].runs
    assert (narrow.style.font, narrow.style.advance) == ("B", 9)
    assert (wide.style.width, wide.style.height) == (2, 2)


def test_align_in_the_middle_of_a_line_applies_to_the_next_line() -> None:
    doc = one_ticket(INIT + b"left" + ESC + b"a\x01" + b" still\ncentred\n" + CUT)

    first, second = text_lines(doc)
    assert (first.align, second.align) == (Align.LEFT, Align.CENTER)
    assert any("middle of a line" in w for w in doc.warnings)


def test_qr_code_sequence() -> None:
    doc = one_ticket(INIT + ESC + b"a\x01" + qr_bytes(URL.encode(), module=5, ecc=50) + b"\n" + CUT)

    (qr,) = doc.qr_codes
    assert qr == QrCode(URL.encode(), module_size=5, ecc="Q", model=2, align=Align.CENTER)
    assert doc.lines()[0] == f"[QR] {URL}"
    assert doc.warnings == []


def test_qr_print_without_stored_data_warns() -> None:
    doc = one_ticket(INIT + GS + b"(k" + bytes([3, 0, 49, 81, 48]) + b"x\n" + CUT)

    assert doc.qr_codes == []
    assert any("no data stored" in w for w in doc.warnings)


def test_raster_image() -> None:
    rows = bytes([0b10000000, 0b00000001, 0xFF, 0xFF, 0x00, 0x00])  # 16 x 3 dots
    doc = one_ticket(
        INIT + GS + b"v0\x00" + bytes([2, 0, 3, 0]) + rows + GS + b"v0\x03" + bytes([2, 0, 3, 0]) + rows + CUT
    )

    normal, quadruple = doc.images
    assert (normal.width, normal.height) == (16, 3)
    assert normal.bitmap.dot(0, 0) and normal.bitmap.dot(15, 0) and not normal.bitmap.dot(1, 0)
    assert all(normal.bitmap.dot(x, 1) for x in range(16))
    assert not any(normal.bitmap.dot(x, 2) for x in range(16))
    assert (quadruple.width, quadruple.height) == (32, 6)
    assert doc.lines() == ["[IMAGE 16x3]", "[IMAGE 32x6]"]


def test_image_while_text_waits_for_lf_prints_the_text_first() -> None:
    doc = one_ticket(INIT + b"logo:" + GS + b"v0\x00" + bytes([1, 0, 1, 0, 0xFF]) + CUT)

    assert isinstance(doc.elements[0], TextLine) and isinstance(doc.elements[1], RasterImage)
    assert any("waits for LF" in w for w in doc.warnings)


def test_column_bit_image_is_part_of_the_line() -> None:
    columns = bytes([0xFF, 0x00, 0x00] * 4)  # 24-dot double density, 4 columns, top third black
    doc = one_ticket(INIT + ESC + b"*\x21\x04\x00" + columns + b"\n" + CUT)

    (line,) = text_lines(doc)
    (image,) = line.runs
    assert isinstance(image, InlineImage)
    assert (image.width, image.height) == (4, 24)
    assert image.bitmap.dot(3, 7) and not image.bitmap.dot(3, 8)


@pytest.mark.parametrize(
    ("cut", "kind", "feed_dots"),
    [(GS + b"V\x00", "full", 0), (GS + b"V1", "partial", 0), (GS + b"VA\x20", "full", 32), (ESC + b"m", "partial", 0)],
)
def test_cut_ends_the_ticket(cut: bytes, kind: str, feed_dots: int) -> None:
    docs = decode(INIT + b"one\n" + cut + b"two\n" + cut)

    assert [d.text() for d in docs] == ["one\n", "two\n"]
    assert [d.cut for d in docs] == [kind, kind]
    assert bytes(docs[0].raw) == INIT + b"one\n" + cut
    feeds = [e for e in docs[0].elements if isinstance(e, Feed)]
    assert sum(f.dots for f in feeds) == feed_dots


def test_modes_survive_a_cut_but_not_esc_at() -> None:
    decoder = EscPosDecoder()
    decoder.feed(INIT + CHINESE_ON + ESC + b"E\x01" + b"a\n" + CUT)
    (second,) = decoder.feed(gb("菜") + b"\n" + CUT)
    assert second.text() == "菜\n" and text_lines(second)[0].runs[0].style.bold
    (third,) = decoder.feed(INIT + b"plain\n" + CUT)
    assert not text_lines(third)[0].runs[0].style.bold
    assert not decoder.modes.kanji


def test_feeds_become_blank_lines() -> None:
    doc = one_ticket(INIT + b"a\n\n" + ESC + b"d\x03" + b"b" + ESC + b"d\x02" + ESC + b"J\x40" + CUT)

    assert doc.lines() == ["a", "", "", "", "", "b", ""]


def test_unknown_commands_are_skipped_with_a_warning() -> None:
    doc = one_ticket(INIT + ESC + b"\x7e" + b"A" + b"\x07" + b"B\n" + CUT)

    assert doc.text() == "AB\n"  # only ESC 0x7E is skipped: a parameter it might have prints as text
    assert any("unknown command ESC 0x7E" in w for w in doc.warnings)
    assert any("unknown control byte 0x07" in w for w in doc.warnings)


def test_known_unsimulated_commands_are_skipped_whole() -> None:
    doc = one_ticket(INIT + ESC + b"$\x41\x42" + GS + b"L\x43\x44" + b"text\n" + ESC + b"p\x00\x32\x32" + CUT)

    assert doc.text() == "text\n"  # parameters never leak into the text
    assert len(doc.warnings) == 2  # ESC $ and GS L change the layout on paper: said so
    assert all("not simulated" in w for w in doc.warnings)


def test_line_wider_than_the_paper_wraps_with_a_warning() -> None:
    doc = one_ticket(INIT + b"x" * 33 + b"\n" + CUT)
    assert doc.lines() == ["x" * 32, "x"]
    assert any("wider than the paper" in w for w in doc.warnings)

    full_width = one_ticket(INIT + CHINESE_ON + gb("菜" * 16) + b"\n" + CUT)  # 16 x 24 = 384 dots: fits
    assert full_width.warnings == []
    assert len(one_ticket(INIT + b"x" * 48 + b"\n" + CUT).lines()) == 2
    assert decode(INIT + b"x" * 48 + b"\n" + CUT, paper_width=576)[0].warnings == []


def test_tab_moves_to_the_next_eighth_column() -> None:
    doc = one_ticket(INIT + b"ab\tc\n" + CUT)
    assert doc.lines() == ["ab      c"]


def test_esc_at_drops_text_without_lf() -> None:
    doc = one_ticket(INIT + b"lost" + INIT + b"kept\n" + CUT)
    assert doc.text() == "kept\n"
    assert any("'lost'" in w for w in doc.warnings)


def test_code_page_is_recorded() -> None:
    doc = one_ticket(INIT + ESC + b"t\x10" + b"a\n" + CUT)
    assert doc.code_pages == [16]


def test_status_request_is_answered_not_printed() -> None:
    events = EscPosDecoder().feed(DLE + b"\x04\x04" + INIT + b"a\n" + DLE + b"\x04\x01" + CUT)

    assert events[0] == StatusRequest(4)
    assert events[1] == StatusRequest(1)
    assert isinstance(events[2], Document) and events[2].text() == "a\n"


def test_discarding_drops_everything_but_status_requests() -> None:
    decoder = EscPosDecoder()
    decoder.discarding = True
    ticket = INIT + b"lost\n" + CUT
    events = decoder.feed(ticket + DLE + b"\x04\x04")

    assert events == [StatusRequest(4)]
    assert decoder.discarded_bytes == len(ticket)
    decoder.discarding = False
    (doc,) = decoder.feed(INIT + b"printed\n" + CUT)
    assert doc.text() == "printed\n"


def test_bytes_in_any_chunks_decode_the_same() -> None:
    ticket = (
        INIT + CHINESE_ON + ESC + b"a\x01" + GS + b"!\x11" + gb("溯源票") + b"\n" + GS + b"!\x00"
        + gb(f"白菜{chr(0x20000)} 1.235kg ￥3.70") + b"\n" + qr_bytes(URL.encode())
        + GS + b"v0\x00" + bytes([1, 0, 2, 0, 0xAA, 0x55]) + DLE + b"\x04\x04" + CUT
    )  # fmt: skip
    whole = EscPosDecoder().feed(ticket)
    decoder = EscPosDecoder()
    split = [event for i in range(len(ticket)) for event in decoder.feed(ticket[i : i + 1])]

    assert len(whole) == len(split) == 2
    assert split[1].text() == whole[1].text()
    assert split[1].elements == whole[1].elements
    assert split[1].warnings == whole[1].warnings == []


def test_end_of_stream_finishes_an_uncut_ticket() -> None:
    decoder = EscPosDecoder()
    assert decoder.feed(INIT + b"no cut\n" + GS + b"(k\x10") == []
    (doc,) = decoder.end_of_stream()

    assert doc.text() == "no cut\n" and doc.cut is None
    assert any("incomplete command" in w for w in doc.warnings)
    assert any("without a cut" in w for w in doc.warnings)


def test_end_of_stream_after_status_requests_only_prints_nothing() -> None:
    decoder = EscPosDecoder()
    assert decoder.feed(INIT + DLE + b"\x04\x01") == [StatusRequest(1)]
    assert decoder.end_of_stream() == []


# fragments that start commands, plus arbitrary bytes: garbage must never stop the printer
_FRAGMENTS = [
    ESC,
    GS,
    FS,
    DLE,
    GS + b"(k",
    GS + b"v0",
    ESC + b"*",
    GS + b"V",
    GS + b"(L",
    GS + b"8L",
    GS + b"k",
    CHINESE_ON,
    b"\n",
    b"\t",
    b"abc",
    gb("白菜"),
    b"\x00",
    b"\x01",
    b"\x03",
    b"\x30",
    b"\x31",
    b"\xff",
]


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_FRAGMENTS) | st.binary(min_size=1, max_size=3), max_size=40),
    chunk=st.integers(min_value=1, max_value=9),
)
def test_any_bytes_in_any_chunks_never_fail(parts: list[bytes], chunk: int) -> None:
    from simulator.printer.render import TicketRenderer

    data = b"".join(parts)
    whole = EscPosDecoder()
    whole_events = whole.feed(data) + whole.end_of_stream()
    split = EscPosDecoder()
    split_events = [e for i in range(0, len(data), chunk) for e in split.feed(data[i : i + chunk])]
    split_events += split.end_of_stream()

    assert [type(e) for e in split_events] == [type(e) for e in whole_events]
    docs = [e for e in whole_events if isinstance(e, Document)]
    for doc, other in zip(docs, [e for e in split_events if isinstance(e, Document)], strict=True):
        assert other.elements == doc.elements
        assert bytes(other.raw) == bytes(doc.raw)
    renderer = TicketRenderer()
    for doc in docs:
        image, _ = renderer.render(doc)
        assert image.width == 384


def test_cjk_font_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from simulator.printer.fonts import FontNotFoundError, find_cjk_font

    font = tmp_path / "my.ttc"
    font.write_bytes(b"")
    monkeypatch.setenv("TRACE_CJK_FONT", str(font))
    assert find_cjk_font() == font

    monkeypatch.setenv("TRACE_CJK_FONT", str(tmp_path / "missing.ttc"))
    with pytest.raises(FontNotFoundError, match="fonts-wqy-microhei"):
        find_cjk_font()
