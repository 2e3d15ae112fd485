"""What each role does in the browser all day, on Chromium: the tests of issue 14, point 9."""

from __future__ import annotations

import re

import pytest

from tests.e2e import scene
from tests.e2e.conftest import Site, Tab

START = {"records": "/ui/holds", "agency-admin": "/ui/holds", "supervisor": "/ui/holds", "wso": "/ui/serve",
         "admin": "/ui/agreements", "auditor": "/ui/ledger"}


@pytest.mark.parametrize("user", list(START))
def test_each_role_logs_in_to_its_own_start_page(tab: Tab, user: str) -> None:
    tab.login(user)
    assert tab.page.url.endswith(START[user])
    tab.check(f"start-{user}")


def test_the_log_in_page_is_accessible_and_refuses_a_wrong_password(tab: Tab) -> None:
    tab.go("/")
    tab.check("login")
    tab.page.fill("#username", "records")
    tab.page.fill("#password", "not-the-password")
    tab.page.click("form.login button")
    assert "wrong password" in tab.page.inner_text("[role=alert]")


def test_log_in_and_acknowledge_by_keyboard_alone(tab: Tab) -> None:
    tab.go("/")
    assert tab.page.evaluate("document.activeElement.id") == "username"  # the page starts where typing does
    tab.page.keyboard.type("records")
    tab.page.keyboard.press("Tab")
    tab.page.keyboard.type(scene.PASSWORD)
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(re.compile(r"/ui/holds$"))
    tab.page.focus("ul.alerts li.alert button")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("li.acknowledged")


def test_the_board_counts_down_and_colours_the_hold_due_within_the_hour(tab: Tab) -> None:
    tab.login("records")
    row = tab.page.locator("tr", has=tab.page.locator("a", has_text="H-DUE"))
    assert "hour" in (row.get_attribute("class") or "")
    clock = row.locator("time.countdown")
    first = clock.inner_text()
    tab.page.wait_for_function("(before) => document.querySelector('tr.hour time.countdown').textContent !== before",
                               arg=first, timeout=5000)
    assert re.fullmatch(r"\d+ min \d\d s left", clock.inner_text())
    assert "CST" in row.inner_text() or "CDT" in row.inner_text()  # the Texas facility's own time


def test_holds_under_an_igsa_are_listed_apart(tab: Tab) -> None:
    tab.login("supervisor")
    igsa = tab.page.locator("section", has=tab.page.locator("#igsa-h"))
    assert "H-IGSA" in igsa.inner_text()
    assert "H-IGSA" not in tab.page.locator("table.holds").inner_text()


def test_a_supervisor_acknowledges_an_alert(tab: Tab) -> None:
    tab.login("supervisor")
    alerts = tab.page.locator("ul.alerts li.alert:not(.acknowledged)")
    before = alerts.count()
    assert before > 0
    alerts.first.locator("button").click()
    tab.page.wait_for_selector("li.acknowledged")
    tab.go("/ui/holds")
    assert tab.page.locator("ul.alerts li.alert").count() == before - 1


def test_an_officer_serves_a_warrant_after_seeing_its_deadline(tab: Tab) -> None:
    tab.login("wso")
    tab.page.click("text=Review WR-BK-SERVE")
    deadline = tab.page.inner_text("#deadline")
    assert re.search(r"\d\d:\d\d C[SD]T", deadline)
    tab.check("serve-preview")
    tab.page.click("text=Confirm: serve the warrant")
    tab.page.wait_for_url(re.compile(r"/ui/holds/AG-A\..*done=serve_warrant"))
    assert "Recorded: serve warrant" in tab.page.inner_text("main")
    assert deadline in tab.page.inner_text("section.status")
    tab.check("hold-served")


def test_serving_past_the_limit_is_refused_with_the_rule(tab: Tab) -> None:
    tab.login("wso")
    tab.go("/ui/serve/WR-BK-LATE")
    refusal = tab.page.inner_text("#refusal")
    assert "custody.serve_within_limit" in refusal and "had to be released" in refusal
    assert tab.page.locator("text=Confirm: serve the warrant").count() == 0
    tab.check("serve-refused")


def test_a_supervisor_transfers_a_hold_to_ice(tab: Tab) -> None:
    tab.login("supervisor")
    tab.go("/ui/holds/H-LATER")
    tab.check("hold")
    tab.page.fill("#transfer_custody-receiving_officer", "Deportation Officer R. Diaz")
    tab.page.click("text=Record the transfer to ICE >> nth=-1")
    tab.page.wait_for_url(re.compile(r"done=transfer_custody"))
    assert "Status: transferred" in tab.page.inner_text("main")
    assert "custody transferred" in tab.page.inner_text("ol.timeline")


def test_a_refused_transfer_shows_the_rule_beside_the_form(tab: Tab, site: Site) -> None:
    tab.login("supervisor")
    tab.go("/ui/holds/H-SOON")
    # Meanwhile the jail released the person: the page the supervisor holds is out of date.
    assert scene.run(site.engine, site.policy, "release_hold", hold_id="H-SOON", reason="court_order")["ok"]
    tab.page.fill("#transfer_custody-receiving_officer", "Deportation Officer R. Diaz")
    tab.page.click("text=Record the transfer to ICE >> nth=-1")
    error = tab.page.locator("main [role=alert]")
    assert "hold.ends_once" in error.inner_text()
    assert "A hold ends once" in error.inner_text()
    assert "Traceback" not in tab.page.content()
    tab.check("hold-refused")


def test_an_auditor_verifies_the_chain(tab: Tab) -> None:
    tab.login("auditor")
    tab.page.click("text=Verify the chain")
    tab.page.wait_for_selector("#verified h2")
    assert "The ledger verifies" in tab.page.inner_text("#verified")
    tab.check("ledger-verified")


@pytest.mark.parametrize(("user", "path", "name"), [
    ("records", "/ui/holds/H-DUE", "hold-due"),
    ("admin", "/ui/agreements/AGR-AG-A-WSO", "agreement"),
    ("admin", "/ui/agreements?model=WSO", "agreements-filtered"),
    ("supervisor", "/ui/officers", "officers"),
    ("supervisor", "/ui/officers/OFF-A2", "officer"),
    ("agency-admin", "/ui/agreements", "agreements-agency"),
    ("auditor", "/ui/access-log", "access-log"),
    ("auditor", "/ui/ledger?type=hold_opened", "ledger-filtered"),
    ("supervisor", "/ui/reports", "reports"),
])
def test_every_page_is_accessible_at_desktop_and_phone_width(tab: Tab, user: str, path: str, name: str) -> None:
    tab.login(user)
    response = tab.go(path)
    assert response.status == 200
    tab.check(name)


def test_an_agency_nominates_an_officer_and_ice_records_the_background_check(tab: Tab) -> None:
    tab.login("agency-admin")
    tab.go("/ui/officers")
    assert tab.page.input_value("#nominate_officer-officer_id") == "AG-A."
    tab.page.fill("#nominate_officer-officer_id", "AG-A.OFF-9")
    tab.page.fill("#nominate_officer-name", "Officer Nine")
    tab.page.fill("#nominate_officer-badge", "A9")
    tab.page.click("text=Nominate an officer >> nth=-1")
    tab.page.wait_for_url(re.compile(r"/ui/officers/AG-A\.OFF-9\?done=nominate_officer"))
    tab.page.click("text=Log out")
    tab.login("supervisor")
    tab.go("/ui/officers/AG-A.OFF-9")
    tab.page.select_option("#record_background_check-result", "passed")
    tab.page.click("text=Record the background check >> nth=-1")
    tab.page.wait_for_url(re.compile(r"done=record_background_check"))
    assert "passed" in tab.page.inner_text("dl")


def test_a_program_administrator_suspends_and_reinstates_an_agreement(tab: Tab) -> None:
    tab.login("admin")
    tab.go("/ui/agreements/AGR-AG-B-WSO")
    tab.page.fill("#suspend_agreement-reason", "Steering committee review")
    tab.page.click("text=Suspend the agreement >> nth=-1")
    tab.page.wait_for_url(re.compile(r"done=suspend_agreement"))
    assert "suspended" in tab.page.inner_text("dl")
    tab.page.fill("#reinstate_agreement-reason", "Review closed")
    tab.page.click("text=Reinstate the agreement >> nth=-1")
    tab.page.wait_for_url(re.compile(r"done=reinstate_agreement"))
    assert "active" in tab.page.inner_text("dl")


def test_a_serve_refused_on_confirm_shows_the_rule_beside_the_button(tab: Tab, site: Site) -> None:
    tab.login("wso")
    tab.go("/ui/serve/WR-BK-NEXT")
    # Meanwhile the program suspends the agency's agreement: the preview the officer reads is out of date.
    assert scene.run(site.engine, site.policy, "suspend_agreement", agreement_id="AGR-AG-A-WSO",
                     reason="suspended while the officer looked")["ok"]
    try:
        tab.page.click("text=Confirm: serve the warrant")
        error = tab.page.locator("#form-serve_warrant [role=alert]")
        assert "agreement.active_required" in error.inner_text()
        assert "No delegated authority without a written agreement" in error.inner_text()
        tab.check("serve-refused-on-confirm")
    finally:
        assert scene.run(site.engine, site.policy, "reinstate_agreement", agreement_id="AGR-AG-A-WSO",
                         reason="reinstated after the test")["ok"]


def test_the_public_reads_the_transparency_report_without_logging_in(tab: Tab) -> None:
    answer = tab.go("/transparency")
    assert answer.status == 200
    assert tab.page.inner_text("h1") == "287(g) program: public figures"
    assert tab.page.locator("table").count() >= 2  # the provenance, then a table per model and measure
    tab.check("transparency")  # its own style block is allowed by hash: a refused style is a console error
    table = tab.page.get_attribute("a[href^='/transparency.csv']", "href")
    answer = tab.page.request.get(tab.site.url + table)  # a browser downloads CSV rather than show it
    assert (answer.status, answer.headers["content-type"], answer.text().startswith("section,")) == (
        200, "text/csv; charset=utf-8", True)
