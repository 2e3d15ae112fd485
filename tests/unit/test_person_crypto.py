"""The crypto of people's data (app/persons.py), without a database: envelope encryption, commitments,
match tokens, and where the master key comes from."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from custody_ledger.app.persons import (
    Keyring,
    PersonData,
    TamperedError,
    UnknownKeyError,
    keyring,
    match_token,
    new_subject_id,
    protect,
    unprotect,
)
from custody_ledger.settings import DEFAULT_MASTER_KEY, Settings, SettingsError, check_production, load_settings

PERSON = PersonData(name="José Pérez", dob=date(1990, 4, 1), a_number="A123456789")
KEY_VARS = ("MASTER_KEY", "MASTER_KEY_FILE", "PREVIOUS_MASTER_KEY", "PREVIOUS_MASTER_KEY_FILE", "ENVIRONMENT")


def _key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def keys() -> Keyring:
    return Keyring.of(os.urandom(32))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """An environment with no key configured, whatever the machine running the tests has."""
    for name in KEY_VARS:
        monkeypatch.delenv(f"CUSTODY_LEDGER_{name}", raising=False)
    keyring.cache_clear()
    yield monkeypatch
    keyring.cache_clear()


def test_round_trip(keys: Keyring) -> None:
    protected = protect(PERSON, new_subject_id(), keys)
    assert unprotect(protected, keys) == PERSON
    no_a_number = PersonData(name="Ana", dob=date(2001, 1, 31))
    assert unprotect(protect(no_a_number, "S-1", keys), keys) == no_a_number


def test_subject_ids_are_opaque_and_fresh() -> None:
    ids = {new_subject_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 34 and i.startswith("S-") and int(i[2:], 16) >= 0 for i in ids)


def test_another_master_key_cannot_open_a_record(keys: Keyring) -> None:
    protected = protect(PERSON, "S-1", keys)
    other = Keyring.of(os.urandom(32))
    with pytest.raises(UnknownKeyError) as caught:
        unprotect(protected, other)
    assert keys.key_id in str(caught.value) and "S-1" in str(caught.value)


def test_a_key_that_does_not_decrypt_is_a_clear_error_naming_no_one(keys: Keyring) -> None:
    """InvalidTag never escapes: a record whose key id is right but which does not decrypt was altered."""
    protected = protect(PERSON, "S-1", keys)
    other = protect(PERSON, "S-2", keys)
    for broken in (
        replace(protected, wrapped_key=other.wrapped_key),  # a data key moved from another subject
        replace(protected, ciphertext=other.ciphertext),  # data moved from another subject
        replace(protected, subject_id="S-2"),  # the whole row renamed
        replace(protected, ciphertext=protected.ciphertext[:-4] + "AAA="),  # bytes changed
        replace(protected, ciphertext="not base64!"),
    ):
        with pytest.raises(TamperedError) as caught:
            unprotect(broken, keys)
        assert "does not decrypt" in str(caught.value)
        assert "Jos" not in str(caught.value) and "A123" not in str(caught.value)


def test_a_keyring_whose_id_does_not_name_its_key_is_refused() -> None:
    with pytest.raises(ValueError, match="key_id"):
        Keyring(master=os.urandom(32), key_id="0" * 16)
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring.of(os.urandom(16))


def test_the_commitment_is_per_subject(keys: Keyring) -> None:
    a, b = protect(PERSON, "S-1", keys), protect(PERSON, "S-2", keys)
    assert a.commitment != b.commitment
    assert protect(PERSON, "S-1", keys).commitment != a.commitment  # a fresh data key each time
    assert len(a.commitment) == 64 and int(a.commitment, 16) >= 0


def test_the_commitment_changes_with_every_field(keys: Keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    # One data key for all, so only the person differs.
    fixed = os.urandom(32)
    monkeypatch.setattr("custody_ledger.app.persons.os.urandom", lambda n: fixed[:n])
    base = protect(PERSON, "S-1", keys).commitment
    assert protect(PERSON, "S-1", keys).commitment == base
    for changed in (replace(PERSON, name="José Perez"), replace(PERSON, dob=date(1990, 4, 2)),
                    replace(PERSON, a_number="A123456788"), replace(PERSON, a_number=None)):
        assert protect(changed, "S-1", keys).commitment != base


def test_match_tokens_are_equal_under_normalization(keys: Keyring) -> None:
    dob = date(1990, 4, 1)
    token = match_token("José  Pérez", dob, keys)
    for same in ("jose perez", " JOSE\tPEREZ ", "Jose\u0301 Pe\u0301rez", "ＪＯＳＥ ＰＥＲＥＺ"):
        assert match_token(same, dob, keys) == token
    assert match_token("Jose Perez", date(1990, 4, 2), keys) != token
    assert match_token("Josefa Perez", dob, keys) != token
    assert match_token("STRAẞE", dob, keys) == match_token("strasse", dob, keys)


def test_match_tokens_differ_under_another_master_key(keys: Keyring) -> None:
    dob = date(1990, 4, 1)
    assert match_token("Jose Perez", dob, keys) != match_token("Jose Perez", dob, Keyring.of(os.urandom(32)))
    assert protect(PERSON, "S-1", keys).match_token == match_token("jose pérez", dob, keys)


def test_no_personal_text_in_what_is_stored(keys: Keyring) -> None:
    protected = protect(PERSON, "S-1", keys)
    raw = base64.b64decode(protected.ciphertext) + base64.b64decode(protected.wrapped_key)
    stored = raw + " ".join((protected.match_token, protected.commitment, protected.key_id)).encode()
    for text in ("José", "Pérez", "Jos", "rez", "A123456789", "123456789", "1990-04-01", "1990"):
        for encoding in ("utf-8", "utf-16-le", "latin-1"):
            assert text.encode(encoding) not in stored, text


def test_no_personal_data_in_a_repr(keys: Keyring) -> None:
    assert "Jos" not in repr(PERSON) and "A123" not in repr(PERSON) and "1990" not in repr(PERSON)
    assert repr(keys.master) not in repr(keys) and keys.key_id in repr(keys)


def test_the_keyring_reads_the_environment(env: pytest.MonkeyPatch) -> None:
    master, previous = _key_text(), _key_text()
    env.setenv("CUSTODY_LEDGER_MASTER_KEY", master)
    env.setenv("CUSTODY_LEDGER_PREVIOUS_MASTER_KEY", previous)
    keys = Keyring.from_settings(load_settings())
    assert keys.master == base64.urlsafe_b64decode(master)
    assert keys.previous == base64.urlsafe_b64decode(previous)
    assert keys.key_id == hashlib.sha256(keys.master).hexdigest()[:16]
    assert keyring() == keys and keyring() is keyring()  # cached


def test_the_keyring_reads_key_files(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    master = _key_text()
    (tmp_path / "master").write_text(master + "\n")  # as `echo` writes it
    (tmp_path / "previous").write_text(_key_text().rstrip("="))  # padding is optional
    env.setenv("CUSTODY_LEDGER_MASTER_KEY_FILE", str(tmp_path / "master"))
    env.setenv("CUSTODY_LEDGER_PREVIOUS_MASTER_KEY_FILE", str(tmp_path / "previous"))
    keys = Keyring.from_settings(load_settings())
    assert keys.master == base64.urlsafe_b64decode(master)
    assert keys.previous is not None and len(keys.previous) == 32


def test_without_a_key_it_is_the_development_key(env: pytest.MonkeyPatch) -> None:
    keys = Keyring.from_settings(load_settings())
    assert keys.master == base64.urlsafe_b64decode(DEFAULT_MASTER_KEY) and keys.previous is None


@pytest.mark.parametrize("variable", ["MASTER_KEY", "PREVIOUS_MASTER_KEY"])
@pytest.mark.parametrize("bad", ["too-short", base64.urlsafe_b64encode(bytes(range(31))).decode(), "!" * 44, " "])
def test_a_malformed_key_is_refused_naming_the_variable(env: pytest.MonkeyPatch, variable: str, bad: str) -> None:
    env.setenv(f"CUSTODY_LEDGER_{variable}", bad)
    with pytest.raises(SettingsError) as caught:
        Keyring.from_settings(load_settings())
    assert str(caught.value).startswith(f"CUSTODY_LEDGER_{variable} ")
    if bad.strip():
        assert bad not in str(caught.value)  # the key, even a wrong one, is never echoed


def test_a_malformed_key_file_and_a_missing_one_are_refused(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "bad").write_text("secret-but-malformed")
    env.setenv("CUSTODY_LEDGER_MASTER_KEY_FILE", str(tmp_path / "bad"))
    with pytest.raises(SettingsError, match=r"^CUSTODY_LEDGER_MASTER_KEY_FILE ") as caught:
        Keyring.from_settings(load_settings())
    assert "secret-but-malformed" not in str(caught.value)
    env.setenv("CUSTODY_LEDGER_MASTER_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match=r"^CUSTODY_LEDGER_MASTER_KEY_FILE: cannot read"):
        Keyring.from_settings(load_settings())


def test_a_key_and_its_file_together_are_refused(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "k").write_text(_key_text())
    env.setenv("CUSTODY_LEDGER_MASTER_KEY", _key_text())
    env.setenv("CUSTODY_LEDGER_MASTER_KEY_FILE", str(tmp_path / "k"))
    with pytest.raises(SettingsError, match="both set"):
        Keyring.from_settings(load_settings())


def test_production_refuses_the_development_master_key(tmp_path: Path) -> None:
    ready = {"environment": "production", "secret_key": "k7Qz-2pWm9xR4vLt8bNc3yHf6gJd1sAe0uKo5iTq"}
    for master in ({}, {"master_key": DEFAULT_MASTER_KEY}, {"master_key": DEFAULT_MASTER_KEY.rstrip("=")}):
        settings = Settings(**ready, **master)  # type: ignore[arg-type]
        with pytest.raises(SettingsError, match="CUSTODY_LEDGER_MASTER_KEY"):
            check_production(settings)
        with pytest.raises(SettingsError, match="CUSTODY_LEDGER_MASTER_KEY"):
            Keyring.from_settings(settings)
    (tmp_path / "dev").write_text(DEFAULT_MASTER_KEY)
    with pytest.raises(SettingsError, match="development key"):
        check_production(Settings(**ready, master_key_file=tmp_path / "dev"))  # type: ignore[arg-type]
    good = Settings(**ready, master_key=_key_text())  # type: ignore[arg-type]
    check_production(good)
    assert Keyring.from_settings(good).master != base64.urlsafe_b64decode(DEFAULT_MASTER_KEY)
