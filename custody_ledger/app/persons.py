"""People's data kept apart from the chain (issue 10): envelope encryption, keyed look-ups, crypto-shredding.

The ledger names a person only by an opaque subject id and a keyed commitment. What a booking says of the
person lives in the `persons` table, encrypted (AES-256-GCM) under a data key of its own; the data key is
stored wrapped (AES-256-GCM again) under a master key that never enters the database (environment or key
file). Expunging a person destroys the wrapped data key and the ciphertext: the commitment in the chain then
commits to something no one can open or test guesses against.

Keys derived from a master key, each for one purpose, so a token of one kind never doubles as another:
    K_m = HMAC-SHA256(master, "custody-ledger match v1")        -> match tokens (name and date of birth)
    K_c = HMAC-SHA256(data key, "custody-ledger commitment v1") -> the subject's commitment

No exception message or log line here carries personal data: only subject ids (opaque) and key ids.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection, Engine

from custody_ledger.ledger import db
from custody_ledger.ledger.schema import persons
from custody_ledger.settings import (
    DEFAULT_MASTER_KEY,
    MASTER_KEY_REQUIRED,
    Settings,
    SettingsError,
    load_settings,
    master_key_text,
)

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard nonce; random, which is safe far beyond the number of people ever booked
_MATCH_LABEL = b"custody-ledger match v1"
_COMMITMENT_LABEL = b"custody-ledger commitment v1"
# An IN list this long stays below every backend's limit on bound parameters (SQLite's is 32766 today, 999 once).
_CHUNK = 500
_MAKE_KEY = "make one with: python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"


class PersonCryptoError(RuntimeError):
    """A person's record cannot be opened. The message names the subject and key ids, never the person."""


class UnknownKeyError(PersonCryptoError):
    """The record is wrapped under a master key this keyring does not hold: a configuration problem."""


class TamperedError(PersonCryptoError):
    """The record does not decrypt under the key it names: altered, moved to another subject, or truncated."""


@dataclass(frozen=True, repr=False)
class PersonData:
    """What a booking says of its person. Its repr shows nothing, so a traceback or a log line cannot leak it."""

    name: str
    dob: date
    a_number: str | None = None

    def __repr__(self) -> str:
        return "PersonData(…)"


def key_id_of(master: bytes) -> str:
    """The public name of a master key: the first 8 bytes of its SHA-256, in hex (16 characters)."""
    return hashlib.sha256(master).digest()[:8].hex()


@dataclass(frozen=True)
class Keyring:
    """The master key that wraps data keys now and, during a rotation, the one it replaces."""

    master: bytes = field(repr=False)  # never in a repr: a keyring may end up in a traceback
    key_id: str
    previous: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # A key id that does not name its key would send reads to the wrong key and rotations astray.
        for key in (self.master, self.previous):
            if key is not None and len(key) != KEY_BYTES:
                raise ValueError(f"a master key is {KEY_BYTES} bytes")
        if self.key_id != key_id_of(self.master):
            raise ValueError("key_id does not name the master key")

    @classmethod
    def of(cls, master: bytes, previous: bytes | None = None) -> Keyring:
        return cls(master=master, key_id=key_id_of(master), previous=previous)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """The master key from CUSTODY_LEDGER_MASTER_KEY or ..._FILE, the previous one from
        CUSTODY_LEDGER_PREVIOUS_MASTER_KEY or ..._FILE; the development key when no master is set, which
        production refuses. A malformed key is a SettingsError naming the variable, never showing the key."""
        master = _configured_key(settings, previous=False)
        if master is None:
            master = _decode_key(DEFAULT_MASTER_KEY, "DEFAULT_MASTER_KEY")
        if settings.environment == "production" and master == _decode_key(DEFAULT_MASTER_KEY, "DEFAULT_MASTER_KEY"):
            raise SettingsError(MASTER_KEY_REQUIRED)
        previous = _configured_key(settings, previous=True)
        return cls.of(master, None if previous == master else previous)

    @property
    def previous_key_id(self) -> str | None:
        return None if self.previous is None else key_id_of(self.previous)

    def master_for(self, subject_id: str, key_id: str) -> bytes:
        """The master key a record names; an UnknownKeyError when the keyring holds neither."""
        if key_id == self.key_id:
            return self.master
        if self.previous is not None and key_id == self.previous_key_id:
            return self.previous
        held = self.key_id if self.previous is None else f"{self.key_id} and previous {self.previous_key_id}"
        raise UnknownKeyError(
            f"subject {subject_id} is wrapped under master key {key_id}, and the keyring holds {held}: set "
            "CUSTODY_LEDGER_PREVIOUS_MASTER_KEY to the key it is wrapped under")


def _configured_key(settings: Settings, *, previous: bool) -> bytes | None:
    source = master_key_text(settings, previous=previous)
    return None if source is None else _decode_key(source[1], source[0])


def _decode_key(text: str, variable: str) -> bytes:
    # Either base64 alphabet, padding optional: people paste keys from many tools. The key itself is never echoed.
    padded = text.strip().replace("+", "-").replace("/", "_")
    padded += "=" * (-len(padded) % 4)
    try:
        key = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise SettingsError(f"{variable} must be the urlsafe base64 of {KEY_BYTES} random bytes ({_MAKE_KEY})")
    return key


@functools.cache
def keyring() -> Keyring:
    """This process's keyring, read once from the environment (tests call keyring.cache_clear())."""
    return Keyring.from_settings(load_settings())


@dataclass(frozen=True)
class Protected:
    """What is stored for one subject, and the commitment the chain carries."""

    subject_id: str
    key_id: str
    wrapped_key: str  # base64(nonce || AES-GCM of the data key under the master), AAD = subject id and key id
    ciphertext: str  # base64(nonce || AES-GCM of the canonical JSON of the PersonData), AAD = subject id
    match_token: str  # hex
    commitment: str  # hex


def new_subject_id() -> str:
    """Opaque and unlinkable: random, so it says nothing of the person, the booking or the order of bookings."""
    return "S-" + os.urandom(16).hex()


def canonical_json(person: PersonData) -> bytes:
    """The one byte string a person's data encrypts and commits to: sorted keys, no spaces, UTF-8 as is."""
    doc = {"name": person.name, "dob": person.dob.isoformat(), "a_number": person.a_number}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _person_from_json(raw: bytes) -> PersonData:
    doc = json.loads(raw)
    return PersonData(name=doc["name"], dob=date.fromisoformat(doc["dob"]), a_number=doc["a_number"])


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, aad)).decode("ascii")


def _open(key: bytes, sealed: str, aad: bytes, subject_id: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(sealed, validate=True)
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except (InvalidTag, binascii.Error, ValueError):
        raise TamperedError(f"the {what} of subject {subject_id} does not decrypt under the key it names: "
                            "the row was altered or moved") from None


def _wrap_aad(subject_id: str, key_id: str) -> bytes:
    # Binding the wrapped key to its row and its master: a wrapped key copied to another subject does not open.
    return f"{subject_id}|{key_id}".encode()


def _wrap(data_key: bytes, subject_id: str, keys: Keyring) -> str:
    return _seal(keys.master, data_key, _wrap_aad(subject_id, keys.key_id))


def _unwrap(subject_id: str, key_id: str, wrapped_key: str, keys: Keyring) -> bytes:
    return _open(keys.master_for(subject_id, key_id), wrapped_key, _wrap_aad(subject_id, key_id), subject_id,
                 "data key")


def _decrypt(data_key: bytes, subject_id: str, ciphertext: str) -> PersonData:
    return _person_from_json(_open(data_key, ciphertext, subject_id.encode(), subject_id, "data"))


def person_commitment(person: PersonData, data_key: bytes) -> str:
    """Keyed by the subject's own data key: two subjects with the same data commit differently, and once the
    data key is destroyed no one can test a guess of the person against the chain."""
    k_c = hmac.new(data_key, _COMMITMENT_LABEL, hashlib.sha256).digest()
    return hmac.new(k_c, canonical_json(person), hashlib.sha256).hexdigest()


def protect(person: PersonData, subject_id: str, keys: Keyring) -> Protected:
    """Encrypt a person under a fresh data key, wrapped under the keyring's master."""
    data_key = os.urandom(KEY_BYTES)
    return Protected(
        subject_id=subject_id,
        key_id=keys.key_id,
        wrapped_key=_wrap(data_key, subject_id, keys),
        ciphertext=_seal(data_key, canonical_json(person), subject_id.encode()),
        match_token=match_token(person.name, person.dob, keys),
        commitment=person_commitment(person, data_key),
    )


def unprotect(protected: Protected, keys: Keyring) -> PersonData:
    """The person a Protected holds (what `reveal` does for a stored row)."""
    data_key = _unwrap(protected.subject_id, protected.key_id, protected.wrapped_key, keys)
    return _decrypt(data_key, protected.subject_id, protected.ciphertext)


def normalize_name(name: str) -> str:
    """The form of a name a match token is made of: case folded, accents and compatibility forms dropped,
    whitespace collapsed, so "José  Pérez" and "jose perez" match. Case is folded before decomposing, because
    folding can itself produce a combining mark. Changing this changes every token: it is "match v1"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def _match_token(name: str, dob: date, master: bytes) -> str:
    k_m = hmac.new(master, _MATCH_LABEL, hashlib.sha256).digest()
    return hmac.new(k_m, f"{normalize_name(name)}|{dob.isoformat()}".encode(), hashlib.sha256).hexdigest()


def match_token(name: str, dob: date, keys: Keyring) -> str:
    """Keyed by the master key, so the table's tokens cannot be brute-forced from names and birthdays without it."""
    return _match_token(name, dob, keys.master)


def row(protected: Protected, now: datetime) -> dict[str, Any]:
    """The subject's row in the person store (the write path stages it with the booking's events)."""
    return {"subject_id": protected.subject_id, "key_id": protected.key_id, "wrapped_key": protected.wrapped_key,
            "ciphertext": protected.ciphertext, "match_token": protected.match_token, "created_at": now,
            "shredded_at": None}


def store(conn: Connection, protected: Protected, now: datetime) -> None:
    """Insert the subject's row, inside the caller's transaction."""
    conn.execute(persons.insert().values(row(protected, now)))


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _person_of(row: Any, keys: Keyring) -> PersonData | None:
    if row.wrapped_key is None or row.ciphertext is None:
        return None  # shredded
    data_key = _unwrap(row.subject_id, row.key_id, row.wrapped_key, keys)
    return _decrypt(data_key, row.subject_id, row.ciphertext)


def reveal(conn: Connection, subject_ids: Iterable[str], keys: Keyring) -> dict[str, PersonData | None]:
    """Each subject's data: None once shredded; an unknown id is absent. A row under the previous master key
    (a rotation half done) opens with it; a row under neither key is an UnknownKeyError."""
    wanted = sorted(set(subject_ids))
    found: dict[str, PersonData | None] = {}
    cols = (persons.c.subject_id, persons.c.key_id, persons.c.wrapped_key, persons.c.ciphertext)
    for chunk in _chunks(wanted):
        for row in conn.execute(sa.select(*cols).where(persons.c.subject_id.in_(chunk))):
            found[row.subject_id] = _person_of(row, keys)
    return found


def check(conn: Connection, subject_id: str, commitment: str, keys: Keyring) -> bool:
    """Whether the stored data still matches the chain's commitment: False once shredded, for an unknown
    subject, or when the row was altered (it no longer decrypts). A row under a key the keyring does not hold
    is an UnknownKeyError: that says nothing of the data."""
    row = conn.execute(sa.select(persons.c.subject_id, persons.c.key_id, persons.c.wrapped_key,
                                 persons.c.ciphertext).where(persons.c.subject_id == subject_id)).first()
    if row is None or row.wrapped_key is None or row.ciphertext is None:
        return False
    try:
        data_key = _unwrap(row.subject_id, row.key_id, row.wrapped_key, keys)
        person = _decrypt(data_key, row.subject_id, row.ciphertext)
    except TamperedError:
        return False
    return hmac.compare_digest(person_commitment(person, data_key), commitment)


def shred(conn: Connection, subject_id: str, now: datetime) -> None:
    """Crypto-shred a subject (expungement): the wrapped data key, the ciphertext and the match token become
    NULL and shredded_at is set; the chain's commitment then opens to nothing. Shredding again changes nothing;
    an unknown subject is a LookupError.

    This destroys the data only as far as the database forgets the old values: on SQLite it relies on
    `PRAGMA secure_delete=ON` (set by ledger/db.py on every connection) to zero the freed bytes, and the old
    page may survive in the WAL until a checkpoint; on PostgreSQL the old row version stays in the table until
    VACUUM and in WAL archives. Backups made before the shred keep the wrapped key for as long as the master
    key that wraps it exists: rotating the master key and destroying the old one is what makes the shred final
    in them."""
    result = conn.execute(
        persons.update()
        .where(persons.c.subject_id == subject_id, persons.c.shredded_at.is_(None))
        .values(wrapped_key=None, ciphertext=None, match_token=None, shredded_at=now))
    if result.rowcount == 0 and conn.execute(
            sa.select(persons.c.subject_id).where(persons.c.subject_id == subject_id)).first() is None:
        raise LookupError(f"no person data for subject {subject_id}")


def subjects_matching(conn: Connection, name: str, dob: date, keys: Keyring) -> list[str]:
    """The subjects whose name and date of birth match, by keyed token, without decrypting anything. During a
    rotation a row's token is under the key its key_id names, so both keys are asked, each of its own rows."""
    wanted = [sa.and_(persons.c.key_id == keys.key_id, persons.c.match_token == _match_token(name, dob, keys.master))]
    if keys.previous is not None:
        wanted.append(sa.and_(persons.c.key_id == keys.previous_key_id,
                              persons.c.match_token == _match_token(name, dob, keys.previous)))
    query = sa.select(persons.c.subject_id).where(sa.or_(*wanted)).order_by(persons.c.subject_id)
    return list(conn.execute(query).scalars())


def rotate(engine: Engine, keys: Keyring, *, batch: int = 500) -> tuple[int, int]:
    """Re-wrap every data key not under keys.master (they must be under keys.previous) and recompute its match
    token under the new master, `batch` rows to a write transaction. A crash leaves rows under either key, all
    readable while the previous key is set; running it again finishes. Returns (moved, already current), where
    moved counts shredded rows too (only their key_id changes: there is nothing to re-wrap).

    A row under neither key refuses the rotation before anything changes, naming the subject and its key."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with engine.connect() as conn:
        _refuse_foreign_keys(conn, keys)
        current = conn.execute(sa.select(sa.func.count()).select_from(persons)
                               .where(persons.c.key_id == keys.key_id)).scalar_one()
    moved = 0
    while True:
        done = _rotate_batch(engine, keys, batch)
        moved += done
        if done < batch:
            return moved, int(current)


def _refuse_foreign_keys(conn: Connection, keys: Keyring) -> None:
    ours = [keys.key_id] + ([] if keys.previous_key_id is None else [keys.previous_key_id])
    stray = conn.execute(sa.select(persons.c.subject_id, persons.c.key_id)
                         .where(persons.c.key_id.not_in(ours)).order_by(persons.c.subject_id).limit(1)).first()
    if stray is not None:
        keys.master_for(stray.subject_id, stray.key_id)  # raises the UnknownKeyError that names them


def _rotate_batch(engine: Engine, keys: Keyring, batch: int) -> int:
    """One transaction: the next `batch` rows not yet under the master, moved to it. Returns how many."""
    with db.write_transaction(engine) as conn:
        rows = conn.execute(
            sa.select(persons.c.subject_id, persons.c.key_id, persons.c.wrapped_key, persons.c.ciphertext)
            .where(persons.c.key_id != keys.key_id).order_by(persons.c.subject_id).limit(batch)).all()
        for row in rows:
            conn.execute(persons.update().where(persons.c.subject_id == row.subject_id)
                         .values(**_rewrapped(row, keys)))
        return len(rows)


def _rewrapped(row: Any, keys: Keyring) -> dict[str, str]:
    if row.wrapped_key is None or row.ciphertext is None:
        return {"key_id": keys.key_id}  # shredded: nothing to re-wrap, no token to keep
    data_key = _unwrap(row.subject_id, row.key_id, row.wrapped_key, keys)
    person = _decrypt(data_key, row.subject_id, row.ciphertext)
    return {"key_id": keys.key_id, "wrapped_key": _wrap(data_key, row.subject_id, keys),
            "match_token": match_token(person.name, person.dob, keys)}


def blinded(raw: Mapping[str, Any], keys: Keyring) -> dict[str, Any]:
    """A command as its idempotency fingerprint sees it (app/execute.py): its `person` replaced by a keyed HMAC.

    An unkeyed hash of a booking command would let anyone holding the database confirm a guessed name and date
    of birth, the other fields being in the ledger in plain text, even after an expunge; keyed, only a holder
    of the master key can, and not once the master key it was made under is rotated away and destroyed."""
    if "person" not in raw:
        return dict(raw)
    key = hmac.new(keys.master, b"custody-ledger fingerprint v1", hashlib.sha256).digest()
    person = json.dumps(raw["person"], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return {**raw, "person": hmac.new(key, person.encode("utf-8"), hashlib.sha256).hexdigest()}
