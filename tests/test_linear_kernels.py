"""The dsd kernel (forward and dX) in every tile shape its configs can pick, forced explicitly: both MMA
orientations, K split into steps, both program orders, padded blocks of 8. The default configs choose among
these by batch size and dtype, so the small shapes of test_linear.py would leave some of them untested.
Runs through the interpreter on CPU and on CUDA (marker gpu)."""

import pytest
import torch
import triton
import triton.language as tl

import tilesparse as ts
from backends import INTERPRETING, random_layout
from tilesparse.kernels.linear_dsd import DsdConfig, hubs_first_position, linear_dsd
from tolerances import assert_close

KERNEL_DEVICES = [
    pytest.param(
        "cpu", marks=[pytest.mark.interpreter, pytest.mark.skipif(not INTERPRETING, reason="needs TRITON_INTERPRET=1")]
    ),
    pytest.param("cuda", marks=pytest.mark.gpu),
]
CONFIGS = [
    DsdConfig(block_m=16, num_warps=4, num_stages=2),
    DsdConfig(block_m=32, num_warps=4, num_stages=2, n_fastest=False, launch_table=True),
    DsdConfig(block_m=32, num_warps=4, num_stages=2, transposed_tile=True),
    DsdConfig(block_m=16, num_warps=2, num_stages=4, launch_table=True),
    DsdConfig(block_m=16, num_warps=4, num_stages=2, transposed_tile=True, k_split=2),
    DsdConfig(block_m=32, num_warps=4, num_stages=2, k_split=2),
    DsdConfig(block_m=32, num_warps=4, num_stages=2, transposed_tile=True, k_split=2, turn_blocks_for_dx=True),
    DsdConfig(block_m=32, num_warps=4, num_stages=2, feature_major_x=True),
    DsdConfig(block_m=16, num_warps=4, num_stages=2, transposed_tile=True, late_hub_tiles=2),
]


def config_id(c: DsdConfig) -> str:
    tile = "transposed" if c.transposed_tile else "plain"
    staged = ("-turned" if c.turn_blocks_for_dx else "") + ("-staged" if c.feature_major_x else "")
    staged += "-launch-table" if c.launch_table else ""
    staged += f"-late-hubs{c.late_hub_tiles}" if c.late_hub_tiles else ""
    return f"m{c.block_m}-{tile}-k{c.k_split}-{'n' if c.n_fastest else 'm'}{staged}"


def kernel_dtype(device: str, precision: str) -> torch.dtype:
    """The interpreter runs fp32 only (fast and exact); CUDA runs 16-bit and fp32 tiles (other MMA paths)."""
    if device == "cpu" and precision == "16-bit":
        pytest.skip("the interpreter runs the fp32 case")
    return torch.float16 if precision == "16-bit" else torch.float32


@pytest.mark.parametrize("precision", ["16-bit", "fp32"])
@pytest.mark.parametrize("feature_major", [False, True], ids=["row-major", "feature-major"])
@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
@pytest.mark.parametrize("block_size", [8, 16, 32])
@pytest.mark.parametrize("device", KERNEL_DEVICES)
def test_dsd_configs(device, block_size, config, feature_major, precision):
    if max(block_size, 16) // config.k_split < 16:
        pytest.skip("an MMA step needs K >= 16: blocks are split only down to 16")
    layout = random_layout(3, 4, block_size, density=0.6)
    t = layout.tables(device)
    dtype = kernel_dtype(device, precision)

    def rows(features):  # 37 rows: a partial batch tile; feature-major: stored (features, 37), read transposed
        if feature_major:
            return torch.randn(features, 37, device=device).to(dtype).T
        return torch.randn(37, features, device=device).to(dtype)

    x, dy = rows(4 * block_size), rows(3 * block_size)
    blocks = torch.randn(layout.packed_shape, device=device).to(dtype)
    bias = torch.randn(3 * block_size, device=device).to(dtype)

    hubs = 1 if config.late_hub_tiles else 0  # any head of the order may be called hubs: only the order changes
    y = linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 3, True, bias, config=config,
                   hubs=hubs)
    dx = linear_dsd(dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, t.col_order, 4, False, config=config,
                    hubs=hubs)

    w64 = ts.to_dense(blocks.double(), layout)
    assert_close(y, x.double() @ w64.T + bias.double(), dtype, "forward")
    assert_close(dx, dy.double() @ w64, dtype, "dX")


@triton.jit
def hubs_first_positions_kernel(out_ptr, num_pid_m, num_pid_n, num_hubs, late_tiles):
    pid = tl.program_id(0)
    pid_m, pid_n = hubs_first_position(pid, num_pid_m, num_pid_n, num_hubs, late_tiles)
    tl.store(out_ptr + 2 * pid, pid_m)
    tl.store(out_ptr + 2 * pid + 1, pid_n)


def expected_hubs_first_order(tiles, segs, hubs, late_tiles):
    """(batch tile, launch slot) per program: the hubs of the last E = min(late_tiles, tiles) tiles first, then
    the other tiles in turn, then the rest of the last E tiles."""
    late = tiles - min(late_tiles, tiles)
    order = [(tile, slot) for tile in range(late, tiles) for slot in range(hubs)]
    order += [(tile, slot) for tile in range(late) for slot in range(segs)]
    return order + [(tile, slot) for tile in range(late, tiles) for slot in range(hubs, segs)]


@pytest.mark.parametrize("tiles, segs, hubs, late_tiles", [
    (9, 7, 2, 3), (5, 7, 2, 2), (3, 7, 2, 8), (4, 5, 0, 3), (4, 5, 5, 2), (1, 6, 3, 4), (6, 4, 1, 1), (5, 7, 2, 0),
])
@pytest.mark.parametrize("device", KERNEL_DEVICES)
def test_hubs_first_position(device, tiles, segs, hubs, late_tiles):
    """The dsd kernels' program order: every (batch tile, segment) exactly once, the last tiles' hubs first (a
    count past the last tile: every tile's; all slots hubs; no hubs or no late tiles: tiles in turn)."""
    out = torch.full((tiles * segs, 2), -1, dtype=torch.int32, device=device)
    hubs_first_positions_kernel[(tiles * segs,)](out, tiles, segs, hubs, late_tiles)
    expected = expected_hubs_first_order(tiles, segs, hubs, late_tiles)
    assert [tuple(p) for p in out.tolist()] == expected
    assert sorted(expected) == [(m, n) for m in range(tiles) for n in range(segs)]


@pytest.mark.gpu
def test_hub_count_reuses_the_compiled_kernel():
    """A new layout's hub count (0, 1, a multiple of 16, any other) launches the kernel already compiled: layouts
    that change during training must not recompile it."""
    from tilesparse.kernels.linear_dsd import linear_dsd_kernel

    layout = random_layout(20, 6, 16, density=0.8)
    t = layout.tables("cuda")
    x = torch.randn(300, 6 * 16, device="cuda", dtype=torch.float16)
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=torch.float16)
    config = DsdConfig(block_m=64, num_warps=4, num_stages=2, late_hub_tiles=2)
    rows = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
    first = linear_dsd(x, blocks, *rows, 20, True, config=config, hubs=0)
    cache = linear_dsd_kernel.device_caches[torch.cuda.current_device()][0]
    compiled = len(cache)
    for hubs in (1, 16, 5):
        assert torch.equal(linear_dsd(x, blocks, *rows, 20, True, config=config, hubs=hubs), first)
    assert len(cache) == compiled


@pytest.mark.parametrize("staging", ["row-major", "feature-major"])
@pytest.mark.parametrize("gather", ["tile", "flat"])
@pytest.mark.parametrize("precision", ["16-bit", "fp32"])
@pytest.mark.parametrize("transposed", [False, True], ids=["plain", "transposed"])
@pytest.mark.parametrize("group_size, split", [(1, 1), (4, 1), (4, 2)], ids=["group1", "group4", "group4-split2"])
@pytest.mark.parametrize("block_size", [8, 16, 32, 64])
@pytest.mark.parametrize("device", KERNEL_DEVICES)
def test_sdd_configs(device, block_size, group_size, split, transposed, precision, gather, staging):
    """dW in both MMA orientations, both ways of gathering x's column blocks, row-major or staged
    feature-major inputs; runs of one block and runs wider than some rows (masked); groups split over two
    programs; group indices from the group table or the row_ptr chain (each with both gathers and both
    orientations, so the table adds no cases)."""
    from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd
    from tilesparse.layout import row_groups

    layout = random_layout(3, 5, block_size, density=0.6)
    t = layout.tables(device)
    group_first, group_rows = row_groups(t.row_ptr, group_size)
    dtype = kernel_dtype(device, precision)
    x = torch.randn(45, 5 * block_size, device=device).to(dtype)  # 45 rows: a partial batch chunk
    dy = torch.randn(45, 3 * block_size, device=device).to(dtype)
    config = SddConfig(block_k=16, num_warps=4, num_stages=2, transposed=transposed, flat_gather=gather == "flat",
                       feature_major_inputs=staging == "feature-major", split_group=split,
                       group_table=transposed == (gather == "tile"))

    dw = linear_sdd(dy, x, t.row_ptr, t.block_cols, group_first, group_rows, block_size, group_size, config)

    dense = dy.double().T @ x.double()
    assert_close(dw, ts.from_dense(dense, layout), dtype, "dW")


@pytest.mark.parametrize("precision", ["16-bit", "fp32"])
@pytest.mark.parametrize("transposed", [False, True], ids=["plain", "transposed"])
@pytest.mark.parametrize("group_size, split", [(1, 1), (4, 1), (4, 2)], ids=["group1", "group4", "group4-split2"])
@pytest.mark.parametrize("batch", [1, 19, 32])
@pytest.mark.parametrize("block_size", [8, 16, 32, 64])
@pytest.mark.parametrize("device", KERNEL_DEVICES)
def test_sdd_persistent(device, block_size, batch, group_size, split, transposed, precision):
    """dW at batches of one step (at most block_k rows) by persistent programs: each of the few programs (one an
    SM) walks many work items, runs of one block and runs wider than some rows (masked), groups split over two
    programs' items, a partial step of rows; every block written (poisoned output) and right."""
    from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd
    from tilesparse.layout import group_table, row_groups

    layout = random_layout(9, 5, block_size, density=0.6)  # 27 blocks: items outnumber the programs
    t = layout.tables(device)
    group_first, group_rows = row_groups(t.row_ptr, group_size)
    table = group_table(t.row_ptr, t.block_cols, group_first, group_rows, group_size)
    dtype = kernel_dtype(device, precision)
    x = torch.randn(batch, 5 * block_size, device=device).to(dtype)
    dy = torch.randn(batch, 9 * block_size, device=device).to(dtype)
    config = SddConfig(block_k=32, num_warps=2, num_stages=3, transposed=transposed, flat_gather=True,
                       split_group=split, group_table=True, persistent=1)

    dw = linear_sdd(dy, x, t.row_ptr, t.block_cols, group_first, group_rows, block_size, group_size, config,
                    group_table=table)

    dense = dy.double().T @ x.double()
    assert_close(dw, ts.from_dense(dense, layout), dtype, "dW")


@pytest.mark.parametrize("shape", [(70, 45), (64, 128), (1, 33)])
@pytest.mark.parametrize("device", KERNEL_DEVICES)
def test_feature_major_copy(device, shape):
    """The staging copy: same values, stored features-first; a strided input too; already feature-major
    inputs come back as they are."""
    from tilesparse.kernels.feature_major import feature_major

    x = torch.randn(shape[0], 2 * shape[1], device=device)[:, ::2]  # strided columns
    staged = feature_major(x)
    assert staged.shape == x.shape and staged.stride() == (1, shape[0])
    assert torch.equal(staged, x)
    assert feature_major(staged) is staged


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=["fp16", "fp32"])
@pytest.mark.parametrize("block_size", [8, 16, 32, 64, 128])
@pytest.mark.parametrize("device", KERNEL_DEVICES)
def test_default_configs_at_large_batch(device, block_size, dtype, monkeypatch):
    """The three products with the configs the launchers pick at large batch (more than 64 rows): feature-major
    staging for small blocks, the flat dW gather at 16 bits, turned blocks for fp32 dX, the dW group sizes
    of linear_dw_group_size (rows of 16+ blocks at block 32, 4+ at block 64 and 2+ at 128 get wider groups)."""
    from tilesparse.layout import linear_dw_group_size
    from tilesparse.ops.linear import backward_input_impl, backward_weight_impl, forward_impl

    monkeypatch.setenv("TILESPARSE_BACKEND", "triton")  # the kernels on CPU tensors too (interpreter)
    n_in = 32 if block_size <= 32 else 8
    mask = torch.ones(3, n_in, dtype=torch.bool)
    mask[2] = False  # an output block with no blocks
    mask[:, -1] = False  # an input block with none: its dX is zero; rows of n_in - 1 blocks: a partial dW group
    layout = ts.Layout(mask, block_size)
    t = layout.tables(device)
    assert linear_dw_group_size(block_size, layout.nnz, 3) == {8: 8, 16: 4, 32: 8, 64: 4, 128: 2}[block_size]
    x = torch.randn(80, n_in * block_size, device=device).to(dtype)
    dy = torch.randn(80, 3 * block_size, device=device).to(dtype)
    blocks = torch.randn(layout.packed_shape, device=device).to(dtype)

    y = forward_impl(x, blocks, None, list(t), 3)
    dx = backward_input_impl(dy, blocks, list(t), n_in)
    dw = backward_weight_impl(dy, x, list(t), block_size)

    w64 = ts.to_dense(blocks.double(), layout)
    assert_close(y, x.double() @ w64.T, dtype, "forward")
    assert_close(dx, dy.double() @ w64, dtype, "dX")
    assert_close(dw, ts.from_dense(dy.double().T @ x.double(), layout), dtype, "dW")


@pytest.mark.parametrize("device", KERNEL_DEVICES)
def test_feature_major_input_is_not_copied(device, monkeypatch):
    """Small blocks at large batch stage a row-major x feature-major before the forward; an x stored
    ``(in_features, N)`` and passed with ``feature_axis=0`` already is, so the forward copies nothing."""
    import tilesparse.kernels.feature_major as staging

    monkeypatch.setenv("TILESPARSE_BACKEND", "triton")  # the kernels on CPU tensors too (interpreter)
    copies = []
    launch = staging.feature_major_kernel

    class Counting:
        def __getitem__(self, grid):
            copies.append(grid)
            return launch[grid]

    monkeypatch.setattr(staging, "feature_major_kernel", Counting())
    layout = random_layout(4, 6, 16, density=0.7)
    blocks = torch.randn(layout.packed_shape, device=device).to(torch.float16)
    for feature_axis, shape, expected in ((-1, (80, 96), 1), (0, (96, 80), 0)):
        copies.clear()
        ts.linear(torch.randn(shape, device=device).to(torch.float16), blocks, layout, feature_axis=feature_axis)
        assert len(copies) == expected, f"feature_axis={feature_axis}: {len(copies)} staging copies"
