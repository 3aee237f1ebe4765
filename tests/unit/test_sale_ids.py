"""Sale ids are UUIDv7 (RFC 9562): time first, so central's indexes on sale_id grow at the end."""

from __future__ import annotations

import uuid

import pytest

from edge.core.ids import sale_uuid

T = 1_715_500_000_000  # 2024-05-12 in ms


def test_a_sale_id_is_a_version_7_rfc_uuid_carrying_its_creation_time() -> None:
    text = sale_uuid(T)
    parsed = uuid.UUID(text)
    assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == T


def test_the_random_bits_fill_the_rest_exactly() -> None:
    assert sale_uuid(T, bytes(10)) == "018f6bc4-a300-7000-8000-000000000000"
    assert sale_uuid(T, b"\xff" * 10) == "018f6bc4-a300-7fff-bfff-ffffffffffff"


def test_ids_sort_by_time_and_differ_within_one_millisecond() -> None:
    ids = [sale_uuid(T + ms) for ms in (0, 1, 2, 1000, 86_400_000)]
    assert ids == sorted(ids)
    assert len({sale_uuid(T) for _ in range(1000)}) == 1000


@pytest.mark.parametrize("bad", [-1, 1 << 48])
def test_a_time_outside_48_bits_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="48-bit"):
        sale_uuid(bad)
