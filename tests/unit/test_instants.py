"""domain/instants.py: the one shown form of an instant, apart from the hashed form of the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from custody_ledger.domain.instants import present_instant, present_text
from custody_ledger.domain.parse import format_instant

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(("micro", "shown"), [(0, "14:00:00Z"), (500000, "14:00:00.5Z"), (120, "14:00:00.00012Z")])
def test_an_instant_shows_in_utc_with_only_the_digits_of_its_fraction(micro: int, shown: str) -> None:
    assert present_instant(datetime(2026, 11, 23, 8, 0, 0, micro, tzinfo=CHICAGO)) == f"2026-11-23T{shown}"


def test_facility_time_keeps_its_offset() -> None:
    assert present_instant(datetime(2026, 11, 23, 14, tzinfo=UTC), CHICAGO) == "2026-11-23T08:00:00-06:00"


def test_stored_text_in_the_hashed_form_reads_as_the_shown_form() -> None:
    moment = datetime(2026, 11, 23, 14, 0, 0, 250000, tzinfo=UTC)
    assert (present_text(format_instant(moment)), present_text("2026-11-23T08:00:00.000-06:00")) == (
        "2026-11-23T14:00:00.25Z", "2026-11-23T08:00:00-06:00")


def test_the_hashed_form_is_unchanged_six_digits_always() -> None:
    assert format_instant(datetime(2026, 11, 23, 14, tzinfo=UTC)) == "2026-11-23T14:00:00.000000Z"


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        present_instant(datetime(2026, 11, 23, 14))
