"""Draw a `Document` the way a 203 dpi thermal printer puts it on paper.

Characters are drawn into fixed cells (font A 12x24, double-byte 24x24, font B 9x17),
then scaled by whole dots like the printer's size multipliers; bold is the glyph drawn
twice one dot apart. QR codes and images come out at their real dot size. The PNG is
as wide as the printable area (384 dots for 58 mm paper, 576 for 80 mm): black on white.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.exceptions
from PIL import Image, ImageChops, ImageDraw, ImageFont

from simulator.printer.document import (
    FONT_A_CELL,
    Align,
    Barcode,
    Bitmap,
    Document,
    Feed,
    InlineImage,
    QrCode,
    RasterImage,
    Style,
    TextLine,
    TextRun,
)
from simulator.printer.fonts import find_cjk_font

PAPER_DOTS = {58: 384, 80: 576}  # printable width in dots at 203 dpi
MARGIN = 8  # white dots above and below the ticket
INK, PAPER = 0, 255
QR_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
# glyphs whose ink spans a font's typical height: the baseline is placed to centre them
_ASCII_REFERENCE, _WIDE_REFERENCE = "Hg", "國"


def bitmap_mask(bitmap: Bitmap, scale_x: int = 1, scale_y: int = 1) -> Image.Image:
    """A mode-"1" mask, set where the printer puts a dot, scaled by whole dots."""
    packed = Image.frombytes(
        "1", (bitmap.row_bytes * 8, bitmap.height), bitmap.data[: bitmap.row_bytes * bitmap.height]
    )
    mask = packed.crop((0, 0, bitmap.width, bitmap.height))
    if scale_x != 1 or scale_y != 1:
        mask = mask.resize((bitmap.width * scale_x, bitmap.height * scale_y), Image.Resampling.NEAREST)
    return mask


def qr_mask(qr: QrCode) -> Image.Image:
    code = qrcode.QRCode(error_correction=QR_LEVELS[qr.ecc], box_size=1, border=0)
    code.add_data(qr.data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    mask = Image.new("1", (size, size), 0)
    mask.putdata([255 if dark else 0 for row in matrix for dark in row])
    return mask.resize((size * qr.module_size, size * qr.module_size), Image.Resampling.NEAREST)


@dataclass(frozen=True)
class _Face:
    font: ImageFont.FreeTypeFont
    baseline: int  # y of the baseline inside the cell


class TicketRenderer:
    """Renders documents; holds the font and a glyph cache, so reuse one per printer."""

    def __init__(self, paper_width: int = 384, font_path: str | Path | None = None) -> None:
        self.paper_width = paper_width
        self.font_path = Path(font_path) if font_path else find_cjk_font()
        self._index = _mono_face_index(self.font_path)
        self._faces: dict[tuple[int, int, bool], _Face] = {}
        self._glyphs: dict[tuple[str, Style], Image.Image] = {}

    # --- documents -----------------------------------------------------------------------

    def render(self, doc: Document) -> tuple[Image.Image, list[str]]:
        """The ticket image, and notes on what could not be drawn as the printer would."""
        warnings: list[str] = []
        blocks: list[tuple[int, object]] = []  # (height, element or prepared mask)
        for element in doc.elements:
            if isinstance(element, TextLine):
                blocks.append((element.advance, element))
            elif isinstance(element, Feed):
                blocks.append((element.dots, element))
            elif isinstance(element, QrCode):
                try:
                    mask = qr_mask(element)
                except (ValueError, qrcode.exceptions.DataOverflowError):
                    warnings.append(
                        f"QR data of {len(element.data)} bytes does not fit any QR version at error correction "
                        f"{element.ecc}: a printer prints nothing"
                    )
                    continue
                if mask.width > self.paper_width:
                    warnings.append(
                        f"QR code {mask.width} dots wide (module size {element.module_size}) does not fit "
                        f"the {self.paper_width}-dot paper: a printer prints nothing"
                    )
                    continue
                blocks.append((mask.height, (mask, element.align)))
            elif isinstance(element, RasterImage):
                blocks.append(
                    (element.height, (bitmap_mask(element.bitmap, element.scale_x, element.scale_y), element.align))
                )
            elif isinstance(element, Barcode):
                blocks.append((element.height, element))
        height = 2 * MARGIN + sum(h for h, _ in blocks)
        canvas = Image.new("L", (self.paper_width, max(height, 2 * MARGIN + 1)), PAPER)
        y = MARGIN
        for block_height, block in blocks:
            if isinstance(block, TextLine):
                self._draw_line(canvas, block, y)
            elif isinstance(block, Barcode):
                self._draw_barcode(canvas, block, y)
            elif isinstance(block, tuple):
                mask, align = block
                canvas.paste(INK, (self._x(mask.width, align), y), mask)
            y += block_height
        return canvas.convert("1"), warnings

    def save_png(self, doc: Document, path: str | Path) -> list[str]:
        image, warnings = self.render(doc)
        image.save(path, optimize=True)
        return warnings

    def _x(self, width: int, align: Align) -> int:
        if align is Align.CENTER:
            return max(0, (self.paper_width - width) // 2)
        if align is Align.RIGHT:
            return max(0, self.paper_width - width)
        return 0

    def _draw_line(self, canvas: Image.Image, line: TextLine, top: int) -> None:
        bottom = top + line.height  # characters of different heights share the bottom edge
        x = self._x(line.width, line.align)
        draw = ImageDraw.Draw(canvas)
        for run in line.runs:
            if isinstance(run, InlineImage):
                mask = bitmap_mask(run.bitmap, run.scale_x, run.scale_y)
                canvas.paste(INK, (x, bottom - run.height), mask)
                x += run.width
                continue
            self._draw_run(canvas, draw, run, x, bottom)
            x += run.width

    def _draw_run(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, run: TextRun, x: int, bottom: int) -> None:
        style = run.style
        top = bottom - style.line_height
        ink, paper = (PAPER, INK) if style.reverse else (INK, PAPER)
        if style.reverse:
            draw.rectangle((x, top, x + run.width - 1, bottom - 1), fill=paper)
        for i, char in enumerate(run.text):
            if char != " ":
                canvas.paste(ink, (x + i * style.advance, top), self.glyph(char, style))
        if style.underline:
            draw.rectangle((x, bottom - style.underline, x + run.width - 1, bottom - 1), fill=ink)

    def _draw_barcode(self, canvas: Image.Image, barcode: Barcode, top: int) -> None:
        width = self.paper_width * 3 // 4
        x = self._x(width, barcode.align)
        draw = ImageDraw.Draw(canvas)
        draw.rectangle((x, top, x + width - 1, top + barcode.height - 1), outline=INK, width=2)
        label = f"BARCODE {barcode.text}"[: width // FONT_A_CELL[0] - 1]
        style = Style()
        text_top = top + max(0, (barcode.height - style.line_height) // 2)
        for i, char in enumerate(label):
            if char != " ":
                canvas.paste(INK, (x + 6 + i * style.advance, text_top), self.glyph(char, style))

    # --- glyphs --------------------------------------------------------------------------

    def glyph(self, char: str, style: Style) -> Image.Image:
        """Mask of one character cell at the style's size (cached)."""
        key = (char, style)
        cached = self._glyphs.get(key)
        if cached is None:
            cached = self._make_glyph(char, style)
            self._glyphs[key] = cached
        return cached

    def _make_glyph(self, char: str, style: Style) -> Image.Image:
        cell_w, cell_h = style.cell
        face = self._face(cell_w, cell_h, style.wide)
        cell = Image.new("L", (cell_w, cell_h), 0)
        if not char.isprintable():  # a control byte inside barcode data: no glyph
            return cell.convert("1").resize((cell_w * style.width, cell_h * style.height))
        left = (cell_w - face.font.getlength(char)) / 2
        ImageDraw.Draw(cell).text((left, face.baseline), char, fill=255, font=face.font, anchor="ls")
        mask = cell.point(lambda v: 255 if v >= 128 else 0).convert("1")
        if style.bold:  # the head fires each dot twice, one dot apart
            shifted = Image.new("1", mask.size, 0)
            shifted.paste(mask, (1, 0))
            mask = ImageChops.logical_or(mask, shifted)
        if style.width != 1 or style.height != 1:
            mask = mask.resize((cell_w * style.width, cell_h * style.height), Image.Resampling.NEAREST)
        return mask

    def _face(self, cell_w: int, cell_h: int, wide: bool) -> _Face:
        key = (cell_w, cell_h, wide)
        face = self._faces.get(key)
        if face is None:
            face = self._fit_face(cell_w, cell_h, _WIDE_REFERENCE if wide else _ASCII_REFERENCE, wide)
            self._faces[key] = face
        return face

    def _fit_face(self, cell_w: int, cell_h: int, reference: str, wide: bool) -> _Face:
        """The largest font size whose reference glyphs fit the cell, baseline centring them."""
        probe = reference[0] if wide else "M"
        for size in range(cell_h + 8, 4, -1):
            font = ImageFont.truetype(
                str(self.font_path), size, index=self._index, layout_engine=ImageFont.Layout.BASIC
            )
            _, ink_top, _, ink_bottom = font.getbbox(reference, anchor="ls")
            if font.getlength(probe) <= cell_w and ink_bottom - ink_top <= cell_h:
                baseline = (cell_h - (ink_bottom - ink_top)) // 2 - ink_top
                return _Face(font, baseline)
        raise ValueError(f"font {self.font_path} cannot fit a {cell_w}x{cell_h} cell")


def _mono_face_index(path: Path) -> int:
    """In a font collection prefer the monospaced (Simplified Chinese) face."""
    names: list[str] = []
    for index in range(16):
        try:
            names.append(" ".join(ImageFont.truetype(str(path), 12, index=index).getname()[:1]))
        except OSError:
            break
    for wanted in (("Mono", " SC"), ("Mono",), (" SC",)):
        for index, name in enumerate(names):
            if all(w in name for w in wanted):
                return index
    return 0
