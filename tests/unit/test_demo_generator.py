"""The demo generator: deterministic, time-ordered, and valid under the rules except where it means not to be.

The stream is read back by a small replay (`Story`) that knows only the command vocabulary, so these
tests check the data the way the product will see it.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import pytest

from custody_ledger.demo import generate, generate_commands
from custody_ledger.demo.places import FIELD_OFFICES, PLACES
from custody_ledger.domain.authority import add_months
from custody_ledger.domain.commands import COMMANDS, ENVELOPE_FIELDS, parse_envelope
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.parse import to_primitive

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIMIT = timedelta(hours=48)
Command = dict[str, object]
ID_FIELDS = {
    "register_field_office": "field_office_id", "register_agency": "agency_id",
    "register_facility": "facility_id", "request_agreement": "agreement_id", "nominate_officer": "officer_id",
    "book_person": "booking_id", "lodge_warrant": "warrant_id", "serve_warrant": "hold_id",
    "record_cost": "cost_id", "record_complaint": "complaint_id", "record_steering_meeting": "meeting_id",
}
SERVING, JAIL = {"WSO", "JEM"}, {"JEM"}
SERVABLE = ("I-200", "I-205")
REQUIRED_HOURS = {"WSO": 8, "JEM": 160}
REFRESHER_MONTHS = 12  # policy training.refresher
STAGED = "-staged-"  # an idempotency key names what a deliberately unlawful command is staged to meet


def _at(command: Command) -> datetime:
    return datetime.fromisoformat(str(command["occurred_at"]))


def _day(command: Command, name: str) -> date:
    return date.fromisoformat(str(command[name]))


def _staged(command: Command) -> str:
    """The outcome a command is labelled to meet ('refusal-<rule id>', 'violation-<rule id>'), or ''."""
    _, _, label = str(command["idempotency_key"]).partition(STAGED)
    return label


@dataclass
class Story:
    """What the stream says happened: who belongs where, and when each thing began and ended."""

    agency_of: dict[str, str] = field(default_factory=dict)  # facility, booking, officer -> agency
    booked: dict[str, datetime] = field(default_factory=dict)
    charges: dict[str, str] = field(default_factory=dict)  # booking -> pending / convicted
    released: dict[str, datetime] = field(default_factory=dict)
    release_reasons: dict[str, str] = field(default_factory=dict)
    warrants: dict[str, Command] = field(default_factory=dict)
    cancelled: dict[str, datetime] = field(default_factory=dict)
    agreements: dict[str, dict[str, object]] = field(default_factory=dict)
    agreement_of_agency: dict[str, str] = field(default_factory=dict)
    certificates: dict[str, Command] = field(default_factory=dict)  # officer -> certify_officer, if current
    ever_certified: dict[str, str] = field(default_factory=dict)  # officer -> model
    passed: dict[tuple[str, str], list[date]] = field(default_factory=dict)  # (officer, model) -> courses passed
    serves: dict[str, Command] = field(default_factory=dict)
    ends: dict[str, list[Command]] = field(default_factory=dict)
    unauthorized: list[tuple[Command, str]] = field(default_factory=list)

    def igsa(self, agency_id: str) -> bool:
        agreement = self.agreements.get(self.agreement_of_agency.get(agency_id, ""), {})
        return bool(agreement.get("igsa", False))

    def hold_agency(self, hold_id: str) -> str:
        return self.agency_of[str(self.warrants[str(self.serves[hold_id]["warrant_id"])]["booking_id"])]

    def clock_start(self, hold_id: str) -> datetime:
        serve = self.serves[hold_id]
        booking = str(self.warrants[str(serve["warrant_id"])]["booking_id"])
        return min(self.released[booking], _at(serve))


def _read(commands: list[Command]) -> Story:
    story = Story()
    for command in commands:
        _record(story, command)
        if command["command"] in ("serve_warrant", "interview_status", "issue_detainer", "enter_ice_data"):
            why = _why_not(story, command)
            if why:
                story.unauthorized.append((command, why))
            if command["command"] == "serve_warrant" and not why:
                story.serves[str(command["hold_id"])] = command
    return story


def _record(story: Story, c: Command) -> None:
    name, at = c["command"], _at(c)
    if name == "register_facility":
        story.agency_of[str(c["facility_id"])] = str(c["agency_id"])
    elif name == "nominate_officer":
        story.agency_of[str(c["officer_id"])] = str(c["agency_id"])
    elif name == "book_person":
        story.agency_of[str(c["booking_id"])] = story.agency_of[str(c["facility_id"])]
        story.booked[str(c["booking_id"])] = at
        story.charges[str(c["booking_id"])] = str(c["charge_status"])
    elif name == "release_from_criminal_custody":
        story.released[str(c["booking_id"])] = at
        story.release_reasons[str(c["booking_id"])] = str(c["reason"])
    elif name == "lodge_warrant":
        story.warrants[str(c["warrant_id"])] = c
    elif name == "cancel_warrant":
        story.cancelled[str(c["warrant_id"])] = at
    elif name in ("transfer_custody", "release_hold"):
        story.ends.setdefault(str(c["hold_id"]), []).append(c)
    else:
        _record_program(story, c)


def _record_program(story: Story, c: Command) -> None:
    name, agreement_id = c["command"], str(c.get("agreement_id", ""))
    if name == "request_agreement":
        story.agreements[agreement_id] = {"model": c["model"], "status": "requested"}
        story.agreement_of_agency[str(c["agency_id"])] = agreement_id
    elif name == "sign_agreement":
        story.agreements[agreement_id] |= {"status": "active", "igsa": c["igsa"],
                                           "effective": c["effective_from"],
                                           "expires": c.get("expires_on")}
    elif name in ("suspend_agreement", "reinstate_agreement", "terminate_agreement"):
        statuses = {"suspend_agreement": "suspended", "reinstate_agreement": "active"}
        story.agreements[agreement_id]["status"] = statuses.get(str(name), "terminated")
        if name == "terminate_agreement":  # termination ends every certificate under it
            story.certificates = {o: cert for o, cert in story.certificates.items()
                                  if cert["agreement_id"] != agreement_id}
    elif name == "certify_officer":
        story.certificates[str(c["officer_id"])] = c
        story.ever_certified[str(c["officer_id"])] = str(c["model"])
    elif name in ("suspend_certificate", "revoke_certificate"):
        story.certificates.pop(str(c["officer_id"]), None)
    elif name == "record_training" and int(str(c["exam_score"])) >= 70:  # policy training.exam
        story.passed.setdefault((str(c["officer_id"]), str(c["model"])), []).append(_day(c, "completed_on"))


def _why_not(story: Story, c: Command) -> str:
    """The reason this officer may not act now, or '' (DOMAIN.md: current certificate, agreement in force)."""
    officer, day = str(c["officer_id"]), _at(c).date()
    cert = story.certificates.get(officer)
    if cert is None:
        return "no current certificate"
    if cert.get("expires_on") is not None and day >= _day(cert, "expires_on"):
        return "certificate expired"
    if str(cert["model"]) not in (SERVING if c["command"] == "serve_warrant" else JAIL):
        return f"{cert['model']} may not {c['command']}"
    agreement = story.agreements[str(cert["agreement_id"])]
    expires = date.fromisoformat(str(agreement["expires"])) if agreement.get("expires") else date.max
    effective = date.fromisoformat(str(agreement["effective"]))
    if agreement["status"] != "active" or not effective <= day < expires:
        return "agreement not in force"
    last = max((d for d in story.passed.get((officer, str(cert["model"])), []) if d <= day), default=None)
    if last is None or day >= add_months(last, REFRESHER_MONTHS):
        return "training not current"
    booking = str(c.get("booking_id") or story.warrants[str(c["warrant_id"])]["booking_id"])
    return "" if story.agency_of[booking] == story.agency_of[officer] else "not the officer's own agency"


@pytest.fixture(scope="module")
def commands() -> list[Command]:
    return list(generate(7, NOW))


@pytest.fixture(scope="module")
def story(commands: list[Command]) -> Story:
    return _read(commands)


@pytest.fixture(scope="module")
def hundred_thousand() -> tuple[list[Command], float]:
    started = time.perf_counter()
    result = generate_commands(1, NOW, 100_000)
    return result, time.perf_counter() - started


def _named(commands: list[Command], *names: str) -> list[Command]:
    return [c for c in commands if c["command"] in names]


def _open_holds(story: Story) -> list[str]:
    return [hold for hold in story.serves if hold not in story.ends]


# --- Determinism and order ----------------------------------------------------------------------------


def test_same_seed_and_now_give_identical_commands(commands: list[Command]) -> None:
    assert list(generate(7, NOW)) == commands


def test_another_seed_gives_different_commands(commands: list[Command]) -> None:
    assert list(generate(8, NOW)) != commands


def test_fewer_agencies_are_a_prefix_of_the_same_shuffle(commands: list[Command]) -> None:
    few = [c["agency_id"] for c in _named(list(generate(7, NOW, agencies=5)), "register_agency")]
    assert few == [c["agency_id"] for c in _named(commands, "register_agency")][:5]


def test_occurred_at_never_decreases(commands: list[Command]) -> None:
    times = [_at(c) for c in commands]
    assert all(a <= b for a, b in pairwise(times))


def test_nothing_occurs_after_now(commands: list[Command]) -> None:
    assert max(_at(c) for c in commands) <= NOW


def test_occurred_at_is_iso_8601_in_utc(commands: list[Command]) -> None:
    assert all(str(c["occurred_at"]).endswith("+00:00") for c in commands)


def test_idempotency_keys_are_unique(commands: list[Command]) -> None:
    keys = [c["idempotency_key"] for c in commands]
    assert len(set(keys)) == len(keys)


def test_entity_ids_are_unique(commands: list[Command]) -> None:
    ids = [c[ID_FIELDS[str(c["command"])]] for c in commands if c["command"] in ID_FIELDS]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def _given(value: object) -> object:
    """A parsed payload as the JSON it came from: optional fields left out are absent, not null."""
    if isinstance(value, dict):
        return {k: _given(v) for k, v in value.items() if v is not None}
    return value


# Departures are not simulated: the demo's officers stay with their agencies.
# record_alert is the watchdog's (start.sh's server raises what is due for the demo's open holds); routes and
# acknowledgements are people's choices on a running product, with receivers the demo does not have.
# An order lifting a seal is rare enough that the demo has none.
NOT_IN_DEMO = {"separate_officer", "record_alert", "acknowledge_alert", "set_alert_route", "remove_alert_route",
               "unseal_person",
               # What ICE's public list says of an agreement after signing: the importer's (interop/ice_agreements.py,
               # tests/integration/test_ice_import.py), not the synthetic history's.
               "amend_agency", "resign_agreement", "amend_agreement", "attach_agreement_document", "delist_agreement",
               "relist_agreement"}


def test_every_command_parses_under_the_vocabulary_and_means_exactly_what_it_says(commands: list[Command]) -> None:
    """Parsed and turned back into JSON, each generated command is unchanged: no field the parser dropped,
    renamed or coerced; and the demo exercises every command of the vocabulary but the ones it says it does not."""
    changed = []
    for command in commands:
        body = {k: v for k, v in command.items() if k not in ENVELOPE_FIELDS}
        if _given(to_primitive(parse_envelope(command).payload)) != body:
            changed.append(command)
    produced = {str(c["command"]) for c in commands}
    assert (changed[:3], sorted(set(COMMANDS) - produced - NOT_IN_DEMO), sorted(produced & NOT_IN_DEMO)) == (
        [], [], [])


def test_a_command_the_vocabulary_does_not_have_is_refused(commands: list[Command]) -> None:
    """The control for the test above: the parser is not one that accepts anything."""
    mangled = {**commands[0], "unheard_of_field": 1}
    with pytest.raises(Invalid) as refused:
        parse_envelope(mangled)
    assert refused.value.field == "unheard_of_field"


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        generate(7, NOW.replace(tzinfo=None))


def test_more_agencies_than_places_are_refused() -> None:
    with pytest.raises(ValueError, match="agencies"):
        generate(7, NOW, agencies=len(PLACES) + 1)


# --- Warrants, arrests, holds -------------------------------------------------------------------------


def test_every_serve_follows_a_warrant_lodged_earlier_on_a_booking_released_earlier(story: Story) -> None:
    late = [h for h, s in story.serves.items()
            if not (_at(story.warrants[str(s["warrant_id"])]) <= story.clock_start(h) <= _at(s))]
    assert late == []


def test_served_warrants_are_administrative_and_uncancelled_when_served(story: Story) -> None:
    unservable = [s for s in story.serves.values()
                  if story.warrants[str(s["warrant_id"])]["form"] not in SERVABLE
                  or story.cancelled.get(str(s["warrant_id"]), NOW + LIMIT) <= _at(s)]
    assert unservable == []


def test_every_serve_comes_before_the_limit_counted_from_the_release_runs_out(story: Story) -> None:
    late = [h for h, s in story.serves.items()
            if _at(s) >= story.released[str(story.warrants[str(s["warrant_id"])]["booking_id"])] + LIMIT]
    assert late == []


def test_no_warrant_is_left_lodged_on_anyone_released_from_criminal_custody(story: Story) -> None:
    served = {str(s["warrant_id"]) for s in story.serves.values()}
    lodged = [w for w, c in story.warrants.items()
              if str(c["booking_id"]) in story.released and w not in served and w not in story.cancelled]
    assert lodged == []


def test_a_warrant_no_officer_serves_is_lifted_at_the_release(story: Story) -> None:
    served = {str(s["warrant_id"]) for s in story.serves.values()}
    lifted = [w for w, at in story.cancelled.items()
              if w not in served and story.released.get(str(story.warrants[w]["booking_id"])) == at]
    assert lifted


def test_a_booking_has_at_most_one_hold(story: Story) -> None:
    holds = Counter(str(story.warrants[str(s["warrant_id"])]["booking_id"]) for s in story.serves.values())
    assert [b for b, n in holds.items() if n > 1] == []


def test_release_reasons_fit_the_charges(story: Story) -> None:
    unfit = [b for b, reason in story.release_reasons.items()
             if (reason, story.charges[b]) in {("sentence_served", "pending"), ("charges_dropped", "convicted")}]
    assert unfit == []


def test_limit_reached_releases_come_at_or_after_the_deadline_and_never_under_an_igsa(story: Story) -> None:
    early = [h for h, (end,) in story.ends.items() if end.get("reason") == "limit_reached"
             and (_at(end) < story.clock_start(h) + LIMIT or story.igsa(story.hold_agency(h)))]
    assert early == []


def test_warrant_cancelled_releases_follow_the_cancellation_of_the_served_warrant(story: Story) -> None:
    ends = [(h, end) for h, (end,) in story.ends.items() if end.get("reason") == "warrant_cancelled"]
    early = [h for h, end in ends if story.cancelled.get(str(story.serves[h]["warrant_id"]), NOW + LIMIT) > _at(end)]
    assert (bool(ends), early) == (True, [])


def test_past_limit_releases_are_exactly_the_staged_violations(story: Story) -> None:
    past = {str(end["idempotency_key"]) for (end,) in story.ends.values() if end.get("reason") == "limit_reached"}
    staged = {str(end["idempotency_key"]) for (end,) in story.ends.values()
              if _staged(end) == "violation-custody.violation"}
    assert (past == staged, bool(past)) == (True, True)


def test_every_hold_ends_at_most_once(story: Story) -> None:
    assert [hold for hold, ends in story.ends.items() if len(ends) > 1] == []


def test_every_hold_ends_after_it_was_opened(story: Story) -> None:
    assert [h for h, (end,) in story.ends.items() if _at(end) < _at(story.serves[h])] == []


def test_five_to_fifteen_holds_remain_open(story: Story) -> None:
    assert 5 <= len(_open_holds(story)) <= 15


def test_open_holds_started_their_clock_within_48_hours_of_now(story: Story) -> None:
    assert all(NOW - LIMIT < story.clock_start(h) < NOW - timedelta(hours=29) for h in _open_holds(story))


def test_a_hold_without_igsa_is_released_after_48_hours(story: Story) -> None:
    overdue = [h for h, (end,) in story.ends.items()
               if end["command"] == "release_hold" and _at(end) - story.clock_start(h) > LIMIT
               and not story.igsa(story.hold_agency(h))]
    assert overdue


def test_other_holds_without_igsa_end_within_48_hours(story: Story) -> None:
    long = [h for h, (end,) in story.ends.items()
            if _at(end) - story.clock_start(h) > LIMIT and not story.igsa(story.hold_agency(h))
            and end.get("reason") != "limit_reached"]
    assert long == []


def test_past_the_limit_releases_are_about_one_in_a_hundred(story: Story) -> None:
    overdue = [h for h, (end,) in story.ends.items() if end.get("reason") == "limit_reached"]
    assert 0.002 <= len(overdue) / len(story.ends) <= 0.03


def test_some_igsa_hold_lasts_longer_than_48_hours(story: Story) -> None:
    assert [h for h, (end,) in story.ends.items()
            if _at(end) - story.clock_start(h) > LIMIT and story.igsa(story.hold_agency(h))]


def test_most_arrests_come_within_ten_minutes_of_the_release(story: Story) -> None:
    gaps = [_at(s) - story.clock_start(h) for h, s in story.serves.items()]
    assert sum(g < timedelta(minutes=10) for g in gaps) / len(gaps) > 0.9


def test_some_arrests_leave_time_without_authority(story: Story) -> None:
    gaps = [_at(s) - story.clock_start(h) for h, s in story.serves.items()]
    assert any(timedelta(minutes=10) <= g <= timedelta(minutes=40) for g in gaps)


def test_release_from_criminal_custody_comes_1_to_120_days_after_booking(story: Story) -> None:
    spans = [story.released[b] - story.booked[b] for b in story.released]
    assert all(timedelta(days=1) <= s <= timedelta(days=120) for s in spans)


def test_some_bookings_never_get_a_warrant(story: Story) -> None:
    assert len({w["booking_id"] for w in story.warrants.values()}) < len(story.booked) / 2


def test_some_warrants_are_cancelled_before_release(story: Story) -> None:
    before = [w for w, at in story.cancelled.items()
              if at < story.released.get(str(story.warrants[w]["booking_id"]), NOW)]
    assert before


# --- Authority: agreements, officers, certificates ----------------------------------------------------


def test_every_unauthorized_action_is_a_deliberate_refusal(story: Story) -> None:
    stray = [(c, why) for c, why in story.unauthorized
             if not (c["command"] == "serve_warrant" and str(c["officer_id"]) not in story.ever_certified)
             and not (c["command"] == "interview_status" and why == "WSO may not interview_status")]
    assert stray == []


def test_the_unauthorized_actions_are_exactly_the_ones_labelled_with_their_rule(
    commands: list[Command], story: Story
) -> None:
    rules = {"no current certificate": "certificate.current_required",
             "WSO may not interview_status": "authority.wso"}
    unauthorized = {str(c["idempotency_key"]): f"refusal-{rules.get(why, why)}" for c, why in story.unauthorized}
    labelled = {str(c["idempotency_key"]): _staged(c) for c in commands if _staged(c).startswith("refusal-")}
    assert unauthorized == labelled


def test_officers_take_a_yearly_refresher_and_pass_its_exam(commands: list[Command]) -> None:
    refreshers = [c for c in _named(commands, "record_training") if "refresher" in str(c["course"])]
    assert (bool(refreshers), [c for c in refreshers if int(str(c["exam_score"])) < 70]) == (True, [])


def test_some_officer_still_acts_more_than_a_year_after_their_first_course(story: Story,
                                                                          commands: list[Command]) -> None:
    first = {officer: min(days) for (officer, _), days in story.passed.items()}
    acts = _named(commands, "serve_warrant", "interview_status", "issue_detainer", "enter_ice_data")
    assert [c for c in acts if str(c["officer_id"]) in first
            and _at(c).date() >= add_months(first[str(c["officer_id"])], REFRESHER_MONTHS)]


def test_refused_attempts_are_about_one_booking_in_two_hundred(story: Story) -> None:
    assert 0.002 <= len(story.unauthorized) / len(story.booked) <= 0.01


def test_a_wso_interview_is_attempted(story: Story) -> None:
    assert [c for c, why in story.unauthorized if c["command"] == "interview_status"]


def test_all_three_models_are_requested(commands: list[Command]) -> None:
    assert {c["model"] for c in _named(commands, "request_agreement")} == {"WSO", "JEM", "TFM"}


def test_all_three_models_are_certified(commands: list[Command]) -> None:
    assert {c["model"] for c in _named(commands, "certify_officer")} == {"WSO", "JEM", "TFM"}


def test_agreements_are_declined_suspended_and_one_terminated(commands: list[Command]) -> None:
    fates = Counter(c["command"] for c in _named(commands, "suspend_agreement", "terminate_agreement"))
    declined = [c for c in _named(commands, "review_agreement") if c["decision"] == "declined"]
    assert (fates["terminate_agreement"], fates["suspend_agreement"] >= 1, bool(declined)) == (1, True, True)


def test_officers_exist_at_every_stage(commands: list[Command]) -> None:
    last: dict[str, str] = {}
    for c in _named(commands, "nominate_officer", "record_background_check", "record_training",
                    "certify_officer", "suspend_certificate", "revoke_certificate"):
        failed = c["command"] == "record_background_check" and c["result"] == "failed"
        last[str(c["officer_id"])] = "failed" if failed else str(c["command"])
    expected = {"nominate_officer", "failed", "record_training", "certify_officer", "suspend_certificate",
                "revoke_certificate"}
    assert expected <= set(last.values())


def test_some_officers_retake_one_failed_exam_and_none_fails_twice(commands: list[Command]) -> None:
    failed = Counter((c["officer_id"], c["model"]) for c in _named(commands, "record_training")
                     if int(c["exam_score"]) < 70)
    assert (len(failed) > 0, max(failed.values(), default=0)) == (True, 1)


def test_certification_follows_a_passed_check_and_enough_training(commands: list[Command]) -> None:
    passed: set[str] = set()
    hours: Counter[tuple[str, str]] = Counter()
    short = []
    for c in commands:
        officer = str(c.get("officer_id"))
        if c["command"] == "record_background_check" and c["result"] == "passed":
            passed.add(officer)
        elif c["command"] == "record_training":
            hours[officer, str(c["model"])] += int(str(c["hours"]))
        elif c["command"] == "certify_officer":
            tfm = 40 if _at(c).date() >= date(2025, 1, 20) else 160  # policy training.tfm
            required = REQUIRED_HOURS.get(str(c["model"]), tfm)
            if officer not in passed or hours[officer, str(c["model"])] < required:
                short.append(officer)
    assert short == []


def test_certificates_name_a_supervising_ice_position(commands: list[Command]) -> None:
    assert all("Supervisory" in str(c["supervisor"]) for c in _named(commands, "certify_officer"))


# --- Who pays and who watches (issue 15) -----------------------------------------------------------------

ACCOUNTABILITY = ("record_cost", "record_complaint", "refer_complaint", "close_complaint", "record_steering_meeting",
                  "publish_steering_minutes")
DATE_FIELDS = ("incurred_from", "incurred_to", "received_on", "referred_on", "closed_on", "held_on",
               "minutes_published_on", "published_on")


def test_accountability_dates_are_not_after_the_day_recorded_on_the_field_office_calendar(
    commands: list[Command],
) -> None:
    office = {str(c["field_office_id"]): ZoneInfo(str(c["timezone"]))
              for c in _named(commands, "register_field_office")}
    zone = {str(c["agency_id"]): office[str(c["field_office_id"])] for c in _named(commands, "register_agency")}
    # A referral, closing or publication names its complaint or meeting, recorded earlier with its agency.
    for c in _named(commands, "record_complaint", "record_steering_meeting"):
        zone[str(c.get("complaint_id") or c.get("meeting_id"))] = zone[str(c["agency_id"])]
    late = []
    for c in _named(commands, *ACCOUNTABILITY):
        recorded = _at(c).astimezone(zone[str(c.get("agency_id") or c.get("complaint_id") or c["meeting_id"])])
        late += [c for name in DATE_FIELDS if name in c and _day(c, name) > recorded.date()]
    assert late == []


def test_every_agency_with_certified_officers_books_their_hours_and_the_demo_every_kind_of_cost(
    commands: list[Command], story: Story
) -> None:
    certified = {story.agency_of[str(c["officer_id"])] for c in _named(commands, "certify_officer")}
    kinds: dict[str, set[str]] = {}
    for c in _named(commands, "record_cost"):
        kinds.setdefault(str(c["agency_id"]), set()).add(str(c["kind"]))
    assert [a for a in certified if not {"officer_hours", "training_hours"} <= kinds.get(a, set())] == []
    assert {"officer_hours", "detention_hours", "training_hours", "per_diem_billed", "per_diem_paid"} == set().union(
        *kinds.values())


def test_per_diem_is_money_under_an_igsa_agreement_in_force_on_its_last_day(commands: list[Command]) -> None:
    signed = {str(c["agreement_id"]): c for c in _named(commands, "sign_agreement")}
    per_diem = [c for c in _named(commands, "record_cost") if str(c["kind"]).startswith("per_diem")]
    wrong = [c for c in per_diem if "hours" in c or not signed[str(c["agreement_id"])]["igsa"]
             or _day(c, "incurred_to") < _day(signed[str(c["agreement_id"])], "effective_from")]
    assert (bool(per_diem), wrong) == (True, [])


def test_a_billed_per_diem_day_costs_80_to_150_dollars(commands: list[Command]) -> None:
    billed = _named(commands, "record_cost")
    rates = [int(str(c["amount_cents"])) / int(str(c["note"]).split()[0]) for c in billed
             if c["kind"] == "per_diem_billed"]
    assert rates and all(8_000 <= rate <= 15_000 for rate in rates)


def test_complaints_are_referred_to_each_body_once_and_closed_once_never_before_received_or_referred(
    commands: list[Command],
) -> None:
    received: dict[str, date] = {}
    referred: dict[str, dict[str, date]] = {}
    closed: dict[str, date] = {}
    wrong = []
    for c in _named(commands, "record_complaint", "refer_complaint", "close_complaint"):
        complaint = str(c["complaint_id"])
        if c["command"] == "record_complaint":
            received[complaint] = _day(c, "received_on")
        elif c["command"] == "refer_complaint":
            bodies = referred.setdefault(complaint, {})
            if str(c["referred_to"]) in bodies or complaint in closed or _day(c, "referred_on") < received[complaint]:
                wrong.append(c)
            bodies[str(c["referred_to"])] = _day(c, "referred_on")
        else:
            if complaint in closed or _day(c, "closed_on") < max([received[complaint],
                                                                   *referred.get(complaint, {}).values()]):
                wrong.append(c)
            closed[complaint] = _day(c, "closed_on")
    assert (wrong, len(referred) > len(received) / 2, len(closed) > len(received) / 3) == ([], True, True)


def test_a_complaint_names_only_its_own_agencys_officer(commands: list[Command], story: Story) -> None:
    named = [c for c in _named(commands, "record_complaint") if "officer_id" in c]
    assert (bool(named), [c for c in named if story.agency_of[str(c["officer_id"])] != c["agency_id"]]) == (True, [])


def test_few_steering_committees_meet_and_minutes_follow_their_meetings(commands: list[Command]) -> None:
    meetings = {str(c["meeting_id"]): c for c in _named(commands, "record_steering_meeting")}
    met = {str(c["agreement_id"]) for c in meetings.values()}
    late = [c for c in meetings.values()
            if "minutes_published_on" in c and _day(c, "minutes_published_on") < _day(c, "held_on")]
    late += [c for c in _named(commands, "publish_steering_minutes")
             if _day(c, "published_on") < _day(meetings[str(c["meeting_id"])], "held_on")]
    assert (0 < len(met) <= len(_named(commands, "sign_agreement")) / 2, late) == (True, [])


# --- Places --------------------------------------------------------------------------------------------


def test_a_facility_zone_keeps_no_daylight_saving_time(commands: list[Command]) -> None:
    zones = {ZoneInfo(str(c["timezone"])) for c in _named(commands, "register_facility")}
    winter, summer = datetime(2025, 1, 15), datetime(2025, 7, 15)
    assert any(z.utcoffset(winter) == z.utcoffset(summer) for z in zones)


def test_every_timezone_is_an_iana_zone() -> None:
    zones = {p.timezone for p in PLACES} | {o.timezone for o in FIELD_OFFICES}
    assert zones <= available_timezones()


def test_every_place_belongs_to_a_known_field_office() -> None:
    assert {p.field_office for p in PLACES} <= {o.code for o in FIELD_OFFICES}


def test_oris_are_a_state_code_five_digits_and_two_characters() -> None:
    assert all(re.fullmatch(rf"{p.state}\d{{5}}[0-9A-Z]{{2}}", p.ori) for p in PLACES)


def test_oris_are_unique() -> None:
    assert len({p.ori for p in PLACES}) == len(PLACES)


# --- Size and speed -------------------------------------------------------------------------------------


def test_generate_commands_returns_exactly_n(hundred_thousand: tuple[list[Command], float]) -> None:
    assert len(hundred_thousand[0]) == 100_000


def test_generate_commands_makes_100_000_in_under_20_seconds(
    hundred_thousand: tuple[list[Command], float],
) -> None:
    assert hundred_thousand[1] < 20.0
