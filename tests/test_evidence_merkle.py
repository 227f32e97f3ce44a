"""RFC 9162 hashing and proofs: published golden vectors, an independent naive implementation straight from the
RFC's recursive definitions, generated negative probes, and hypothesis properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaseguard.evidence import merkle
from leaseguard.evidence.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# --- published vectors: transparency-dev/merkle (testonly/constants.go, cmd/proofgen/main.go,
# rfc6962/rfc6962_test.go), the reference tree of Certificate Transparency -----------------------------------

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
# Root of the tree of the first n leaves, n = 0..8.
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
# (index, tree size, path); proofgen numbers leaves from 1, these are 0-based.
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
LEAF_HASHES = [leaf_hash(leaf) for leaf in LEAVES]


def test_hasher_vectors() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    node = merkle.node_hash(b"N123", b"N456")
    assert node.hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"


@pytest.mark.parametrize("size", range(9))
def test_reference_roots(size: int) -> None:
    assert root_hash(LEAF_HASHES[:size]).hex() == ROOTS[size]
    assert MemoryTree(LEAF_HASHES).root(size).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(index, size, LEAF_HASHES[:size])
    assert [node.hex() for node in proof] == path
    verify_inclusion(LEAF_HASHES[index], index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_reference_consistency_proofs(old: int, new: int, path: list[str]) -> None:
    proof = consistency_proof(old, new, LEAF_HASHES[:new])
    assert [node.hex() for node in proof] == path
    verify_consistency(old, new, proof, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]))


# --- an independent naive implementation: RFC 9162 §2.1 word for word, over leaf data -------------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return _sha(b"")
    if len(leaves) == 1:
        return _sha(b"\x00" + leaves[0])
    k = _k(len(leaves))
    return _sha(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [naive_mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], whole), naive_mth(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_mth(leaves[:k])]


def _data(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


@pytest.mark.parametrize("size", [*range(1, 34), 63, 64, 65, 100])
def test_agrees_with_naive_implementation(size: int) -> None:
    data = _data(size)
    hashes = [leaf_hash(item) for item in data]
    tree = MemoryTree(hashes)
    assert root_hash(hashes) == naive_mth(data)
    for index in range(size):
        assert inclusion_proof(index, size, tree) == naive_path(index, data)
    for old in range(1, size):
        assert consistency_proof(old, size, tree) == naive_subproof(old, data, True)


def test_append_leaves_in_batches_equals_one_pass() -> None:
    hashes = [leaf_hash(item) for item in _data(77)]
    size, frontier, stored = 0, list[bytes](), dict[tuple[int, int], bytes]()
    for batch in (hashes[:1], hashes[1:13], hashes[13:64], hashes[64:]):
        created, frontier = merkle.append_leaves(size, frontier, batch)
        stored.update({(level, position): node for level, position, node in created})
        size += len(batch)
    tree = MemoryTree(hashes)
    assert merkle.root_from_frontier(frontier) == tree.root()
    assert stored == {
        (level, position): node for level, row in enumerate(tree.levels) for position, node in enumerate(row)
    }


# --- negative probes in the manner of transparency-dev's testdata --------------------------------------------


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


UINT64_MAX = 2**64 - 1  # Go's uint64 index 0 minus one, as the generator of the published probes has it
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _inclusion_probes(index: int, size: int) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    """The corruptions cmd/proofgen applies to each reference inclusion proof."""
    leaf, root = LEAF_HASHES[index], bytes.fromhex(ROOTS[size])
    proof = inclusion_proof(index, size, LEAF_HASHES[:size])
    probes = [
        ("leafIdx sub 1", index - 1 if index else UINT64_MAX, size, proof, leaf, root),
        ("leafIdx plus 1", index + 1, size, proof, leaf, root),
        ("leafIdx XOR 2", index ^ 2, size, proof, leaf, root),
        ("treeSize mul 2", index, size * 2, proof, leaf, root),
        ("treeSize div 2", index, size // 2, proof, leaf, root),
        ("wrong leaf", index, size, proof, leaf_hash(b"WrongLeaf"), root),
        ("empty root", index, size, proof, leaf, EMPTY_ROOT),
        ("random root", index, size, proof, leaf, SOME_HASH),
        ("trailing garbage", index, size, [*proof, b""], leaf, root),
        ("trailing root", index, size, [*proof, root], leaf, root),
        ("preceding garbage", index, size, [b"", *proof], leaf, root),
        ("preceding root", index, size, [root, *proof], leaf, root),
    ]
    for position in range(len(proof)):
        modified = list(proof)
        modified[position] = _flip(modified[position], 3)
        probes.append((f"modified proof[{position}] bit 3", index, size, modified, leaf, root))
    if proof:
        probes.append(("removed component", index, size, proof[:-1], leaf, root))
    if len(proof) > 1:
        probes.append(("inserted component", index, size, [proof[0], SOME_HASH, *proof[1:]], leaf, root))
    return probes


@pytest.mark.parametrize(("index", "size", "_path"), INCLUSION)
def test_inclusion_negative_probes(index: int, size: int, _path: list[str]) -> None:
    for description, probe_index, probe_size, proof, leaf, root in _inclusion_probes(index, size):
        with pytest.raises(ProofError):
            verify_inclusion(leaf, probe_index, probe_size, proof, root)
            pytest.fail(f"accepted: {description}")


@pytest.mark.parametrize(("old", "new", "_path"), [c for c in CONSISTENCY if c[0] < c[1]])
def test_consistency_negative_probes(old: int, new: int, _path: list[str]) -> None:
    proof = consistency_proof(old, new, LEAF_HASHES[:new])
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    # The corruptions cmd/proofgen applies to each reference consistency proof.
    probes = [
        ("size1 sub 1", old - 1, new, proof, old_root, new_root),
        ("size1 plus 1", old + 1, new, proof, old_root, new_root),
        ("size1 XOR 2", old ^ 2, new, proof, old_root, new_root),
        ("size2 mul 2", old, new * 2, proof, old_root, new_root),
        ("size2 div 2", old, new // 2, proof, old_root, new_root),
        ("wrong root1", old, new, proof, b"WrongRoot", new_root),
        ("wrong root2", old, new, proof, old_root, b"WrongRoot"),
        ("swapped roots", old, new, proof, new_root, old_root),
        ("empty proof", old, new, [], old_root, new_root),
        ("trailing garbage", old, new, [*proof, b""], old_root, new_root),
        ("trailing root1", old, new, [*proof, old_root], old_root, new_root),
        ("trailing root2", old, new, [*proof, new_root], old_root, new_root),
        ("preceding garbage", old, new, [b"", *proof], old_root, new_root),
        ("preceding root1", old, new, [old_root, *proof], old_root, new_root),
        ("preceding root2", old, new, [new_root, *proof], old_root, new_root),
        ("preceding proof[0]", old, new, [proof[0], *proof], old_root, new_root),
        ("truncated proof", old, new, proof[:-1], old_root, new_root),
    ]
    for position in range(len(proof)):
        modified = list(proof)
        modified[position] = _flip(modified[position], 4)
        probes.append((f"modified proof[{position}]", old, new, modified, old_root, new_root))
    for description, size1, size2, probe, root1, root2 in probes:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, probe, root1, root2)
            pytest.fail(f"accepted: {description}")


def test_edge_cases_of_consistency() -> None:
    root = bytes.fromhex(ROOTS[5])
    verify_consistency(0, 5, [], EMPTY_ROOT, root)
    verify_consistency(5, 5, [], root, root)
    with pytest.raises(ProofError, match="同一树大小 5 有两个不同的根哈希") as caught:
        verify_consistency(5, 5, [], root, bytes.fromhex(ROOTS[4]))
    assert caught.value.text("en") == "two different root hashes for the same tree size 5"
    with pytest.raises(ProofError, match="倒退") as caught:
        verify_consistency(6, 5, [], root, root)
    assert "backwards" in caught.value.text("en")
    with pytest.raises(ProofError, match="根哈希 应为 32 字节") as caught:
        verify_inclusion(LEAF_HASHES[0], 0, 1, [], b"short")
    assert caught.value.text("en") == "the root hash must be 32 bytes"
    with pytest.raises(ValueError):
        inclusion_proof(8, 8, LEAF_HASHES)


# --- properties --------------------------------------------------------------------------------------------

sizes_and_index = st.integers(min_value=1, max_value=300).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(min_value=0, max_value=size - 1))
)


@settings(max_examples=150, deadline=None)
@given(sizes_and_index)
def test_every_inclusion_proof_verifies(size_index: tuple[int, int]) -> None:
    size, index = size_index
    hashes = [leaf_hash(item) for item in _data(size)]
    verify_inclusion(hashes[index], index, size, inclusion_proof(index, size, hashes), root_hash(hashes))


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=300))
def test_every_consistency_proof_verifies(a: int, b: int) -> None:
    old, new = min(a, b), max(a, b)
    hashes = [leaf_hash(item) for item in _data(new)]
    tree = MemoryTree(hashes)
    verify_consistency(old, new, consistency_proof(old, new, tree), tree.root(old), tree.root(new))


@settings(max_examples=200, deadline=None)
@given(sizes_and_index, st.data())
def test_any_flipped_bit_breaks_an_inclusion_proof(size_index: tuple[int, int], data: st.DataObject) -> None:
    size, index = size_index
    hashes = [leaf_hash(item) for item in _data(size)]
    proof, root, leaf = inclusion_proof(index, size, hashes), root_hash(hashes), hashes[index]
    target = data.draw(st.sampled_from(["leaf", "root", "proof"] if proof else ["leaf", "root"]))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    if target == "leaf":
        leaf = _flip(leaf, bit)
    elif target == "root":
        root = _flip(root, bit)
    else:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        proof[position] = _flip(proof[position], bit)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, root)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=200), st.data())
def test_any_flipped_bit_breaks_a_consistency_proof(a: int, b: int, data: st.DataObject) -> None:
    old, new = min(a, b), max(a, b) + 1
    hashes = [leaf_hash(item) for item in _data(new)]
    tree = MemoryTree(hashes)
    proof, old_root, new_root = consistency_proof(old, new, tree), tree.root(old), tree.root(new)
    bit = data.draw(st.integers(min_value=0, max_value=255))
    target = data.draw(st.sampled_from(["old", "new", "proof"]))
    if target == "old":
        old_root = _flip(old_root, bit)
    elif target == "new":
        new_root = _flip(new_root, bit)
    else:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        proof[position] = _flip(proof[position], bit)
    with pytest.raises(ProofError):
        verify_consistency(old, new, proof, old_root, new_root)
