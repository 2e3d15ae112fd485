"""Trust anchored outside the database (issue 11): checkpoint keys, signed checkpoints, proofs for third parties.

checkpoint-key new PATH, checkpoint [--key K --log F], prove HASH [--log F], prove --consistency [--from N --to M];
the formats are in app/checkpoints.py, the standalone checker is tools/check_proof.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from custody_ledger.app import checkpoints
from custody_ledger.app.checkpoints import CheckpointError

from . import common
from .common import DbOption, err, fail

KeyOption = Annotated[Path | None, typer.Option("--key", help="The checkpoint signer key file "
                                                               "(env CUSTODY_LEDGER_CHECKPOINT_KEY_FILE).")]
LogOption = Annotated[Path | None, typer.Option("--log", help="The checkpoint log file, outside the database "
                                                               "(env CUSTODY_LEDGER_CHECKPOINT_LOG).")]


def _log(log: Path | None) -> Path:
    path = log or common.settings().checkpoint_log
    if path is None:
        fail("no checkpoint log: give --log FILE or set CUSTODY_LEDGER_CHECKPOINT_LOG")
    return path


def checkpoint_key_new(
    path: Annotated[Path, typer.Argument(help="Where to write the signer key (mode 0600); the verifier key goes "
                                              "to PATH.pub.")],
    name: Annotated[str | None, typer.Option(help="The key's name, which is the log's origin "
                                                  "(default CUSTODY_LEDGER_CHECKPOINT_ORIGIN).")] = None,
) -> None:
    """Make an Ed25519 key pair for signing checkpoints; prints the verifier key to hand to auditors."""
    try:
        signer = checkpoints.new_key(path, name or common.settings().checkpoint_origin)
    except CheckpointError as exc:
        fail(str(exc))
    sys.stdout.write(signer.verifier.text() + "\n")
    err.print(f"wrote {path} (keep it secret) and {path}.pub", highlight=False)


def checkpoint(db: DbOption = None, key: KeyOption = None, log: LogOption = None) -> None:
    """Append one signed checkpoint of the whole ledger to the checkpoint log (C2SP tlog-checkpoint)."""
    key_path = key or common.settings().checkpoint_key_file
    if key_path is None:
        fail("no checkpoint key: give --key PATH or set CUSTODY_LEDGER_CHECKPOINT_KEY_FILE")
    log_path = _log(log)
    engine = common.engine(db, upgrade=False)
    try:
        written = checkpoints.write(engine, checkpoints.Signer.from_file(key_path), log_path, common.now())
    except CheckpointError as exc:
        fail(str(exc), code=1)
    sys.stdout.write(written.note)
    err.print(f"checkpoint appended to {log_path}: {written.size} events, root {written.root.hex()}",
              highlight=False)


def prove(
    receipt_hash: Annotated[str | None, typer.Argument(metavar="[RECEIPT-HASH]",
                                                       help="An event's hash, as a receipt gives it.")] = None,
    db: DbOption = None,
    log: LogOption = None,
    consistency: Annotated[bool, typer.Option("--consistency", help="Prove that one checkpoint extends another "
                                                                    "instead.")] = False,
    from_: Annotated[int | None, typer.Option("--from", help="Tree size of the older checkpoint "
                                                             "(default: the one before the newest).")] = None,
    to: Annotated[int | None, typer.Option("--to", help="Tree size of the newer checkpoint "
                                                        "(default: the newest).")] = None,
) -> None:
    """Print (JSON) an RFC 9162 proof a third party checks with tools/check_proof.py: that an event is in the
    ledger the latest checkpoint signed, or (--consistency) that a later checkpoint only appended to an earlier."""
    if consistency == (receipt_hash is not None):
        fail("give either RECEIPT-HASH or --consistency")
    if not consistency and (from_ is not None or to is not None):
        fail("--from and --to go with --consistency")
    log_path = _log(log)
    engine = common.engine(db, upgrade=False)
    try:
        proof: dict[str, Any] = (checkpoints.prove_consistency(engine, log_path, from_, to) if consistency
                                 else checkpoints.prove_inclusion(engine, log_path, receipt_hash or ""))
    except CheckpointError as exc:
        fail(str(exc), code=1)
    sys.stdout.write(json.dumps(proof, indent=2, ensure_ascii=False) + "\n")
