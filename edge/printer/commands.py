"""ESC/POS command bytes we emit, by name (Epson ESC/POS, as cloned by Chinese receipt printers).

Only what the trace ticket needs. Every function returns plain ``bytes`` so the renderer,
the tests and the benchmark can compose and compare exact sequences.
"""

from __future__ import annotations

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
DLE = b"\x10"
EOT = b"\x04"
LF = b"\n"

INIT = ESC + b"@"  # ESC @: clear buffer and modes

ALIGN_LEFT = ESC + b"a\x00"  # ESC a n
ALIGN_CENTER = ESC + b"a\x01"
ALIGN_RIGHT = ESC + b"a\x02"

BOLD_ON = ESC + b"E\x01"  # ESC E n
BOLD_OFF = ESC + b"E\x00"

# FS & / FS .: Chinese (GB2312/GBK/GB18030 double-byte) character mode on/off. Sent explicitly
# because a printer keeps the mode its DIP switches or the last job left it in.
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."

CUT_PARTIAL = GS + b"V\x01"  # GS V m (function A), partial cut leaves a hinge: ticket stays at the printer
CHINESE_ENCODING = "gb18030"


def text_size(width: int = 1, height: int = 1) -> bytes:
    """GS ! n: character width/height multipliers 1..8."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError(f"text size must be 1..8, got {width}x{height}")
    return GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])


def feed_lines(n: int) -> bytes:
    """ESC d n: print the buffer and feed n lines."""
    if not 0 <= n <= 255:
        raise ValueError(f"feed lines must be 0..255, got {n}")
    return ESC + b"d" + bytes([n])


# --- QR code, GS ( k with cn = 49 ("1"): fn 65 model, 67 module size, 69 error correction,
# 80 store data, 81 print

QR_MODEL_2 = 50  # n1 of fn 65: 49 model 1, 50 model 2
QR_EC_L, QR_EC_M, QR_EC_Q, QR_EC_H = 48, 49, 50, 51


def _gs_k(fn: int, payload: bytes) -> bytes:
    """GS ( k pL pH cn fn payload, with pL pH = len(cn fn payload) little-endian."""
    n = len(payload) + 2
    if n > 0xFFFF:
        raise ValueError("GS ( k data too long")
    return GS + b"(k" + n.to_bytes(2, "little") + b"1" + bytes([fn]) + payload


def qr_model(model: int = QR_MODEL_2) -> bytes:
    return _gs_k(65, bytes([model, 0]))


def qr_module_size(dots: int) -> bytes:
    if not 1 <= dots <= 16:
        raise ValueError(f"QR module size must be 1..16 dots, got {dots}")
    return _gs_k(67, bytes([dots]))


def qr_error_correction(level: int = QR_EC_M) -> bytes:
    return _gs_k(69, bytes([level]))


def qr_store(data: bytes) -> bytes:
    return _gs_k(80, b"0" + data)


def qr_print() -> bytes:
    return _gs_k(81, b"0")


def qr_native(data: bytes, module_dots: int, level: int = QR_EC_M) -> bytes:
    """The five GS ( k commands that make the printer draw a model-2 QR of ``data``."""
    return qr_model(QR_MODEL_2) + qr_module_size(module_dots) + qr_error_correction(level) + qr_store(data) + qr_print()


# --- raster bit image, GS v 0 m xL xH yL yH d1..dk (m = 0: normal density)

RASTER_MAX_ROWS = 240  # band height: clone printers have small receive buffers for one image


def raster_image(bits: bytes, width_bytes: int, height: int) -> bytes:
    """GS v 0 for a packed 1-bit image (MSB = leftmost dot, 1 = black), split into bands."""
    if len(bits) != width_bytes * height:
        raise ValueError("raster data does not match width x height")
    out = bytearray()
    for top in range(0, height, RASTER_MAX_ROWS):
        rows = min(RASTER_MAX_ROWS, height - top)
        out += GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
        out += bits[top * width_bytes : (top + rows) * width_bytes]
    return bytes(out)


# --- real-time status, DLE EOT n

STATUS_PRINTER = 1
STATUS_OFFLINE_CAUSE = 2
STATUS_ERROR_CAUSE = 3
STATUS_PAPER = 4


def status_request(n: int) -> bytes:
    if n not in (STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_ERROR_CAUSE, STATUS_PAPER):
        raise ValueError(f"DLE EOT n must be 1..4, got {n}")
    return DLE + EOT + bytes([n])
