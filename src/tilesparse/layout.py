"""The block structure of a block-sparse weight, and every index table the kernels need.

A ``Layout`` is immutable and hashable: ops, modules and compiled graphs cache on it. Its index
tables are built once per device, vectorised, and trusted by every op.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import torch

SUPPORTED_BLOCK_SIZES = (8, 16, 32, 64, 128)
# dW computes this many packed blocks of one row per program, so the row's dY tile is loaded once for
# all of them and the MMA is group_size * block_size wide (small blocks would leave the tensor cores idle).
# Conv dW: blocks of one row per program (the conv kernels' configs were tuned with these, scripts/tune_conv.py).
CONV_DW_GROUP_SIZE = {8: 4, 16: 8, 32: 4, 64: 2, 128: 1}


def linear_dw_group_size(block_size: int, nnz: int, n_rows: int) -> int:
    """Blocks of one row per linear dW program (one dY tile feeds GROUP blocks). Measured on an H100
    (scripts/probe_staging.py, fp16, 8192^2, batch 8192): 8 at block 8, 4 at 16 and 64; at block 32,
    8 when rows hold 16 blocks or more on average (d=0.5: 2.9 vs 4.7 ms with 4), else 4 (a 4096^2 layout at
    d=0.05, 6 blocks a row: 0.27 vs 0.34 ms with 8). From sizes only, so ops can tell it without a sync."""
    if block_size == 32:
        return 8 if nnz >= 16 * n_rows else 4
    if block_size == 64:  # d=0.01, 1.3 blocks a row: 0.11 ms with 2, 0.13 with 4
        return 4 if nnz >= 4 * n_rows else 2
    if block_size == 128:  # pairs feed Hopper's kernel a 256-wide MMA (scripts/probe_gluon.py --dw: 1.13-1.25x)
        return 2 if nnz >= 2 * n_rows else 1
    return {8: 8, 16: 4}[block_size]


class LayoutTables(NamedTuple):
    """Index tables of one layout on one device (int32); a tuple, so ops can pass them as a tensor list.

    Packed block ``k`` is the ``k``-th nonzero of the mask in row-major order.
    - by output block row (forward, y = x W^T): ``row_ptr`` (n_rows + 1), ``row_cols`` and
      ``row_blocks`` (nnz) list the input block column and packed block of each entry of a row;
    - by input block column (dX = dY W): ``col_ptr`` (n_cols + 1), ``col_rows``, ``col_blocks``;
    - per packed block: ``block_rows``, ``block_cols``;
    - dW groups (runs of at most G consecutive blocks of one row): ``group_first`` (first packed block of
      each run) and ``group_rows`` (its row), G = ``linear_dw_group_size``; ``group_table`` the same groups
      one row each (``group_table()``); ``conv_group_first`` and ``conv_group_rows`` likewise with
      G = ``CONV_DW_GROUP_SIZE[block_size]``;
    - launch orders: ``row_order`` and ``col_order`` list the block rows (columns) by decreasing block
      count, so the longest rows start first and hub rows of skewed layouts do not form a tail;
      ``row_launch`` and ``col_launch`` are the same orders one row per segment (``launch_table()``);
      ``row_hubs`` and ``col_hubs`` the hub rows (columns) at the head of those orders (``hubs()``): the dsd
      kernels launch them ahead of the other segments, and read only the table's length; ``row_hubs_wide``
      and ``col_hubs_wide`` the same at ``WIDE_HUB_FACTOR``, for the Hopper kernels;
    - segment groups sharing their x tiles (``segment_groups()``) for the Hopper forward/dX: pairs at block 64,
      groups of 4 at block 32, of 8 at block 16 (``SEGMENT_GROUP_SIZES``; empty at other block sizes):
      ``row_group_launch``, ``row_group_idx``, ``row_group_blk`` and the ``col_`` same;
    - ``diagonal_groups``: shape ``(g, r, c)`` where the mask is ``g`` dense ``r x c`` tiles on the diagonal (a
      grouped convolution or linear; ``diagonal_groups()``), ``(0, 0, 0)`` otherwise. Ops read only its shape, so
      the choice of a grouped path needs no device sync.
    """

    row_ptr: torch.Tensor
    row_cols: torch.Tensor
    row_blocks: torch.Tensor
    col_ptr: torch.Tensor
    col_rows: torch.Tensor
    col_blocks: torch.Tensor
    block_rows: torch.Tensor
    block_cols: torch.Tensor
    group_first: torch.Tensor
    group_rows: torch.Tensor
    group_table: torch.Tensor
    conv_group_first: torch.Tensor
    conv_group_rows: torch.Tensor
    row_order: torch.Tensor
    col_order: torch.Tensor
    row_launch: torch.Tensor
    col_launch: torch.Tensor
    row_hubs: torch.Tensor
    col_hubs: torch.Tensor
    row_hubs_wide: torch.Tensor
    col_hubs_wide: torch.Tensor
    row_group_launch: torch.Tensor
    row_group_idx: torch.Tensor
    row_group_blk: torch.Tensor
    col_group_launch: torch.Tensor
    col_group_idx: torch.Tensor
    col_group_blk: torch.Tensor
    diagonal_groups: torch.Tensor


def row_groups(row_ptr: torch.Tensor, group_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Split every row's packed blocks into runs of at most ``group_size``: (first block, row) per run."""
    row_ptr = row_ptr.long()
    counts = row_ptr[1:] - row_ptr[:-1]
    runs = (counts + group_size - 1) // group_size
    rows = torch.repeat_interleave(torch.arange(counts.numel(), device=row_ptr.device), runs)
    first_run_of_row = torch.cumsum(runs, 0) - runs
    index_in_row = torch.arange(rows.numel(), device=row_ptr.device) - first_run_of_row[rows]
    first = row_ptr[rows] + index_in_row * group_size
    return first.to(torch.int32), rows.to(torch.int32)


GROUP_TABLE_HEAD = 4  # row, first packed block, blocks in the group, unused


def group_table(
    row_ptr: torch.Tensor,
    block_cols: torch.Tensor,
    group_first: torch.Tensor,
    group_rows: torch.Tensor,
    group_size: int,
) -> torch.Tensor:
    """The dW groups one int32 row each: [row, first packed block, block count, 0, the group's block columns
    (0 past its end)], padded to a power of two. A program reads everything it needs to gather its tiles from
    one row (one cache line up to groups of 28), where walking group -> row_ptr -> block_cols puts three cold
    loads in a chain before the first tile: at batch 32 that chain is most of the kernel."""
    n_groups = group_first.numel()
    width = 1 << (GROUP_TABLE_HEAD + group_size - 1).bit_length()
    rows, first = group_rows.long(), group_first.long()
    count = torch.clamp(row_ptr.long()[rows + 1] - first, max=group_size)
    entry = first[:, None] + torch.arange(group_size, device=row_ptr.device)[None, :]
    inside = torch.arange(group_size, device=row_ptr.device)[None, :] < count[:, None]
    # padded past the last block so a run's tail indexes in bounds (no branch on sizes: torch.compile traces this)
    cols = torch.cat([block_cols.long(), row_ptr.new_zeros(group_size, dtype=torch.long)])[entry]
    table = torch.zeros(n_groups, width, dtype=torch.int32, device=row_ptr.device)
    table[:, 0], table[:, 1], table[:, 2] = rows, first, count
    table[:, GROUP_TABLE_HEAD:GROUP_TABLE_HEAD + group_size] = torch.where(inside, cols, 0)
    return table


LAUNCH_TABLE_WIDTH = 4  # segment, first entry, entries, unused (16 bytes a row)


def launch_table(seg_ptr: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """The segments of a CSR-like table (``seg_ptr``) in launch order, one int32 row each: [segment, first
    entry, entry count, 0]. A program reads its segment from one row, where ``order`` -> ``seg_ptr`` puts two
    cold loads in a chain before its first index load (at batch 32 that chain is much of the kernel)."""
    ptr, launch = seg_ptr.long(), order.long()
    table = torch.zeros(order.numel(), LAUNCH_TABLE_WIDTH, dtype=torch.int32, device=seg_ptr.device)
    table[:, 0], table[:, 1], table[:, 2] = order, ptr[launch], (ptr[1:] - ptr[:-1])[launch]
    return table


# Above this many segments group_by_overlap groups neighbours in launch order instead: its shared-block counts are
# a (segments x segments) product (1024: 2 GFLOP, 4 MB; a CPU loop of 1024 steps).
GROUP_BY_OVERLAP_MAX_SEGMENTS = 1024


def group_by_overlap(seg_ptr: torch.Tensor, seg_idx: torch.Tensor, order: torch.Tensor,
                     size: int) -> list[tuple[int, ...]]:
    """Segments ``size`` at a time, greedily by shared input blocks: in launch order (``order``, the longest
    first), each segment not yet taken starts a group and takes, one at a time, the untaken segment sharing most
    input blocks with the group so far (-1 where none is left). On CPU, once per layout; above
    ``GROUP_BY_OVERLAP_MAX_SEGMENTS`` segments, neighbours in launch order."""
    ptr, idx, launch_order = seg_ptr.long().cpu(), seg_idx.long().cpu(), order.long().cpu()
    n = launch_order.numel()
    if n > GROUP_BY_OVERLAP_MAX_SEGMENTS:  # neighbours in launch order
        ordered = launch_order.tolist() + [-1] * (size - 1)
        return [tuple(ordered[i:i + size]) for i in range(0, n, size)]
    width = int(idx.max()) + 1 if idx.numel() else 1
    member = torch.zeros(n, width)
    member[torch.repeat_interleave(torch.arange(n), ptr[1:] - ptr[:-1]), idx] = 1.0
    shared = member @ member.T
    taken = torch.zeros(n, dtype=torch.bool)
    groups = []
    for a in launch_order.tolist():
        if taken[a]:
            continue
        taken[a] = True
        group, union, scores = [a], member[a], shared[a]
        while len(group) < size:
            scores = scores.masked_fill(taken, -1.0)
            b = int(scores.argmax())
            if scores[b] < 0:
                break
            taken[b] = True
            group.append(b)
            if len(group) < size:  # shared with the group's union of input blocks
                union = torch.maximum(union, member[b])
                scores = member @ union
        groups.append(tuple(group + [-1] * (size - len(group))))
    return groups


def pair_by_overlap(seg_ptr: torch.Tensor, seg_idx: torch.Tensor, order: torch.Tensor) -> list[tuple[int, int]]:
    """``group_by_overlap`` two at a time: each segment not yet taken takes the untaken one sharing most input
    blocks with it. A random layout at d = 0.5 / 0.25 / 0.1 then loads 0.70 / 0.80 / 0.85 of the x tiles its
    segments would load alone, where neighbours load 0.75 / 0.87 / 0.95."""
    return group_by_overlap(seg_ptr, seg_idx, order, 2)


def segment_groups(seg_ptr: torch.Tensor, seg_idx: torch.Tensor, seg_blk: torch.Tensor, order: torch.Tensor,
                   size: int, grouping: list[tuple[int, ...]] | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Segments ``size`` at a time (``grouping``, by default ``group_by_overlap``'s), each group's entries merged
    by input block, so a kernel loads an x tile once for the whole group: ``(launch, group_idx, group_blk)``.
    ``launch``: one int32 row a group, [its ``size`` segments (-1: none), first merged entry, merged entries], the
    groups with the most merged entries first; ``group_idx``: each merged entry's input block, ascending within a
    group; ``group_blk`` (entries, size): its packed block in each of the group's segments, -1 where that one has
    none."""
    device = seg_ptr.device
    ptr = seg_ptr.long()
    counts = ptr[1:] - ptr[:-1]
    grouping = grouping if grouping is not None else group_by_overlap(seg_ptr, seg_idx, order, size)
    groups = torch.tensor(grouping, dtype=torch.long, device=device).view(-1, size)
    n_groups = groups.shape[0]
    group_of = torch.empty(counts.numel(), dtype=torch.long, device=device)
    side_of = torch.empty_like(group_of)
    inside = groups >= 0
    group_of[groups[inside]] = torch.arange(n_groups, device=device)[:, None].expand(-1, size)[inside]
    side_of[groups[inside]] = torch.arange(size, device=device)[None, :].expand(n_groups, -1)[inside]
    entry_seg = torch.repeat_interleave(torch.arange(counts.numel(), device=device), counts)
    width = int(seg_idx.max()) + 1 if seg_idx.numel() else 1
    merged, inverse = torch.unique(group_of[entry_seg] * width + seg_idx.long(), sorted=True, return_inverse=True)
    group_blk = torch.full((merged.numel(), size), -1, dtype=torch.int32, device=device)
    group_blk[inverse, side_of[entry_seg]] = seg_blk.int()
    merged_counts = torch.bincount(merged // width, minlength=n_groups)
    launch = torch.zeros(n_groups, max(LAUNCH_TABLE_WIDTH, size + 2), dtype=torch.int32, device=device)
    launch[:, :size] = groups
    launch[:, size] = torch.cumsum(merged_counts, 0) - merged_counts
    launch[:, size + 1] = merged_counts
    longest_first = torch.sort(merged_counts, descending=True, stable=True).indices
    return launch[longest_first], (merged % width).int(), group_blk


def segment_pairs(seg_ptr: torch.Tensor, seg_idx: torch.Tensor, seg_blk: torch.Tensor, order: torch.Tensor,
                  pairing: list[tuple[int, int]] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``segment_groups`` two at a time: ``(launch, pair_idx, pair_blk)``, ``launch`` rows [segment a, segment b
    (-1: none), first merged entry, merged entries]."""
    return segment_groups(seg_ptr, seg_idx, seg_blk, order, 2, pairing)


# Segments a group at the block sizes whose Hopper forward/dX run on segment groups: pairs at block 64
# (kernels/linear_hopper.linear_dsd_hopper_pairs), groups of 4 at block 32 and of 8 at block 16
# (linear_dsd_hopper_groups: one wgmma of N = 128 a step). The layout builds these tables only there (grouping by
# overlap is a CPU loop over the segments).
SEGMENT_GROUP_SIZES = {16: 8, 32: 4, 64: 2}


def segment_group_tables(side: str, seg_ptr: torch.Tensor, seg_idx: torch.Tensor, seg_blk: torch.Tensor,
                         order: torch.Tensor, block_size: int) -> dict[str, torch.Tensor]:
    """``segment_groups`` as the ``LayoutTables`` fields ``{side}_group_launch/_idx/_blk`` (empty tables where no
    kernel reads them)."""
    size = SEGMENT_GROUP_SIZES.get(block_size)
    if size:
        launch, idx, blk = segment_groups(seg_ptr, seg_idx, seg_blk, order, size)
    else:
        launch = torch.zeros(0, LAUNCH_TABLE_WIDTH, dtype=torch.int32, device=seg_ptr.device)
        idx, blk = launch.new_zeros(0), launch.new_zeros(0, 2)
    return {f"{side}_group_launch": launch, f"{side}_group_idx": idx, f"{side}_group_blk": blk}


# A hub segment holds more than this many times the mean block count: 3 was best of 1.5-4 (scripts/probe_ba_gap.py
# --hubs); at 1.5 a random layout at d=0.01 has ~60 "hubs" out of 256 and ran 2-4% slower.
HUB_FACTOR = 3.0
# The Hopper forward/dX (blocks 64/128 at large batch) runs one program an SM over 16-32 batch tiles, so
# segments twice the mean already trail: Barabasi-Albert dX at block 128, d = 0.25 ran 1.16x random with
# factor 3 (no hubs found) and 0.99x with 1.5 (scripts/probe_ba_gap.py --hubs --block 128, H100).
WIDE_HUB_FACTOR = 1.5


def hubs(counts: torch.Tensor, order: torch.Tensor, factor: float = HUB_FACTOR) -> torch.Tensor:
    """The hub segments, longest first: those with more than ``factor`` times the mean block count of
    ``counts`` (per segment), taken from the head of the longest-first ``order``. At large batch a hub's
    program is several times longer than the others; if it starts with its own batch tile, the last tile's
    hubs run on alone after everything else has finished (a tail of 10-20% on Barabasi-Albert layouts), so
    the dsd kernels launch the hub programs of the last batch tiles first (``DsdConfig.late_hub_tiles``)."""
    hub_count = int((counts.float() > factor * counts.float().mean()).sum())
    return order[:hub_count].clone()


def diagonal_groups(mask: torch.Tensor) -> tuple[int, int, int] | None:
    """``(g, r, c)`` when ``mask`` is ``g >= 2`` dense ``r x c`` tiles on its diagonal and nothing else (block
    ``(i, j)`` present iff ``i // r == j // c``), else None."""
    n_rows, n_cols = mask.shape
    r, c = int(mask[:, 0].sum()) if n_cols else 0, int(mask[0].sum()) if n_rows else 0
    if r == 0 or c == 0 or n_rows % r or n_cols % c or n_rows // r != n_cols // c or n_rows // r < 2:
        return None
    g = n_rows // r
    rows = torch.arange(n_rows, device=mask.device) // r
    cols = torch.arange(n_cols, device=mask.device) // c
    return (g, r, c) if torch.equal(mask, rows[:, None] == cols[None, :]) else None


def _build_tables(mask: torch.Tensor, block_size: int, groups: tuple[int, int, int] | None = None) -> LayoutTables:
    """The tables of ``mask``; ``groups``: its ``diagonal_groups(mask)``, found on the host by the caller."""
    n_rows, n_cols = mask.shape
    nonzero = mask.nonzero()  # row-major: the packed order
    block_rows = nonzero[:, 0].to(torch.int32)
    block_cols = nonzero[:, 1].to(torch.int32)
    nnz = nonzero.shape[0]
    zero = torch.zeros(1, dtype=torch.int64, device=mask.device)
    row_ptr = torch.cat([zero, mask.sum(1).cumsum(0)]).to(torch.int32)
    col_ptr = torch.cat([zero, mask.sum(0).cumsum(0)]).to(torch.int32)
    # Column-major order of the blocks: sort by (col, row); row-major position breaks no ties.
    col_order = torch.argsort(nonzero[:, 1] * n_rows + nonzero[:, 0])
    row_blocks = torch.arange(nnz, dtype=torch.int32, device=mask.device)  # a row's entries: packed in order
    col_rows, col_blocks = block_rows[col_order], col_order.to(torch.int32)
    group_size = linear_dw_group_size(block_size, nnz, n_rows)
    group_first, group_rows = row_groups(row_ptr, group_size)
    conv_group_first, conv_group_rows = row_groups(row_ptr, CONV_DW_GROUP_SIZE[block_size])
    longest_first = {"descending": True, "stable": True}
    row_counts, col_counts = mask.sum(1), mask.sum(0)
    rows_longest_first = torch.sort(row_counts, **longest_first).indices.to(torch.int32)
    cols_longest_first = torch.sort(col_counts, **longest_first).indices.to(torch.int32)
    return LayoutTables(
        row_ptr=row_ptr,
        row_cols=block_cols,
        row_blocks=row_blocks,
        col_ptr=col_ptr,
        col_rows=col_rows,
        col_blocks=col_blocks,
        block_rows=block_rows,
        block_cols=block_cols,
        group_first=group_first,
        group_rows=group_rows,
        group_table=group_table(row_ptr, block_cols, group_first, group_rows, group_size),
        conv_group_first=conv_group_first,
        conv_group_rows=conv_group_rows,
        row_order=rows_longest_first,
        col_order=cols_longest_first,
        row_launch=launch_table(row_ptr, rows_longest_first),
        col_launch=launch_table(col_ptr, cols_longest_first),
        row_hubs=hubs(row_counts, rows_longest_first),
        col_hubs=hubs(col_counts, cols_longest_first),
        row_hubs_wide=hubs(row_counts, rows_longest_first, WIDE_HUB_FACTOR),
        col_hubs_wide=hubs(col_counts, cols_longest_first, WIDE_HUB_FACTOR),
        **segment_group_tables("row", row_ptr, block_cols, row_blocks, rows_longest_first, block_size),
        **segment_group_tables("col", col_ptr, col_rows, col_blocks, cols_longest_first, block_size),
        diagonal_groups=torch.zeros(groups or (0, 0, 0), dtype=torch.int32, device=mask.device),
    )


class Layout:
    """Which ``block_size x block_size`` blocks of a weight are present.

    ``mask`` has shape ``(out_features // block_size, in_features // block_size)``, the orientation of
    an ``nn.Linear`` weight: ``mask[r, c]`` means block ``W[r*bs:(r+1)*bs, c*bs:(c+1)*bs]`` is present.
    """

    __slots__ = ("_mask", "_block_size", "_nnz", "_hash", "_tables", "_diagonal_groups")

    def __init__(self, mask: torch.Tensor, block_size: int):
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"expected mask to be a torch.Tensor, got {type(mask).__name__}")
        if mask.dim() != 2:
            raise ValueError(f"expected a 2-D mask (out_blocks, in_blocks), got shape {tuple(mask.shape)}")
        if mask.dtype != torch.bool:
            raise TypeError(f"expected a bool mask, got dtype {mask.dtype}")
        if isinstance(block_size, bool) or not isinstance(block_size, int):
            raise TypeError(f"expected block_size to be an int, got {type(block_size).__name__}")
        if block_size not in SUPPORTED_BLOCK_SIZES:
            raise ValueError(f"expected block_size in {SUPPORTED_BLOCK_SIZES}, got {block_size}")
        if mask.shape[0] == 0 or mask.shape[1] == 0:
            raise ValueError(f"expected a mask with at least one block row and column, got shape {tuple(mask.shape)}")
        cpu_mask = mask.detach().to("cpu", copy=True).contiguous()
        self._mask = cpu_mask
        self._block_size = block_size
        self._nnz = int(cpu_mask.sum())
        # here, on the host, not in _build_tables: tables may be built inside a torch.compile'd forward, where the
        # checks' data-dependent branches cannot be traced
        self._diagonal_groups = diagonal_groups(cpu_mask)
        digest = hashlib.sha1(cpu_mask.numpy().tobytes()).hexdigest()
        self._hash = hash((tuple(cpu_mask.shape), block_size, digest))
        self._tables: dict[torch.device, LayoutTables] = {}

    # -- structure -------------------------------------------------------------------------------
    @property
    def mask(self) -> torch.Tensor:
        """A copy of the block mask (the layout itself cannot be changed)."""
        return self._mask.clone()

    @property
    def block_size(self) -> int:
        return self._block_size

    @property
    def blocks_shape(self) -> tuple[int, int]:
        """(out_blocks, in_blocks): the mask's shape."""
        return tuple(self._mask.shape)

    @property
    def shape(self) -> tuple[int, int]:
        """(out_features, in_features) of the dense weight the layout stands for."""
        return (self._mask.shape[0] * self._block_size, self._mask.shape[1] * self._block_size)

    @property
    def nnz(self) -> int:
        """Number of nonzero blocks."""
        return self._nnz

    @property
    def density(self) -> float:
        return self._nnz / self._mask.numel()

    @property
    def packed_shape(self) -> tuple[int, int, int]:
        """Shape of the packed weight tensor ``(nnz, block_size, block_size)``."""
        return (self._nnz, self._block_size, self._block_size)

    def row_counts(self) -> torch.Tensor:
        """Nonzero blocks in each output block row."""
        return self._mask.sum(1)

    def col_counts(self) -> torch.Tensor:
        """Nonzero blocks in each input block column."""
        return self._mask.sum(0)

    # -- index tables ------------------------------------------------------------------------------
    def tables(self, device: torch.device | str = "cpu") -> LayoutTables:
        """The index tables on ``device``, built on first use and cached."""
        device = torch.device(device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        tables = self._tables.get(device)
        if tables is None:
            tables = _build_tables(self._mask.to(device), self._block_size, self._diagonal_groups)
            self._tables[device] = tables
        return tables

    # -- checks used by ops ------------------------------------------------------------------------
    def check_blocks(self, blocks: torch.Tensor, name: str = "blocks") -> None:
        """Raise unless ``blocks`` is a packed weight of this layout."""
        if not isinstance(blocks, torch.Tensor):
            raise TypeError(f"expected {name} to be a torch.Tensor, got {type(blocks).__name__}")
        if tuple(blocks.shape) != self.packed_shape:
            raise ValueError(
                f"expected {name} of shape (nnz, block_size, block_size) = {self.packed_shape}, "
                f"got {tuple(blocks.shape)}"
            )

    # -- identity ----------------------------------------------------------------------------------
    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layout):
            return NotImplemented
        return (
            self._hash == other._hash
            and self._block_size == other._block_size
            and self._mask.shape == other._mask.shape
            and bool(torch.equal(self._mask, other._mask))
        )

    def __setattr__(self, name, value):
        if hasattr(self, "_tables"):
            raise AttributeError("Layout is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self):
        return (Layout, (self._mask, self._block_size))

    def __repr__(self) -> str:
        out_f, in_f = self.shape
        return (
            f"Layout(shape=({out_f}, {in_f}), block_size={self._block_size}, nnz={self._nnz}, "
            f"density={self.density:.4f})"
        )


def to_dense(blocks: torch.Tensor, layout: Layout) -> torch.Tensor:
    """The dense ``(out_features, in_features)`` weight that packed ``blocks`` stand for."""
    layout.check_blocks(blocks)
    n_rows, n_cols = layout.blocks_shape
    bs = layout.block_size
    t = layout.tables(blocks.device)
    grid = blocks.new_zeros((n_rows, n_cols, bs, bs))
    grid = grid.index_put((t.block_rows.long(), t.block_cols.long()), blocks)
    return grid.permute(0, 2, 1, 3).reshape(n_rows * bs, n_cols * bs)


def from_dense(weight: torch.Tensor, layout: Layout) -> torch.Tensor:
    """Gather the nonzero blocks of a dense ``(out_features, in_features)`` weight, packed."""
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"expected weight to be a torch.Tensor, got {type(weight).__name__}")
    if tuple(weight.shape) != layout.shape:
        raise ValueError(f"expected weight of shape {layout.shape} (out, in), got {tuple(weight.shape)}")
    n_rows, n_cols = layout.blocks_shape
    bs = layout.block_size
    t = layout.tables(weight.device)
    grid = weight.reshape(n_rows, bs, n_cols, bs).permute(0, 2, 1, 3)
    return grid[t.block_rows.long(), t.block_cols.long()].contiguous()
