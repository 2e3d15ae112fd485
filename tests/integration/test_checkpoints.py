"""Signed checkpoints outside the database (issue 11): what an attacker who can write to the database (its
append-only triggers dropped) cannot hide, and proofs a third party checks with tools/check_proof.py alone."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.app import checkpoints as cp
from custody_ledger.cli import trust
from custody_ledger.ledger import codec
from custody_ledger.ledger.schema import command_results, events
from custody_ledger.ledger.store import EventRow
from custody_ledger.ledger.verify import check_rows, verify
from custody_ledger.settings import load_settings
from tests.support.world import World, certified_officer

CHECKER = Path(__file__).resolve().parents[2] / "tools" / "check_proof.py"
NAME = "custody-ledger.example/test"
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


class Ledger:
    def __init__(self, world: World, folder: Path) -> None:
        self.world, self.engine = world, world.engine
        self.key, self.log = folder / "checkpoint.key", folder / "checkpoints.log"
        self.pub = Path(f"{self.key}.pub")
        self.signer = cp.new_key(self.key, NAME)
        self.first = cp.write(self.engine, self.signer, self.log, NOW)  # the agency and OFF-1
        self.receipt = world.ok("nominate_officer", officer_id="OFF-2", agency_id="AG-A", name="Officer 2",
                                badge="2")["events"][0]
        certified_officer(world, "OFF-3")
        self.second = cp.write(self.engine, self.signer, self.log, NOW + timedelta(hours=1))

    def verify(self) -> cp.Report:
        return cp.verify_against(self.engine, self.log, self.pub)


@pytest.fixture
def ledger(world: World, tmp_path: Path) -> Ledger:
    return Ledger(world, tmp_path)


# --- what an attacker with write access to the database does ----------------------------------------

@contextmanager
def _unguarded(engine: Engine) -> Iterator[None]:
    """The append-only triggers dropped for the length of the block and put back after it, as a careful
    attacker would leave them (so no check of the schema gives the tampering away)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            saved = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                                         "tbl_name IN ('events', 'command_results')").all()
            for name, _ in saved:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER ALL")
            conn.exec_driver_sql("ALTER TABLE command_results DISABLE TRIGGER ALL")
    yield
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for _, sql in saved:
                conn.exec_driver_sql(sql)
        else:
            conn.exec_driver_sql("ALTER TABLE events ENABLE TRIGGER ALL")
            conn.exec_driver_sql("ALTER TABLE command_results ENABLE TRIGGER ALL")


def _rows(conn: sa.Connection) -> list[EventRow]:
    return [EventRow(**r._mapping) for r in conn.execute(sa.select(events).order_by(events.c.seq))]


def _reissue(engine: Engine, before: dict[str, str]) -> None:
    """Re-hash the whole chain as it now stands and rewrite every receipt to match: a thorough attacker,
    after whom plain `verify` passes. `before` maps each original hash to its event_id."""
    with engine.begin() as conn:
        prev, now_at = codec.GENESIS, {}
        for row in _rows(conn):
            new = codec.chain_hash(prev, codec.record_bytes(replace(row, prev_hash=prev)))
            conn.execute(events.update().where(events.c.seq == row.seq).values(prev_hash=prev, hash=new))
            now_at[row.event_id], prev = (row.seq, new), new
        for key, result in conn.execute(sa.select(command_results.c.idempotency_key, command_results.c.result)).all():
            data = json.loads(result)
            for receipt in data.get("events", []):
                receipt["seq"], receipt["hash"] = now_at[before[receipt["hash"]]]
            conn.execute(command_results.update().where(command_results.c.idempotency_key == key)
                         .values(result=json.dumps(data)))


def _rows_of(engine: Engine) -> list[EventRow]:
    with engine.connect() as conn:
        return _rows(conn)


def _ids(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(events.c.hash, events.c.event_id)).all())


def test_an_untouched_ledger_matches_every_checkpoint(ledger: Ledger) -> None:
    assert ledger.first.size < ledger.second.size
    assert ledger.verify() == cp.Report(True, 2)
    text = ledger.second.note
    assert text.startswith(f"{NAME}\n{ledger.second.size}\n") and "\nhead " in text and "\ntime 2026-03-05T13:00:00Z\n"\
        in text and f"\n\n\u2014 {NAME} " in text
    assert cp.read_log(ledger.log) == [ledger.first.note, ledger.second.note]
    assert ledger.key.stat().st_mode & 0o777 == 0o600
    assert ledger.pub.read_text().strip() == cp.Verifier.from_file(ledger.pub).text()


def test_a_deleted_tail_passes_plain_verify_and_fails_the_checkpoint(ledger: Ledger) -> None:
    keep = ledger.first.size
    with _unguarded(ledger.engine), ledger.engine.begin() as conn:
        conn.execute(events.delete().where(events.c.seq > keep))
        for key, result in conn.execute(sa.select(command_results.c.idempotency_key, command_results.c.result)).all():
            if any(r["seq"] > keep for r in json.loads(result).get("events", [])):
                conn.execute(command_results.delete().where(command_results.c.idempotency_key == key))
    assert verify(ledger.engine).ok  # the chain alone cannot see its tail cut, receipts and all
    report = ledger.verify()
    assert (report.ok, report.checked, report.first_bad, report.tree_size) == (False, 1, 2, ledger.second.size)
    assert "removed" in (report.reason or "")


def test_a_rewritten_and_rehashed_event_fails_the_checkpoint(ledger: Ledger) -> None:
    before = _ids(ledger.engine)
    with _unguarded(ledger.engine):
        with ledger.engine.begin() as conn:
            conn.execute(events.update().where(events.c.seq == 2)
                         .values(payload=sa.func.replace(events.c.payload, "Harris", "Travis")))
        assert check_rows(_rows_of(ledger.engine)).first_broken == 2
        _reissue(ledger.engine, before)
    assert verify(ledger.engine).ok
    report = ledger.verify()
    assert (report.ok, report.first_bad, report.tree_size) == (False, 1, ledger.first.size)
    assert "no longer hash to the checkpoint's root" in (report.reason or "")


def test_reordered_events_fail_the_checkpoint(ledger: Ledger) -> None:
    before = _ids(ledger.engine)
    with _unguarded(ledger.engine):
        with ledger.engine.begin() as conn:
            conn.execute(events.update().where(events.c.seq == 4).values(seq=-1))
            conn.execute(events.update().where(events.c.seq == 5).values(seq=4))
            conn.execute(events.update().where(events.c.seq == -1).values(seq=5))
        _reissue(ledger.engine, before)
    assert verify(ledger.engine).ok
    report = ledger.verify()
    assert (report.ok, report.first_bad) == (False, 1)


def _forge_append(engine: Engine) -> None:
    with engine.begin() as conn:
        last = _rows(conn)[-1]
        forged = replace(last, seq=last.seq + 1, event_id="00000000-0000-4000-8000-000000000000",
                         idempotency_key="forged", prev_hash=last.hash)
        forged = replace(forged, hash=codec.chain_hash(last.hash, codec.record_bytes(forged)))
        conn.execute(events.insert().values(**forged.columns()))


def test_a_forged_append_keeps_the_prefix_but_the_attackers_checkpoint_fails_the_signature(
        ledger: Ledger, tmp_path: Path) -> None:
    with _unguarded(ledger.engine):
        _forge_append(ledger.engine)
    assert verify(ledger.engine).ok
    assert ledger.verify() == cp.Report(True, 2)  # appending is what a log allows; the checkpoints still hold
    attacker = cp.new_key(tmp_path / "attacker.key", NAME)  # the same name, another key
    forged = cp.write(ledger.engine, attacker, ledger.log, NOW + timedelta(hours=2))
    report = ledger.verify()
    assert (report.ok, report.checked, report.first_bad) == (False, 2, 3)
    assert "no signature by the key" in (report.reason or "")
    proof = cp.prove_consistency(ledger.engine, ledger.log, ledger.second.size, forged.size)
    run = _check(tmp_path, proof, "--public-key", str(ledger.pub))
    assert run.returncode == 1 and "no signature by the key" in run.stderr
    assert _check(tmp_path, proof, bare=True).returncode == 0  # the trees agree: only the signature tells


@pytest.mark.parametrize("line", [1, 2, 4])  # the tree size, the root, the time
def test_an_edited_checkpoint_line_fails_the_signature(ledger: Ledger, line: int) -> None:
    text = ledger.log.read_text(encoding="utf-8")
    first = ledger.first.note.split("\n")
    edited = list(first)
    edited[line] = {1: str(ledger.first.size - 1), 2: ledger.second.note.split("\n")[2],
                    4: "time 2026-03-05T11:00:00Z"}[line]
    ledger.log.write_text(text.replace("\n".join(first), "\n".join(edited), 1), encoding="utf-8")
    report = ledger.verify()
    assert (report.ok, report.first_bad) == (False, 1)
    assert "does not verify" in (report.reason or "")


def test_an_incomplete_log_and_a_wrong_key_are_reported(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.log.open("a", encoding="utf-8") as handle:
        handle.write("custody-ledger.example/test\n9\n")
    assert "incomplete" in (ledger.verify().reason or "")
    other = cp.new_key(tmp_path / "other.key", "custody-ledger.example/other")
    report = cp.verify_against(ledger.engine, tmp_path / "missing.log", Path(f"{tmp_path / 'other.key'}.pub"))
    assert not report.ok and "no checkpoint" in (report.reason or "")
    assert other.name == "custody-ledger.example/other"
    with pytest.raises(cp.CheckpointError, match="never overwritten"):
        cp.new_key(ledger.key, NAME)


def test_a_checkpoint_is_never_signed_over_a_ledger_that_no_longer_matches(ledger: Ledger) -> None:
    before = _ids(ledger.engine)
    with _unguarded(ledger.engine):
        with ledger.engine.begin() as conn:
            conn.execute(events.update().where(events.c.seq == 2)
                         .values(payload=sa.func.replace(events.c.payload, "Harris", "Travis")))
        with pytest.raises(cp.CheckpointError, match="broken at event 2"):
            cp.write(ledger.engine, ledger.signer, ledger.log, NOW + timedelta(hours=3))
        _reissue(ledger.engine, before)
    with pytest.raises(cp.CheckpointError, match="since the log's last checkpoint"):
        cp.write(ledger.engine, ledger.signer, ledger.log, NOW + timedelta(hours=3))


# The Go reference implementation's example (golang.org/x/mod/sumdb/note): its key strings and the exact signed
# note. Ed25519 is deterministic, so a note we sign with that key must be these bytes: any Go-ecosystem verifier
# reads ours. (The keys' base64 holds a '+', which the key format's own separators must not swallow.)
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (GO_TEXT + "\n\u2014 PeterNeumann "
           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


def test_signed_notes_match_the_go_reference_byte_for_byte() -> None:
    signer, verifier = cp.Signer.parse(GO_SIGNER), cp.Verifier.parse(GO_VERIFIER)
    assert (signer.text(), signer.verifier.text(), verifier.id.hex()) == (GO_SIGNER, GO_VERIFIER, "c74f20a3")
    assert cp.sign_note(GO_TEXT, signer) == GO_NOTE
    assert cp.open_note(GO_NOTE, verifier) == GO_TEXT
    with pytest.raises(cp.CheckpointError, match="does not verify"):
        cp.open_note(GO_NOTE.replace("answer", "Answer"), verifier)
    with pytest.raises(cp.CheckpointError):
        cp.Verifier.parse(GO_VERIFIER.replace("c74f20a3", "c74f20a4"))


# --- proofs for third parties, checked by the standalone tool -------------------------------------------

def _check(folder: Path, proof: dict[str, Any], *args: str, bare: bool = False) -> subprocess.CompletedProcess[str]:
    path = folder / "proof.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    flags = ["-I", "-S"] if bare else ["-I"]  # -I: no product path; -S: no site-packages at all
    return subprocess.run([sys.executable, *flags, str(CHECKER), str(path), *args], capture_output=True, text=True,
                          timeout=60, cwd=folder)


def test_an_inclusion_proof_of_a_receipt_verifies_standalone(ledger: Ledger, tmp_path: Path) -> None:
    proof = cp.prove_inclusion(ledger.engine, ledger.log, ledger.receipt["hash"])
    assert (proof["seq"], proof["leaf_index"], proof["tree_size"]) == (ledger.receipt["seq"],
                                                                         ledger.receipt["seq"] - 1, ledger.second.size)
    run = _check(tmp_path, proof, "--leaf", ledger.receipt["hash"], "--public-key", str(ledger.pub))
    assert run.returncode == 0, run.stderr
    assert "inclusion verified" in run.stdout and "signature verified" in run.stdout
    # Without any package: the proof alone holds; asked for the signature too, it cannot say so.
    bare = _check(tmp_path, proof, bare=True)
    assert bare.returncode == 0 and "signature NOT checked" in bare.stdout
    unable = _check(tmp_path, proof, "--public-key", str(ledger.pub), bare=True)
    assert unable.returncode == 1 and "cannot check the signature" in unable.stdout + unable.stderr
    wrong = "0" * 63 + "1"
    assert _check(tmp_path, proof, "--leaf", wrong).returncode == 1
    assert _check(tmp_path, {**proof, "leaf": wrong}).returncode == 1
    assert _check(tmp_path, {**proof, "leaf_index": proof["leaf_index"] + 1}).returncode == 1


def test_a_receipt_after_the_latest_checkpoint_is_not_proved_yet(ledger: Ledger) -> None:
    later = ledger.world.ok("nominate_officer", officer_id="OFF-9", agency_id="AG-A", name="Officer 9",
                            badge="9")["events"][0]
    with pytest.raises(cp.CheckpointError, match="after the latest checkpoint"):
        cp.prove_inclusion(ledger.engine, ledger.log, later["hash"])
    with pytest.raises(cp.CheckpointError, match="no event has the hash"):
        cp.prove_inclusion(ledger.engine, ledger.log, "ab" * 32)


def test_a_consistency_proof_verifies_standalone_and_a_tampered_root_fails(ledger: Ledger, tmp_path: Path) -> None:
    proof = cp.prove_consistency(ledger.engine, ledger.log)
    assert (proof["old_size"], proof["new_size"]) == (ledger.first.size, ledger.second.size)
    run = _check(tmp_path, proof, "--public-key", str(ledger.pub))
    assert run.returncode == 0, run.stderr
    assert "consistency verified" in run.stdout
    assert _check(tmp_path, proof, bare=True).returncode == 0
    lines = proof["new_checkpoint"].split("\n")
    lines[2] = ledger.first.note.split("\n")[2]
    tampered = {**proof, "new_checkpoint": "\n".join(lines)}
    run = _check(tmp_path, tampered, bare=True)  # the Merkle proof alone catches it, no signature needed
    assert run.returncode == 1 and "not an append-only extension" in run.stderr


def test_the_checker_imports_the_standard_library_only() -> None:
    tree = ast.parse(CHECKER.read_text(encoding="utf-8"))
    top = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert top <= {"__future__", "argparse", "base64", "hashlib", "json", "sys"}


# --- the watchdog's hook and the command line -----------------------------------------------------------

def test_maybe_write_writes_when_configured_and_due(world: World, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    sent: list[tuple[str, bytes]] = []

    def post(url: str, *, content: bytes, **_: Any) -> httpx.Response:
        sent.append((url, content))
        return httpx.Response(500, request=httpx.Request("POST", url))  # the witness fails: logged, not raised

    monkeypatch.setattr(httpx, "post", post)
    engine = world.engine
    assert cp.maybe_write(engine, load_settings(), NOW) is None  # not configured
    cp.new_key(tmp_path / "k", "custody-ledger.local/ledger")
    settings = load_settings(checkpoint_key_file=tmp_path / "k", checkpoint_log=tmp_path / "log",
                             checkpoint_interval_minutes=60, witness_url="http://witness.invalid/add")
    first = cp.maybe_write(engine, settings, NOW)
    assert first is not None and sent == [("http://witness.invalid/add", first.note.encode())]
    assert cp.maybe_write(engine, settings, NOW + timedelta(minutes=59)) is None
    assert cp.maybe_write(engine, settings, NOW + timedelta(minutes=61)) is not None
    assert len(cp.read_log(tmp_path / "log")) == 2
    assert cp.verify_against(engine, tmp_path / "log", tmp_path / "k.pub").ok


def test_the_cli_functions(world: World, db_url: str, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("checkpoint-key-new")(trust.checkpoint_key_new)
    app.command()(trust.checkpoint)
    app.command()(trust.prove)
    runner = CliRunner()
    key, log = str(tmp_path / "k"), str(tmp_path / "log")
    made = runner.invoke(app, ["checkpoint-key-new", key, "--name", NAME])
    assert made.exit_code == 0 and made.stdout.startswith(NAME + "+")
    for _ in range(2):
        assert runner.invoke(app, ["checkpoint", "--db", db_url, "--key", key, "--log", log]).exit_code == 0
        world.ok("nominate_officer", officer_id=f"OFF-{_ + 5}", agency_id="AG-A", name="O", badge=str(_))
    receipt = world.ok("nominate_officer", officer_id="OFF-8", agency_id="AG-A", name="O", badge="8")["events"][0]
    assert runner.invoke(app, ["checkpoint", "--db", db_url, "--key", key, "--log", log]).exit_code == 0
    shown = runner.invoke(app, ["prove", receipt["hash"], "--db", db_url, "--log", log])
    assert shown.exit_code == 0, shown.output
    assert _check(tmp_path, json.loads(shown.stdout), "--public-key", key + ".pub").returncode == 0
    sizes = [cp.Checkpoint.parse(n[:n.rfind("\n\n") + 1]).size for n in cp.read_log(Path(log))]
    shown = runner.invoke(app, ["prove", "--consistency", "--db", db_url, "--log", log, "--from", str(sizes[0]),
                                "--to", str(sizes[2])])
    assert shown.exit_code == 0, shown.output
    assert _check(tmp_path, json.loads(shown.stdout), "--public-key", key + ".pub").returncode == 0
    assert runner.invoke(app, ["prove", "--db", db_url, "--log", log]).exit_code == 2
    assert runner.invoke(app, ["prove", "--consistency", "--db", db_url, "--log", log, "--from", "3"]).exit_code == 1
