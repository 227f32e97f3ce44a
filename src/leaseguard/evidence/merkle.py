"""RFC 9162 (RFC 6962) Merkle tree hashing and proofs, as pure functions over leaf or node hashes.

Proofs are built from the hashes of perfect subtrees, named by `NodeId` (level, index); a tree of millions of
leaves answers a proof with O(log n) node reads from any `NodeReader`, such as the store's node table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from leaseguard.evidence.verifier import (
    EMPTY_ROOT,
    HASH_SIZE,
    ProofError,
    leaf_hash,
    node_hash,
    said,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "NodeId",
    "NodeReader",
    "ProofError",
    "TreeNode",
    "append_leaves",
    "consistency_proof",
    "frontier_ids",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_frontier",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

NodeId = tuple[int, int]
"""(level, index): the perfect subtree over leaves [index·2^level, (index+1)·2^level); level 0 is a leaf."""

TreeNode = tuple[int, int, bytes]
"""(level, index, hash) of a perfect subtree."""


class NodeReader(Protocol):
    """Reads the hashes of perfect subtrees, in the order asked; every id asked for exists."""

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]: ...


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162's split: the largest power of two strictly smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_ids(begin: int, end: int) -> list[NodeId]:
    """The perfect subtrees that make up the RFC subtree over leaves [begin, end), largest first.

    Every range a proof asks for starts at a multiple of its largest power of two, so it splits into the
    perfect subtrees given by the binary digits of its width.
    """
    ids: list[NodeId] = []
    width = end - begin
    start = begin
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            ids.append((level, start >> level))
            start += 1 << level
    return ids


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect subtrees (largest first): RFC trees nest to the right."""
    folded = hashes[-1]
    for left in reversed(hashes[:-1]):
        folded = node_hash(left, folded)
    return folded


def frontier_ids(size: int) -> list[NodeId]:
    """The perfect subtrees covering a tree of `size` leaves, largest first; all an append needs to read."""
    return _range_ids(0, size)


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """Root hash of a tree from the hashes of its `frontier_ids`."""
    return _fold(frontier) if frontier else EMPTY_ROOT


def append_leaves(
    size: int, frontier: Sequence[bytes], leaf_hashes: Iterable[bytes]
) -> tuple[list[TreeNode], list[bytes]]:
    """Append leaves to a tree known only by its size and frontier.

    Returns every perfect subtree completed by the new leaves (the leaves themselves included), to be stored,
    and the frontier of the grown tree.
    """
    stack: list[TreeNode] = [
        (level, index, node) for (level, index), node in zip(frontier_ids(size), frontier, strict=True)
    ]
    created: list[TreeNode] = []
    index = size
    for leaf in leaf_hashes:
        level, position, node = 0, index, leaf
        created.append((0, position, node))
        # The new node closes a perfect subtree whenever its left sibling is the stack's smallest entry.
        while stack and stack[-1][0] == level:
            _, left_position, left = stack.pop()
            level, position, node = level + 1, left_position >> 1, node_hash(left, node)
            created.append((level, position, node))
        stack.append((level, position, node))
        index += 1
    return created, [node for _, _, node in stack]


def root_hash(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH (RFC 9162 §2.1.1) of the tree with these leaf hashes, in one pass and O(log n) memory."""
    _, frontier = append_leaves(0, [], leaf_hashes)
    return root_from_frontier(frontier)


class MemoryTree:
    """A NodeReader over leaf hashes held in memory: every level of perfect subtrees, built once."""

    def __init__(self, leaf_hashes: Iterable[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        return [self.levels[level][index] for level, index in ids]

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the first `size` leaves (all of them by default)."""
        size = self.size if size is None else size
        return root_from_frontier(self.read_nodes(frontier_ids(size)))


def _as_reader(nodes: NodeReader | Sequence[bytes]) -> NodeReader:
    return MemoryTree(nodes) if isinstance(nodes, Sequence) else nodes


def _resolve(ranges: list[tuple[int, int]], nodes: NodeReader) -> list[bytes]:
    """Hash each range [begin, end) with one read of all the perfect subtrees they need."""
    id_lists = [_range_ids(begin, end) for begin, end in ranges]
    hashes = nodes.read_nodes([node_id for ids in id_lists for node_id in ids])
    proof, at = [], 0
    for ids in id_lists:
        proof.append(_fold(hashes[at : at + len(ids)]))
        at += len(ids)
    return proof


def inclusion_proof(index: int, size: int, nodes: NodeReader | Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf level first.

    `nodes` is a NodeReader (e.g. the store) or simply the list of leaf hashes.
    """
    if not 0 <= index < size:
        raise ProofError(
            said(
                "索引 {index} 不在大小为 {size} 的树中",
                "index {index} is not in a tree of size {size}",
                index=index,
                size=size,
            )
        )
    siblings: list[tuple[int, int]] = []
    begin, end = 0, size
    while end - begin > 1:
        k = _largest_power_of_two_below(end - begin)
        if index < begin + k:
            siblings.append((begin + k, end))
            end = begin + k
        else:
            siblings.append((begin, begin + k))
            begin += k
    siblings.reverse()
    return _resolve(siblings, _as_reader(nodes))


def consistency_proof(old_size: int, new_size: int, nodes: NodeReader | Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1; empty when old_size is 0 or equals new_size."""
    if not 0 <= old_size <= new_size:
        raise ProofError(
            said(
                "不存在从大小 {old} 到大小 {new} 的一致性证明",
                "no consistency proof from size {old} to size {new}",
                old=old_size,
                new=new_size,
            )
        )
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    begin, end, whole_old_tree = 0, new_size, True
    while True:
        m = old_size - begin
        if m == end - begin:
            # SUBPROOF(m, D[m], b): nothing when it is the old tree itself, else its root.
            if not whole_old_tree:
                ranges.append((begin, end))
            break
        k = _largest_power_of_two_below(end - begin)
        if m <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
            whole_old_tree = False
    ranges.reverse()
    return _resolve(ranges, _as_reader(nodes))
