"""GET /holds?due_within=…: the watch list reads 4h as the CLI does, and names the field when it cannot."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.conftest import Api


def test_due_within_reads_hours_as_the_cli_does(api: Api) -> None:
    hold_a = api.client.get("/holds/H-A", headers=api.headers("program-admin")).json()
    api.clock.now = datetime.fromisoformat(hold_a["deadline"]) - timedelta(hours=3)  # H-B is due 2 h after H-A
    headers = api.login("program-admin")  # the clock moved past the idle limit of the first session
    ids = {text: [h["hold_id"] for h in api.client.get("/holds", params={"due_within": text},
                                                      headers=headers).json()["items"]]
           for text in ("4h", "240m", "5h")}
    assert ids == {"4h": ["H-A"], "240m": ["H-A"], "5h": ["H-A", "H-B"]}


@pytest.mark.parametrize("text", ["4 hours", "14400", "4"])
def test_a_due_within_it_cannot_read_is_422_naming_the_field(api: Api, text: str) -> None:
    response = api.client.get("/holds", params={"due_within": text}, headers=api.headers("program-admin"))
    assert (response.status_code, response.json()["field"]) == (422, "due_within")
