#!/usr/bin/env python3
"""Check a Custody Ledger proof without the product, its database or anything beyond the standard library.

    python3 check_proof.py PROOF.json [--public-key KEY.pub] [--leaf HASH]
    custody-ledger prove HASH | python3 check_proof.py - --public-key KEY.pub

PROOF.json is what `custody-ledger prove` prints:

- an inclusion proof ("kind": "inclusion"): the event's chain hash (`leaf`, the receipt's hash), its
  `leaf_index`, the `tree_size` and `audit_path` (hex), and the signed `checkpoint` note; checked by the
  RFC 9162 §2.1.3.2 algorithm against the checkpoint's root and size. `--leaf` names the hash you hold
  (a receipt's "hash"); the proof must be about it.
- a consistency proof ("kind": "consistency"): `old_size`, `new_size`, `proof` (hex) and both signed
  checkpoints; checked by RFC 9162 §2.1.4.2: the newer tree extends the older one, nothing rewritten.

The tree: leaf = the event's chain hash (32 bytes), leaf hash SHA-256(0x00 || leaf), node hash
SHA-256(0x01 || left || right). A checkpoint is a C2SP tlog-checkpoint (origin, size, base64 root, then
extension lines) signed as a C2SP signed-note. The Merkle proofs need only hashlib. The Ed25519 signature
is checked with `--public-key` (the verifier key `<name>+<hex key ID>+<base64(0x01 || key)>`) only when
the `cryptography` package can be imported; otherwise the output says the signature was NOT checked.

Exit 0 when everything checked holds, 1 when something does not, 2 for unreadable input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys

DASH = "\u2014"


class Bad(Exception):
    pass


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf_hashed: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    if not 0 <= index < size or any(len(p) != 32 for p in path):
        return False
    fn, sn, r = index, size - 1, leaf_hashed
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    if not 0 <= old_size <= new_size or any(len(p) != 32 for p in proof):
        return False
    if old_size == 0:
        return not proof
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def split_note(note: str) -> tuple[str, list[str]]:
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise Bad("the checkpoint is not a signed note")
    return note[:cut + 1], note[cut + 2:].splitlines()


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not all(lines[:-1]):
        raise Bad("the checkpoint's text is malformed")
    if not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise Bad("the checkpoint's tree size is malformed")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise Bad("the checkpoint's root is not 32 bytes")
    return lines[0], int(lines[1]), root


def check_signature(note: str, key_text: str | None) -> str:
    """A line saying what was checked; Bad when a signature fails."""
    if key_text is None:
        return "signature NOT checked (no --public-key given)"
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        # Asked to check the signature and unable to: saying "holds" would let a forged checkpoint pass.
        raise Bad("cannot check the signature: the cryptography package is not importable here (run without "
                  "--public-key to check the Merkle proof alone)") from None
    try:
        name, hex_id, encoded = key_text.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise Bad("the public key is not a verifier key (<name>+<hex key ID>+<base64 key>)") from None
    if len(raw) != 33 or raw[0] != 1:
        raise Bad("the public key is not an Ed25519 verifier key")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if key_id.hex() != hex_id.lower():
        raise Bad("the public key's ID does not match its name and key")
    text, lines = split_note(note)
    verified = False
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise Bad("the checkpoint has a malformed signature line")
        signature = base64.b64decode(parts[2], validate=True)
        if parts[1] != name or signature[:4] != key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(signature[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise Bad(f"the checkpoint's signature by {name} does not verify") from None
        verified = True
    if not verified:
        raise Bad(f"the checkpoint carries no signature by the key {name}+{hex_id}")
    return f"signature verified ({name}+{hex_id})"


def check(proof: dict[str, object], key_text: str | None, leaf: str | None) -> list[str]:
    kind = proof.get("kind")
    if kind == "inclusion":
        note = str(proof["checkpoint"])
        _, size, root = parse_checkpoint(split_note(note)[0])
        index, claimed = int(str(proof["leaf_index"])), str(proof["leaf"]).lower()
        if leaf is not None and leaf.lower() != claimed:
            raise Bad(f"the proof is about {claimed}, not {leaf}")
        if int(str(proof["tree_size"])) != size:
            raise Bad("the proof's tree size is not the checkpoint's")
        path = hexes(proof["audit_path"])
        hashed = hashlib.sha256(b"\x00" + bytes.fromhex(claimed)).digest()
        if len(bytes.fromhex(claimed)) != 32 or not verify_inclusion(hashed, index, size, path, root):
            raise Bad(f"the inclusion proof of {claimed} at index {index} does not lead to the checkpoint's root")
        return [f"inclusion verified: leaf {claimed} at index {index} of the tree of size {size}",
                check_signature(note, key_text)]
    if kind == "consistency":
        old_note, new_note = str(proof["old_checkpoint"]), str(proof["new_checkpoint"])
        old_origin, old_size, old_root = parse_checkpoint(split_note(old_note)[0])
        new_origin, new_size, new_root = parse_checkpoint(split_note(new_note)[0])
        if old_origin != new_origin:
            raise Bad("the two checkpoints are of different logs")
        if (int(str(proof["old_size"])), int(str(proof["new_size"]))) != (old_size, new_size):
            raise Bad("the proof's sizes are not the checkpoints'")
        path = hexes(proof["proof"])
        if not verify_consistency(old_size, new_size, old_root, new_root, path):
            raise Bad(f"the tree of size {new_size} is not an append-only extension of the tree of size {old_size}")
        return [f"consistency verified: size {old_size} -> {new_size}",
                "old " + check_signature(old_note, key_text), "new " + check_signature(new_note, key_text)]
    raise Bad(f"unknown proof kind {kind!r}")


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def hexes(value: object) -> list[bytes]:
    if not isinstance(value, list):
        raise Bad("a proof path is not a list")
    return [bytes.fromhex(str(p)) for p in value]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Custody Ledger inclusion or consistency proof.")
    parser.add_argument("proof", help="the JSON that `custody-ledger prove` printed (- for standard input)")
    parser.add_argument("--public-key", help="the log's verifier key file (KEY.pub)")
    parser.add_argument("--leaf", help="the hash you hold (a receipt's hash): the proof must be about it")
    args = parser.parse_args(argv)
    try:
        proof = json.loads(sys.stdin.read() if args.proof == "-" else read(args.proof))
        key_text = None if args.public_key is None else read(args.public_key)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read the input: {exc}", file=sys.stderr)
        return 2
    try:
        if not isinstance(proof, dict):
            raise Bad("the proof is not a JSON object")
        lines = check(proof, key_text, args.leaf)
    except (Bad, KeyError, ValueError, TypeError) as exc:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        print(f"FAILED: {reason}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
