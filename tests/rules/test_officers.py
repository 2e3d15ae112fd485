"""Only a certified officer acts; certification needs a passed background check, full training of the
model and the supervising ICE position (INA § 287(g)(2), (g)(5))."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.world import World, certified_officer, serve_attempt


def _nominate(world: World, officer: str) -> None:
    world.ok("nominate_officer", officer_id=officer, agency_id="AG-A", name="N. Officer", badge="77")


def _train(world: World, officer: str, model: str = "WSO", hours: int = 8, **exam: int) -> None:
    world.ok("record_training", officer_id=officer, model=model, course=f"{model} course", hours=hours,
             completed_on=world.clock.date().isoformat(), **exam)


def _certify(world: World, officer: str, **extra: object) -> dict:
    payload = {"officer_id": officer, "model": "WSO", "agreement_id": "AGR-AG-A-WSO", "credential_no": "CR-9",
               "supervisor": "Supervisory Detention and Deportation Officer, Houston ERO", **extra}
    return world.run("certify_officer", **payload)


def test_nominated_officer_is_refused(world: World) -> None:
    _nominate(world, "OFF-N")
    assert serve_attempt(world, "H-1", "OFF-N")["error"]["rule_id"] == "certificate.current_required"


def test_officer_who_failed_the_background_check_cannot_be_certified(world: World) -> None:
    _nominate(world, "OFF-F")
    world.ok("record_background_check", officer_id="OFF-F", result="failed")
    _train(world, "OFF-F")
    assert _certify(world, "OFF-F")["error"]["rule_id"] == "certification.background_check"


def test_officer_who_failed_the_background_check_is_refused(world: World) -> None:
    _nominate(world, "OFF-F")
    world.ok("record_background_check", officer_id="OFF-F", result="failed")
    result = serve_attempt(world, "H-1", "OFF-F")
    assert (result["error"]["rule_id"], "background" in result["error"]["message"]) == (
        "certificate.current_required", True)


def test_untrained_officer_cannot_be_certified(world: World) -> None:
    _nominate(world, "OFF-U")
    world.ok("record_background_check", officer_id="OFF-U", result="passed")
    assert _certify(world, "OFF-U")["error"]["rule_id"] == "training.wso"


def test_certification_requires_the_full_training_hours_of_the_model(world: World) -> None:
    _nominate(world, "OFF-U")
    world.ok("record_background_check", officer_id="OFF-U", result="passed")
    _train(world, "OFF-U", hours=7)
    assert _certify(world, "OFF-U")["error"]["rule_id"] == "training.wso"


@pytest.mark.parametrize(("model", "short", "rule"), [("JEM", 159, "training.jem"), ("TFM", 39, "training.tfm")])
def test_certification_requires_the_training_length_of_each_model(world: World, model: str, short: int,
                                                                  rule: str) -> None:
    from tests.support.world import add_agreement

    add_agreement(world, "AG-A", model=model)
    _nominate(world, "OFF-M")
    world.ok("record_background_check", officer_id="OFF-M", result="passed")
    _train(world, "OFF-M", model=model, hours=short)
    result = _certify(world, "OFF-M", model=model, agreement_id=f"AGR-AG-A-{model}")
    assert result["error"]["rule_id"] == rule


def test_training_hours_add_up_across_courses(world: World) -> None:
    _nominate(world, "OFF-U")
    world.ok("record_background_check", officer_id="OFF-U", result="passed")
    _train(world, "OFF-U", hours=4)
    _train(world, "OFF-U", hours=4)
    assert _certify(world, "OFF-U")["ok"]


def test_training_for_another_model_does_not_count(world: World) -> None:
    _nominate(world, "OFF-U")
    world.ok("record_background_check", officer_id="OFF-U", result="passed")
    _train(world, "OFF-U", model="TFM", hours=40)
    assert _certify(world, "OFF-U")["error"]["rule_id"] == "training.wso"


# --- exams: 70 % to pass, one retake over the whole course (policy training.exam) --------------------------


def _checked(world: World, officer: str) -> None:
    _nominate(world, officer)
    world.ok("record_background_check", officer_id=officer, result="passed")


@pytest.mark.parametrize(("score", "certified"), [(69, False), (70, True)])
def test_a_course_counts_only_when_its_exam_scores_70_percent(world: World, score: int, certified: bool) -> None:
    _checked(world, "OFF-E")
    _train(world, "OFF-E", exam_score=score)
    result = _certify(world, "OFF-E")
    assert (result["ok"], (result.get("error") or {}).get("rule_id")) == (
        (True, None) if certified else (False, "training.wso"))


def test_one_failed_exam_may_be_retaken(world: World) -> None:
    _checked(world, "OFF-E")
    _train(world, "OFF-E", exam_score=55)
    _train(world, "OFF-E", exam_score=85)
    assert _certify(world, "OFF-E")["ok"]


def test_a_second_failed_exam_disqualifies_the_officer_for_that_model(world: World) -> None:
    _checked(world, "OFF-E")
    _train(world, "OFF-E", hours=4, exam_score=60)
    _train(world, "OFF-E", hours=8, exam_score=95)  # enough passed hours on their own
    _train(world, "OFF-E", hours=4, exam_score=50)
    more = world.run("record_training", officer_id="OFF-E", model="WSO", course="again", hours=8,
                     completed_on=world.clock.date().isoformat(), exam_score=100)
    assert (_certify(world, "OFF-E")["error"]["rule_id"], more["error"]["rule_id"]) == ("training.exam",
                                                                                        "training.exam")


def test_failed_exams_of_another_model_do_not_disqualify(world: World) -> None:
    _checked(world, "OFF-E")
    _train(world, "OFF-E", model="TFM", hours=20, exam_score=40)
    _train(world, "OFF-E", model="TFM", hours=20, exam_score=40)
    _train(world, "OFF-E", exam_score=80)
    assert _certify(world, "OFF-E")["ok"]


def test_an_exam_score_above_100_percent_is_invalid(world: World) -> None:
    _checked(world, "OFF-E")
    result = world.run("record_training", officer_id="OFF-E", model="WSO", course="x", hours=8,
                       completed_on=world.clock.date().isoformat(), exam_score=101)
    assert (result["error"]["kind"], result["error"]["field"]) == ("invalid", "exam_score")


def test_certification_must_name_the_supervising_ice_position(world: World) -> None:
    _nominate(world, "OFF-S")
    world.ok("record_background_check", officer_id="OFF-S", result="passed")
    _train(world, "OFF-S")
    result = _certify(world, "OFF-S", supervisor=None)
    assert (result["error"]["rule_id"], result["error"]["field"]) == ("certification.supervisor", "supervisor")


def test_certificate_records_the_supervising_ice_position(world: World, engine) -> None:
    import sqlalchemy as sa

    from custody_ledger.ledger.schema import certificates

    certified_officer(world, "OFF-1")
    with engine.connect() as conn:
        supervisor = conn.execute(sa.select(certificates.c.supervisor)).scalar_one()
    assert supervisor == "SDDO, Houston ERO"


@pytest.mark.parametrize("action", ["suspend_certificate", "revoke_certificate"])
def test_suspended_or_revoked_officer_is_refused(world: World, action: str) -> None:
    certified_officer(world, "OFF-1")
    world.ok(action, officer_id="OFF-1", model="WSO", reason="ICE withdrew authority by written notice")
    assert serve_attempt(world, "H-1", "OFF-1")["error"]["rule_id"] == "certificate.current_required"


def test_expired_certificate_is_refused(world: World) -> None:
    _nominate(world, "OFF-E")
    world.ok("record_background_check", officer_id="OFF-E", result="passed")
    _train(world, "OFF-E")
    assert _certify(world, "OFF-E", expires_on=(world.clock + timedelta(days=2)).date().isoformat())["ok"]
    world.later(days=3)
    result = serve_attempt(world, "H-1", "OFF-E")
    assert (result["error"]["rule_id"], "expired" in result["error"]["message"]) == (
        "certificate.current_required", True)


def test_a_revoked_certificate_cannot_be_suspended(world: World) -> None:
    certified_officer(world, "OFF-1")
    world.ok("revoke_certificate", officer_id="OFF-1", model="WSO", reason="left the agency")
    result = world.run("suspend_certificate", officer_id="OFF-1", model="WSO", reason="again")
    assert result["error"]["rule_id"] == "lifecycle.certificate"


def test_certified_officer_may_serve(world: World) -> None:
    certified_officer(world, "OFF-1")
    assert serve_attempt(world, "H-1", "OFF-1")["ok"]
