"""Signed checkpoints of the chain, kept outside the database (issue 11): what someone who can write to the
database cannot rewrite, in the formats of the transparency-log ecosystem so existing verifiers can check it.

**Tree.** The RFC 9162 Merkle tree whose leaf i is the chain hash of the i-th event in sequence order
(ledger/merkle.py). Events are never removed, so each checkpoint's tree is a prefix of every later one.

**Checkpoint.** A C2SP `tlog-checkpoint` (c2sp.org/tlog-checkpoint) note text::

    custody-ledger.local/ledger          origin: the signing key's name
    1234                                 tree size: events covered, decimal
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=   base64 Merkle root (RFC 9162 MTH)
    head 9f2c...                         extension: the chain hash of event 1234 (hex; 64 zeros when empty)
    time 2026-03-02T14:00:00Z            extension: when it was signed, RFC 3339 UTC
    access 5678 41ab...                  extension: the access log's last record and its chain hash

signed as a C2SP `signed-note` (c2sp.org/signed-note): the text, a blank line, then
``— <key name> <base64(4-byte key ID || 64-byte Ed25519 signature of the text)>``, where the key ID is the
first four bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte public key).

**Keys.** ``checkpoint-key new PATH`` writes the signer key to PATH (mode 0600) in the Go note signer
format ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte Ed25519 seed)>`` and the verifier key
to PATH.pub: ``<name>+<hex key ID>+<base64(0x01 || 32-byte public key)>`` (golang.org/x/mod/sumdb/note).

**The log file** holds checkpoints oldest first, each a complete signed note followed by a line of four
hyphens ``----`` (a line no note can contain: note text lines here are the five above, signature lines
start with an em dash). It is only ever appended to, under an exclusive lock, and fsynced. A note is read
back exactly as written: the bytes between two ``----`` lines.

`verify_against` checks every checkpoint of a log against the database: each must carry a valid signature
by the given key, and the database's first `size` events must still hash to its root. Deleted tail events,
rewritten-and-rehashed events, reordered events and forged events all change some checkpoint's root; an
attacker's own checkpoint fails the signature.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.engine import Connection, Engine

from custody_ledger.ledger import access_chain, merkle
from custody_ledger.ledger.schema import events
from custody_ledger.ledger.verify import check_rows
from custody_ledger.settings import Settings

log = logging.getLogger("custody_ledger.checkpoints")

SEPARATOR = "----"
DASH = "\u2014"
ED25519 = 1  # the signed-note signature type byte for Ed25519
PRIVATE_PREFIX = "PRIVATE+KEY+"


class CheckpointError(ValueError):
    """A key, note, log or proof request that cannot be used; the message says why, on one line."""


# --- keys (signed-note verifier key format) ------------------------------------------------------------

def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public).digest()[:4]


def check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise CheckpointError(f"a key name must be non-empty, without spaces or '+': {name!r}")
    return name


@dataclass(frozen=True)
class Verifier:
    name: str
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public)

    def text(self) -> str:
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(bytes([ED25519]) + self.public).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        try:
            name, hex_id, encoded = parts
            raw = base64.b64decode(encoded, validate=True)
            wanted = bytes.fromhex(hex_id)
        except ValueError:
            raise CheckpointError("not a verifier key (<name>+<hex key ID>+<base64 key>)") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise CheckpointError("not an Ed25519 verifier key")
        verifier = cls(check_name(name), raw[1:])
        if verifier.id != wanted:
            raise CheckpointError("the verifier key's ID does not match its name and key")
        return verifier

    @classmethod
    def from_file(cls, path: Path) -> Verifier:
        return cls.parse(_read(path, "public key"))


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes(Encoding.Raw,
                                                                                           PublicFormat.Raw)
        return Verifier(self.name, public)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    def text(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"{PRIVATE_PREFIX}{self.name}+{self.verifier.id.hex()}+{encoded}"

    @classmethod
    def generate(cls, name: str) -> Signer:
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(check_name(name), seed)

    @classmethod
    def parse(cls, text: str) -> Signer:
        body = text.strip()
        if not body.startswith(PRIVATE_PREFIX):
            raise CheckpointError("not a signer key (PRIVATE+KEY+<name>+<hex key ID>+<base64 key>)")
        try:
            name, hex_id, encoded = body[len(PRIVATE_PREFIX):].split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            wanted = bytes.fromhex(hex_id)
        except ValueError:
            raise CheckpointError("not a signer key (PRIVATE+KEY+<name>+<hex key ID>+<base64 key>)") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise CheckpointError("not an Ed25519 signer key")
        signer = cls(check_name(name), raw[1:])
        if signer.verifier.id != wanted:
            raise CheckpointError("the signer key's ID does not match its name and key")
        return signer

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        return cls.parse(_read(path, "checkpoint key"))


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: cannot read the {what} ({type(exc).__name__})") from None


def new_key(path: Path, name: str) -> Signer:
    """Write a new key pair: the signer key to `path` (mode 0600, never over an existing file), the verifier
    key to `path`.pub."""
    signer = Signer.generate(name)
    public = Path(f"{path}.pub")
    for target in (path, public):
        if target.exists():
            raise CheckpointError(f"{target} exists; a key is never overwritten")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(signer.text() + "\n")
        public.write_text(signer.verifier.text() + "\n", encoding="ascii")
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write the key ({exc.strerror or type(exc).__name__})") from None
    return signer


# --- notes and checkpoints -----------------------------------------------------------------------------

def sign_note(text: str, signer: Signer) -> str:
    if not text.endswith("\n"):
        raise CheckpointError("a note's text ends in a newline")
    signature = base64.b64encode(signer.verifier.id + signer.sign(text.encode("utf-8"))).decode()
    return f"{text}\n{DASH} {signer.name} {signature}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """The note's text if it carries a valid signature by `verifier` and no invalid one by it; else an error."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise CheckpointError("not a signed note (no blank line before the signatures)")
    text, signatures = note[:cut + 1], note[cut + 2:].splitlines()
    verified = False
    for line in signatures:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise CheckpointError(f"not a signature line: {line[:60]!r}")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:
            raise CheckpointError("a signature is not base64") from None
        if parts[1] != verifier.name or raw[:4] != verifier.id:
            continue  # another key's signature (a witness, a rotated key): ignored, as signed-note says
        if not verifier.verify(text.encode("utf-8"), raw[4:]):
            raise CheckpointError(f"the signature by {verifier.name} does not verify (the note was altered or "
                                  "signed by another key)")
        verified = True
    if not verified:
        raise CheckpointError(f"no signature by the key {verifier.name}+{verifier.id.hex()}")
    return text


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    head: str
    time: datetime
    note: str = ""
    # The access log's head (record number, chain hash): its tail is anchored too. Absent in older checkpoints.
    access: tuple[int, str] | None = None

    def text(self) -> str:
        access = "" if self.access is None else f"access {self.access[0]} {self.access[1]}\n"
        return (f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\nhead {self.head}\n"
                f"time {format_time(self.time)}\n{access}")

    @classmethod
    def parse(cls, text: str, note: str = "") -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise CheckpointError("not a checkpoint (origin, size, root and non-empty extension lines)")
        origin, size, root = lines[0], lines[1], lines[2]
        extensions = dict(line.split(" ", 1) for line in lines[3:-1] if " " in line)
        try:
            if not size.isdigit() or (size != "0" and size.startswith("0")):
                raise ValueError(size)
            digest = base64.b64decode(root, validate=True)
            when = datetime.strptime(extensions["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            head = extensions["head"]
            access = None
            if "access" in extensions:
                seq, access_hash = extensions["access"].split(" ")
                access = (int(seq), access_hash)
        except (ValueError, KeyError):
            raise CheckpointError("a checkpoint line is malformed (size, root, head, time or access)") from None
        if len(digest) != merkle.HASH_SIZE:
            raise CheckpointError("a checkpoint's root is not 32 bytes")
        return cls(origin, int(size), digest, head, when, note, access)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_log(path: Path) -> list[str]:
    """The notes of a log file, oldest first, exactly as written. A missing file is an empty log."""
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint log ({type(exc).__name__})") from None
    notes: list[str] = []
    current: list[str] = []
    for line in content.splitlines(keepends=True):
        if line.rstrip("\n") == SEPARATOR:
            notes.append("".join(current))
            current = []
        else:
            current.append(line)
    if "".join(current).strip():
        raise CheckpointError(f"{path}: the last checkpoint is incomplete (no {SEPARATOR} line after it)")
    return notes


@contextmanager
def _locked(path: Path) -> Iterator[IO[str]]:
    """The log open for appending under an exclusive lock: one writer (serve, watch, the CLI) at a time."""
    try:
        handle = path.open("a", encoding="utf-8")
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot open the checkpoint log ({exc.strerror})") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _leaf(hex_hash: str) -> bytes:
    try:
        return bytes.fromhex(hex_hash) if len(hex_hash) == 64 else hex_hash.encode("utf-8")
    except ValueError:
        return hex_hash.encode("utf-8")  # never 32 bytes: cannot match a leaf that was a real hash


def leaf_hashes(conn: Connection) -> list[bytes]:
    """RFC 9162 leaf hashes of every event's chain hash, in sequence order."""
    rows = conn.execution_options(yield_per=5000).execute(sa.select(events.c.hash).order_by(events.c.seq))
    return [merkle.leaf_hash(_leaf(h)) for (h,) in rows]


def _verified_leaves(conn: Connection) -> tuple[list[bytes], str]:
    """Leaf hashes of a chain that verifies end to end (nothing altered is ever signed), and its head."""
    hashes: list[bytes] = []

    def rows() -> Iterator[Any]:
        for row in conn.execution_options(yield_per=5000).execute(sa.select(events).order_by(events.c.seq)):
            hashes.append(merkle.leaf_hash(_leaf(row.hash)))
            yield row

    report = check_rows(rows())
    if not report.ok:
        raise CheckpointError(f"the ledger is broken at event {report.first_broken} ({report.reason}); "
                              "no checkpoint is signed over it")
    return hashes, report.head_hash


def _roots_at(hashes: Sequence[bytes], sizes: set[int]) -> dict[int, bytes]:
    """The root at each of `sizes` (those the leaves reach), in one pass over the leaves."""
    builder, roots = merkle.Builder(), {}
    if 0 in sizes:
        roots[0] = builder.root()
    for hashed in hashes:
        builder.append_hash(hashed)
        if builder.size in sizes:
            roots[builder.size] = builder.root()
    return roots


def _matches(tree: merkle.Tree, checkpoint: Checkpoint, roots: dict[int, bytes] | None = None) -> str | None:
    """Why the database no longer matches the checkpoint, or None when it does."""
    if checkpoint.size > tree.size:
        return (f"the database holds {tree.size} events, fewer than the {checkpoint.size} the checkpoint covers "
                "(events removed)")
    root = roots[checkpoint.size] if roots is not None else tree.root(checkpoint.size)
    if root != checkpoint.root:
        return (f"the database's first {checkpoint.size} events no longer hash to the checkpoint's root "
                "(events rewritten, reordered, removed or forged)")
    return None


def write(engine: Engine, signer: Signer, log_path: Path, now: datetime) -> Checkpoint:
    """Append one signed checkpoint of the whole ledger to the log. Refused when the ledger does not verify
    or no longer matches the log's last checkpoint by this key (a log never signs two inconsistent trees)."""
    with _locked(log_path) as handle:
        return _write_locked(engine, signer, log_path, handle, now)


def _write_locked(engine: Engine, signer: Signer, log_path: Path, handle: IO[str], now: datetime) -> Checkpoint:
    with engine.connect() as conn:
        hashes, head = _verified_leaves(conn)
        access = access_chain.head(conn)
    tree = merkle.Tree(hashes)
    previous = last_checkpoint(log_path, signer.verifier)
    if previous is not None and (problem := _matches(tree, previous)) is not None:
        raise CheckpointError(f"not signed: {problem} since the log's last checkpoint")
    body = Checkpoint(signer.name, tree.size, tree.root(), head, now, access=access)
    note = sign_note(body.text(), signer)
    handle.write(note + SEPARATOR + "\n")
    handle.flush()
    os.fsync(handle.fileno())
    return replace(body, note=note)


def signed(notes: Iterable[str], verifier: Verifier) -> Iterator[Checkpoint]:
    """The checkpoints among `notes` signed by `verifier`'s key, in the order given (lazily: a caller that
    wants the first match checks no more signatures than that); others are passed over."""
    for note in notes:
        try:
            yield Checkpoint.parse(open_note(note, verifier), note)
        except CheckpointError:
            continue


def last_checkpoint(log_path: Path, verifier: Verifier) -> Checkpoint | None:
    """The newest checkpoint of the log signed by `verifier`'s key, or None."""
    return next(signed(reversed(read_log(log_path)), verifier), None)


def maybe_write(engine: Engine, settings: Settings, now: datetime) -> Checkpoint | None:
    """One checkpoint when configured (key file and log) and the log's last one is older than the interval;
    then, if a witness URL is set, the note is POSTed to it (best effort: a failure is logged, not raised).
    A checkpoint that cannot be written is logged and None returned: the watchdog loop goes on."""
    if settings.checkpoint_key_file is None or settings.checkpoint_log is None:
        return None
    try:
        signer = Signer.from_file(settings.checkpoint_key_file)
        with _locked(settings.checkpoint_log) as handle:
            last = last_checkpoint(settings.checkpoint_log, signer.verifier)
            if last is not None and now - last.time < timedelta(minutes=settings.checkpoint_interval_minutes):
                return None
            written = _write_locked(engine, signer, settings.checkpoint_log, handle, now)
    except CheckpointError as exc:
        log.error("checkpoint not written: %s", exc)
        return None
    log.info("checkpoint written: size %d, root %s", written.size, written.root.hex())
    if settings.witness_url:
        _send_to_witness(settings.witness_url, written.note)
    return written


def _send_to_witness(url: str, note: str) -> None:
    import httpx

    try:
        response = httpx.post(url, content=note.encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"},
                              timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("checkpoint not sent to the witness %s: %s", url, exc)


# --- verifying a log against the database ------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    ok: bool
    checked: int  # checkpoints that verified before the first bad one (all of them when ok)
    first_bad: int | None = None  # 1-based position of the first bad checkpoint in the log
    tree_size: int | None = None  # that checkpoint's tree size, when it could be read
    reason: str | None = None


def verify_against(engine: Engine, log_path: Path, public_key_path: Path) -> Report:
    """Check every checkpoint in the log: signed by the key, and the database's first `size` events still
    hash to its root. Fails naming the first checkpoint that does not hold."""
    try:
        verifier = Verifier.from_file(public_key_path)
        notes = read_log(log_path)
    except CheckpointError as exc:
        return Report(False, 0, None, None, str(exc))
    if not notes:
        return Report(False, 0, None, None, f"{log_path}: no checkpoint in the log")
    with engine.connect() as conn:
        tree = merkle.Tree(leaf_hashes(conn))
        access_hashes = {seq: access_chain.hash_of(conn, seq) for seq in _access_seqs(notes)}
    roots = _roots_at(tree.hashes, set(_sizes(notes)))
    for number, note in enumerate(notes, 1):
        try:
            checkpoint = Checkpoint.parse(open_note(note, verifier), note)
        except CheckpointError as exc:
            return Report(False, number - 1, number, None, f"checkpoint {number}: {exc}")
        if checkpoint.origin != verifier.name:
            return Report(False, number - 1, number, checkpoint.size,
                          f"checkpoint {number}: origin {checkpoint.origin!r} is not the key's name")
        problem = _matches(tree, checkpoint, roots)
        if problem is None and checkpoint.size and tree.hashes[checkpoint.size - 1] != merkle.leaf_hash(
                _leaf(checkpoint.head)):
            problem = "its head is not the chain hash of its last event"
        if problem is None and checkpoint.access is not None and checkpoint.access[0] > 0 and \
                access_hashes.get(checkpoint.access[0]) != checkpoint.access[1]:
            problem = f"access-log record {checkpoint.access[0]} is gone or no longer the one it signed"
        if problem is not None:
            return Report(False, number - 1, number, checkpoint.size,
                          f"checkpoint {number} (tree size {checkpoint.size}): {problem}")
    return Report(True, len(notes))


def _access_seqs(notes: list[str]) -> set[int]:
    """The access-log record numbers the notes anchor, read before any signature is checked (to plan reads)."""
    found = set()
    for note in notes:
        for line in note.split("\n"):
            parts = line.split(" ")
            if len(parts) == 3 and parts[0] == "access" and parts[1].isdigit():
                found.add(int(parts[1]))
    return found


def _sizes(notes: list[str]) -> Iterator[int]:
    """The tree size line of each note, read before any signature is checked (only to plan one pass)."""
    for note in notes:
        size = note.split("\n", 2)[1] if note.count("\n") >= 2 else ""
        if size.isdigit():
            yield int(size)


# --- proofs for third parties --------------------------------------------------------------------------

def _checkpoints(log_path: Path) -> list[Checkpoint]:
    """The log's checkpoints, parsed but not signature-checked (the proof's reader checks the signature)."""
    found = []
    for note in read_log(log_path):
        cut = note.rfind("\n\n")
        found.append(Checkpoint.parse(note[:cut + 1], note))
    if not found:
        raise CheckpointError(f"{log_path}: no checkpoint in the log (write one with `custody-ledger checkpoint`)")
    return found


def prove_inclusion(engine: Engine, log_path: Path, receipt_hash: str) -> dict[str, Any]:
    """An RFC 9162 inclusion proof of the event whose chain hash is `receipt_hash`, against the log's latest
    checkpoint: what a holder of a receipt shows a third party."""
    checkpoint = _checkpoints(log_path)[-1]
    with engine.connect() as conn:
        found = conn.execute(sa.select(events.c.seq).where(events.c.hash == receipt_hash.lower())).first()
        tree = merkle.Tree(leaf_hashes(conn))
        index = None if found is None else conn.execute(
            sa.select(sa.func.count()).select_from(events).where(events.c.seq < found.seq)).scalar_one()
    if found is None or index is None:
        raise CheckpointError(f"no event has the hash {receipt_hash}")
    if index >= checkpoint.size:
        raise CheckpointError(f"event {found.seq} is after the latest checkpoint (tree size {checkpoint.size}); "
                              "write a checkpoint first")
    if (problem := _matches(tree, checkpoint)) is not None:
        raise CheckpointError(f"the latest checkpoint does not hold: {problem}")
    return {
        "kind": "inclusion",
        "seq": int(found.seq),
        "leaf": receipt_hash.lower(),
        "leaf_index": index,
        "tree_size": checkpoint.size,
        "audit_path": [p.hex() for p in tree.inclusion_proof(index, checkpoint.size)],
        "checkpoint": checkpoint.note,
    }


def prove_consistency(engine: Engine, log_path: Path, old_size: int | None = None,
                      new_size: int | None = None) -> dict[str, Any]:
    """An RFC 9162 consistency proof between two checkpoints of the log, named by tree size (the newest with
    that size); by default the latest checkpoint and the newest before it with a smaller tree."""
    checkpoints = _checkpoints(log_path)

    def by_size(size: int, option: str) -> Checkpoint:
        for checkpoint in reversed(checkpoints):
            if checkpoint.size == size:
                return checkpoint
        raise CheckpointError(f"{option} {size}: no checkpoint in the log has that tree size "
                              f"(sizes: {', '.join(str(c.size) for c in checkpoints)})")

    new = checkpoints[-1] if new_size is None else by_size(new_size, "--to")
    if old_size is None:
        older = [c for c in checkpoints if c.size < new.size]
        old = older[-1] if older else checkpoints[0]
    else:
        old = by_size(old_size, "--from")
    if old.size > new.size:
        raise CheckpointError(f"--from {old.size} is larger than --to {new.size}")
    with engine.connect() as conn:
        tree = merkle.Tree(leaf_hashes(conn))
    for checkpoint in (old, new):
        if (problem := _matches(tree, checkpoint)) is not None:
            raise CheckpointError(f"the checkpoint of size {checkpoint.size} does not hold: {problem}")
    return {
        "kind": "consistency",
        "old_size": old.size,
        "new_size": new.size,
        "proof": [p.hex() for p in tree.consistency_proof(old.size, new.size)],
        "old_checkpoint": old.note,
        "new_checkpoint": new.note,
    }

