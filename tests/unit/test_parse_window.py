"""The watch list's look-ahead ("due within"): one reading for the CLI and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.parse import parse_window


@pytest.mark.parametrize(("text", "window"), [
    ("4h", timedelta(hours=4)), ("30m", timedelta(minutes=30)), ("2d", timedelta(days=2)),
    ("90s", timedelta(seconds=90)), ("0m", timedelta(0)), ("366d", timedelta(days=366)),
])
def test_a_window_reads_as_a_number_with_its_unit(text: str, window: timedelta) -> None:
    assert parse_window(text, "due_within") == window


@pytest.mark.parametrize("text", ["", "h", "4 hours", "-4h", "4.5h", "4w", "367d", "9" * 30, "4hh", "4", "14400"])
def test_anything_else_is_invalid_naming_the_field(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_window(text, "due_within")
    assert caught.value.field == "due_within"


def test_a_number_without_a_unit_is_refused_listing_the_units() -> None:
    with pytest.raises(Invalid) as caught:
        parse_window("4", "due_within")
    assert "30m, 4h, 2d" in caught.value.message
