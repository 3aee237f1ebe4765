"""A whole ticket drawn as one bitmap (GS v 0), for printers without a Chinese font ROM.

It is also the yardstick the benchmark compares the text ticket against: the same layout,
drawn dot by dot, is many times more bytes to push through a 9600-baud line.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from edge.printer import commands as cmd
from edge.printer.errors import PrinterError
from edge.printer.escpos_render import image_to_raster, qr_image
from edge.printer.textwidth import char_width, display_width
from edge.printer.ticket import Align, Cut, Feed, Qr, Text, Ticket

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
CELL_DOTS = 12  # font A: 12 x 24 dots per ASCII column
LINE_DOTS = 30  # default ESC/POS line spacing (1/6 inch at 180 dpi ~ 30 dots)


def find_cjk_font(candidates: tuple[str, ...] = CJK_FONTS) -> str:
    for path in candidates:
        if Path(path).is_file():
            return path
    raise PrinterError(
        "no CJK font found for drawing the ticket as an image (looked for "
        + ", ".join(candidates)
        + "). Install one, e.g. `apt-get install fonts-wqy-microhei`."
    )


def _text_strip(el: Text, font: ImageFont.FreeTypeFont, dots: int) -> Image.Image:
    """One printed line: each character in its own fixed-pitch cell, as the printer's font A."""
    cells = max(1, display_width(el.text))
    line = Image.new("L", (cells * CELL_DOTS, LINE_DOTS), 255)
    draw = ImageDraw.Draw(line)
    x = 0
    for ch in el.text:
        draw.text((x, 2), ch, font=font, fill=0)
        if el.bold:  # emphasis as the printer does it: strike again one dot to the right
            draw.text((x + 1, 2), ch, font=font, fill=0)
        x += char_width(ch) * CELL_DOTS
    if (el.width, el.height) != (1, 1):
        line = line.resize((line.width * el.width, line.height * el.height), Image.Resampling.NEAREST)
    strip = Image.new("L", (dots, line.height), 255)
    left = {Align.LEFT: 0, Align.CENTER: (dots - line.width) // 2, Align.RIGHT: dots - line.width}[el.align]
    strip.paste(line, (max(0, left), 0))
    return strip


def ticket_image(ticket: Ticket, font_path: str | None = None) -> Image.Image:
    """Draw the ticket's lines and QR at the paper width, black on white (feeds and cut are commands)."""
    font = ImageFont.truetype(font_path or find_cjk_font(), 24)
    strips: list[Image.Image] = []
    for el in ticket.elements:
        if isinstance(el, Text):
            strips.append(_text_strip(el, font, ticket.dots))
        elif isinstance(el, Qr):
            img = qr_image(el.data, el.module_dots)
            strip = Image.new("L", (ticket.dots, img.height), 255)
            strip.paste(img, (max(0, (ticket.dots - img.width) // 2), 0))
            strips.append(strip)
    height = sum(s.height for s in strips)
    page = Image.new("L", (ticket.dots, height), 255)
    y = 0
    for s in strips:
        page.paste(s, (0, y))
        y += s.height
    return page


def render_raster_ticket(ticket: Ticket, font_path: str | None = None) -> bytes:
    """ESC @, the whole ticket as GS v 0 bands, then the ticket's feed and cut as commands."""
    bits, width_bytes, height = image_to_raster(ticket_image(ticket, font_path))
    out = cmd.INIT + cmd.raster_image(bits, width_bytes, height)
    for el in ticket.elements:
        if isinstance(el, Feed):
            out += cmd.feed_lines(el.lines)
        elif isinstance(el, Cut):
            out += cmd.CUT_PARTIAL
    return out
