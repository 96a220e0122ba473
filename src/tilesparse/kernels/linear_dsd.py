"""Dense = dense x sparse: y = x W^T (forward) and dX = dY W (backward input) on the nonzero blocks.

Each program owns a BLOCK_M x block_size tile of the output (one output block column j) and walks the
list of packed blocks feeding j (CSR by output block), accumulating x-tile @ block in fp32, or, with the
transposed tile (blocks 64/128 at 16 bits), the tile's transpose as block @ x-tile^T, so that Hopper's
wgmma gets the wide batch side as N. Blocks of 128 may be walked in K halves (smaller pipeline stages).
Outputs with no blocks are written as zeros (plus bias), so no output element is ever left unwritten.
Blocks of 8 are padded to 16 in registers because tl.dot needs every dimension >= 16.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import triton
import triton.language as tl

from ..backend import dot_precision, dot_upcast, new_output
from ..layout import LAUNCH_TABLE_WIDTH, launch_table
from . import SHARED_MEMORY_BUDGET, shared_memory_budget
from .feature_major import feature_major
from .linear_hopper import (
    PAIRED,
    PERSISTENT,
    PERSISTENT_PAIRS,
    PERSISTENT_PAIRS_TF32,
    SEGMENT_GROUPS,
    SEGMENT_PAIRS,
    WIDE,
    DsdShape,
)


@dataclass(frozen=True)
class DsdConfig:
    block_m: int
    num_warps: int
    num_stages: int
    # Program order: True walks output blocks fastest, so programs running together share one x row
    # panel (kept in L2) and sweep the weights; False walks batch tiles fastest, sharing weight blocks.
    n_fastest: bool = True
    # MMA orientation: False computes the (block_m x bs) tile as x_tile @ block^T, so the MMA's N is the
    # block size; True computes its transpose block @ x_tile^T, so N is block_m. Hopper's wgmma reads
    # both operands from shared memory, and an N of 64 leaves it short of shared-memory bandwidth.
    transposed_tile: bool = False
    # Each block is walked in k_split steps of bs / k_split along K: smaller stages, so 256-row tiles
    # keep 4 stages at block 128.
    k_split: int = 1
    # dX only: multiply a transposed copy of the blocks (one pass over nnz blocks) with the forward's
    # operand order. TF32 wgmma reads both operands K-major; dX's blocks arrive N-major.
    turn_blocks_for_dx: bool = False
    # Copy a row-major x (dY) to feature-major first (kernels/feature_major.py): small blocks at large batch.
    feature_major_x: bool = False
    # Run the warp-specialised Gluon kernel (kernels/linear_hopper.py) where it applies (Hopper, 16-bit or
    # TF32, blocks 64/128); the fields above then describe the Triton kernel run everywhere else.
    hopper_ws: bool = False
    # With ``hopper_ws``: the Hopper kernel's program shape (``linear_hopper.DsdShape``): WIDE (a program per
    # work item, 256 batch rows), PAIRED (two programs an SM, 128 rows, so one's ring fill and epilogue overlap the
    # other's MMAs) or PERSISTENT (a program per SM taking work items in turn; ``hopper_shape`` says where each).
    hopper_shape: DsdShape = WIDE
    # With ``hopper_ws``: batch tiles that sweep the segments together, so each weight block read from memory
    # serves that many programs at once (TF32 block 128, whose weights are twice the bytes of 16-bit ones).
    hopper_tile_group: int = 1
    # Read each program's segment (output block, first entry, entries) from one row of the layout's launch
    # table instead of seg_order -> seg_ptr (two cold loads in a chain). Small batches, where that chain is
    # part of a program's time (scripts/probe_seed_levels.py --compare-dsd, H200, seed shape, medians of 5
    # interleaved pairs: 1.03-1.07x at d=0.02-0.1, 1.00-1.03x at d=0.01 and 0.5); not measured at large
    # batch, which keeps the chain.
    launch_table: bool = False
    # Launch the hub segments (``Layout.tables().row_hubs``/``col_hubs``; the Hopper kernel's at the lower
    # ``WIDE_HUB_FACTOR``, ``row_hubs_wide``/``col_hubs_wide``) of the last this-many batch tiles first, so the
    # last tile's hubs do not run on alone at the end (output blocks fastest only; ``hubs_first_position``).
    late_hub_tiles: int = 0


# Block 64 (scripts/probe_paired.py --persistent, H100, batch 8192, forward/dX, tuning/h100-2026-11-27j-probe-
# persistent-counter.log): the persistent kernel against the one-item one (WIDE) and the Triton kernel, 16-bit:
# 1.04-1.05x / 1.11x at d=0.25 (32 blocks a segment), 1.18-1.19x / 1.13x at d=0.1, 1.41x / 1.18x at d=0.05,
# 1.34x / 1.08x at d=0.01; at d=0.5 (64 blocks) WIDE ran 1.02x faster. TF32 the same way: 1.01-1.16x at d=0.05-0.25
# against both, 0.94-1.01x of WIDE at d=0.5, and at d=0.01 (1.3 blocks) two programs an SM (PAIRED) won, 1.07x.
HOPPER_WIDE_MIN_BLOCKS_64 = 48
HOPPER_PAIRED_MAX_BLOCKS_64_TF32 = 2
# Block 64 on segment pairs (``linear_hopper.SEGMENT_PAIRS``: each x tile loaded once for two segments, paired by
# shared input blocks; scripts/probe_paired.py --pairs, H100, batch 8192, tuning/h100-2026-11-27k-probe-pairs-3.log):
# 16-bit 1.24-1.25x of WIDE at d=0.5 (efficiency 0.74-0.82), 1.13-1.15x of PERSISTENT at d=0.25, 1.05x at d=0.1
# (12.8 blocks a segment), 0.94x at d=0.05 (6.4); TF32 1.17x of WIDE at d=0.5, 1.08x of PERSISTENT at d=0.25,
# 1.00-1.01x at d=0.1. From this many blocks a segment.
HOPPER_PAIRS_MIN_BLOCKS_64 = 12
# Pair programs as persistent ones (``linear_hopper.PERSISTENT_PAIRS``: one an SM walking pair items, each side's
# output tile stored from its own buffer under the next item's MMAs; scripts/probe_paired.py --persistent-pairs,
# H100, batch 8192, tuning/h100-2026-11-27l-probe-persistent-pairs.log), against one-item pair programs and
# PERSISTENT: 16-bit 1.05x / 1.11x at d=0.1 (12.8 blocks a segment), and at d=0.05 (6.4 blocks; pairs lost there)
# 1.07-1.08x of PERSISTENT, 0.91x at d=0.025 (3.2 blocks, tuning/h100-2026-11-27l-probe-pair-chunks.log); even at
# d=0.25 (32 blocks), 0.93-0.98x at d=0.5. TF32 (tile in quarters) 1.04-1.07x of one-item
# pairs at d=0.25, 1.06-1.08x at d=0.1, but 0.87-0.88x of PERSISTENT at d=0.05 (6.4 blocks). 16-bit from this many
# blocks a segment below the upper bound; TF32 between HOPPER_PAIRS_MIN_BLOCKS_64 and its bound (d=0.5, 64
# blocks, not measured at TF32: one-item pairs).
HOPPER_PERSISTENT_PAIRS_MIN_BLOCKS_64 = 6
HOPPER_PERSISTENT_PAIRS_MAX_BLOCKS_64 = 24
HOPPER_PERSISTENT_PAIRS_MAX_BLOCKS_64_TF32 = 48
# Block 128 at TF32: 1.27-1.43x down to d=0.05 (3.2 blocks), 0.95-1.08x at d=0.01 (0.6 blocks).
HOPPER_WS_MIN_BLOCKS_128_TF32 = 2
# Block 128, 16-bit: two programs per SM against one (scripts/probe_paired.py, H100, batch 8192, forward/dX):
# 1.06-1.07x at d=0.05 (3.2 blocks a segment), 1.06-1.10x at d=0.01, 0.93-0.94x at d=0.1 (6.4 blocks), 0.64-0.83x
# at d >= 0.25 (each weight tile then feeds 128 batch rows instead of 256). TF32 was not measured. Above 4 blocks
# the persistent kernel: with the whole output tile (3 ring stages beside it, WIDE's 4) 1.05-1.06x of WIDE at d=0.1,
# 1.01-1.02x at d=0.25, 0.97-1.04x at d=0.5; in halves (4 stages) more at d=0.1 (``linear_hopper.PERSISTENT``).
# TF32 block 128 keeps WIDE (2 stages persistent: 0.69-0.87x).
HOPPER_PAIRED_MAX_BLOCKS_128 = 4
# TF32 block 128: two batch tiles a sweep (scripts/probe_paired.py --groups, H100, batch 8192): 1.07-1.18x at
# d=0.5-0.1 (6.4+ blocks a segment), 0.97-1.00x at d=0.05 and 0.01; 16-bit blocks of 128 gained -3% to +9% (not
# taken), blocks of 64 0.92-1.04x.
HOPPER_TILE_GROUP_128_TF32 = 2
HOPPER_TILE_GROUP_MIN_BLOCKS = 5
# Hub segments of the last this-many batch tiles launch first (scripts/probe_ba_gap.py --hubs-suite, H100, block 32,
# batch 8192, the suite's layouts: Barabasi-Albert 0.93-0.96x of the time at d=0.05-0.1, 0.99-1.00x at 0.01, with
# the worst BA/random ratio 1.11x against 1.12x for the end-game order and 1.19x for none; random layouts have no
# hubs at factor 3).
# The Hopper kernel (one program an SM, 32 tiles of 256 rows at batch 8192) takes the same 12 with hubs at
# factor 1.5: block 128 Barabasi-Albert dX at d=0.25 0.92x of no order, random layouts 0.97-1.02x
# (scripts/probe_ba_gap.py --hubs --block 128).
LATE_HUB_TILES = 12


# Blocks 32 and 16 on segment groups (``linear_hopper.SEGMENT_GROUPS``: 4 segments a program at block 32, 8 at
# block 16, sharing each x tile, their blocks side by side as one wgmma of N = 128; scripts/probe_groups.py, H100,
# 8192^2 at batch 8192, random layouts, tuning/h100-2026-11-27n-probe-groups-*-producers-2.log), against the Triton
# kernel, with absent blocks zeroed by the producer's stores, two or four producer warps, and x from its tile
# images at 16-bit block 16.
# Block 16, 16-bit, 4 producers: with images 2.0-2.2x at d=0.5, 1.34-1.40x at 0.25, 1.05-1.06x at 0.1, 0.95-1.04x at
# 0.05; without 1.18-1.20x at 0.01 (the image copy, 0.1 ms at 8192^2, costs more there than it saves). TF32 4
# producers without images: 4.6-15x. Block 32, 16-bit: 2 producers 1.64-1.84x at d=0.5 (4: 1.60-1.73x), 4
# producers 1.21-1.26x at 0.25, 1.09-1.14x at 0.1, 1.01-1.10x at 0.05, 0.90-0.92x at 0.01; TF32 2 producers
# 1.67-1.70x at 0.5, 1.22x at 0.25, 1.07-1.10x at 0.1.
# The suite (session 14, call 8) ran 16-bit block 16 at d=0.05 slower on groups with images than the Triton kernel
# had (efficiency 0.11 against 0.13-0.14), so that density keeps the Triton kernel: groups from 0.075 with images,
# up to 0.02 without. Barabasi-Albert layouts (hub segments) on groups ran 0.94-1.10x the time of random layouts on
# groups at block 32, and faster than the Triton kernel with its hub order at every density
# (scripts/probe_groups_ba.py, tuning/h100-2026-11-27n-probe-groups-ba.log): groups take layouts with hubs too.
HOPPER_GROUPS_MIN_DENSITY = {(32, 2): 0.04, (32, 4): 0.1, (16, 2): 0.0, (16, 4): 0.0}  # (block, element size)
GROUPS_TWO_PRODUCERS_MIN_DENSITY = 0.4  # block 32, 16-bit; TF32 always
GROUPS_X_IMAGE_MIN_DENSITY = 0.075  # block 16, 16-bit
GROUPS_NO_IMAGE_MAX_DENSITY = 0.02  # block 16, 16-bit: between the two, the Triton kernel


def hopper_ws_wins(block_size: int, element_size: int, mean_blocks: float, density: float = 0.0) -> bool:
    """Where the warp-specialised Hopper kernel ran faster than the Triton one (scripts/probe_gluon.py,
    probe_paired.py and probe_groups.py, H100, 8192^2 at batch 8192): 16-bit blocks of 128 at every density
    (1.16-1.26x), fp32/TF32 blocks of 128 unless segments are near empty, blocks of 64 in one of its shapes
    (``hopper_shape``) at every density, blocks of 16 and 32 on segment groups where ``density`` is in their range
    (hubs or not: groups launch longest first)."""
    if block_size in (16, 32):
        # density 0: not given (probes timing the Triton kernel), never the groups
        if density <= 0 or density < HOPPER_GROUPS_MIN_DENSITY[block_size, element_size]:
            return False
        gap = GROUPS_NO_IMAGE_MAX_DENSITY < density < GROUPS_X_IMAGE_MIN_DENSITY
        return not (block_size == 16 and element_size == 2 and gap)
    if block_size == 64:
        return True
    if block_size == 128:
        return element_size == 2 or mean_blocks >= HOPPER_WS_MIN_BLOCKS_128_TF32
    return False


def hopper_shape(block_size: int, element_size: int, mean_blocks: float, hubs: bool = False,
                 density: float = 0.0) -> DsdShape:
    """The Hopper kernel's program shape where it runs (``linear_hopper``): WIDE (a program per work item, 256
    batch rows), PAIRED (two programs an SM, 128 rows), PERSISTENT (a program per SM taking items in turn) or, at
    block 64, SEGMENT_PAIRS (a program per two segments, their x tiles shared) or PERSISTENT_PAIRS (a program per
    SM walking such pairs). Pair programs keep no hub order (a hub pair of the last batch tile would run on alone at
    the end), so a layout with ``hubs`` (hub segments) keeps the hub-ordered shapes, measured on them. Blocks 16 and 32:
    SEGMENT_GROUPS (where ``hopper_ws_wins``), its producer warps and x images by block, dtype and the layout's
    ``density``."""
    if block_size in (16, 32):
        two = block_size == 32 and (element_size == 4 or density >= GROUPS_TWO_PRODUCERS_MIN_DENSITY)
        image = block_size == 16 and element_size == 2 and density >= GROUPS_X_IMAGE_MIN_DENSITY
        return replace(SEGMENT_GROUPS, group_producers=2 if two else 4, x_image=image)
    if block_size == 64:
        if element_size == 4 and mean_blocks <= HOPPER_PAIRED_MAX_BLOCKS_64_TF32:
            return PAIRED
        if not hubs and element_size == 4 and HOPPER_PAIRS_MIN_BLOCKS_64 <= mean_blocks:
            if mean_blocks < HOPPER_PERSISTENT_PAIRS_MAX_BLOCKS_64_TF32:
                return PERSISTENT_PAIRS_TF32
            return SEGMENT_PAIRS
        if not hubs and element_size == 2 and HOPPER_PERSISTENT_PAIRS_MIN_BLOCKS_64 <= mean_blocks:
            return PERSISTENT_PAIRS if mean_blocks < HOPPER_PERSISTENT_PAIRS_MAX_BLOCKS_64 else SEGMENT_PAIRS
        return WIDE if mean_blocks >= HOPPER_WIDE_MIN_BLOCKS_64 else PERSISTENT
    if element_size == 2:
        return PAIRED if mean_blocks <= HOPPER_PAIRED_MAX_BLOCKS_128 else PERSISTENT
    return WIDE


def dsd_config(
    m: int, block_size: int, element_size: int, budget: int = SHARED_MEMORY_BUDGET, mean_blocks: float = 0.0,
    hubs: bool = False, density: float = 0.0,
) -> DsdConfig:
    """Measured on an H100 (scripts/tune_linear.py and scripts/probe_orientation.py, 2026-11-26, fp16,
    8192^2 weight at d=0.1 and 0.5, and the 12288^2 seed shape at batch 32). Small batches are memory
    bound on the weights: short tiles and a deep pipeline (8 stages: 15.3 -> 13.0 us at d=0.05) keep more
    weight loads in flight. Large batches want 256-row tiles (x-tile reuse); blocks 64 and 128 the
    transposed tile (N = 256: 1.05-1.09x at block 64, 1.15-1.27x at block 128 with K halves). Walking
    output blocks fastest won by 1.4-3.6x at every size; grouping several batch tiles per sweep (for L2
    reuse of the blocks) gained <= 2% at d=0.5 and lost up to 25% at d=0.1; TMA descriptors and Triton's
    warp specialisation gained nothing. fp32 (TF32) at large batch, blocks 64/128 (scripts/probe_tf32.py,
    d=0.1): K halves keep 256-row tiles pipelined (a whole 128-block stage left one stage: 0.88 -> 0.66 ms),
    and dX runs on turned blocks (TF32 wgmma wants K-major operands; block 128: 1.72 -> 0.70 ms including
    the copy). Blocks 8 and 16 at large batch stage x feature-major (2x, scripts/probe_staging.py). The
    pipeline depth is then cut to what fits in ``budget`` bytes of shared memory. At large batch (>= 256
    rows, where it was measured) blocks of 32, 64 and 128 prefer the warp-specialised Hopper kernel where
    ``hopper_ws_wins`` (segments of ``mean_blocks`` blocks on average, the layout's ``density``) in the program
    shape ``hopper_shape`` picks (``hubs``: the layout has hub segments; blocks 16 and 32 take groups with or
    without), two batch tiles a sweep at TF32 block 128. Above 64 rows, the hubs of the last batch tiles launch
    first (``LATE_HUB_TILES``)."""
    if m <= 64:  # up to 32 rows at blocks <= 32: 16 stages, 2 warps (seed shape, cold L2: 12.7 -> 10.7 us at
        # d=0.05, 44 -> 39 us at d=0.25; scripts/probe_small_batch.py --cold); no gain at 64 rows, and larger
        # blocks were not measured this way (they keep 8 stages and 4 warps)
        few = m <= 32 and block_size <= 32
        cfg = DsdConfig(block_m=max(16, triton.next_power_of_2(m)), num_warps=2 if few else 4,
                        num_stages=16 if few else 8, launch_table=m <= 32)
    elif element_size == 4 and block_size == 128:
        cfg = DsdConfig(block_m=256, num_warps=8, num_stages=2, k_split=2, turn_blocks_for_dx=True)
    elif element_size == 4 and block_size == 64:
        cfg = DsdConfig(block_m=256, num_warps=8, num_stages=4, transposed_tile=True, k_split=2,
                        turn_blocks_for_dx=True)
    elif block_size == 128:  # 16-bit from here on
        cfg = DsdConfig(block_m=256, num_warps=8, num_stages=4, transposed_tile=True, k_split=2)
    elif block_size == 64:
        cfg = DsdConfig(block_m=256, num_warps=8, num_stages=4, transposed_tile=True)
    else:
        cfg = DsdConfig(block_m=256 if m >= 256 else 128, num_warps=4, num_stages=4, feature_major_x=block_size <= 16)
    if m >= 256 and hopper_ws_wins(block_size, element_size, mean_blocks, density):
        grouped = block_size == 128 and element_size == 4 and mean_blocks >= HOPPER_TILE_GROUP_MIN_BLOCKS
        tile_group = HOPPER_TILE_GROUP_128_TF32 if grouped else 1
        shape = hopper_shape(block_size, element_size, mean_blocks, hubs, density)
        cfg = replace(cfg, hopper_ws=True, hopper_shape=shape, hopper_tile_group=tile_group)
    if m > 64:
        cfg = replace(cfg, late_hub_tiles=LATE_HUB_TILES)
    padded = max(block_size, 16)
    step_k = padded // cfg.k_split
    stage_bytes = (cfg.block_m + padded) * step_k * element_size
    stages = max(1, min(cfg.num_stages, budget // stage_bytes))
    return replace(cfg, num_stages=stages)


LAUNCH_WIDTH = tl.constexpr(LAUNCH_TABLE_WIDTH)  # a global a jitted function may read


@triton.jit
def hubs_first_position(pid, num_pid_m, num_pid_n, num_hubs, late_tiles):
    """(batch tile, launch slot) of program ``pid`` when output blocks run fastest and the hubs (the first
    ``num_hubs`` launch slots) of the last E = min(late_tiles, tiles) batch tiles launch first: those hubs, then
    tiles 0 .. T-E-1 in turn, then the other slots of tiles T-E .. T-1. A hub of the last tile then has the
    whole grid to finish in, and only E x num_hubs programs leave their tile's x panel. With no hubs or no
    late tiles this is pid // num_pid_n, pid % num_pid_n."""
    late_count = tl.minimum(late_tiles, num_pid_m)
    late = num_pid_m - late_count  # the first late tile
    head = late_count * num_hubs
    q = pid - head
    q_end = q - late * num_pid_n
    in_head = pid < head
    in_end = q_end >= 0
    hubs = tl.maximum(num_hubs, 1)
    rest = tl.maximum(num_pid_n - num_hubs, 1)
    pid_m = tl.where(in_head, late + pid // hubs, tl.where(in_end, late + q_end // rest, q // num_pid_n))
    pid_n = tl.where(in_head, pid % hubs, tl.where(in_end, num_hubs + q_end % rest, q % num_pid_n))
    return pid_m, pid_n


# The hub count changes with the layout's pattern: unspecialised, so a new layout reuses the compiled kernel
# (Triton would otherwise compile separate variants for counts of 1 and multiples of 16, 0 included).
@triton.jit(do_not_specialize=["num_hubs"])
def linear_dsd_kernel(
    # pointers
    x_ptr, w_ptr, y_ptr, bias_ptr, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg_order_ptr, launch_ptr,
    # sizes
    M, num_pid_m, num_pid_n, num_hubs, late_tiles,
    # strides
    stride_xm, stride_xk, stride_ym, stride_yn,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, BLOCK_M: tl.constexpr,
    TRANSPOSE_W: tl.constexpr, HAS_BIAS: tl.constexpr, INPUT_PRECISION: tl.constexpr, DOT_UPCAST: tl.constexpr,
    N_FASTEST: tl.constexpr, TRANSPOSED_TILE: tl.constexpr, K_SPLIT: tl.constexpr, LAUNCH_TABLE: tl.constexpr,
):
    pid = tl.program_id(0)
    if N_FASTEST:
        pid_m, pid_n = hubs_first_position(pid, num_pid_m, num_pid_n, num_hubs, late_tiles)
    else:
        pid_m = pid % num_pid_m
        pid_n = pid // num_pid_m
    # the segment this program owns (longest segments launch first) and its packed entries [start, end)
    if LAUNCH_TABLE:
        slot = launch_ptr + pid_n * LAUNCH_WIDTH
        seg = tl.load(slot)
        start = tl.load(slot + 1)
        end = start + tl.load(slot + 2)
    else:
        seg = tl.load(seg_order_ptr + pid_n)
        start = tl.load(seg_ptr + seg)
        end = tl.load(seg_ptr + seg + 1)

    BK: tl.constexpr = BS_PAD // K_SPLIT
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_b = tl.arange(0, BS_PAD)  # output features of the block
    offs_k = tl.arange(0, BK)  # input features of one step
    mask_m = offs_m < M
    mask_b = offs_b < BS
    x_rows = x_ptr + offs_m.to(tl.int64) * stride_xm
    # The block tile is loaded with its stored rows as rows (its last axis contiguous), then turned as the
    # MMA needs: in the forward (y = x W^T) a step covers inputs k of outputs b, the tile block[b, k];
    # in dX (dX = dY W) the block's columns are the outputs, the tile block[k, b].
    if TRANSPOSE_W:
        w_offs = offs_b[:, None] * BS + offs_k[None, :]  # (BS_PAD out, BK in)
        k_stride_w = 1
    else:
        w_offs = offs_k[:, None] * BS + offs_b[None, :]  # (BK in, BS_PAD out)
        k_stride_w = BS

    # -- accumulate over the packed blocks feeding output block seg, K_SPLIT steps per block
    if TRANSPOSED_TILE:
        acc = tl.zeros((BS_PAD, BLOCK_M), dtype=tl.float32)
    else:
        acc = tl.zeros((BLOCK_M, BS_PAD), dtype=tl.float32)
    for e in range(start * K_SPLIT, end * K_SPLIT):
        entry = e // K_SPLIT
        k0 = (e % K_SPLIT) * BK
        col = tl.load(seg_idx_ptr + entry).to(tl.int64)
        blk = tl.load(seg_blk_ptr + entry).to(tl.int64)
        w_ptrs = w_ptr + blk * BS * BS + k0 * k_stride_w + w_offs
        x_cols = (col * BS + k0 + offs_k) * stride_xk
        if BS == BS_PAD:
            w_tile = tl.load(w_ptrs)
        else:  # block 8 padded to 16: K_SPLIT is 1
            w_tile = tl.load(w_ptrs, mask=mask_b[:, None] & mask_b[None, :], other=0.0)
        if TRANSPOSED_TILE:
            x_ptrs = x_rows[None, :] + x_cols[:, None]  # (BK, BLOCK_M)
            x_mask = mask_m[None, :]
            if BS != BS_PAD:
                x_mask = x_mask & (offs_k < BS)[:, None]
        else:
            x_ptrs = x_rows[:, None] + x_cols[None, :]  # (BLOCK_M, BK)
            x_mask = mask_m[:, None]
            if BS != BS_PAD:
                x_mask = x_mask & (offs_k < BS)[None, :]
        x_tile = tl.load(x_ptrs, mask=x_mask, other=0.0)
        if DOT_UPCAST:
            x_tile, w_tile = x_tile.to(tl.float32), w_tile.to(tl.float32)
        if TRANSPOSED_TILE:  # y^T tile += block (out x in) @ x^T tile
            w_out_in = w_tile if TRANSPOSE_W else tl.trans(w_tile)
            acc = tl.dot(w_out_in, x_tile, acc, input_precision=INPUT_PRECISION)
        else:  # y tile += x tile @ block (in x out)
            w_in_out = tl.trans(w_tile) if TRANSPOSE_W else w_tile
            acc = tl.dot(x_tile, w_in_out, acc, input_precision=INPUT_PRECISION)

    # -- epilogue: bias, cast, store
    offs_n = seg * BS + offs_b
    if TRANSPOSED_TILE:
        if HAS_BIAS:
            acc += tl.load(bias_ptr + offs_n, mask=mask_b, other=0.0).to(tl.float32)[:, None]
        y_ptrs = y_ptr + offs_m.to(tl.int64)[None, :] * stride_ym + offs_n[:, None] * stride_yn
        tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[None, :] & mask_b[:, None])
    else:
        if HAS_BIAS:
            acc += tl.load(bias_ptr + offs_n, mask=mask_b, other=0.0).to(tl.float32)[None, :]
        y_ptrs = y_ptr + offs_m.to(tl.int64)[:, None] * stride_ym + offs_n[None, :] * stride_yn
        tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_b[None, :])


def linear_dsd(
    x: torch.Tensor,
    blocks: torch.Tensor,
    seg_ptr: torch.Tensor,
    seg_idx: torch.Tensor,
    seg_blk: torch.Tensor,
    seg_order: torch.Tensor,
    out_blocks: int,
    transpose_blocks: bool,
    bias: torch.Tensor | None = None,
    config: DsdConfig | None = None,
    launch: torch.Tensor | None = None,
    hubs: int = 0,
    wide_hubs: int = 0,
    groups: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """y (M, out_blocks*bs) = sum over segment entries of x[:, idx-block] @ (block or block^T); segments are
    launched in ``seg_order``. ``launch`` is ``layout.launch_table(seg_ptr, seg_order)`` (the layout's cached
    table; built here when a config wants it and it is not given). ``hubs``: how many segments at the head of
    ``seg_order`` are hubs (``layout.hubs``); those of the last ``config.late_hub_tiles`` batch tiles launch first.
    ``wide_hubs``: the same count at ``layout.WIDE_HUB_FACTOR``, which the Hopper kernel takes instead. ``groups``:
    ``layout.segment_groups`` of these segments (the layout's cached tables: pairs at block 64, groups of 4 at
    block 32), for the Hopper kernel's segment-pair and segment-group shapes."""
    m = x.shape[0]
    bs = blocks.shape[-1]
    assert x.dim() == 2 and blocks.is_contiguous() and seg_ptr.numel() == out_blocks + 1
    y = new_output((m, out_blocks * bs), x.dtype, x.device)
    if m == 0:
        return y
    in_blocks = x.shape[1] // bs
    cfg = config or dsd_config(m, bs, x.element_size(), shared_memory_budget(x.device), blocks.shape[0] / out_blocks,
                               hubs > 0, blocks.shape[0] / max(out_blocks * in_blocks, 1))
    if cfg.hopper_ws:
        from . import linear_hopper as hopper

        if hopper.supported(bs, x, blocks) and hopper.tma_ready(x):
            return hopper.linear_dsd_hopper(x, blocks, y, bias, seg_ptr, seg_idx, seg_blk, seg_order, out_blocks,
                                            transpose_blocks, cfg.hopper_shape, cfg.hopper_tile_group, hubs=wide_hubs,
                                            late_hub_tiles=cfg.late_hub_tiles, launch=launch, groups=groups)
    assert max(bs, 16) // cfg.k_split >= 16, "an MMA step needs K >= 16"
    if cfg.turn_blocks_for_dx and not transpose_blocks:
        blocks, transpose_blocks = blocks.transpose(1, 2).contiguous(), True
    if cfg.feature_major_x:
        x = feature_major(x)
    if cfg.launch_table and launch is None:
        launch = launch_table(seg_ptr, seg_order)
    num_pid_m = triton.cdiv(m, cfg.block_m)
    grid = (num_pid_m * out_blocks,)
    linear_dsd_kernel[grid](
        x, blocks, y, bias if bias is not None else y, seg_ptr, seg_idx, seg_blk, seg_order,
        launch if cfg.launch_table else seg_order,
        m, num_pid_m, out_blocks, hubs, cfg.late_hub_tiles,
        x.stride(0), x.stride(1), y.stride(0), y.stride(1),
        BS=bs, BS_PAD=max(bs, 16), BLOCK_M=cfg.block_m,
        TRANSPOSE_W=transpose_blocks, HAS_BIAS=bias is not None,
        INPUT_PRECISION=dot_precision(x.dtype), DOT_UPCAST=dot_upcast(x.dtype), N_FASTEST=cfg.n_fastest,
        TRANSPOSED_TILE=cfg.transposed_tile, K_SPLIT=cfg.k_split, LAUNCH_TABLE=cfg.launch_table,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return y
