"""What one printed ticket looks like: text lines, QR codes, images, feeds, and warnings.

The decoder builds a `Document` per ticket (from one cut to the next); the renderer turns
it into a PNG, and `Document.text()` into the ticket's .txt file. Sizes are printer dots
(203 dpi: 8 dots per mm).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

FONT_A_CELL = (12, 24)  # font A: width x height of one single-byte character cell in dots
FONT_B_CELL = (9, 17)
WIDE_CELL = (24, 24)  # a double-byte (GB18030) character


class Align(enum.Enum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


@dataclass(frozen=True)
class Style:
    """How a character is printed. `wide` marks double-byte characters (24 dots in font A)."""

    bold: bool = False
    underline: int = 0  # 0 none, 1 or 2 dots thick
    width: int = 1  # horizontal multiplier 1..8
    height: int = 1  # vertical multiplier 1..8
    font: str = "A"  # "A" (12x24) or "B" (9x17)
    reverse: bool = False  # white on black (GS B)
    wide: bool = False

    @property
    def cell(self) -> tuple[int, int]:
        """Unscaled cell size in dots."""
        if self.wide:
            return WIDE_CELL
        return FONT_B_CELL if self.font == "B" else FONT_A_CELL

    @property
    def advance(self) -> int:
        return self.cell[0] * self.width

    @property
    def line_height(self) -> int:
        return self.cell[1] * self.height


@dataclass(frozen=True)
class Bitmap:
    """1-bit image, rows packed MSB first, ``(width + 7) // 8`` bytes per row, 1 = black dot."""

    width: int
    height: int
    data: bytes

    @property
    def row_bytes(self) -> int:
        return (self.width + 7) // 8

    def dot(self, x: int, y: int) -> bool:
        return bool(self.data[y * self.row_bytes + x // 8] & (0x80 >> (x % 8)))


@dataclass
class TextRun:
    text: str
    style: Style

    @property
    def width(self) -> int:
        return len(self.text) * self.style.advance


@dataclass
class InlineImage:
    """A bit image inside a text line (ESC *), printed at scale_x x scale_y dots per bit."""

    bitmap: Bitmap
    scale_x: int = 1
    scale_y: int = 1

    @property
    def width(self) -> int:
        return self.bitmap.width * self.scale_x

    @property
    def height(self) -> int:
        return self.bitmap.height * self.scale_y


Run = TextRun | InlineImage


@dataclass
class TextLine:
    """One printed line; `advance` is how far the paper moves for it (dots)."""

    runs: list[Run]
    align: Align
    advance: int

    @property
    def width(self) -> int:
        return sum(run.width for run in self.runs)

    @property
    def height(self) -> int:
        heights = [run.style.line_height if isinstance(run, TextRun) else run.height for run in self.runs]
        return max(heights, default=0)

    def text(self) -> str:
        parts = []
        for run in self.runs:
            if isinstance(run, TextRun):
                parts.append(run.text)
            else:
                parts.append(f"[IMAGE {run.width}x{run.height}]")
        return "".join(parts).rstrip()


@dataclass
class Feed:
    """Blank paper: `lines` empty lines (LF, ESC d) or a dot feed (ESC J, lines=0)."""

    dots: int
    lines: int = 0


@dataclass
class QrCode:
    data: bytes
    module_size: int
    ecc: str  # "L" | "M" | "Q" | "H"
    model: int
    align: Align

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class RasterImage:
    """A block image (GS v 0, GS ( L) printed at scale_x x scale_y dots per bit."""

    bitmap: Bitmap
    align: Align
    scale_x: int = 1
    scale_y: int = 1

    @property
    def width(self) -> int:
        return self.bitmap.width * self.scale_x

    @property
    def height(self) -> int:
        return self.bitmap.height * self.scale_y


@dataclass
class Barcode:
    """A 1-D barcode (GS k); rendered as a labelled placeholder, not as bars."""

    system: int
    data: bytes
    height: int
    align: Align

    @property
    def text(self) -> str:
        return self.data.decode("ascii", errors="replace")


Element = TextLine | Feed | QrCode | RasterImage | Barcode


@dataclass
class Document:
    """One ticket: everything printed between two cuts."""

    elements: list[Element] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    cut: str | None = None  # "full" | "partial" | None (stream ended without a cut)
    code_pages: list[int] = field(default_factory=list)  # every ESC t n seen, in order

    @property
    def qr_codes(self) -> list[QrCode]:
        return [e for e in self.elements if isinstance(e, QrCode)]

    @property
    def images(self) -> list[RasterImage]:
        return [e for e in self.elements if isinstance(e, RasterImage)]

    @property
    def printed(self) -> bool:
        """Whether anything but blank paper came out."""
        return any(not isinstance(e, Feed) and not (isinstance(e, TextLine) and not e.runs) for e in self.elements)

    def lines(self) -> list[str]:
        out: list[str] = []
        for element in self.elements:
            if isinstance(element, TextLine):
                out.append(element.text())
            elif isinstance(element, Feed):
                out.extend([""] * element.lines)
            elif isinstance(element, QrCode):
                out.append(f"[QR] {element.text}")
            elif isinstance(element, RasterImage):
                out.append(f"[IMAGE {element.width}x{element.height}]")
            elif isinstance(element, Barcode):
                out.append(f"[BARCODE {element.system}] {element.text}")
        return out

    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines())
