"""Ticket elements -> ESC/POS bytes.

We emit the bytes ourselves (named in ``commands``) rather than through python-escpos'
``text()``, whose code-page guessing cannot produce GB18030 in the printer's Chinese mode.
Chinese mode (FS &) is entered explicitly before the first non-ASCII line; ASCII is a
single byte in GB18030 too, so the ticket stays in Chinese mode until it ends and then
leaves it (FS .) so the printer is back in its default mode for whatever prints next.
"""

from __future__ import annotations

from collections.abc import Mapping

import qrcode
from PIL import Image, ImageOps

from edge.core.records import Batch, Sale
from edge.printer import commands as cmd
from edge.printer.ticket import (
    QR_QUIET_MODULES,
    Align,
    Cut,
    Feed,
    Qr,
    Text,
    Ticket,
    TicketSettings,
    layout_ticket,
)

_ALIGN = {Align.LEFT: cmd.ALIGN_LEFT, Align.CENTER: cmd.ALIGN_CENTER, Align.RIGHT: cmd.ALIGN_RIGHT}


def render_ticket(
    sale: Sale,
    batches: Mapping[str, Batch],
    settings: TicketSettings,
    *,
    reprint: bool = False,
) -> bytes:
    """The complete ESC/POS job for one trace ticket, from ESC @ to the cut."""
    return render_escpos(layout_ticket(sale, batches, settings, reprint=reprint))


def image_to_raster(image: Image.Image) -> tuple[bytes, int, int]:
    """Packed 1-bit rows (1 = black dot) of ``image``, padded right to whole bytes: (bits, width_bytes, h)."""
    mono = image.convert("L")
    width_bytes = (mono.width + 7) // 8
    if mono.width != width_bytes * 8:
        padded = Image.new("L", (width_bytes * 8, mono.height), 255)
        padded.paste(mono, (0, 0))
        mono = padded
    # PIL's mode "1" stores white as 1; ESC/POS wants 1 = burn a dot
    bits = ImageOps.invert(mono).point(lambda v: 255 if v >= 128 else 0).convert("1").tobytes()
    return bits, width_bytes, mono.height


def qr_image(data: str, module_dots: int) -> Image.Image:
    """A model-2, error-correction-M QR of ``data`` with its quiet zone, one module = module_dots."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=module_dots,
        border=QR_QUIET_MODULES,
    )
    qr.add_data(data)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("L")


def qr_raster(data: str, module_dots: int, paper_dots: int) -> bytes:
    """GS v 0 image of the QR, centred by white padding on the left (ESC a does not move raster
    images on every clone printer, so the centring is in the bitmap)."""
    img = qr_image(data, module_dots)
    left = max(0, (paper_dots - img.width) // 2)
    canvas = Image.new("L", (left + img.width, img.height), 255)
    canvas.paste(img, (left, 0))
    bits, width_bytes, height = image_to_raster(canvas)
    return cmd.raster_image(bits, width_bytes, height)


class _State:
    """Print modes last sent, so each command is emitted only when it changes."""

    def __init__(self) -> None:
        self.align = Align.LEFT
        self.bold = False
        self.size = (1, 1)
        self.chinese = False


def _text(out: bytearray, st: _State, el: Text) -> None:
    if el.align != st.align:
        out += _ALIGN[el.align]
        st.align = el.align
    if el.bold != st.bold:
        out += cmd.BOLD_ON if el.bold else cmd.BOLD_OFF
        st.bold = el.bold
    if (el.width, el.height) != st.size:
        out += cmd.text_size(el.width, el.height)
        st.size = (el.width, el.height)
    if not el.text.isascii() and not st.chinese:
        out += cmd.CHINESE_ON
        st.chinese = True
    encoding = cmd.CHINESE_ENCODING if st.chinese else "ascii"
    out += el.text.encode(encoding) + cmd.LF


def render_escpos(ticket: Ticket) -> bytes:
    out = bytearray(cmd.INIT)
    st = _State()
    for el in ticket.elements:
        if isinstance(el, Text):
            _text(out, st, el)
        elif isinstance(el, Qr):
            if ticket.qr_mode == "native":
                if st.align != Align.CENTER:
                    out += cmd.ALIGN_CENTER
                    st.align = Align.CENTER
                out += cmd.qr_native(el.data.encode("utf-8"), el.module_dots)
            else:
                if st.align != Align.LEFT:
                    out += cmd.ALIGN_LEFT
                    st.align = Align.LEFT
                out += qr_raster(el.data, el.module_dots, ticket.dots)
        elif isinstance(el, Feed):
            out += cmd.feed_lines(el.lines)
        elif isinstance(el, Cut):
            if st.chinese:
                out += cmd.CHINESE_OFF
                st.chinese = False
            out += cmd.CUT_PARTIAL
    return bytes(out)
