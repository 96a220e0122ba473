"""Sparse = dense x dense: dW on the nonzero blocks only, dW_k = dY[:, r_k-block]^T @ x[:, c_k-block].

Each program owns a run of up to GROUP consecutive packed blocks of one block row r (the layout's dW
groups). It loads the batch chunk of dY's r-block once, gathers the GROUP x column blocks side by side,
and does one (bs x BLOCK_K) @ (BLOCK_K x GROUP*bs) MMA a chunk (or its transpose, config ``transposed``),
reducing over the batch in fp32. Memory and time grow with nnz; no dense dW exists at any point. Blocks
of 8 pad dY's side to 16 in registers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import triton
import triton.language as tl

from ..backend import dot_precision, dot_upcast, new_output
from ..layout import GROUP_TABLE_HEAD
from ..layout import group_table as build_group_table
from . import SHARED_MEMORY_BUDGET, shared_memory_budget, sm_count
from .feature_major import feature_major
from .grouped_dw import gather_group_tile, group_blocks, group_mma, group_span, store_group


@dataclass(frozen=True)
class SddConfig:
    block_k: int
    num_warps: int
    num_stages: int
    # MMA orientation: False computes (bs x GROUP*bs) = dY_tile^T @ x_tile, True its transpose
    # (GROUP*bs x bs) = x_tile^T @ dY_tile. Hopper's wgmma needs M >= 64, so blocks below 64 want True.
    transposed: bool = False
    # x's GROUP column blocks gathered through one flat offset vector (runs of bs, with contiguity hints)
    # instead of a (rows, GROUP, bs) tile reshaped to (rows, GROUP*bs).
    flat_gather: bool = False
    # Copy row-major dY and x to feature-major first (kernels/feature_major.py): small blocks.
    feature_major_inputs: bool = False
    # Programs per dW group: each takes group_size / split_group of its blocks. The layout's groups suit the
    # Hopper kernel (pairs at block 128); the Triton kernel ran 3-6x slower on pairs there than on single
    # blocks (scripts/probe_gluon.py --triton-dw-groups), so it splits them.
    split_group: int = 1
    # Read each group's row, first block, count and block columns from one row of the layout's group table
    # instead of walking group -> row_ptr -> block_cols (three cold loads in a chain). Small batches, where
    # that chain is most of a program's time: 1.04-1.17x at batch 32 (scripts/probe_seed_levels.py --sweep-dw,
    # H200, every warp count and depth); at batch 8192 the chain measured the same in 16-bit and 6% faster
    # at TF32 (block 32, d=0.1: 1.90 vs 2.01 ms), so large batches keep it.
    group_table: bool = False
    # Batches of at most block_k rows (one step of the batch reduction): this many persistent programs an SM,
    # each walking work items (the table's groups, split) in a software-pipelined loop, so the next items'
    # table rows and gathers load while the current one multiplies and stores; 0: a program per work item.
    # Needs ``group_table``; gathers flat whatever ``flat_gather`` says. See sdd_config for where it ran faster.
    persistent: int = 0
    # Run the warp-specialised Gluon kernel (kernels/linear_hopper.py) where it applies (Hopper, 16-bit or
    # TF32, blocks 64/128); the fields above then describe the Triton kernel run everywhere else.
    hopper_ws: bool = False


def hopper_ws_wins(block_size: int, group_size: int, element_size: int) -> bool:
    """Where the warp-specialised Hopper dW kernel ran faster than the Triton one (scripts/probe_gluon.py --dw,
    scripts/probe_tf32_dw.py, H100, 8192^2 at batch 8192): blocks of 128 always (16-bit pairs 1.13-1.25x,
    single blocks at d=0.01 1.42x; TF32 3.3-3.9x); blocks of 64 in pairs (short rows) at 16 bits (1.37x; groups
    of 4: 0.9-1.05x) and at TF32 in every group (groups of 4 1.8-2.2x, pairs at d=0.01 2.1x)."""
    if block_size == 128:
        return element_size in (2, 4)
    if block_size == 64:
        return element_size == 4 or (element_size, group_size) == (2, 2)
    return False


def small_batch_persistent(block_size: int, group_size: int, element_size: int) -> tuple[int, int] | None:
    """(programs an SM, warps) of the persistent one-step dW kernel where it beat a program per work item at
    batch 32 (scripts/probe_seed_dw_persistent.py, H100, 12288^2, 3 stages across items): 16-bit blocks of 16
    (8, 2: 1.15-1.22x at d = 0.1/0.5) and 32 (8, 2: 1.17-1.27x at d = 0.05-0.5, within 3% at 0.01), 16-bit blocks
    of 64 in groups of 4 (4, 4: 1.06-1.21x) and TF32 blocks of 32 in groups of 8 (4, 4: 1.42-1.59x at d =
    0.1/0.5, 2.55 TB/s written). Elsewhere it was not measured: None."""
    if element_size == 2 and block_size in (16, 32):
        return 8, 2
    if element_size == 2 and block_size == 64 and group_size >= 4:
        return 4, 4
    if element_size == 4 and block_size == 32 and group_size >= 8:
        return 4, 4
    return None


def sdd_config(
    m: int, block_size: int, group_size: int, element_size: int, budget: int = SHARED_MEMORY_BUDGET
) -> SddConfig:
    """Measured on an H100 (scripts/probe_staging.py and scripts/probe_tf32.py, 2026-11-26, 8192^2 weight,
    batch 8192, d=0.1 and 0.5, with linear_dw_group_size's groups). 16-bit: blocks 8 and 16 stage dY and x
    feature-major and gather flat (block 8: 15.9 -> 2.8 ms at d=0.1, 48 -> 18 ms at d=0.5; block 16: 2.9 ->
    1.3 ms); blocks 32 and 64 gather flat (1.24-1.39x); block 128 keeps the tile gather. fp32 (TF32): the
    tile gather (the flat one ran 2x slower), transposed from block 64. The pipeline depth is then cut to
    what fits in ``budget`` bytes of shared memory. At large batch (>= 256 rows, where it was measured)
    blocks of 64 and 128 prefer the warp-specialised Hopper kernel where ``hopper_ws_wins``. Up to 32 rows
    (the seed shape, 12288^2 at batch 32; scripts/probe_seed_levels.py --sweep-dw, H200) every block size
    reads the group table, and 16-bit blocks of 32 run 2 warps (with the table, 3 stages: d=0.5 86.5 -> 76.0
    us, d=0.1 22.1 -> 19.5, d=0.02 7.0 -> 5.5 against 8 or 4 warps; d=0.01 within 5%). One stage was slower
    or no faster at every warp count, though the batch is one step. There, too, groups of 4 blocks beat the
    layout's 8 (scripts/probe_seed_variants.py, H100: 1.05-1.07x at d=0.1-0.5, 1.30x at d=0.05), so 16-bit block 32
    splits a group of 8 over two programs. Programs that short wait on their own loads: where
    ``small_batch_persistent`` says, persistent programs walk the work items instead, 3 stages across items (16-bit
    blocks of 32: 1.17-1.27x at d = 0.05-0.5, 82.0 -> 64.4 us at d = 0.5)."""
    sixteen_bit = element_size == 2
    if sixteen_bit and block_size <= 16:
        cfg = SddConfig(64, 4, 3, transposed=True, flat_gather=True, feature_major_inputs=m > 64)
    elif sixteen_bit and block_size == 64 and group_size <= 2:  # short rows (d=0.01): the tile gather
        cfg = SddConfig(32, 4, 4)
    elif sixteen_bit and block_size in (32, 64):
        block_k = 64 if block_size == 32 else 32
        cfg = SddConfig(block_k, 8 if group_size * block_size >= 256 else 4, 3, flat_gather=True)
    elif element_size == 4 and block_size == 32 and group_size >= 8:  # d=0.5: 8.3 -> 7.4 ms (10.2 with 64-row chunks)
        cfg = SddConfig(32, 8, 3)
    elif element_size == 4 and block_size == 64:
        cfg = SddConfig(32, 4, 3, transposed=True)
    elif element_size == 4 and block_size == 128:
        cfg = SddConfig(64, 4, 2, transposed=True)
    else:
        cfg = SddConfig(64 if block_size in (32, 128) else 32, 4, 4 if block_size in (8, 64) else 3)
    if block_size == 128:
        cfg = replace(cfg, split_group=group_size)
    if m >= 256 and hopper_ws_wins(block_size, group_size, element_size):
        cfg = replace(cfg, hopper_ws=True)
    if m <= 32:  # small batch: one program's time is its chain of index loads
        cfg = replace(cfg, group_table=True)
        if sixteen_bit and block_size == 32 and group_size == 8:  # 4 blocks a program (see the docstring)
            cfg = replace(cfg, split_group=2)
        persistent = small_batch_persistent(block_size, group_size, element_size)
        if persistent:  # persistent programs (see the docstring)
            cfg = replace(cfg, persistent=persistent[0], num_warps=persistent[1], num_stages=3)
    block_k = min(cfg.block_k, max(16, triton.next_power_of_2(m)))
    stage_bytes = block_k * (max(block_size, 16) + group_size // cfg.split_group * block_size) * element_size
    stages = max(1, min(cfg.num_stages, budget // stage_bytes))
    return replace(cfg, block_k=block_k, num_stages=stages)


@triton.jit
def flat_columns(col, within, BS: tl.constexpr):
    """x's feature index of each gathered column: runs of BS contiguous columns (hinted, so loads vectorise)."""
    return tl.max_contiguous(tl.multiple_of(col * BS + within, BS), BS)


@triton.jit
def store_flat_group(dw_ptr, acc, dst, valid, offs_i, mask_i, BS: tl.constexpr, TRANSPOSED: tl.constexpr):
    """Store an accumulator of the flat gather: gathered column g holds element j = g % BS of the block at
    ``dst[g] - j``; dW_k[i, j] lies at ``dw_ptr + dst[g] + i * BS``. Columns past the group are skipped."""
    if TRANSPOSED:  # acc[g, i]
        dw_ptrs = dw_ptr + dst[:, None] + offs_i[None, :] * BS
        dw_mask = valid[:, None] & mask_i[None, :]
    else:  # acc[i, g]
        dw_ptrs = dw_ptr + dst[None, :] + offs_i[:, None] * BS
        dw_mask = mask_i[:, None] & valid[None, :]
    tl.store(dw_ptrs, acc.to(dw_ptr.dtype.element_ty), mask=dw_mask)


@triton.jit
def linear_sdd_one_step_kernel(
    # pointers
    dy_ptr, x_ptr, dw_ptr, group_table_ptr,
    # sizes
    n_work, M,
    # strides
    stride_dym, stride_dyn, stride_xm, stride_xk,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, GROUP: tl.constexpr, SPLIT: tl.constexpr, BLOCK_K: tl.constexpr,
    TABLE_WIDTH: tl.constexpr, TABLE_HEAD: tl.constexpr, INPUT_PRECISION: tl.constexpr, DOT_UPCAST: tl.constexpr,
    TRANSPOSED: tl.constexpr, STAGES: tl.constexpr,
):
    """``linear_sdd_kernel`` with the flat gather for a batch of at most BLOCK_K rows, as persistent programs:
    each walks work items (GROUP blocks: a table group's share, SPLIT shares a group) pid, pid + programs, ...
    At such batches an item is one MMA and GROUP blocks stored, and a program per item waits on its own chain
    of loads (table row -> gather); here the loop's software pipeline loads the next items meanwhile."""
    offs_k = tl.arange(0, BLOCK_K)
    mask_k = offs_k < M
    offs_i = tl.arange(0, BS_PAD)  # dW rows (dY's side), padded for blocks of 8
    mask_i = offs_i < BS
    offs_g = tl.arange(0, GROUP * BS)
    within = offs_g % BS
    for work in tl.range(tl.program_id(0), n_work, tl.num_programs(0), num_stages=STAGES):
        entry = group_table_ptr + (work // SPLIT) * TABLE_WIDTH  # [row, first block, count, 0, block columns]
        row = tl.load(entry).to(tl.int64)
        first = tl.load(entry + 1)
        part = (work % SPLIT) * GROUP + offs_g // BS  # each gathered column's block within the table's group
        valid = part < tl.load(entry + 2)
        col = tl.load(entry + TABLE_HEAD + part, mask=valid, other=0).to(tl.int64)
        dy_tile = tl.load(dy_ptr + offs_k[:, None] * stride_dym + (row * BS + offs_i)[None, :] * stride_dyn,
                          mask=mask_k[:, None] & mask_i[None, :], other=0.0)
        x_tile = tl.load(x_ptr + offs_k[:, None] * stride_xm + flat_columns(col, within, BS)[None, :] * stride_xk,
                         mask=mask_k[:, None] & valid[None, :], other=0.0)
        if TRANSPOSED:
            acc = tl.zeros((GROUP * BS, BS_PAD), dtype=tl.float32)
        else:
            acc = tl.zeros((BS_PAD, GROUP * BS), dtype=tl.float32)
        acc = group_mma(acc, dy_tile, x_tile, TRANSPOSED, INPUT_PRECISION, DOT_UPCAST)
        store_flat_group(dw_ptr, acc, (first + part).to(tl.int64) * BS * BS + within, valid, offs_i, mask_i, BS,
                         TRANSPOSED)


@triton.jit
def linear_sdd_kernel(
    # pointers
    dy_ptr, x_ptr, dw_ptr, group_table_ptr, row_ptr_ptr, block_cols_ptr, group_first_ptr, group_rows_ptr,
    # sizes
    M,
    # strides
    stride_dym, stride_dyn, stride_xm, stride_xk,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, GROUP: tl.constexpr, SPLIT: tl.constexpr, BLOCK_K: tl.constexpr,
    GROUP_TABLE: tl.constexpr, TABLE_WIDTH: tl.constexpr, TABLE_HEAD: tl.constexpr,
    INPUT_PRECISION: tl.constexpr, DOT_UPCAST: tl.constexpr, TRANSPOSED: tl.constexpr, FLAT_GATHER: tl.constexpr,
):
    pid = tl.program_id(0)
    group = pid // SPLIT
    if GROUP_TABLE:  # one row holds the group's row, first block, block count and block columns: one load
        entry = group_table_ptr + group * TABLE_WIDTH
        row = tl.load(entry).to(tl.int64)
        first = tl.load(entry + 1)
        row_end = first + tl.load(entry + 2)  # the group's end, within its row
        cols_base = entry + TABLE_HEAD - first  # the column of packed block k at cols_base + k
    else:  # group -> its row's end in row_ptr -> block_cols: three loads in a chain
        row, first, row_end = group_span(group_first_ptr, group_rows_ptr, row_ptr_ptr, group)
        cols_base = block_cols_ptr
    first += (pid % SPLIT) * GROUP  # this program's share of the layout's group

    offs_k = tl.arange(0, BLOCK_K)
    offs_i = tl.arange(0, BS_PAD)  # dW rows (dY's side), padded for blocks of 8
    mask_i = offs_i < BS
    dy_cols = dy_ptr + (row * BS + offs_i)[None, :] * stride_dyn
    if FLAT_GATHER:
        # x's GROUP column blocks side by side as one flat offset vector: runs of BS contiguous columns
        offs_g = tl.arange(0, GROUP * BS)
        blk = first + offs_g // BS  # the packed block of each gathered column
        within = offs_g % BS
        valid = blk < row_end
        col = tl.load(cols_base + blk, mask=valid, other=0).to(tl.int64)
        x_cols = x_ptr + flat_columns(col, within, BS)[None, :] * stride_xk
    else:
        blk, valid, col = group_blocks(cols_base, first, row_end, GROUP)
        x_cols = x_ptr + (col[:, None] * BS + tl.arange(0, BS)[None, :]) * stride_xk  # (GROUP, BS)

    # -- reduce over the batch
    if TRANSPOSED:
        acc = tl.zeros((GROUP * BS, BS_PAD), dtype=tl.float32)
    else:
        acc = tl.zeros((BS_PAD, GROUP * BS), dtype=tl.float32)
    for k0 in range(0, M, BLOCK_K):
        rows = (k0 + offs_k).to(tl.int64)
        mask_k = rows < M
        dy_tile = tl.load(dy_cols + rows[:, None] * stride_dym, mask=mask_k[:, None] & mask_i[None, :], other=0.0)
        if FLAT_GATHER:
            x_tile = tl.load(x_cols + rows[:, None] * stride_xm, mask=mask_k[:, None] & valid[None, :], other=0.0)
        else:
            x_tile = gather_group_tile(x_cols, rows * stride_xm, mask_k, valid, BLOCK_K, GROUP, BS)
        acc = group_mma(acc, dy_tile, x_tile, TRANSPOSED, INPUT_PRECISION, DOT_UPCAST)

    # -- store the GROUP packed blocks: dW_k[i, j], i on dY's side, j on x's
    if FLAT_GATHER:
        store_flat_group(dw_ptr, acc, blk.to(tl.int64) * BS * BS + within, valid, offs_i, mask_i, BS, TRANSPOSED)
    else:
        store_group(dw_ptr, acc, blk.to(tl.int64) * BS * BS, valid, BS, 1, BS, BS_PAD, GROUP, TRANSPOSED)


def linear_sdd(
    dy: torch.Tensor,
    x: torch.Tensor,
    row_ptr: torch.Tensor,
    block_cols: torch.Tensor,
    group_first: torch.Tensor,
    group_rows: torch.Tensor,
    block_size: int,
    group_size: int,
    config: SddConfig | None = None,
    group_table: torch.Tensor | None = None,
) -> torch.Tensor:
    """Packed dW (nnz, bs, bs) in x's dtype; ``group_first/group_rows`` are runs of ``group_size`` blocks,
    ``group_table`` the same runs as ``layout.group_table`` builds them (the layout's cached table; built here
    when the config reads it and it is not given)."""
    m = x.shape[0]
    nnz = block_cols.numel()
    dw = new_output((nnz, block_size, block_size), x.dtype, x.device)
    if nnz == 0:
        return dw
    if m == 0:
        return dw.zero_()
    cfg = config or sdd_config(m, block_size, group_size, x.element_size(), shared_memory_budget(x.device))
    if cfg.hopper_ws:
        from . import linear_hopper as hopper

        if hopper.supported(block_size, dy, x) and hopper.tma_ready(dy) and hopper.tma_ready(x):
            return hopper.linear_sdd_hopper(dy, x, dw, row_ptr, block_cols, group_first, group_rows, block_size,
                                            group_size)
    if cfg.feature_major_inputs:
        dy, x = feature_major(dy), feature_major(x)
    assert group_size % cfg.split_group == 0, "a split must share the group's blocks evenly"
    if not cfg.group_table:
        group_table = group_first  # not read: the kernel walks the chain
    elif group_table is None:
        group_table = build_group_table(row_ptr, block_cols, group_first, group_rows, group_size)
    assert group_table.shape[0] == group_first.numel() and group_table.is_contiguous()
    if cfg.persistent and m <= cfg.block_k:
        assert cfg.group_table, "the persistent kernel reads the group table"
        n_work = group_first.numel() * cfg.split_group
        linear_sdd_one_step_kernel[(min(n_work, cfg.persistent * sm_count(x.device)),)](
            dy, x, dw, group_table,
            n_work, m,
            dy.stride(0), dy.stride(1), x.stride(0), x.stride(1),
            BS=block_size, BS_PAD=max(block_size, 16), GROUP=group_size // cfg.split_group, SPLIT=cfg.split_group,
            BLOCK_K=cfg.block_k, TABLE_WIDTH=group_table.shape[1], TABLE_HEAD=GROUP_TABLE_HEAD,
            INPUT_PRECISION=dot_precision(x.dtype), DOT_UPCAST=dot_upcast(x.dtype), TRANSPOSED=cfg.transposed,
            STAGES=cfg.num_stages, num_warps=cfg.num_warps,
        )
        return dw
    linear_sdd_kernel[(group_first.numel() * cfg.split_group,)](
        dy, x, dw, group_table, row_ptr, block_cols, group_first, group_rows,
        m,
        dy.stride(0), dy.stride(1), x.stride(0), x.stride(1),
        BS=block_size, BS_PAD=max(block_size, 16), GROUP=group_size // cfg.split_group, SPLIT=cfg.split_group,
        BLOCK_K=cfg.block_k, GROUP_TABLE=cfg.group_table,
        TABLE_WIDTH=group_table.shape[1] if cfg.group_table else 0, TABLE_HEAD=GROUP_TABLE_HEAD,
        INPUT_PRECISION=dot_precision(x.dtype), DOT_UPCAST=dot_upcast(x.dtype), TRANSPOSED=cfg.transposed,
        FLAT_GATHER=cfg.flat_gather,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return dw
