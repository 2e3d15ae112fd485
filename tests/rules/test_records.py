"""One id, one record; a booking is released from criminal custody once."""

from __future__ import annotations

import pytest

from tests.support.world import World, booked_with_warrant


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        ("register_facility", {"facility_id": "AG-A-JAIL", "agency_id": "AG-A", "name": "Again",
                               "timezone": "America/Chicago"}),
        ("nominate_officer", {"officer_id": "OFF-X", "agency_id": "AG-A", "name": "X", "badge": "1"}),
    ],
)
def test_an_id_names_one_record(world: World, command: str, payload: dict) -> None:
    if command == "nominate_officer":
        world.ok(command, **payload)
    result = world.run(command, **payload)
    assert (result["error"]["kind"], result["error"]["rule_id"]) == ("conflict", "record.unique_id")


def test_a_booking_is_released_from_criminal_custody_once(world: World) -> None:
    booked_with_warrant(world, "BK-1")
    world.ok("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-1", reason="bail")
    result = world.run("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-1", reason="bail")
    assert result["error"]["rule_id"] == "lifecycle.booking"


def test_a_warrant_is_lodged_only_while_the_person_is_held(world: World) -> None:
    booked_with_warrant(world, "BK-1")
    world.ok("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-1", reason="bail")
    result = world.run("lodge_warrant", warrant_id="WR-late", booking_id="BK-1", form="I-200", number="9",
                       issued_on=world.clock.date().isoformat())
    assert result["error"]["rule_id"] == "warrant.lodged_while_held"


def test_an_unknown_time_zone_is_invalid_and_named(world: World) -> None:
    result = world.run("register_facility", facility_id="F-2", agency_id="AG-A", name="Annex", timezone="Mars/Olympus")
    assert (result["error"]["kind"], result["error"]["field"]) == ("invalid", "timezone")


def test_an_unknown_field_is_invalid_and_named(world: World) -> None:
    result = world.run("book_person", booking_id="BK-2", facility_id="AG-A-JAIL", agency_id="AG-Z",
                       person={"name": "A", "dob": "1980-01-01"}, charge_status="pending")
    assert (result["error"]["kind"], result["error"]["field"]) == ("invalid", "agency_id")


def test_a_missing_nested_field_is_named_with_its_path(world: World) -> None:
    result = world.run("book_person", booking_id="BK-2", facility_id="AG-A-JAIL", person={"name": "A"},
                       charge_status="pending")
    assert result["error"]["field"] == "person.dob"
