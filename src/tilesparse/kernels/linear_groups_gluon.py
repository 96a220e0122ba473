"""Block-32 forward/dX on segment groups (Gluon, Hopper): the kernel behind
``linear_hopper.linear_dsd_hopper_groups``.

At block 32 an x tile read from L2 feeds one 32-wide block: 2 x 32 flops per element loaded, so the Triton kernel
runs at the L2's pace (0.28-0.32 of cuBLAS at 8192^2, batch 8192). A program here owns G output segments
(``layout.segment_groups``: 4 or 8, grouped by shared input blocks) and walks the union of their input blocks:
each x tile is loaded once and multiplied into every segment of the group with a block there.

The wgmma's M is the batch (x tile rows), N a block's 32 outputs, so each segment has an accumulator of its own;
two consumer warpgroups, each a partition, own one half of the batch tile's rows and all G accumulators (G x
ROWS x 32 fp32: 128 registers a thread for G=8 at 64 rows or G=4 at 128). At each step a warpgroup issues the MMA
of every segment with a block there, waits for them, and hands the stage back.
"""

from __future__ import annotations

from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import (
    fence_async_shared,
    mbarrier,
    tma,
    warpgroup_mma,
    warpgroup_mma_wait,
)

from .linear_hopper_gluon import init_ring, mma_layout, ring_slot, stage_barriers


@gluon.jit
def group_work(launch_ptr, num_groups, G: gl.constexpr):
    """(launch row, batch tile, first merged entry, merged entries) of this program: groups fastest, so programs
    running together share x."""
    pid = gl.program_id(0)
    row = launch_ptr + (pid % num_groups) * (G + 2)
    return row, pid // num_groups, gl.load(row + G), gl.load(row + G + 1)


@gluon.jit
def produce_groups(x_desc, w_desc, x_ring, w_ring, empty, ready, group_idx_ptr, group_blk_ptr, launch_ptr,
                   num_groups, G: gl.constexpr):
    """Producer warp: per merged entry, the x tile and each present block (ring stage s holds segment g's block
    in w_ring[s * G + g]), by predicated TMA loads; the stage's byte count through one of G predicated expects
    (an expect's byte count is fixed at compile time)."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_desc.block_type.shape[0]
    BS: gl.constexpr = w_desc.block_type.shape[0]
    row, tile, start, count = group_work(launch_ptr, num_groups, G)
    for j in range(count):
        entry = start + j
        col = gl.load(group_idx_ptr + entry)
        s, phase = ring_slot(j, STAGES)
        mbarrier.wait(empty.index(s), phase ^ 1)
        bar = ready.index(s)
        present = 0
        for g in gl.static_range(G):
            present += (gl.load(group_blk_ptr + entry * G + g) >= 0).to(gl.int32)
        for n in gl.static_range(1, G + 1):  # a merged entry has a block in at least one segment
            mbarrier.expect(bar, x_desc.block_type.nbytes + n * w_desc.block_type.nbytes, pred=present == n)
        for g in gl.static_range(G):
            blk = gl.load(group_blk_ptr + entry * G + g)
            tma.async_copy_global_to_shared(w_desc, [blk * BS, 0], bar, w_ring.index(s * G + g), pred=blk >= 0)
        tma.async_copy_global_to_shared(x_desc, [tile * BB, col * BS], bar, x_ring.index(s))


@gluon.jit
def mma_if_present(a, w, acc, blk, TRANSPOSE_W: gl.constexpr, IN_FLIGHT: gl.constexpr):
    """acc += a @ block, issued asynchronously where the segment has a block (``blk`` >= 0); the block as wgmma's
    B (K, N outputs): forward blocks are stored (outputs, inputs), dX's (K = the forward's outputs, inputs). The
    wait for at most ``IN_FLIGHT`` MMAs (the step's others) only gives the branch a plain accumulator back; the
    caller waits for all of them before reading any."""
    if blk >= 0:
        if TRANSPOSE_W:
            acc = warpgroup_mma(a, w.permute((1, 0)), acc, is_async=True)
        else:
            acc = warpgroup_mma(a, w, acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=IN_FLIGHT, deps=(acc,))
    return acc


@gluon.jit
def store_segment(acc, layout: gl.constexpr, y_desc, y_smem, bias_ptr, seg, row, HAS_BIAS: gl.constexpr):
    """Bias, cast and start the TMA store of one segment's (rows, BS) output at y[row:, seg * BS:] (rows past M
    clipped); segment -1 (a group's padding) stores nothing."""
    BS: gl.constexpr = acc.shape[1]
    if seg >= 0:
        if HAS_BIAS:
            offs = seg * BS + gl.arange(0, BS, layout=gl.SliceLayout(0, layout))
            acc += gl.load(bias_ptr + offs).to(gl.float32)[None, :]
        y_smem.store(acc.to(y_desc.dtype))
        fence_async_shared()
        tma.async_copy_shared_to_global(y_desc, [row, seg * BS], y_smem)


@gluon.jit
def consume_groups(x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, group_blk_ptr, launch_ptr, num_groups,
                   G: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr, OUT_IN_X: gl.constexpr,
                   IN_FLIGHT: gl.constexpr, SIDE: gl.constexpr):
    """Consumer warpgroup SIDE (0 or 1: the first or second half of the batch tile's rows): its G accumulators
    += its rows of the x tile @ each present block; then, once both warpgroups are done, its G outputs leave
    through the idle ring (the x ring or the weight ring, whichever holds all 2 x G output tiles)."""
    STAGES: gl.constexpr = x_ring.shape[0]
    BB: gl.constexpr = x_ring.shape[1]
    BS: gl.constexpr = x_ring.shape[2]
    ROWS: gl.constexpr = BB // 2
    layout: gl.constexpr = mma_layout(ROWS, BS, gl.num_warps(), x_ring.dtype.primitive_bitwidth)
    row, tile, start, count = group_work(launch_ptr, num_groups, G)
    acc0 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    acc1 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    acc2 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    acc3 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    acc4 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    acc5 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    acc6 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    acc7 = gl.zeros((ROWS, BS), dtype=gl.float32, layout=layout)
    for j in range(count):
        blks = group_blk_ptr + (start + j) * G
        s, phase = ring_slot(j, STAGES)
        mbarrier.wait(ready.index(s), phase)
        a = x_ring.index(s).slice(SIDE * ROWS, ROWS, dim=0)
        acc0 = mma_if_present(a, w_ring.index(s * G), acc0, gl.load(blks), TRANSPOSE_W, IN_FLIGHT)
        acc1 = mma_if_present(a, w_ring.index(s * G + 1), acc1, gl.load(blks + 1), TRANSPOSE_W, IN_FLIGHT)
        acc2 = mma_if_present(a, w_ring.index(s * G + 2), acc2, gl.load(blks + 2), TRANSPOSE_W, IN_FLIGHT)
        acc3 = mma_if_present(a, w_ring.index(s * G + 3), acc3, gl.load(blks + 3), TRANSPOSE_W, IN_FLIGHT)
        if G == 8:
            acc4 = mma_if_present(a, w_ring.index(s * G + 4), acc4, gl.load(blks + 4), TRANSPOSE_W, IN_FLIGHT)
            acc5 = mma_if_present(a, w_ring.index(s * G + 5), acc5, gl.load(blks + 5), TRANSPOSE_W, IN_FLIGHT)
            acc6 = mma_if_present(a, w_ring.index(s * G + 6), acc6, gl.load(blks + 6), TRANSPOSE_W, IN_FLIGHT)
            acc7 = mma_if_present(a, w_ring.index(s * G + 7), acc7, gl.load(blks + 7), TRANSPOSE_W, IN_FLIGHT)
        acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7 = warpgroup_mma_wait(
            num_outstanding=0, deps=(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7))
        mbarrier.arrive(empty.index(s), count=1)
    mbarrier.arrive(finished, count=1)
    mbarrier.wait(finished, 0)  # both warpgroups' MMAs are done: the rings are idle
    if OUT_IN_X:
        outs = x_ring._reinterpret(y_desc.dtype, [2 * G] + y_desc.block_type.shape, y_desc.layout)
    else:
        outs = w_ring._reinterpret(y_desc.dtype, [2 * G] + y_desc.block_type.shape, y_desc.layout)
    out_row = tile * BB + SIDE * ROWS
    store_segment(acc0, layout, y_desc, outs.index(SIDE * G), bias_ptr, gl.load(row), out_row, HAS_BIAS)
    store_segment(acc1, layout, y_desc, outs.index(SIDE * G + 1), bias_ptr, gl.load(row + 1), out_row, HAS_BIAS)
    store_segment(acc2, layout, y_desc, outs.index(SIDE * G + 2), bias_ptr, gl.load(row + 2), out_row, HAS_BIAS)
    store_segment(acc3, layout, y_desc, outs.index(SIDE * G + 3), bias_ptr, gl.load(row + 3), out_row, HAS_BIAS)
    if G == 8:
        store_segment(acc4, layout, y_desc, outs.index(SIDE * G + 4), bias_ptr, gl.load(row + 4), out_row, HAS_BIAS)
        store_segment(acc5, layout, y_desc, outs.index(SIDE * G + 5), bias_ptr, gl.load(row + 5), out_row, HAS_BIAS)
        store_segment(acc6, layout, y_desc, outs.index(SIDE * G + 6), bias_ptr, gl.load(row + 6), out_row, HAS_BIAS)
        store_segment(acc7, layout, y_desc, outs.index(SIDE * G + 7), bias_ptr, gl.load(row + 7), out_row, HAS_BIAS)
    tma.store_wait(pendings=0)


@gluon.jit
def linear_dsd_groups_kernel(x_desc, w_desc, y_desc, bias_ptr, group_idx_ptr, group_blk_ptr, launch_ptr, num_groups,
                             G: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr,
                             STAGES: gl.constexpr, OUT_IN_X: gl.constexpr, IN_FLIGHT: gl.constexpr,
                             PRODUCER_REGISTERS: gl.constexpr,
                             CONSUMER_REGISTERS: gl.constexpr, num_warps: gl.constexpr):
    """A program per (batch tile, segment group): the default partition is the first consumer warpgroup, the
    workers the second and the producer."""
    x_ring = gl.allocate_shared_memory(x_desc.dtype, [STAGES] + x_desc.block_type.shape, x_desc.layout)
    w_ring = gl.allocate_shared_memory(w_desc.dtype, [STAGES * G] + w_desc.block_type.shape, w_desc.layout)
    empty, ready = init_ring(STAGES, 2)
    finished = stage_barriers(1, 2).index(0)
    gl.warp_specialize([
        (consume_groups, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, group_blk_ptr, launch_ptr,
                          num_groups, G, TRANSPOSE_W, HAS_BIAS, OUT_IN_X, IN_FLIGHT, 0)),
        (consume_groups, (x_ring, w_ring, empty, ready, finished, y_desc, bias_ptr, group_blk_ptr, launch_ptr,
                          num_groups, G, TRANSPOSE_W, HAS_BIAS, OUT_IN_X, IN_FLIGHT, 1)),
        (produce_groups, (x_desc, w_desc, x_ring, w_ring, empty, ready, group_idx_ptr, group_blk_ptr, launch_ptr,
                          num_groups, G)),
    ], [4, 1], [CONSUMER_REGISTERS, PRODUCER_REGISTERS])
