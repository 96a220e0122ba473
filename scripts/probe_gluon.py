"""Development probe (Hopper): warp-specialised Gluon kernels against cuBLAS and our Triton dsd.

Triton's own pipeliner keeps the tensor pipes ~63% busy on a dense 8192^3 fp16 matmul (cuBLAS ~94%, ncu,
2026-11-26). Gluon (triton.experimental.gluon, Triton 3.6) lets a kernel say exactly what runs where:
one producer warp issues TMA loads into a ring of shared-memory stages (mbarrier ready/empty pairs), two
consumer warpgroups issue asynchronous wgmma on them and keep one MMA in flight, and the registers are
rebalanced towards the consumers (maxnreg + the worker's 24). Kernels here:

- ``dense_ws_kernel``: C = A @ B^T, 128 x 256 x 64 tiles, grouped tile order (the ceiling for the design).
- ``dsd_ws_kernel``: the block-sparse forward / dX, transposed tile (y^T tile = block @ x_tile^T, so the
  wgmma N is the 256-row batch tile), each nonzero block walked in 64-wide K steps. Forward: the block
  (out x in) is the A operand as stored; dX: the block is read (in-chunk x out) and turned in shared memory
  (wgmma takes a transposed 16-bit A from shared memory).

Usage: PYTHONPATH=src python3 scripts/probe_gluon.py [--compile-only]  (compile-only runs on a CPU machine:
the kernels are compiled for sm_90a, which checks them without a GPU.)
"""

import argparse
import itertools

import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import (
    fence_async_shared,
    mbarrier,
    tma,
    warpgroup_mma,
    warpgroup_mma_wait,
)
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor


@gluon.constexpr_function
def wgmma_warps(m, num_warps):
    """Warps over (M, N): 4 along M per warpgroup; more warpgroups along M while M has 64-row slices."""
    warps = [4, 1]
    while warps[0] * warps[1] != num_warps:
        if m > 16 * warps[0]:
            warps[0] *= 2
        else:
            warps[1] *= 2
    return warps


@gluon.constexpr_function
def wgmma_n(m, n, num_warps):
    """Widest wgmma N (multiple of 8, <= 256) that divides the slice of N one warpgroup owns."""
    n_reps = triton.cdiv(num_warps, triton.cdiv(m, 16))
    widest = max(n // n_reps, 8)
    k = 256
    while k > widest or n % k != 0:
        k -= 8
    return k


# -- ring of stages: producer and consumer ----------------------------------------------------------------


@gluon.jit
def ring_slot(i, STAGES: gl.constexpr):
    return i % STAGES, (i // STAGES) & 1


@gluon.jit
def ring_release_previous(empty, i, STAGES: gl.constexpr):
    """After wgmma_wait(1) the MMA of step i-1 is done: its stage may be refilled."""
    prev = (i + STAGES - 1) % STAGES
    mbarrier.arrive(empty.index(prev), count=1, pred=i > 0)


# -- dense ----------------------------------------------------------------------------------------------------


@gluon.jit
def dense_load(a_desc, b_desc, a_bufs, b_bufs, empty, ready, off_m, off_n, K):
    STAGES: gl.constexpr = a_bufs.shape[0]
    BK: gl.constexpr = a_desc.block_type.shape[1]
    for i in range(gl.cdiv(K, BK)):
        s, ph = ring_slot(i, STAGES)
        mbarrier.wait(empty.index(s), ph ^ 1)
        bar = ready.index(s)
        mbarrier.expect(bar, a_desc.block_type.nbytes + b_desc.block_type.nbytes)
        tma.async_copy_global_to_shared(a_desc, [off_m, i * BK], bar, a_bufs.index(s))
        tma.async_copy_global_to_shared(b_desc, [off_n, i * BK], bar, b_bufs.index(s))


@gluon.jit
def dense_mma(a_bufs, b_bufs, empty, ready, c_desc, off_m, off_n, K, num_warps: gl.constexpr):
    STAGES: gl.constexpr = a_bufs.shape[0]
    BM: gl.constexpr = c_desc.block_type.shape[0]
    BN: gl.constexpr = c_desc.block_type.shape[1]
    BK: gl.constexpr = a_bufs.shape[2]
    layout: gl.constexpr = gl.NVMMADistributedLayout(
        version=[3, 0], warps_per_cta=wgmma_warps(BM, num_warps), instr_shape=[16, wgmma_n(BM, BN, num_warps), 16])
    acc = gl.zeros((BM, BN), dtype=gl.float32, layout=layout)
    for i in range(gl.cdiv(K, BK)):
        s, ph = ring_slot(i, STAGES)
        mbarrier.wait(ready.index(s), ph)
        acc = warpgroup_mma(a_bufs.index(s), b_bufs.index(s).permute((1, 0)), acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))
        ring_release_previous(empty, i, STAGES)
    acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
    # every stage is idle now (the producer issued exactly as many steps): the B ring holds the C tile
    c_smem = b_bufs._reinterpret(c_desc.dtype, c_desc.block_type.shape, c_desc.layout)
    c_smem.store(acc.to(c_desc.dtype))
    fence_async_shared()
    tma.async_copy_shared_to_global(c_desc, [off_m, off_n], c_smem)
    tma.store_wait(pendings=0)


@gluon.jit
def dense_ws_kernel(a_desc, b_desc, c_desc, M, N, K, STAGES: gl.constexpr, GROUP_M: gl.constexpr,
                    num_warps: gl.constexpr):
    BM: gl.constexpr = c_desc.block_type.shape[0]
    BN: gl.constexpr = c_desc.block_type.shape[1]
    pid = gl.program_id(0)
    num_m = gl.cdiv(M, BM)
    num_n = gl.cdiv(N, BN)
    per_group = GROUP_M * num_n
    first_m = (pid // per_group) * GROUP_M
    rows = gl.minimum(num_m - first_m, GROUP_M)
    pid_m = first_m + (pid % per_group) % rows
    pid_n = (pid % per_group) // rows
    off_m = pid_m * BM
    off_n = pid_n * BN

    a_bufs = gl.allocate_shared_memory(a_desc.dtype, [STAGES] + a_desc.block_type.shape, a_desc.layout)
    b_bufs = gl.allocate_shared_memory(b_desc.dtype, [STAGES] + b_desc.block_type.shape, b_desc.layout)
    empty = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    ready = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(STAGES):
        mbarrier.init(empty.index(i), count=1)
        mbarrier.init(ready.index(i), count=1)
    gl.warp_specialize([
        (dense_mma, (a_bufs, b_bufs, empty, ready, c_desc, off_m, off_n, K, num_warps)),
        (dense_load, (a_desc, b_desc, a_bufs, b_bufs, empty, ready, off_m, off_n, K)),
    ], [1], [24])


# -- block-sparse forward / dX ----------------------------------------------------------------------------------


@gluon.jit
def dsd_load(x_desc, w_desc, x_bufs, w_bufs, empty, ready, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg, off_b,
             BS: gl.constexpr, TRANSPOSE_W: gl.constexpr):
    STAGES: gl.constexpr = x_bufs.shape[0]
    BK: gl.constexpr = x_desc.block_type.shape[1]
    KS: gl.constexpr = BS // BK
    start = gl.load(seg_ptr + seg)
    end = gl.load(seg_ptr + seg + 1)
    for i in range((end - start) * KS):
        entry = start + i // KS
        k0 = (i % KS) * BK
        col = gl.load(seg_idx_ptr + entry)
        blk = gl.load(seg_blk_ptr + entry)
        s, ph = ring_slot(i, STAGES)
        mbarrier.wait(empty.index(s), ph ^ 1)
        bar = ready.index(s)
        mbarrier.expect(bar, x_desc.block_type.nbytes + w_desc.block_type.nbytes)
        if TRANSPOSE_W:  # forward: the block's rows are the outputs, a step covers inputs k0..k0+BK
            tma.async_copy_global_to_shared(w_desc, [blk * BS, k0], bar, w_bufs.index(s))
        else:  # dX: the block's columns are the outputs, a step covers its rows k0..k0+BK
            tma.async_copy_global_to_shared(w_desc, [blk * BS + k0, 0], bar, w_bufs.index(s))
        tma.async_copy_global_to_shared(x_desc, [off_b, col * BS + k0], bar, x_bufs.index(s))


@gluon.jit
def dsd_mma(x_bufs, w_bufs, empty, ready, y_desc, seg_ptr, seg, off_b, BS: gl.constexpr,
            TRANSPOSE_W: gl.constexpr, num_warps: gl.constexpr):
    STAGES: gl.constexpr = x_bufs.shape[0]
    BB: gl.constexpr = x_bufs.shape[1]  # batch rows of the tile: the MMA's N
    BK: gl.constexpr = x_bufs.shape[2]
    KS: gl.constexpr = BS // BK
    layout: gl.constexpr = gl.NVMMADistributedLayout(
        version=[3, 0], warps_per_cta=wgmma_warps(BS, num_warps), instr_shape=[16, wgmma_n(BS, BB, num_warps), 16])
    start = gl.load(seg_ptr + seg)
    end = gl.load(seg_ptr + seg + 1)
    acc = gl.zeros((BS, BB), dtype=gl.float32, layout=layout)
    for i in range((end - start) * KS):
        s, ph = ring_slot(i, STAGES)
        mbarrier.wait(ready.index(s), ph)
        if TRANSPOSE_W:
            a = w_bufs.index(s)  # (BS out, BK in)
        else:
            a = w_bufs.index(s).permute((1, 0))  # (BK rows, BS cols) turned: (BS out, BK)
        acc = warpgroup_mma(a, x_bufs.index(s).permute((1, 0)), acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))
        ring_release_previous(empty, i, STAGES)
    acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
    y_smem = x_bufs._reinterpret(y_desc.dtype, y_desc.block_type.shape, y_desc.layout)
    y_smem.store(gl.permute(acc.to(y_desc.dtype), (1, 0)))
    fence_async_shared()
    tma.async_copy_shared_to_global(y_desc, [off_b, seg * BS], y_smem)
    tma.store_wait(pendings=0)


@gluon.jit
def dsd_ws_kernel(x_desc, w_desc, y_desc, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg_order_ptr, num_segs,
                  BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, STAGES: gl.constexpr, num_warps: gl.constexpr):
    BB: gl.constexpr = x_desc.block_type.shape[0]
    pid = gl.program_id(0)
    seg = gl.load(seg_order_ptr + pid % num_segs)  # output blocks fastest: programs share the x panel
    off_b = (pid // num_segs) * BB
    x_bufs = gl.allocate_shared_memory(x_desc.dtype, [STAGES] + x_desc.block_type.shape, x_desc.layout)
    w_bufs = gl.allocate_shared_memory(w_desc.dtype, [STAGES] + w_desc.block_type.shape, w_desc.layout)
    empty = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    ready = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(STAGES):
        mbarrier.init(empty.index(i), count=1)
        mbarrier.init(ready.index(i), count=1)
    gl.warp_specialize([
        (dsd_mma, (x_bufs, w_bufs, empty, ready, y_desc, seg_ptr, seg, off_b, BS, TRANSPOSE_W, num_warps)),
        (dsd_load, (x_desc, w_desc, x_bufs, w_bufs, empty, ready, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg, off_b,
                    BS, TRANSPOSE_W)),
    ], [1], [24])


@gluon.jit
def dsd_tile(t, seg_order_ptr, num_segs, BB: gl.constexpr):
    """Tile t of the persistent walk: output blocks fastest, so programs running together share x panels."""
    return gl.load(seg_order_ptr + t % num_segs), (t // num_segs) * BB


@gluon.jit
def dsd_persistent_load(x_desc, w_desc, x_bufs, w_bufs, empty, ready, seg_ptr, seg_idx_ptr, seg_blk_ptr,
                        seg_order_ptr, num_segs, num_tiles, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr):
    STAGES: gl.constexpr = x_bufs.shape[0]
    BB: gl.constexpr = x_bufs.shape[1]
    BK: gl.constexpr = x_desc.block_type.shape[1]
    KS: gl.constexpr = BS // BK
    g = 0  # steps issued by this program: the ring position
    for t in range(gl.program_id(0), num_tiles, gl.num_programs(0)):
        seg, off_b = dsd_tile(t, seg_order_ptr, num_segs, BB)
        start = gl.load(seg_ptr + seg)
        end = gl.load(seg_ptr + seg + 1)
        for i in range((end - start) * KS):
            entry = start + i // KS
            k0 = (i % KS) * BK
            col = gl.load(seg_idx_ptr + entry)
            blk = gl.load(seg_blk_ptr + entry)
            s, ph = ring_slot(g, STAGES)
            mbarrier.wait(empty.index(s), ph ^ 1)
            bar = ready.index(s)
            mbarrier.expect(bar, x_desc.block_type.nbytes + w_desc.block_type.nbytes)
            if TRANSPOSE_W:
                tma.async_copy_global_to_shared(w_desc, [blk * BS, k0], bar, w_bufs.index(s))
            else:
                tma.async_copy_global_to_shared(w_desc, [blk * BS + k0, 0], bar, w_bufs.index(s))
            tma.async_copy_global_to_shared(x_desc, [off_b, col * BS + k0], bar, x_bufs.index(s))
            g += 1


@gluon.jit
def dsd_persistent_mma(x_bufs, w_bufs, empty, ready, y_smem, y_desc, bias_ptr, seg_ptr, seg_order_ptr, num_segs,
                       num_tiles, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr,
                       num_warps: gl.constexpr):
    STAGES: gl.constexpr = x_bufs.shape[0]
    BB: gl.constexpr = x_bufs.shape[1]
    BK: gl.constexpr = x_bufs.shape[2]
    KS: gl.constexpr = BS // BK
    layout: gl.constexpr = gl.NVMMADistributedLayout(
        version=[3, 0], warps_per_cta=wgmma_warps(BS, num_warps), instr_shape=[16, wgmma_n(BS, BB, num_warps), 16])
    g = 0
    for t in range(gl.program_id(0), num_tiles, gl.num_programs(0)):
        seg, off_b = dsd_tile(t, seg_order_ptr, num_segs, BB)
        start = gl.load(seg_ptr + seg)
        end = gl.load(seg_ptr + seg + 1)
        acc = gl.zeros((BS, BB), dtype=gl.float32, layout=layout)
        steps = (end - start) * KS
        for i in range(steps):
            s, ph = ring_slot(g, STAGES)
            mbarrier.wait(ready.index(s), ph)
            if TRANSPOSE_W:
                a = w_bufs.index(s)
            else:
                a = w_bufs.index(s).permute((1, 0))
            acc = warpgroup_mma(a, x_bufs.index(s).permute((1, 0)), acc, is_async=True)
            acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))
            mbarrier.arrive(empty.index((g + STAGES - 1) % STAGES), count=1, pred=i > 0)
            g += 1
        acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
        mbarrier.arrive(empty.index((g + STAGES - 1) % STAGES), count=1, pred=steps > 0)
        if HAS_BIAS:
            offs = seg * BS + gl.arange(0, BS, layout=gl.SliceLayout(1, layout))
            acc += gl.load(bias_ptr + offs).to(gl.float32)[:, None]
        out = gl.permute(acc.to(y_desc.dtype), (1, 0))
        tma.store_wait(pendings=0)  # the previous tile's store has left y_smem
        y_smem.store(out)
        fence_async_shared()
        tma.async_copy_shared_to_global(y_desc, [off_b, seg * BS], y_smem)
    tma.store_wait(pendings=0)


@gluon.jit
def dsd_persistent_kernel(x_desc, w_desc, y_desc, bias_ptr, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg_order_ptr,
                          num_segs, num_tiles, BS: gl.constexpr, TRANSPOSE_W: gl.constexpr, HAS_BIAS: gl.constexpr,
                          STAGES: gl.constexpr, num_warps: gl.constexpr):
    x_bufs = gl.allocate_shared_memory(x_desc.dtype, [STAGES] + x_desc.block_type.shape, x_desc.layout)
    w_bufs = gl.allocate_shared_memory(w_desc.dtype, [STAGES] + w_desc.block_type.shape, w_desc.layout)
    y_smem = gl.allocate_shared_memory(y_desc.dtype, y_desc.block_type.shape, y_desc.layout)
    empty = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    ready = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(STAGES):
        mbarrier.init(empty.index(i), count=1)
        mbarrier.init(ready.index(i), count=1)
    gl.warp_specialize([
        (dsd_persistent_mma, (x_bufs, w_bufs, empty, ready, y_smem, y_desc, bias_ptr, seg_ptr, seg_order_ptr,
                              num_segs, num_tiles, BS, TRANSPOSE_W, HAS_BIAS, num_warps)),
        (dsd_persistent_load, (x_desc, w_desc, x_bufs, w_bufs, empty, ready, seg_ptr, seg_idx_ptr, seg_blk_ptr,
                               seg_order_ptr, num_segs, num_tiles, BS, TRANSPOSE_W)),
    ], [1], [24])


# -- block-sparse dW (sdd) -------------------------------------------------------------------------------------


@gluon.jit
def sdd_load(dy_desc, x_desc, dy_ring, x_ring, empty, ready, row_ptr, block_cols_ptr, row, first, M,
             BS: gl.constexpr, GROUP: gl.constexpr):
    STAGES: gl.constexpr = dy_ring.shape[0]
    BK: gl.constexpr = dy_desc.block_type.shape[0]
    row_end = gl.load(row_ptr + row + 1)
    for step in range(gl.cdiv(M, BK)):
        s, ph = ring_slot(step, STAGES)
        mbarrier.wait(empty.index(s), ph ^ 1)
        bar = ready.index(s)
        mbarrier.expect(bar, dy_desc.block_type.nbytes + GROUP * x_desc.block_type.nbytes)
        k = step * BK
        tma.async_copy_global_to_shared(dy_desc, [k, row * BS], bar, dy_ring.index(s))
        for g in gl.static_range(GROUP):
            col = gl.load(block_cols_ptr + gl.minimum(first + g, row_end - 1))  # past the row: dropped later
            tma.async_copy_global_to_shared(x_desc, [k, col * BS], bar, x_ring.index(s * GROUP + g))


@gluon.jit
def sdd_mma(dy_ring, x_ring, empty, ready, dw_ptr, row_ptr, row, first, M, BS: gl.constexpr,
            GROUP: gl.constexpr, num_warps: gl.constexpr):
    STAGES: gl.constexpr = dy_ring.shape[0]
    BK: gl.constexpr = dy_ring.shape[1]
    WIDE: gl.constexpr = GROUP * BS
    layout: gl.constexpr = gl.NVMMADistributedLayout(
        version=[3, 0], warps_per_cta=wgmma_warps(BS, num_warps), instr_shape=[16, wgmma_n(BS, WIDE, num_warps), 16])
    wide_layout: gl.constexpr = gl.NVMMASharedLayout.get_default_for([BK, WIDE], dy_ring.dtype)
    acc = gl.zeros((BS, WIDE), dtype=gl.float32, layout=layout)
    for step in range(gl.cdiv(M, BK)):
        s, ph = ring_slot(step, STAGES)
        mbarrier.wait(ready.index(s), ph)
        # the GROUP x tiles of the stage, side by side: (BK batch, GROUP * BS)
        b = x_ring._reinterpret(dy_ring.dtype, [STAGES, BK, WIDE], wide_layout).index(s)
        acc = warpgroup_mma(dy_ring.index(s).permute((1, 0)), b, acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))
        mbarrier.arrive(empty.index((step + STAGES - 1) % STAGES), count=1, pred=step > 0)
    acc = warpgroup_mma_wait(num_outstanding=0, deps=(acc,))
    store_layout: gl.constexpr = gl.BlockedLayout([1, 8], [4, 8], [num_warps, 1], [1, 0])
    out = gl.convert_layout(acc.to(dw_ptr.dtype.element_ty), store_layout)
    row_end = gl.load(row_ptr + row + 1)
    offs_i = gl.arange(0, BS, layout=gl.SliceLayout(1, store_layout))
    offs_j = gl.arange(0, WIDE, layout=gl.SliceLayout(0, store_layout))
    blk = first + offs_j // BS
    dst = blk.to(gl.int64) * BS * BS + offs_j % BS
    ptrs = dw_ptr + dst[None, :] + offs_i[:, None] * BS
    gl.store(ptrs, out, mask=(blk < row_end)[None, :])


@gluon.jit
def sdd_ws_kernel(dy_desc, x_desc, dw_ptr, row_ptr, block_cols_ptr, group_first_ptr, group_rows_ptr, M,
                  BS: gl.constexpr, GROUP: gl.constexpr, STAGES: gl.constexpr, num_warps: gl.constexpr):
    pid = gl.program_id(0)
    first = gl.load(group_first_ptr + pid)
    row = gl.load(group_rows_ptr + pid)
    dy_ring = gl.allocate_shared_memory(dy_desc.dtype, [STAGES] + dy_desc.block_type.shape, dy_desc.layout)
    x_ring = gl.allocate_shared_memory(x_desc.dtype, [STAGES * GROUP] + x_desc.block_type.shape, x_desc.layout)
    empty = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    ready = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(STAGES):
        mbarrier.init(empty.index(i), count=1)
        mbarrier.init(ready.index(i), count=1)
    gl.warp_specialize([
        (sdd_mma, (dy_ring, x_ring, empty, ready, dw_ptr, row_ptr, row, first, M, BS, GROUP, num_warps)),
        (sdd_load, (dy_desc, x_desc, dy_ring, x_ring, empty, ready, row_ptr, block_cols_ptr, row, first, M,
                    BS, GROUP)),
    ], [1], [24])


# -- launchers ----------------------------------------------------------------------------------------------


def shared_layout(shape, dtype=gl.float16):
    return gl.NVMMASharedLayout.get_default_for(shape, dtype)


def dense_ws(a, b, bm=128, bn=256, bk=64, stages=4, group_m=8, warps=8, maxnreg=168, out=None):
    m, k = a.shape
    n = b.shape[0]
    c = out if out is not None else torch.empty(m, n, device=a.device, dtype=a.dtype)
    a_desc = TensorDescriptor.from_tensor(a, [bm, bk], shared_layout([bm, bk]))
    b_desc = TensorDescriptor.from_tensor(b, [bn, bk], shared_layout([bn, bk]))
    c_desc = TensorDescriptor.from_tensor(c, [bm, bn], shared_layout([bm, bn]))
    grid = (triton.cdiv(m, bm) * triton.cdiv(n, bn),)
    dense_ws_kernel[grid](a_desc, b_desc, c_desc, m, n, k, stages, group_m, num_warps=warps, maxnreg=maxnreg)
    return c


def dsd_ws(x, blocks, seg, out_blocks, transpose_w, bb=256, bk=64, stages=4, warps=8, maxnreg=168, out=None):
    """seg = (ptr, idx, blk, order) as in kernels/linear_dsd.py; blocks (nnz, bs, bs) contiguous."""
    m = x.shape[0]
    bs = blocks.shape[-1]
    bk = min(bk, bs)
    y = out if out is not None else torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    w2d = blocks.view(-1, bs)
    x_desc = TensorDescriptor.from_tensor(x, [bb, bk], shared_layout([bb, bk]))
    w_block = [bs, bk] if transpose_w else [bk, bs]
    w_desc = TensorDescriptor.from_tensor(w2d, w_block, shared_layout(w_block))
    y_desc = TensorDescriptor.from_tensor(y, [bb, bs], shared_layout([bb, bs]))
    grid = (triton.cdiv(m, bb) * out_blocks,)
    dsd_ws_kernel[grid](x_desc, w_desc, y_desc, *seg, out_blocks, bs, transpose_w, stages,
                        num_warps=warps, maxnreg=maxnreg)
    return y


def dsd_persistent(x, blocks, seg, out_blocks, transpose_w, bias=None, bb=256, bk=64, stages=None, warps=8,
                   maxnreg=168, programs=None, out=None):
    m = x.shape[0]
    bs = blocks.shape[-1]
    bk = min(bk, bs)
    stages = stages or (3 if bs == 128 else 4)
    y = out if out is not None else torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    w2d = blocks.view(-1, bs)
    x_desc = TensorDescriptor.from_tensor(x, [bb, bk], shared_layout([bb, bk]))
    w_block = [bs, bk] if transpose_w else [bk, bs]
    w_desc = TensorDescriptor.from_tensor(w2d, w_block, shared_layout(w_block))
    y_desc = TensorDescriptor.from_tensor(y, [bb, bs], shared_layout([bb, bs]))
    num_tiles = triton.cdiv(m, bb) * out_blocks
    sms = torch.cuda.get_device_properties(x.device).multi_processor_count
    grid = (min(num_tiles, programs or sms),)
    dsd_persistent_kernel[grid](x_desc, w_desc, y_desc, bias if bias is not None else y, *seg, out_blocks,
                                num_tiles, bs, transpose_w, bias is not None, stages, num_warps=warps,
                                maxnreg=maxnreg)
    return y


def sdd_ws(dy, x, row_ptr, block_cols, group_first, group_rows, bs, group, bk=64, stages=4, warps=8,
           maxnreg=168, out=None):
    m = x.shape[0]
    nnz = block_cols.numel()
    dw = out if out is not None else torch.empty(nnz, bs, bs, device=x.device, dtype=x.dtype)
    dy_desc = TensorDescriptor.from_tensor(dy, [bk, bs], shared_layout([bk, bs]))
    x_desc = TensorDescriptor.from_tensor(x, [bk, bs], shared_layout([bk, bs]))
    sdd_ws_kernel[(group_first.numel(),)](dy_desc, x_desc, dw, row_ptr, block_cols, group_first, group_rows, m,
                                          bs, group, stages, num_warps=warps, maxnreg=maxnreg)
    return dw


# -- CPU compile check ------------------------------------------------------------------------------------------


def desc_sig(block, dtype="fp16"):
    return f"tensordesc<{dtype}[{','.join(map(str, block))}],{shared_layout(block)!r}>"


def compile_only():
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon._runtime import GluonASTSource

    target = GPUTarget("cuda", 90, 32)
    sig = {"a_desc": desc_sig([128, 64]), "b_desc": desc_sig([256, 64]), "c_desc": desc_sig([128, 256]),
           "M": "i32", "N": "i32", "K": "i32", "STAGES": "constexpr", "GROUP_M": "constexpr", "num_warps": "constexpr"}
    src = GluonASTSource(dense_ws_kernel, sig, {"STAGES": 4, "GROUP_M": 8, "num_warps": 8})
    k = triton.compile(src, target=target, options={"num_warps": 8, "maxnreg": 168})
    report("dense_ws", k)
    for bs, tw in itertools.product((64, 128), (True, False)):
        bk = min(64, bs)
        sig = {"x_desc": desc_sig([256, bk]), "w_desc": desc_sig([bs, bk] if tw else [bk, bs]),
               "y_desc": desc_sig([256, bs]), "seg_ptr": "*i32", "seg_idx_ptr": "*i32", "seg_blk_ptr": "*i32",
               "seg_order_ptr": "*i32", "num_segs": "i32", "BS": "constexpr", "TRANSPOSE_W": "constexpr",
               "STAGES": "constexpr", "num_warps": "constexpr"}
        src = GluonASTSource(dsd_ws_kernel, sig, {"BS": bs, "TRANSPOSE_W": tw, "STAGES": 4, "num_warps": 8})
        k = triton.compile(src, target=target, options={"num_warps": 8, "maxnreg": 168})
        report(f"dsd_ws bs {bs} {'fwd' if tw else 'dX'}", k)
        sig = {"x_desc": desc_sig([256, bk]), "w_desc": desc_sig([bs, bk] if tw else [bk, bs]),
               "y_desc": desc_sig([256, bs]), "bias_ptr": "*fp16", "seg_ptr": "*i32", "seg_idx_ptr": "*i32",
               "seg_blk_ptr": "*i32", "seg_order_ptr": "*i32", "num_segs": "i32", "num_tiles": "i32",
               "BS": "constexpr", "TRANSPOSE_W": "constexpr", "HAS_BIAS": "constexpr", "STAGES": "constexpr",
               "num_warps": "constexpr"}
        src = GluonASTSource(dsd_persistent_kernel, sig, {"BS": bs, "TRANSPOSE_W": tw, "HAS_BIAS": tw,
                                                          "STAGES": 3 if bs == 128 else 4, "num_warps": 8})
        k = triton.compile(src, target=target, options={"num_warps": 8, "maxnreg": 168})
        report(f"dsd_persistent bs {bs} {'fwd' if tw else 'dX'}", k)
    for bs, group in ((64, 4), (64, 2), (128, 1), (128, 2)):
        sig = {"dy_desc": desc_sig([64, bs]), "x_desc": desc_sig([64, bs]), "dw_ptr": "*fp16", "row_ptr": "*i32",
               "block_cols_ptr": "*i32", "group_first_ptr": "*i32", "group_rows_ptr": "*i32", "M": "i32",
               "BS": "constexpr", "GROUP": "constexpr", "STAGES": "constexpr", "num_warps": "constexpr"}
        src = GluonASTSource(sdd_ws_kernel, sig, {"BS": bs, "GROUP": group, "STAGES": 4, "num_warps": 8})
        k = triton.compile(src, target=target, options={"num_warps": 8, "maxnreg": 168})
        report(f"sdd_ws bs {bs} group {group}", k)


def report(label, k):
    ptx = k.asm["ptx"]
    print(f"{label}: shared {k.metadata.shared} B, wgmma {ptx.count('wgmma.mma_async')}, "
          f"setmaxnreg {ptx.count('setmaxnreg')}, tma {ptx.count('cp.async.bulk.tensor')}", flush=True)


# -- GPU measurement ---------------------------------------------------------------------------------------------


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def rel_err(y, ref):
    return ((y.float() - ref.float()).norm() / ref.float().norm()).item()


def poisoned(shape, like):
    return torch.full(shape, float("nan"), device=like.device, dtype=like.dtype)


def verify():
    """Every kernel against a float64 reference on NaN-poisoned outputs: ragged batch (1000 rows), empty
    output blocks, bias."""
    import tilesparse as ts

    gen = torch.Generator().manual_seed(1)
    a = torch.randn(1000, 1024, device="cuda", dtype=torch.float16)
    b = torch.randn(768, 1024, device="cuda", dtype=torch.float16)
    c = dense_ws(a, b, stages=3, out=poisoned((1000, 768), a))
    ref = a.double() @ b.double().T
    print(f"verify dense_ws: err {rel_err(c, ref):.2e} nan {c.isnan().sum().item()}", flush=True)
    for bs, density in itertools.product((64, 128), (0.1, 0.3)):
        layout = ts.layouts.random(1024, 1536, bs, density, generator=gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=torch.float16)
        w = ts.layout.to_dense(blocks, layout).double()  # (out, in)
        x = torch.randn(1000, 1536, device="cuda", dtype=torch.float16)
        dy = torch.randn(1000, 1024, device="cuda", dtype=torch.float16)
        bias = torch.randn(1024, device="cuda", dtype=torch.float16)
        rows = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
        cols = (t.col_ptr, t.col_rows, t.col_blocks, t.col_order)
        empty_rows = int((t.row_ptr[1:] == t.row_ptr[:-1]).sum())
        ref_y = x.double() @ w.T
        ref_dx = dy.double() @ w
        y1 = dsd_ws(x, blocks, rows, 1024 // bs, True, out=poisoned((1000, 1024), x))
        y2 = dsd_persistent(x, blocks, rows, 1024 // bs, True, out=poisoned((1000, 1024), x))
        y3 = dsd_persistent(x, blocks, rows, 1024 // bs, True, bias=bias, programs=7, out=poisoned((1000, 1024), x))
        dx1 = dsd_ws(dy, blocks, cols, 1536 // bs, False, out=poisoned((1000, 1536), x))
        dx2 = dsd_persistent(dy, blocks, cols, 1536 // bs, False, programs=5, out=poisoned((1000, 1536), x))
        print(f"verify bs {bs} d {layout.density:.2f} empty rows {empty_rows}: fwd ws {rel_err(y1, ref_y):.2e} "
              f"persistent {rel_err(y2, ref_y):.2e} +bias {rel_err(y3, ref_y + bias.double()):.2e}; "
              f"dX ws {rel_err(dx1, ref_dx):.2e} persistent {rel_err(dx2, ref_dx):.2e}; nan "
              f"{sum(int(v.isnan().sum()) for v in (y1, y2, y3, dx1, dx2))}", flush=True)


def measure(args):
    import tilesparse as ts
    from tilesparse.kernels.linear_dsd import linear_dsd

    verify()
    f, batch = args.features, args.batch
    dtype = torch.float16
    x = torch.randn(batch, f, device="cuda", dtype=dtype)
    w = torch.randn(f, f, device="cuda", dtype=dtype) * 0.05
    dense = bench(lambda: x @ w.T)
    print(f"cuBLAS {dense:.4f} ms ({2 * batch * f * f / dense / 1e9:.0f} TFLOP/s)", flush=True)
    ms = bench(lambda: dense_ws(x, w, stages=3))
    print(f"   gluon ws dense stages 3: {ms:.4f} ms {dense / ms:.3f} of cuBLAS", flush=True)
    w = None
    gen = torch.Generator().manual_seed(0)
    for bs, density in itertools.product((128, 64), (0.5, 0.25, 0.1, 0.05, 0.01)):
        layout = ts.layouts.random(f, f, bs, density, generator=gen)
        t = layout.tables("cuda")
        d = layout.density
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype) * 0.05
        for label, seg, tw in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                               ("dX ", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
            refy = linear_dsd(x, blocks, *seg, f // bs, tw)
            cur = bench(lambda: linear_dsd(x, blocks, *seg, f // bs, tw))  # noqa: B023
            print(f"bs {bs:3d} d {d:.3f} {label} triton {cur:.4f} ms eff {dense * d / cur:.3f}", flush=True)
            variants = [("ws stages 4", lambda: dsd_ws(x, blocks, seg, f // bs, tw, stages=4))]  # noqa: B023
            for st in ((2, 3) if bs == 128 else (3, 4)):
                variants.append((f"persistent stages {st}",
                                 lambda st=st: dsd_persistent(x, blocks, seg, f // bs, tw, stages=st)))  # noqa: B023
            for label2, fn in variants:
                try:
                    y = fn()
                    ms = bench(fn)
                    print(f"   gluon {label2}: {ms:.4f} ms eff {dense * d / ms:.3f} ({cur / ms:.2f}x) "
                          f"diff vs triton {rel_err(y, refy):.1e}", flush=True)
                except Exception as exc:
                    print(f"   gluon {label2}: failed ({type(exc).__name__}: {str(exc)[:300]})", flush=True)
        blocks = None
        torch.cuda.empty_cache()


def dense_blocks(full, t, bs):
    """The packed blocks of a dense (out, in) matrix at the layout's nonzero positions."""
    r, c = t.block_rows.long(), t.block_cols.long()
    tiles = full.view(full.shape[0] // bs, bs, full.shape[1] // bs, bs).permute(0, 2, 1, 3)
    return tiles[r, c]


def measure_dw(args):
    import tilesparse as ts
    from tilesparse.kernels.linear_sdd import linear_sdd
    from tilesparse.layout import linear_dw_group_size, row_groups

    gen = torch.Generator().manual_seed(2)
    for bs, group in ((64, 4), (64, 2), (128, 1), (128, 2)):
        layout = ts.layouts.random(1024, 1536, bs, 0.4, generator=gen)
        t = layout.tables("cuda")
        first, rows = (v.int().contiguous() for v in row_groups(t.row_ptr, group))
        x = torch.randn(1000, 1536, device="cuda", dtype=torch.float16)
        dy = torch.randn(1000, 1024, device="cuda", dtype=torch.float16)
        ref = dense_blocks(dy.double().T @ x.double(), t, bs)
        dw = sdd_ws(dy, x, t.row_ptr, t.block_cols, first, rows, bs, group,
                    out=poisoned((layout.nnz, bs, bs), x))
        print(f"verify sdd bs {bs} group {group}: err {rel_err(dw, ref):.2e} nan {int(dw.isnan().sum())}", flush=True)
    f, batch = args.features, args.batch
    x = torch.randn(batch, f, device="cuda", dtype=torch.float16)
    dy = torch.randn(batch, f, device="cuda", dtype=torch.float16)
    dense = bench(lambda: dy.T @ x)
    print(f"cuBLAS dY^T x {dense:.4f} ms ({2 * batch * f * f / dense / 1e9:.0f} TFLOP/s)", flush=True)
    gen = torch.Generator().manual_seed(0)
    for bs, density in itertools.product((128, 64), (0.5, 0.25, 0.1, 0.05, 0.01)):
        layout = ts.layouts.random(f, f, bs, density, generator=gen)
        t = layout.tables("cuda")
        d = layout.density
        lib_group = linear_dw_group_size(bs, layout.nnz, f // bs)
        ref = linear_sdd(dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, bs, lib_group)
        cur = bench(lambda: linear_sdd(dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, bs, lib_group))  # noqa: B023
        print(f"bs {bs:3d} d {d:.3f} dW triton (group {lib_group}) {cur:.4f} ms eff {dense * d / cur:.3f}", flush=True)
        for group, stages in itertools.product((1, 2) if bs == 128 else (2, 4), (3, 4, 6)):
            first, rows = (v.int().contiguous() for v in row_groups(t.row_ptr, group))
            fn = lambda: sdd_ws(dy, x, t.row_ptr, t.block_cols, first, rows, bs, group, stages=stages)  # noqa: B023,E731
            try:
                dw = fn()
                ms = bench(fn)
                print(f"   gluon group {group} stages {stages}: {ms:.4f} ms eff {dense * d / ms:.3f} "
                      f"({cur / ms:.2f}x) diff vs triton {rel_err(dw, ref):.1e}", flush=True)
            except Exception as exc:
                print(f"   gluon group {group} stages {stages}: failed ({type(exc).__name__}: {str(exc)[:200]})",
                      flush=True)


def triton_dw_groups(args):
    """The Triton dW kernel (non-Hopper GPUs, TF32) at block 128 in pairs vs single blocks: the layout's dW
    groups are shared by every path, so pairs must not cost the Triton kernel."""
    from dataclasses import replace

    import tilesparse as ts
    from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config
    from tilesparse.layout import row_groups

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.set_float32_matmul_precision("high")
    f, batch, bs = args.features, args.batch, 128
    gen = torch.Generator().manual_seed(0)
    for dtype in (torch.float16, torch.float32):
        x = torch.randn(batch, f, device="cuda", dtype=dtype)
        dy = torch.randn(batch, f, device="cuda", dtype=dtype)
        dense = bench(lambda: dy.T @ x)  # noqa: B023
        for density in (0.5, 0.1, 0.05):
            layout = ts.layouts.random(f, f, bs, density, generator=gen)
            t = layout.tables("cuda")
            line = f"{str(dtype):14s} d {layout.density:.3f}"
            for group in (1, 2):
                first, rows = row_groups(t.row_ptr, group)
                cfg = replace(sdd_config(batch, bs, group, x.element_size()), hopper_ws=False)  # split pairs
                ms = bench(lambda: linear_sdd(dy, x, t.row_ptr, t.block_cols, first, rows, bs, group, cfg))  # noqa: B023
                eff = dense * layout.density / ms
                line += f"  triton group {group} split {cfg.split_group}: {ms:.4f} ms eff {eff:.3f}"
            print(line, flush=True)


def tf32_products(args):
    """fp32 (TF32) forward, dX and dW at blocks 64/128: the library's Triton kernels (configs as chosen, the
    Hopper kernel switched off) against the Hopper kernels (forced on), same tables, same run."""
    from dataclasses import replace

    import tilesparse as ts
    from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd
    from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config
    from tilesparse.layout import linear_dw_group_size

    torch.set_float32_matmul_precision("high")
    f, batch = args.features, args.batch
    x = torch.randn(batch, f, device="cuda")
    dy = torch.randn(batch, f, device="cuda")
    w = torch.randn(f, f, device="cuda")
    dense = {"fwd": bench(lambda: x @ w.T), "dX ": bench(lambda: dy @ w), "dW ": bench(lambda: dy.T @ x)}
    print("dense tf32 " + ", ".join(f"{k.strip()} {v:.4f} ms" for k, v in dense.items()), flush=True)
    w = None
    gen = torch.Generator().manual_seed(0)
    for bs, density in itertools.product((128, 64), (0.5, 0.25, 0.1, 0.05, 0.01)):
        layout = ts.layouts.random(f, f, bs, density, generator=gen)
        t = layout.tables("cuda")
        d = layout.density
        blocks = torch.randn(layout.packed_shape, device="cuda") * 0.05
        group = linear_dw_group_size(bs, layout.nnz, f // bs)
        runs = {}
        for hopper_ws in (False, True):
            rows_cfg = replace(dsd_config(batch, bs, 4, mean_blocks=layout.nnz / (f // bs)), hopper_ws=hopper_ws)
            dw_cfg = replace(sdd_config(batch, bs, group, 4), hopper_ws=hopper_ws)
            runs[hopper_ws] = {
                "fwd": lambda c=rows_cfg: linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order,  # noqa: B023
                                                     f // bs, True, config=c),
                "dX ": lambda c=rows_cfg: linear_dsd(dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, t.col_order,  # noqa: B023
                                                     f // bs, False, config=c),
                "dW ": lambda c=dw_cfg: linear_sdd(dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows,  # noqa: B023
                                                   bs, group, c),
            }
        for product in ("fwd", "dX ", "dW "):
            try:
                ref = runs[False][product]()
                out = runs[True][product]()
                old = bench(runs[False][product])
                new = bench(runs[True][product])
                eff = dense[product] * d
                print(f"bs {bs:3d} d {d:.3f} {product} tf32 triton {old:.4f} ms eff {eff / old:.3f} | hopper "
                      f"{new:.4f} ms eff {eff / new:.3f} ({old / new:.2f}x) diff {rel_err(out, ref):.1e}", flush=True)
            except Exception as exc:
                print(f"bs {bs:3d} d {d:.3f} {product} failed ({type(exc).__name__}: {str(exc)[:300]})", flush=True)
        blocks = None
        torch.cuda.empty_cache()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compile-only", action="store_true")
    parser.add_argument("--dw", action="store_true", help="the dW (sdd) kernel instead")
    parser.add_argument("--triton-dw-groups", action="store_true", help="Triton dW, block 128, groups 1 and 2")
    parser.add_argument("--tf32", action="store_true", help="fp32 (TF32) products: Triton against Hopper kernels")
    parser.add_argument("--features", type=int, default=8192)
    parser.add_argument("--batch", type=int, default=8192)
    args = parser.parse_args()
    if args.compile_only:
        return compile_only()
    if args.dw:
        return measure_dw(args)
    if args.triton_dw_groups:
        return triton_dw_groups(args)
    if args.tf32:
        return tf32_products(args)
    measure(args)


if __name__ == "__main__":
    main()
