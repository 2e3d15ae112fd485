"""The RFC 9162 tree: the published RFC 6962 test vectors, and a second, recursive method for every size."""

from __future__ import annotations

import hashlib

import pytest

from custody_ledger.ledger import merkle

# The Certificate Transparency reference leaves and roots (RFC 6962 test vectors, as published with
# certificate-transparency and transparency-dev/merkle): roots for sizes 0..8.
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (index, size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
CONSISTENCY = [  # (old size, new size, proof)
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, written straight from the recursive definition (slices, no shared code)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


def reference_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*reference_path(m, leaves[:k]), reference_root(leaves[k:])]
    return [*reference_path(m - k, leaves[k:]), reference_root(leaves[:k])]


def reference_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [reference_root(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*reference_subproof(m, leaves[:k], whole), reference_root(leaves[k:])]
    return [*reference_subproof(m - k, leaves[k:], False), reference_root(leaves[:k])]


def test_roots_match_the_published_vectors() -> None:
    tree = merkle.Tree.of(LEAVES)
    builder = merkle.Builder()
    assert builder.root().hex() == ROOTS[0]
    for size in range(len(LEAVES) + 1):
        assert tree.root(size).hex() == ROOTS[size]
        assert merkle.root(LEAVES[:size]).hex() == ROOTS[size]
        if size:
            builder.append(LEAVES[size - 1])
            assert builder.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index: int, size: int, path: list[str]) -> None:
    tree = merkle.Tree.of(LEAVES)
    assert [p.hex() for p in tree.inclusion_proof(index, size)] == path
    assert merkle.verify_inclusion(merkle.leaf_hash(LEAVES[index]), index, size, [bytes.fromhex(p) for p in path],
                                   bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(old: int, new: int, proof: list[str]) -> None:
    tree = merkle.Tree.of(LEAVES)
    assert [p.hex() for p in tree.consistency_proof(old, new)] == proof
    assert merkle.verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]),
                                     [bytes.fromhex(p) for p in proof])


LEAVES_40 = [hashlib.sha256(f"event {i}".encode()).digest() for i in range(40)]


def test_every_size_agrees_with_the_recursive_definition() -> None:
    tree = merkle.Tree.of(LEAVES_40)
    for size in range(len(LEAVES_40) + 1):
        expected = reference_root(LEAVES_40[:size])
        assert tree.root(size) == expected == merkle.root(LEAVES_40[:size])
        for index in range(size):
            assert tree.inclusion_proof(index, size) == reference_path(index, LEAVES_40[:size])
        for old in range(1, size):
            assert tree.consistency_proof(old, size) == reference_subproof(old, LEAVES_40[:size], True)


def test_every_proof_verifies_and_every_mangled_one_fails() -> None:
    tree = merkle.Tree.of(LEAVES_40)
    roots = [tree.root(n) for n in range(len(LEAVES_40) + 1)]
    junk = b"\xab" * 32
    for size in range(1, len(LEAVES_40) + 1):
        for index in range(size):
            leaf, path = tree.hashes[index], tree.inclusion_proof(index, size)
            assert merkle.verify_inclusion(leaf, index, size, path, roots[size])
            assert not merkle.verify_inclusion(junk, index, size, path, roots[size])
            assert not merkle.verify_inclusion(leaf, index, size, [*path, junk], roots[size])
            if path:
                assert not merkle.verify_inclusion(leaf, index, size, path[:-1], roots[size])
                assert not merkle.verify_inclusion(leaf, index, size, [junk, *path[1:]], roots[size])
            if size > 1:
                assert not merkle.verify_inclusion(leaf, (index + 1) % size, size, path, roots[size])
        assert not merkle.verify_inclusion(tree.hashes[0], size, size, [], roots[size])
        for old in range(1, size):
            proof = tree.consistency_proof(old, size)
            assert merkle.verify_consistency(old, size, roots[old], roots[size], proof)
            assert not merkle.verify_consistency(old, size, junk, roots[size], proof)
            assert not merkle.verify_consistency(old, size, roots[old], junk, proof)
            assert not merkle.verify_consistency(old, size, roots[old], roots[size], proof[:-1])
            assert not merkle.verify_consistency(old, size, roots[old], roots[size], [*proof, junk])
            assert not merkle.verify_consistency(old, size, roots[old], roots[size], [junk, *proof[1:]])
            assert not merkle.verify_consistency(size, old, roots[size], roots[old], proof)


def test_degenerate_consistency_cases() -> None:
    tree = merkle.Tree.of(LEAVES_40)
    r4, r5 = tree.root(4), tree.root(5)
    assert tree.consistency_proof(4, 4) == [] and tree.consistency_proof(0, 5) == []
    assert merkle.verify_consistency(4, 4, r4, r4, [])
    assert not merkle.verify_consistency(4, 4, r4, r5, [])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, r5, [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, r5, [r4])
    with pytest.raises(ValueError):
        tree.consistency_proof(5, 4)
    with pytest.raises(ValueError):
        tree.inclusion_proof(5, 5)
    with pytest.raises(ValueError):
        tree.root(41)
