"""domain.history: an entity as it stood at a moment; a notice takes effect from its own moment or named day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody_ledger.domain import history
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.events import CertificateRevoked, CertificateSuspended, OfficerCertified
from custody_ledger.domain.ids import AgencyId, AgreementId, OfficerId
from custody_ledger.domain.model import AgreementModel, CertificateStatus
from custody_ledger.domain.officers import evolve_certificate
from custody_ledger.policy import default_policy

CHICAGO = ZoneInfo("America/Chicago")
WSO = AgreementModel.WSO
CERTIFIED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _certified() -> history.Entry:
    return history.Entry(OfficerCertified(OfficerId("O-1"), WSO, AgreementId("AGR"), AgencyId("A"), "CR-1", "SDDO"),
                         CERTIFIED)


def _status_at(entries: list[history.Entry], at: datetime) -> CertificateStatus | None:
    cert = history.state_at(entries, at, at.astimezone(CHICAGO).date(), evolve_certificate)
    return None if cert is None else cert.status


def test_nothing_stood_before_the_first_event() -> None:
    assert _status_at([_certified()], CERTIFIED - timedelta(seconds=1)) is None


def test_a_revocation_stands_from_its_own_moment_and_not_before() -> None:
    revoked = history.Entry(CertificateRevoked(OfficerId("O-1"), WSO, "misconduct"), CERTIFIED + timedelta(days=2))
    entries = [_certified(), revoked]
    assert (_status_at(entries, revoked.occurred_at - timedelta(seconds=1)), _status_at(entries, revoked.occurred_at)) \
        == (CertificateStatus.CURRENT, CertificateStatus.REVOKED)


def test_a_suspension_naming_a_later_day_stands_from_that_days_local_midnight() -> None:
    notice_at = CERTIFIED + timedelta(days=1)
    suspended = history.Entry(CertificateSuspended(OfficerId("O-1"), WSO, "review", date(2026, 3, 10)), notice_at)
    entries = [_certified(), suspended]
    midnight = datetime.combine(date(2026, 3, 10), time(0), tzinfo=CHICAGO).astimezone(UTC)
    assert (_status_at(entries, midnight - timedelta(seconds=1)), _status_at(entries, midnight)) == (
        CertificateStatus.CURRENT, CertificateStatus.SUSPENDED)


@given(notice_offset=st.integers(min_value=0, max_value=30 * 24 * 3600), days_later=st.integers(0, 20),
       probe=st.integers(min_value=-3 * 24 * 3600, max_value=60 * 24 * 3600))
def test_a_notice_takes_effect_at_the_later_of_its_moment_and_its_named_days_start(
        notice_offset: int, days_later: int, probe: int) -> None:
    notice_at = CERTIFIED + timedelta(seconds=notice_offset)
    named = notice_at.astimezone(CHICAGO).date() + timedelta(days=days_later)
    entry = history.Entry(CertificateRevoked(OfficerId("O-1"), WSO, "r", None, named), notice_at)
    # The oracle: the named day's first instant in Chicago, found by walking back from its noon.
    start_of_day = datetime.combine(named, time(12), tzinfo=CHICAGO)
    while (start_of_day - timedelta(minutes=30)).astimezone(CHICAGO).date() == named:
        start_of_day -= timedelta(minutes=30)
    takes_effect = max(notice_at, start_of_day.astimezone(UTC))
    at = notice_at + timedelta(seconds=probe)
    assert history.in_effect(entry, at, at.astimezone(CHICAGO).date()) is (at >= takes_effect)


def test_a_notice_may_name_its_own_day_but_not_an_earlier_one() -> None:
    view = default_policy().at(CERTIFIED, CHICAGO)
    assert history.require_not_backdated(view.day, view) == view.day
    with pytest.raises(Invalid) as refused:
        history.require_not_backdated(view.day - timedelta(days=1), view)
    assert (refused.value.field, refused.value.rule and refused.value.rule.id) == ("effective_on",
                                                                                   "notice.effective_date")
