import pickle
import time

import pytest
import torch

import tilesparse as ts
from tilesparse.layout import (
    GROUP_TABLE_HEAD,
    LAUNCH_TABLE_WIDTH,
    Layout,
    group_by_overlap,
    group_table,
    pair_by_overlap,
    row_groups,
    segment_groups,
)


def _loop_tables(mask):
    """Index tables built the slow, obvious way."""
    n_rows, n_cols = mask.shape
    packed = {}
    for r in range(n_rows):
        for c in range(n_cols):
            if mask[r, c]:
                packed[(r, c)] = len(packed)
    rows = [[(c, packed[(r, c)]) for c in range(n_cols) if mask[r, c]] for r in range(n_rows)]
    cols = [[(r, packed[(r, c)]) for r in range(n_rows) if mask[r, c]] for c in range(n_cols)]
    return packed, rows, cols


def _segments(ptr, idx, blk):
    return [
        list(zip(idx[ptr[i] : ptr[i + 1]].tolist(), blk[ptr[i] : ptr[i + 1]].tolist(), strict=True))
        for i in range(len(ptr) - 1)
    ]


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (8, 3)])
def test_tables_match_loops(shape):
    mask = torch.rand(shape) < 0.5
    mask[0, 0] = True
    layout = Layout(mask, 16)
    packed, rows, cols = _loop_tables(mask)
    t = layout.tables()
    assert _segments(t.row_ptr, t.row_cols, t.row_blocks) == rows
    assert _segments(t.col_ptr, t.col_rows, t.col_blocks) == cols
    assert list(zip(t.block_rows.tolist(), t.block_cols.tolist(), strict=True)) == list(packed)
    assert all(v.dtype == torch.int32 for v in t)


@pytest.mark.parametrize("group_size", [1, 2, 3, 8])
def test_row_groups_cover_each_row_in_runs(group_size):
    mask = torch.rand(9, 7) < 0.6
    mask[2] = False
    row_ptr = Layout(mask, 16).tables().row_ptr
    first, rows = row_groups(row_ptr, group_size)
    covered = []
    for f, r in zip(first.tolist(), rows.tolist(), strict=True):
        end = min(f + group_size, row_ptr[r + 1].item())
        assert row_ptr[r] <= f < end  # a run lies inside its row and is not empty
        covered += range(f, end)
    assert covered == list(range(int(mask.sum())))


@pytest.mark.parametrize("group_size", [1, 2, 3, 8])
def test_group_table_rows_match_the_runs(group_size):
    """Each row: [block row, first block, blocks in the run, 0, the run's block columns, zeros], width a power
    of two; the layout's own table uses its dW group size."""
    mask = torch.rand(9, 7) < 0.6
    mask[2] = False
    t = Layout(mask, 16).tables()
    first, rows = row_groups(t.row_ptr, group_size)
    table = group_table(t.row_ptr, t.block_cols, first, rows, group_size)
    width = table.shape[1]
    assert width >= GROUP_TABLE_HEAD + group_size and width & (width - 1) == 0 and table.dtype == torch.int32
    for entry, f, r in zip(table.tolist(), first.tolist(), rows.tolist(), strict=True):
        count = min(group_size, t.row_ptr[r + 1].item() - f)
        cols = t.block_cols[f:f + count].tolist()
        assert entry == [r, f, count, 0] + cols + [0] * (width - GROUP_TABLE_HEAD - count)
    own = group_table(t.row_ptr, t.block_cols, t.group_first, t.group_rows, ts.layout.linear_dw_group_size(
        16, int(mask.sum()), 9))
    assert torch.equal(t.group_table, own)


def test_launch_tables_follow_the_launch_orders():
    """Row k of a launch table: [the k-th segment launched, its first entry, its entry count, 0]."""
    mask = torch.rand(9, 7) < 0.5
    mask[2] = False
    mask[:, 3] = False
    t = Layout(mask, 16).tables()
    for launch, ptr, order in ((t.row_launch, t.row_ptr, t.row_order), (t.col_launch, t.col_ptr, t.col_order)):
        assert launch.shape == (order.numel(), LAUNCH_TABLE_WIDTH) and launch.dtype == torch.int32
        for entry, seg in zip(launch.tolist(), order.tolist(), strict=True):
            assert entry == [seg, ptr[seg].item(), (ptr[seg + 1] - ptr[seg]).item(), 0]


@pytest.mark.parametrize("shape", [(1, 3), (5, 7), (9, 12), (12, 4)])
def test_pair_tables_merge_each_pair_by_input_block(shape):
    """Block 64's pair tables (row and column segments): every segment in exactly one pair (the last one alone
    when their count is odd), each pair's merged entries its two segments' entries by input block, ascending,
    with -1 where a segment has none there; pairs with more merged entries first. Block 32: groups of 4; 16:
    empty."""
    mask = torch.rand(*shape) < 0.5
    mask[-1] = False
    t = Layout(mask, 64).tables()
    _, rows, cols = _loop_tables(mask)
    for launch, idx, blk, segments in ((t.row_group_launch, t.row_group_idx, t.row_group_blk, rows),
                                       (t.col_group_launch, t.col_group_idx, t.col_group_blk, cols)):
        assert launch.dtype == idx.dtype == blk.dtype == torch.int32 and launch.shape[1] == LAUNCH_TABLE_WIDTH
        members = [s for a, b, _, _ in launch.tolist() for s in (a, b) if s >= 0]
        assert sorted(members) == list(range(len(segments)))
        assert launch.shape[0] == (len(segments) + 1) // 2
        assert launch[:, 3].tolist() == sorted(launch[:, 3].tolist(), reverse=True)
        for a, b, start, count in launch.tolist():
            expected = {}
            for side, seg in enumerate((a, b)):
                for i, k in segments[seg] if seg >= 0 else []:
                    expected.setdefault(i, [-1, -1])[side] = k
            assert idx[start:start + count].tolist() == sorted(expected)
            assert blk[start:start + count].tolist() == [expected[i] for i in sorted(expected)]
    assert Layout(mask, 8).tables().row_group_launch.shape == (0, LAUNCH_TABLE_WIDTH)  # no kernel reads them
    assert Layout(mask, 128).tables().row_group_launch.shape == (0, LAUNCH_TABLE_WIDTH)
    assert Layout(mask, 32).tables().row_group_launch.shape[1] == 4 + 2  # groups of 4 at block 32
    assert Layout(mask, 16).tables().row_group_launch.shape[1] == 8 + 2  # groups of 8 at block 16
    assert Layout(mask, 16).tables().row_group_blk.shape[1] == 8


def test_pair_by_overlap_takes_the_partner_sharing_most():
    """In launch order (longest first), each untaken segment takes the untaken one sharing most input blocks."""
    mask = torch.tensor([[1, 1, 1, 1, 0, 0],   # 4 blocks: shares 3 with row 2, 1 with row 1
                         [0, 0, 0, 1, 1, 1],   # 3 blocks: shares 2 with row 3
                         [1, 1, 1, 0, 0, 0],
                         [0, 0, 0, 0, 1, 1]], dtype=torch.bool)
    t = Layout(mask, 64).tables()
    assert pair_by_overlap(t.row_ptr, t.row_cols, t.row_order) == [(0, 2), (1, 3)]
    assert t.row_group_launch[:, :2].tolist() == [[0, 2], [1, 3]]  # 4 merged entries each: launch order kept


@pytest.mark.parametrize("size", [4, 8])
def test_segment_groups_merge_each_group_by_input_block(size):
    """Block 32's segment groups: every segment in exactly one group (the last padded with -1), each group's
    merged entries its segments' entries by input block, ascending, -1 where a segment has none there."""
    mask = torch.rand(11, 9) < 0.5
    mask[-1] = False
    t = Layout(mask, 32).tables()
    _, rows, _ = _loop_tables(mask)
    launch, idx, blk = segment_groups(t.row_ptr, t.row_cols, t.row_blocks, t.row_order, size)
    assert launch.shape == (-(-11 // size), size + 2) and blk.shape == (idx.numel(), size)
    members = [s for row in launch.tolist() for s in row[:size] if s >= 0]
    assert sorted(members) == list(range(11))
    for row in launch.tolist():
        start, count = row[size], row[size + 1]
        expected = {}
        for side, seg in enumerate(row[:size]):
            for i, k in rows[seg] if seg >= 0 else []:
                expected.setdefault(i, [-1] * size)[side] = k
        assert idx[start:start + count].tolist() == sorted(expected)
        assert blk[start:start + count].tolist() == [expected[i] for i in sorted(expected)]


def test_group_by_overlap_takes_the_segments_sharing_most_with_the_group():
    """Each group grows by the untaken segment sharing most input blocks with the group's union so far."""
    mask = torch.tensor([[1, 1, 1, 0, 0, 0],   # starts the first group
                         [0, 0, 1, 1, 1, 0],   # shares 1 (column 2) with the group: taken last
                         [1, 1, 0, 0, 0, 0],   # shares 2 with row 0: taken first
                         [0, 0, 0, 0, 0, 1]], dtype=torch.bool)
    t = Layout(mask, 32).tables()
    assert group_by_overlap(t.row_ptr, t.row_cols, t.row_order, 3) == [(0, 2, 1), (3, -1, -1)]


def test_launch_orders_are_longest_first_permutations():
    mask = torch.rand(12, 9) < 0.4
    t = Layout(mask, 8).tables()
    for order, counts in ((t.row_order, mask.sum(1)), (t.col_order, mask.sum(0))):
        assert sorted(order.tolist()) == list(range(counts.numel()))
        ordered = counts[order.long()]
        assert torch.all(ordered[:-1] >= ordered[1:])


def test_hubs_are_the_head_of_the_launch_order():
    """Hub rows (columns): those above HUB_FACTOR x the mean count (the Hopper kernels': WIDE_HUB_FACTOR), the
    head of the longest-first order; the lower factor's hubs include the higher one's."""
    from tilesparse.layout import HUB_FACTOR, WIDE_HUB_FACTOR

    mask = torch.rand(32, 24) < 0.1
    mask[3] = True  # a hub row: 24 blocks against a mean of ~4
    mask[:, 5] = True  # a hub column: 32 against ~5
    mask[7] = False
    mask[7, :9] = True  # 9 blocks (column 5 among them): above 1.5x the mean of ~4.4, not above 3x
    t = Layout(mask, 8).tables()
    cases = ((t.row_hubs, HUB_FACTOR, t.row_order, mask.sum(1)), (t.col_hubs, HUB_FACTOR, t.col_order, mask.sum(0)),
             (t.row_hubs_wide, WIDE_HUB_FACTOR, t.row_order, mask.sum(1)),
             (t.col_hubs_wide, WIDE_HUB_FACTOR, t.col_order, mask.sum(0)))
    for hubs, factor, order, counts in cases:
        expected = int((counts.float() > factor * counts.float().mean()).sum())
        assert expected >= 1 and torch.equal(hubs, order[:expected])
    assert t.row_hubs[0].item() == 3 and t.col_hubs[0].item() == 5
    assert t.row_hubs_wide.numel() > t.row_hubs.numel() and 7 in t.row_hubs_wide.tolist()
    uniform = Layout(torch.ones(4, 4, dtype=torch.bool), 8).tables()
    assert uniform.row_hubs.numel() == 0 and uniform.col_hubs_wide.numel() == 0


def test_properties():
    mask = torch.zeros(3, 4, dtype=torch.bool)
    mask[0, 1] = mask[2, 3] = mask[2, 0] = True
    layout = Layout(mask, 32)
    assert layout.shape == (96, 128)
    assert layout.blocks_shape == (3, 4)
    assert layout.nnz == 3
    assert layout.density == pytest.approx(3 / 12)
    assert layout.packed_shape == (3, 32, 32)
    assert layout.row_counts().tolist() == [1, 0, 2]
    assert layout.col_counts().tolist() == [1, 1, 0, 1]
    assert "density=0.2500" in repr(layout)


def test_hash_equality_immutability_pickle():
    mask = torch.rand(6, 6) < 0.3
    a, b = Layout(mask, 16), Layout(mask.clone(), 16)
    assert a == b and hash(a) == hash(b)
    assert a != Layout(mask, 32)
    assert a != Layout(~mask, 16)
    assert len({a, b}) == 1
    a.mask[0, 0] = not a.mask[0, 0]  # .mask hands out a copy
    assert a == b
    mask[0, 0] = not mask[0, 0]  # the layout copied its mask
    assert a == b
    with pytest.raises(AttributeError):
        a._block_size = 8
    assert pickle.loads(pickle.dumps(a)) == a


def test_tables_cached_per_device():
    layout = Layout(torch.rand(4, 4) < 0.5, 8)
    assert layout.tables("cpu") is layout.tables(torch.device("cpu"))


@pytest.mark.parametrize(
    "mask, block_size, error, message",
    [
        ([[True]], 16, TypeError, "expected mask to be a torch.Tensor"),
        (torch.ones(4, dtype=torch.bool), 16, ValueError, "expected a 2-D mask"),
        (torch.ones(2, 2), 16, TypeError, "expected a bool mask"),
        (torch.ones(2, 2, dtype=torch.bool), 24, ValueError, "expected block_size in"),
        (torch.ones(2, 2, dtype=torch.bool), 16.0, TypeError, "expected block_size to be an int"),
        (torch.ones(0, 2, dtype=torch.bool), 16, ValueError, "at least one block row"),
    ],
)
def test_bad_layouts(mask, block_size, error, message):
    with pytest.raises(error, match=message):
        Layout(mask, block_size)


def test_large_layout_is_fast():
    """4096x4096 blocks at 5% density (~840k blocks): tables well under a second (bound loose for CI)."""
    mask = torch.rand(4096, 4096) < 0.05
    start = time.perf_counter()
    layout = Layout(mask, 32)
    layout.tables()
    elapsed = time.perf_counter() - start
    assert layout.nnz == int(mask.sum())
    assert elapsed < 2.0, f"expected < 2 s to build the tables, took {elapsed:.2f} s"


@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
def test_dense_round_trip(block_size):
    mask = torch.rand(3, 2) < 0.5
    mask[1, 1] = True
    layout = Layout(mask, block_size)
    weight = torch.randn(layout.shape)
    blocks = ts.from_dense(weight, layout)
    assert blocks.shape == layout.packed_shape
    expanded = mask.repeat_interleave(block_size, 0).repeat_interleave(block_size, 1)
    assert torch.equal(ts.to_dense(blocks, layout), weight * expanded)
    assert torch.equal(ts.from_dense(ts.to_dense(blocks, layout), layout), blocks)
    r, c = mask.nonzero()[0].tolist()
    assert torch.equal(blocks[0], weight[r * block_size : (r + 1) * block_size, c * block_size : (c + 1) * block_size])


def test_dense_conversion_errors():
    layout = Layout(torch.ones(2, 2, dtype=torch.bool), 8)
    with pytest.raises(ValueError, match=r"expected weight of shape \(16, 16\)"):
        ts.from_dense(torch.randn(16, 8), layout)
    with pytest.raises(ValueError, match=r"expected blocks of shape"):
        ts.to_dense(torch.randn(3, 8, 8), layout)
