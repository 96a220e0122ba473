"""Development probe (Hopper): warp-specialised Gluon kernels against cuBLAS and the Triton kernels.

Triton's own pipeliner keeps the tensor pipes ~63% busy on a dense 8192^3 fp16 matmul (cuBLAS ~94%, ncu,
2026-11-26). Gluon (triton.experimental.gluon, Triton 3.6) lets a kernel say exactly what runs where: one
producer warp issues TMA loads into a ring of shared-memory stages (mbarrier ready/empty pairs), two consumer
warpgroups issue asynchronous wgmma on them and keep one MMA in flight, and the registers are rebalanced
towards the consumers (maxnreg + the worker's 24). The library's kernels (tilesparse/kernels/linear_hopper*.py) grew
out of this probe; it keeps what the library does not have:

- ``dense_ws_kernel``: C = A @ B^T, 128 x 256 x 64 tiles, grouped tile order (the ceiling for the design);
- ``dsd_persistent_kernel``: the forward / dX kernel made persistent (one program per SM walking tiles, a
  dedicated output buffer so the epilogue overlaps the next tile's loads); measured, not adopted;

and measures the library's kernels (``hopper.linear_dsd_hopper``, ``hopper.linear_sdd_hopper``) against the
Triton ones at several ring depths, fp16 and TF32.

Usage: PYTHONPATH=src python3 scripts/probe_gluon.py [--compile-only | --dw | --tf32 | --triton-dw-groups]
(compile-only runs on a CPU machine: the probe's kernels are compiled for sm_90a, which checks them without a
GPU; the library's are compiled by tests/test_linear_hopper.py.)
"""

import argparse
import dataclasses
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

from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels.linear_hopper_gluon import init_ring, mma_layout, retire_previous, ring_slot, shared_layout

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
    layout: gl.constexpr = mma_layout(BM, BN, num_warps, a_bufs.dtype.primitive_bitwidth)
    acc = gl.zeros((BM, BN), dtype=gl.float32, layout=layout)
    for i in range(gl.cdiv(K, BK)):
        s, ph = ring_slot(i, STAGES)
        mbarrier.wait(ready.index(s), ph)
        acc = warpgroup_mma(a_bufs.index(s), b_bufs.index(s).permute((1, 0)), acc, is_async=True)
        acc = warpgroup_mma_wait(num_outstanding=1, deps=(acc,))
        retire_previous(empty, i, STAGES)
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
    empty, ready = init_ring(STAGES)
    gl.warp_specialize([
        (dense_mma, (a_bufs, b_bufs, empty, ready, c_desc, off_m, off_n, K, num_warps)),
        (dense_load, (a_desc, b_desc, a_bufs, b_bufs, empty, ready, off_m, off_n, K)),
    ], [1], [24])


# -- block-sparse forward / dX, persistent ---------------------------------------------------------------


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
    layout: gl.constexpr = mma_layout(BS, BB, num_warps, x_bufs.dtype.primitive_bitwidth)
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
    empty, ready = init_ring(STAGES)
    gl.warp_specialize([
        (dsd_persistent_mma, (x_bufs, w_bufs, empty, ready, y_smem, y_desc, bias_ptr, seg_ptr, seg_order_ptr,
                              num_segs, num_tiles, BS, TRANSPOSE_W, HAS_BIAS, num_warps)),
        (dsd_persistent_load, (x_desc, w_desc, x_bufs, w_bufs, empty, ready, seg_ptr, seg_idx_ptr, seg_blk_ptr,
                               seg_order_ptr, num_segs, num_tiles, BS, TRANSPOSE_W)),
    ], [1], [24])


# -- launchers ----------------------------------------------------------------------------------------------


def dense_ws(a, b, bm=128, bn=256, bk=64, stages=4, group_m=8, warps=8, maxnreg=168, out=None):
    m, k = a.shape
    n = b.shape[0]
    c = out if out is not None else torch.empty(m, n, device=a.device, dtype=a.dtype)
    a_desc = TensorDescriptor.from_tensor(a, [bm, bk], shared_layout([bm, bk], a.dtype))
    b_desc = TensorDescriptor.from_tensor(b, [bn, bk], shared_layout([bn, bk], a.dtype))
    c_desc = TensorDescriptor.from_tensor(c, [bm, bn], shared_layout([bm, bn], a.dtype))
    grid = (triton.cdiv(m, bm) * triton.cdiv(n, bn),)
    dense_ws_kernel[grid](a_desc, b_desc, c_desc, m, n, k, stages, group_m, num_warps=warps, maxnreg=maxnreg)
    return c


def dsd_ws(x, blocks, seg, out_blocks, transpose_w, stages=hopper.DSD_STAGES, out=None):
    """The library's forward / dX kernel; seg = (ptr, idx, blk, order) as in kernels/linear_dsd.py."""
    y = out if out is not None else torch.empty(x.shape[0], out_blocks * blocks.shape[-1], device=x.device,
                                                dtype=x.dtype)
    shape = dataclasses.replace(hopper.WIDE, stages=stages)
    return hopper.linear_dsd_hopper(x, blocks, y, None, *seg, out_blocks, transpose_w, shape)


def dsd_persistent(x, blocks, seg, out_blocks, transpose_w, bias=None, bb=256, bk=64, stages=None, warps=8,
                   maxnreg=168, programs=None, out=None):
    m = x.shape[0]
    bs = blocks.shape[-1]
    bk = min(bk, bs)
    stages = stages or (3 if bs == 128 else 4)
    y = out if out is not None else torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    w2d = blocks.view(-1, bs)
    x_desc = TensorDescriptor.from_tensor(x, [bb, bk], shared_layout([bb, bk], x.dtype))
    w_block = [bs, bk] if transpose_w else [bk, bs]
    w_desc = TensorDescriptor.from_tensor(w2d, w_block, shared_layout(w_block, x.dtype))
    y_desc = TensorDescriptor.from_tensor(y, [bb, bs], shared_layout([bb, bs], x.dtype))
    num_tiles = triton.cdiv(m, bb) * out_blocks
    sms = torch.cuda.get_device_properties(x.device).multi_processor_count
    grid = (min(num_tiles, programs or sms),)
    dsd_persistent_kernel[grid](x_desc, w_desc, y_desc, bias if bias is not None else y, *seg, out_blocks,
                                num_tiles, bs, transpose_w, bias is not None, stages, num_warps=warps,
                                maxnreg=maxnreg)
    return y


def sdd_ws(dy, x, row_ptr, block_cols, group_first, group_rows, bs, group, stages=None, out=None):
    """The library's dW kernel on ``group``-block runs."""
    dw = out if out is not None else torch.empty(block_cols.numel(), bs, bs, device=x.device, dtype=x.dtype)
    return hopper.linear_sdd_hopper(dy, x, dw, row_ptr, block_cols, group_first, group_rows, bs, group, stages)


# -- CPU compile check ------------------------------------------------------------------------------------------


def desc_sig(block, dtype="fp16"):
    return f"tensordesc<{dtype}[{','.join(map(str, block))}],{shared_layout(block, torch.float16)!r}>"


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
               "y_desc": desc_sig([256, bs]), "bias_ptr": "*fp16", "seg_ptr": "*i32", "seg_idx_ptr": "*i32",
               "seg_blk_ptr": "*i32", "seg_order_ptr": "*i32", "num_segs": "i32", "num_tiles": "i32",
               "BS": "constexpr", "TRANSPOSE_W": "constexpr", "HAS_BIAS": "constexpr", "STAGES": "constexpr",
               "num_warps": "constexpr"}
        src = GluonASTSource(dsd_persistent_kernel, sig, {"BS": bs, "TRANSPOSE_W": tw, "HAS_BIAS": tw,
                                                          "STAGES": 3 if bs == 128 else 4, "num_warps": 8})
        k = triton.compile(src, target=target, options={"num_warps": 8, "maxnreg": 168})
        report(f"dsd_persistent bs {bs} {'fwd' if tw else 'dX'}", k)


def report(label, k):
    ptx = k.asm["ptx"]
    print(f"{label}: shared {k.metadata.shared} B, wgmma {ptx.count('wgmma.mma_async')}, "
          f"setmaxnreg {ptx.count('setmaxnreg')}, tma {ptx.count('cp.async.bulk.tensor')}", flush=True)


# -- GPU measurement ---------------------------------------------------------------------------------------------


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def sweep(features, seed=0):
    """(block size, layout, its CUDA tables) for blocks 128 and 64 at d = 0.5 .. 0.01: the probes' common sweep."""
    from tilesparse.layouts import random

    gen = torch.Generator().manual_seed(seed)
    for bs, density in itertools.product((128, 64), (0.5, 0.25, 0.1, 0.05, 0.01)):
        layout = random(features, features, bs, density, generator=gen)
        yield bs, layout, layout.tables("cuda")


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
    for bs, layout, t in sweep(f):
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
    for bs, layout, t in sweep(f):
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
    for bs, layout, t in sweep(f):
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
