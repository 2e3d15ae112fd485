"""A log-in form's empty TOTP box: with MFA off it means no code, not a malformed one (issue 8)."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, Api


def test_an_empty_totp_with_mfa_off_is_no_code(api: Api) -> None:
    response = api.client.post("/auth/login", json={"username": "staff-a", "password": PASSWORD, "totp": ""})
    assert (response.status_code, response.json()["mfa_passed"]) == (200, False)


def test_an_empty_totp_with_mfa_on_is_a_missing_code(mfa_api: Api) -> None:
    response = mfa_api.client.post("/auth/login", json={"username": "staff-a", "password": PASSWORD, "totp": ""})
    assert response.status_code == 401
