"""EMVCo Merchant-Presented QR (MPM) payloads: build, parse and check.

Used for UnionPay dynamic codes (amount in tag 54, bill number in tag 62) and for the
static code a scale shows when it is offline. Pure functions, no I/O.

A payload is a string of TLV data objects: a 2-digit tag, a 2-digit length in
*characters* (the spec's example counts 最佳运输 as 4), the value. It ends with tag 63,
the CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over everything before the CRC value
including "6304", as 4 upper-case hex digits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

PAYLOAD_FORMAT = "01"
STATIC, DYNAMIC = "11", "12"  # tag 01: point of initiation
CURRENCY_CNY = "156"
CRC_TAG = "63"


class EmvcoError(ValueError):
    """A payload that cannot be built or does not parse / check; the message says why."""


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    if not (len(tag) == 2 and tag.isdigit()):
        raise EmvcoError(f"tag must be 2 digits, got {tag!r}")
    if not 0 < len(value) <= 99:
        raise EmvcoError(f"tag {tag}: value must be 1 to 99 characters, got {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def iter_tlv(text: str) -> Iterator[tuple[str, str]]:
    """The (tag, value) pairs of ``text``; raises EmvcoError on a malformed one."""
    pos = 0
    while pos < len(text):
        head = text[pos : pos + 4]
        if len(head) < 4 or not head.isdigit():
            raise EmvcoError(f"malformed data object at character {pos}: {head!r}")
        length = int(head[2:])
        value = text[pos + 4 : pos + 4 + length]
        if len(value) != length:
            raise EmvcoError(f"tag {head[:2]} at character {pos} is cut short")
        yield head[:2], value
        pos += 4 + length


def yuan_text(amount_fen: int) -> str:
    """Tag 54's amount: yuan with a point, e.g. 2372 -> ``23.72`` (no float on the way)."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise EmvcoError(f"amount must be a positive number of fen, got {amount_fen!r}")
    return f"{amount_fen // 100}.{amount_fen % 100:02d}"


def fen_from_text(text: str) -> int:
    whole, _, frac = text.partition(".")
    if not whole.isdigit() or (frac and not (frac.isdigit() and len(frac) <= 2)):
        raise EmvcoError(f"amount {text!r} is not a decimal number of yuan")
    return int(whole) * 100 + int((frac + "00")[:2])


@dataclass(frozen=True, slots=True)
class MerchantQr:
    """What a scale or central puts in a code.

    ``network_accounts`` are the networks' primitive merchant account values (tags 02-25,
    e.g. UnionPay's 15); ``accounts`` the merchant account information templates (tags
    26-51) as (tag, [(subtag, value), ...]). A code needs at least one of them.
    """

    merchant_name: str
    merchant_city: str
    category_code: str  # ISO 18245 MCC, e.g. "5411" groceries
    accounts: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    network_accounts: tuple[tuple[str, str], ...] = ()
    amount_fen: int | None = None  # None: a static code, the customer types the amount
    bill_number: str = ""  # tag 62 / 01: ties a dynamic code to one sale
    country: str = "CN"
    currency: str = CURRENCY_CNY
    extra: tuple[tuple[str, str], ...] = field(default=())  # further top-level (tag, value) pairs

    def payload(self) -> str:
        if not (self.accounts or self.network_accounts):
            raise EmvcoError("a merchant QR needs at least one merchant account (tags 02-51)")
        parts = [tlv("00", PAYLOAD_FORMAT), tlv("01", STATIC if self.amount_fen is None else DYNAMIC)]
        for tag, value in self.network_accounts:
            if not 2 <= int(tag) <= 25:
                raise EmvcoError(f"network merchant accounts use tags 02-25, got {tag}")
            parts.append(tlv(tag, value))
        for tag, subfields in self.accounts:
            if not 26 <= int(tag) <= 51:
                raise EmvcoError(f"merchant account templates use tags 26-51, got {tag}")
            parts.append(tlv(tag, "".join(tlv(sub, value) for sub, value in subfields)))
        parts += [tlv("52", self.category_code), tlv("53", self.currency)]
        if self.amount_fen is not None:
            parts.append(tlv("54", yuan_text(self.amount_fen)))
        parts += [tlv("58", self.country), tlv("59", self.merchant_name), tlv("60", self.merchant_city)]
        if self.bill_number:
            parts.append(tlv("62", tlv("01", self.bill_number)))
        parts += [tlv(tag, value) for tag, value in self.extra]
        return with_crc("".join(parts))


def with_crc(body: str) -> str:
    head = body + CRC_TAG + "04"
    return head + f"{crc16_ccitt_false(head.encode('utf-8')):04X}"


@dataclass(frozen=True, slots=True)
class ParsedQr:
    fields: dict[str, str]  # top-level tag -> value (templates as their raw value)

    @property
    def dynamic(self) -> bool:
        return self.fields.get("01") == DYNAMIC

    @property
    def amount_fen(self) -> int | None:
        text = self.fields.get("54")
        return None if text is None else fen_from_text(text)

    @property
    def bill_number(self) -> str:
        return dict(iter_tlv(self.fields.get("62", ""))).get("01", "")

    def template(self, tag: str) -> dict[str, str]:
        return dict(iter_tlv(self.fields.get(tag, "")))


def parse(payload: str) -> ParsedQr:
    """Check the CRC and the mandatory tags; raise EmvcoError saying what is wrong."""
    if len(payload) < 8 or payload[-8:-4] != CRC_TAG + "04":
        raise EmvcoError("payload does not end with its CRC (tag 63, length 04)")
    expected = f"{crc16_ccitt_false(payload[:-4].encode('utf-8')):04X}"
    if payload[-4:].upper() != expected:
        raise EmvcoError(f"CRC mismatch: payload says {payload[-4:]}, content gives {expected} (altered or mistyped)")
    fields = dict(iter_tlv(payload[:-8]))
    missing = [tag for tag in ("00", "52", "53", "58", "59", "60") if tag not in fields]
    if missing:
        raise EmvcoError(f"mandatory tags missing: {', '.join(missing)}")
    if fields["00"] != PAYLOAD_FORMAT:
        raise EmvcoError(f"payload format indicator must be 01, got {fields['00']!r}")
    if not any(26 <= int(tag) <= 51 or 2 <= int(tag) <= 25 for tag in fields):
        raise EmvcoError("no merchant account information (tags 02-51)")
    return ParsedQr(fields)


def accounts(*templates: tuple[str, Sequence[tuple[str, str]]]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Convenience for building ``MerchantQr.accounts`` from lists."""
    return tuple((tag, tuple(sub)) for tag, sub in templates)
