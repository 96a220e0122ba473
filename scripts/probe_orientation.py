"""Development probe (GPU only): does the dsd product run faster with the MMA turned around?

Today a program computes its (BLOCK_M x bs) output tile as x_tile (BLOCK_M x bs) @ block^T (bs x bs): the
MMA's N is the block size, so at blocks 32/64 every Hopper wgmma is narrow (N = 32/64) and its shared-memory
operand traffic per FLOP is high. Turned around, the program computes the transposed tile
block (bs x bs) @ x_tile^T (bs x BLOCK_M): N is the batch tile (128/256) and M the block size.
Also tried: blocks of 128 walked in two K halves (K = 64 per step), so 256-row tiles fit 3-4 stages.

Prints, per variant: median ms (do_bench), efficiency against cuBLAS on the same product, whether the PTX
uses wgmma, registers and spills. Usage: PYTHONPATH=src python3 scripts/probe_orientation.py
"""

import argparse
import itertools

import torch
import triton
import triton.language as tl

import tilesparse as ts
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd


@triton.jit
def grouped(pid, num_pid_n, GROUP_M: tl.constexpr):
    """GROUP_M batch tiles walk the output blocks together (batch tile fastest inside the group), so a
    block column is read from HBM once per group instead of once per batch tile when W overflows L2."""
    per_group = GROUP_M * num_pid_n
    group = pid // per_group
    pid_m = group * GROUP_M + pid % GROUP_M
    pid_n = (pid % per_group) // GROUP_M
    return pid_m, pid_n


@triton.jit
def dsd_tma_kernel(
    x_ptr, w_ptr, y_ptr, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg_order_ptr,
    M, K, num_pid_n, nnz,
    BS: tl.constexpr, BLOCK_M: tl.constexpr, KSPLIT: tl.constexpr, GROUP_M: tl.constexpr, WS: tl.constexpr,
    STAGES: tl.constexpr,
):
    """Forward, turned around (y^T tile = block @ x_tile^T), tiles fetched by TMA descriptors, optionally
    warp-specialised (a producer warp issues the TMA loads, the MMA warps consume)."""
    BK: tl.constexpr = BS // KSPLIT
    x_desc = tl.make_tensor_descriptor(x_ptr, shape=[M, K], strides=[K, 1], block_shape=[BLOCK_M, BK])
    w_desc = tl.make_tensor_descriptor(w_ptr, shape=[nnz * BS, BS], strides=[BS, 1], block_shape=[BS, BK])
    y_desc = tl.make_tensor_descriptor(y_ptr, shape=[M, num_pid_n * BS], strides=[num_pid_n * BS, 1],
                                       block_shape=[BLOCK_M, BS])
    pid_m, pid_n = grouped(tl.program_id(0), num_pid_n, GROUP_M)
    pid_n = tl.load(seg_order_ptr + pid_n)
    start = tl.load(seg_ptr + pid_n)
    end = tl.load(seg_ptr + pid_n + 1)
    acc = tl.zeros((BS, BLOCK_M), dtype=tl.float32)
    for e in tl.range(start * KSPLIT, end * KSPLIT, num_stages=STAGES, warp_specialize=WS):
        entry = e // KSPLIT
        part = e % KSPLIT
        col = tl.load(seg_idx_ptr + entry)
        blk = tl.load(seg_blk_ptr + entry)
        xt = x_desc.load([pid_m * BLOCK_M, col * BS + part * BK])
        a = w_desc.load([blk * BS, part * BK])
        acc = tl.dot(a, xt.T, acc)
    y_desc.store([pid_m * BLOCK_M, pid_n * BS], tl.trans(acc).to(y_ptr.dtype.element_ty))


def run_tma(x, blocks, seg, out_blocks, block_m, ksplit, group_m, ws, warps, stages):
    m, k = x.shape
    bs = blocks.shape[-1]
    y = torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    grid = (triton.cdiv(m, block_m) * out_blocks,)
    kern = dsd_tma_kernel[grid](
        x, blocks, y, *seg, m, k, out_blocks, blocks.shape[0],
        BS=bs, BLOCK_M=block_m, KSPLIT=ksplit, GROUP_M=group_m, WS=ws, STAGES=stages, num_warps=warps,
    )
    return y, kern


@triton.jit
def dsd_variant_kernel(
    x_ptr, w_ptr, y_ptr, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg_order_ptr,
    M, num_pid_n,
    stride_xm, stride_xk, stride_ym, stride_yn,
    BS: tl.constexpr, BLOCK_M: tl.constexpr, KSPLIT: tl.constexpr, SWAP: tl.constexpr, TRANSPOSE_W: tl.constexpr,
    SPLIT: tl.constexpr = 1, GROUP_M: tl.constexpr = 1,
):
    pid = tl.program_id(0)
    pid_s = pid % SPLIT  # split-K: SPLIT programs share one output tile, each a slice of its blocks
    pid = pid // SPLIT
    pid_m, pid_n = grouped(pid, num_pid_n, GROUP_M)
    pid_n = tl.load(seg_order_ptr + pid_n)
    BK: tl.constexpr = BS // KSPLIT
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_b = tl.arange(0, BS)
    offs_k = tl.arange(0, BK)
    mask_m = offs_m < M
    start = tl.load(seg_ptr + pid_n)
    end = tl.load(seg_ptr + pid_n + 1)
    if SPLIT > 1:
        chunk = tl.cdiv(end - start, SPLIT)
        start = start + pid_s * chunk
        end = tl.minimum(end, start + chunk)
    if SWAP:
        acc = tl.zeros((BS, BLOCK_M), dtype=tl.float32)
    else:
        acc = tl.zeros((BLOCK_M, BS), dtype=tl.float32)
    for e in range(start * KSPLIT, end * KSPLIT):
        entry = e // KSPLIT
        part = e % KSPLIT
        col = tl.load(seg_idx_ptr + entry).to(tl.int64)
        blk = tl.load(seg_blk_ptr + entry).to(tl.int64)
        k_cols = col * BS + part * BK + offs_k
        if SWAP:
            # x^T tile (BK x BLOCK_M); block as an (out x in) operand: rows = output features of this block
            xt = tl.load(x_ptr + offs_m.to(tl.int64)[None, :] * stride_xm + k_cols[:, None] * stride_xk,
                         mask=mask_m[None, :], other=0.0)
            if TRANSPOSE_W:  # forward: y^T = blk (out x in) @ x^T
                a = tl.load(w_ptr + blk * BS * BS + offs_b[:, None] * BS + (part * BK + offs_k)[None, :])
            else:  # dX: dx^T = blk^T (in x out) @ dy^T
                a = tl.load(w_ptr + blk * BS * BS + (part * BK + offs_k)[None, :] * BS + offs_b[:, None])
            acc = tl.dot(a, xt, acc)
        else:
            xk = tl.load(x_ptr + offs_m.to(tl.int64)[:, None] * stride_xm + k_cols[None, :] * stride_xk,
                         mask=mask_m[:, None], other=0.0)
            if TRANSPOSE_W:
                b = tl.load(w_ptr + blk * BS * BS + offs_b[None, :] * BS + (part * BK + offs_k)[:, None])
            else:
                b = tl.load(w_ptr + blk * BS * BS + (part * BK + offs_k)[:, None] * BS + offs_b[None, :])
            acc = tl.dot(xk, b, acc)
    offs_n = pid_n * BS + offs_b
    if SWAP:
        y_ptrs = y_ptr + offs_m.to(tl.int64)[None, :] * stride_ym + offs_n[:, None] * stride_yn
        y_mask = mask_m[None, :]
    else:
        y_ptrs = y_ptr + offs_m.to(tl.int64)[:, None] * stride_ym + offs_n[None, :] * stride_yn
        y_mask = mask_m[:, None]
    if SPLIT > 1:
        tl.atomic_add(y_ptrs, acc, mask=y_mask, sem="relaxed")
    else:
        tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=y_mask)


def run_variant(x, blocks, seg, out_blocks, transpose_w, block_m, ksplit, swap, warps, stages, split=1, group_m=1):
    m = x.shape[0]
    bs = blocks.shape[-1]
    if split > 1:
        y = torch.zeros(m, out_blocks * bs, device=x.device, dtype=torch.float32)
    else:
        y = torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    grid = (triton.cdiv(m, block_m) * out_blocks * split,)
    k = dsd_variant_kernel[grid](
        x, blocks, y, *seg, m, out_blocks, x.stride(0), x.stride(1), y.stride(0), y.stride(1),
        BS=bs, BLOCK_M=block_m, KSPLIT=ksplit, SWAP=swap, TRANSPOSE_W=transpose_w, SPLIT=split, GROUP_M=group_m,
        num_warps=warps, num_stages=stages,
    )
    return (y.to(x.dtype) if split > 1 else y), k


def seed_shape(dtype, ncu: bool):
    """Batch 32, 12288^2, block 32: memory bound on the blocks. Cold-L2 graph timing (the bench's), and
    split-K variants (SPLIT programs per output tile, fp32 atomics, then a cast) for more loads in flight."""
    from tilesparse.bench.linear import _cold_graph_ms

    f, batch, bs = 12288, 32, 32
    dev = torch.device("cuda")
    x = torch.randn(batch, f, device=dev, dtype=dtype)
    w = torch.randn(f, f, device=dev, dtype=dtype)
    dense = _cold_graph_ms(lambda: x @ w.T, dev)
    print(f"seed dense {dense * 1e3:.1f} us", flush=True)
    w = None
    gen = torch.Generator().manual_seed(0)
    for density in (0.25, 0.05, 0.01):
        layout = ts.layouts.random(f, f, bs, density, generator=gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device=dev, dtype=dtype) * 0.05
        seg = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
        ref = linear_dsd(x, blocks, *seg, f // bs, True)
        floor = blocks.numel() * blocks.element_size() / 3.0e12 * 1e3
        if ncu:
            for _ in range(3):
                linear_dsd(x, blocks, *seg, f // bs, True)
            for split in (1, 2, 4):
                for _ in range(3):
                    run_variant(x, blocks, seg, f // bs, True, 32, 1, False, 4, 6, split)
            torch.cuda.synchronize()
            continue
        cur = _cold_graph_ms(lambda: linear_dsd(x, blocks, *seg, f // bs, True), dev)  # noqa: B023
        print(f"seed d {layout.density:.3f} current {cur * 1e3:.1f} us speedup {dense / cur:.2f} "
              f"(blocks at 3 TB/s: {floor * 1e3:.1f} us)", flush=True)
        for split, sw, wa, st in itertools.product((1, 2, 4, 8), (False, True), (2, 4), (4, 6, 8)):
            y, k = run_variant(x, blocks, seg, f // bs, True, 32, 1, sw, wa, st, split)
            err = ((y.float() - ref.float()).norm() / ref.float().norm()).item()
            ms = _cold_graph_ms(lambda: run_variant(x, blocks, seg, f // bs, True, 32, 1, sw, wa, st, split), dev)  # noqa: B023
            print(f"   split {split} swap {sw:d} warps {wa} stages {st}: {ms * 1e3:.1f} us speedup {dense / ms:.2f} "
                  f"err {err:.1e}", flush=True)


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def show(label, fn, ref, dense, density, kern=None):
    try:
        y, k = fn()
        err = ((y.float() - ref.float()).norm() / ref.float().norm()).item()
        ms = bench(lambda: fn())
        ptx = k.asm.get("ptx", "")
        print(f"   {label}: {ms:.4f} ms eff {dense * density / ms:.3f} err {err:.1e} wgmma {'wgmma' in ptx:d} "
              f"regs {k.n_regs} spills {k.n_spills}", flush=True)
    except Exception as exc:  # out of shared memory, unsupported: skip the variant
        print(f"   {label}: failed ({type(exc).__name__}: {str(exc)[:160]})", flush=True)


def round2(x, dense, gen, f):
    triton.set_allocator(lambda size, align, stream: torch.empty(size, dtype=torch.int8, device="cuda"))
    dy = x
    for bs, density in itertools.product((32, 64, 128), (0.5, 0.1)):
        layout = ts.layouts.random(f, f, bs, density, generator=gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=x.dtype) * 0.05
        rows = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
        cols = (t.col_ptr, t.col_rows, t.col_blocks, t.col_order)
        d = layout.density
        ref = linear_dsd(x, blocks, *rows, f // bs, True)
        refx = linear_dsd(dy, blocks, *cols, f // bs, False)
        cur = bench(lambda: linear_dsd(x, blocks, *rows, f // bs, True))  # noqa: B023
        curx = bench(lambda: linear_dsd(dy, blocks, *cols, f // bs, False))  # noqa: B023
        print(f"bs {bs:3d} d {d:.3f} current fwd {cur:.4f} ms eff {dense * d / cur:.3f}, "
              f"dX {curx:.4f} ms eff {dense * d / curx:.3f}", flush=True)
        ks = 2 if bs == 128 else 1
        swap = bs >= 64
        wa = 8 if bs >= 64 else 4
        for g in (1, 4, 8, 16):
            show(f"fwd ptr swap {swap:d} ksplit {ks} group {g}",
                 lambda: run_variant(x, blocks, rows, f // bs, True, 256, ks, swap, wa, 4, 1, g),  # noqa: B023
                 ref, dense, d)
            show(f"dX  ptr swap {swap:d} ksplit {ks} group {g}",
                 lambda: run_variant(dy, blocks, cols, f // bs, False, 256, ks, swap, wa, 4, 1, g),  # noqa: B023
                 refx, dense, d)
        if bs < 64:
            continue
        for ws, g, st, kk in itertools.product((False, True), (1, 8), (3, 4), (1, 2)):
            show(f"fwd tma ws {ws:d} group {g} stages {st} ksplit {kk}",
                 lambda: run_tma(x, blocks, rows, f // bs, 256, kk, g, ws, 8, st),  # noqa: B023
                 ref, dense, d)
        blocks = None
        torch.cuda.empty_cache()


def round3(x, dense, gen, f):
    """Short rows (low density) leave each program mostly in pipeline fill and epilogue; fewer stages let two
    programs share an SM and hide each other's. Production kernel, configs forced."""
    from tilesparse.kernels.linear_dsd import DsdConfig

    for bs, density in itertools.product((32, 64, 128), (0.05, 0.1, 0.25, 0.5)):
        layout = ts.layouts.random(f, f, bs, density, generator=gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=x.dtype) * 0.05
        rows = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
        d = layout.density
        ref = linear_dsd(x, blocks, *rows, f // bs, True)
        default = dsd_config(x.shape[0], bs, 2)
        cur = bench(lambda: linear_dsd(x, blocks, *rows, f // bs, True))  # noqa: B023
        print(f"bs {bs:3d} d {d:.3f} default {default}: {cur:.4f} ms eff {dense * d / cur:.3f}", flush=True)
        wide = bs >= 64
        for bm, wa, st in itertools.product((128, 256), (4, 8), (2, 3, 4)):
            cfg = DsdConfig(bm, wa, st, transposed_tile=wide, k_split=2 if bs == 128 else 1)
            show(f"{cfg}", lambda: (linear_dsd(x, blocks, *rows, f // bs, True, config=cfg), _Fake()),  # noqa: B023
                 ref, dense, d)
        blocks = None
        torch.cuda.empty_cache()


class _Fake:
    asm: dict = {}
    n_regs = n_spills = -1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dtype", default="float16")
    parser.add_argument("--features", type=int, default=8192)
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--seed-shape", action="store_true", help="the batch-32 seed shape instead")
    parser.add_argument("--round2", action="store_true", help="grouped order, TMA and warp specialisation")
    parser.add_argument("--round3", action="store_true", help="pipeline depth against row length")
    parser.add_argument("--ncu", action="store_true", help="with --seed-shape: a few calls each, for ncu")
    args = parser.parse_args()
    dtype = getattr(torch, args.dtype)
    if args.seed_shape:
        return seed_shape(dtype, args.ncu)
    f, batch = args.features, args.batch
    x = torch.randn(batch, f, device="cuda", dtype=dtype)
    w = torch.randn(f, f, device="cuda", dtype=dtype)
    dense = bench(lambda: x @ w.T)
    print(f"dense {dense:.4f} ms  ({2 * batch * f * f / dense / 1e9:.0f} TFLOP/s)", flush=True)
    gen = torch.Generator().manual_seed(0)
    if args.round2:
        return round2(x, dense, gen, f)
    if args.round3:
        return round3(x, dense, gen, f)
    for bs, density in itertools.product((32, 64, 128), (0.5, 0.1, 1.0)):
        layout = ts.layouts.random(f, f, bs, density, generator=gen) if density < 1 else ts.layouts.dense(f, f, bs)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype) * 0.05
        seg = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
        ref = linear_dsd(x, blocks, *seg, f // bs, True)
        cur = bench(lambda: linear_dsd(x, blocks, *seg, f // bs, True))  # noqa: B023
        print(f"bs {bs:3d} d {layout.density:.3f} current {dsd_config(batch, bs, 2)}: {cur:.4f} ms "
              f"eff {dense * layout.density / cur:.3f}", flush=True)
        grid = [(bm, ks, sw, wa, st) for bm in (128, 256) for ks in ((1, 2) if bs == 128 else (1,))
                for sw in (False, True) for wa in (4, 8) for st in (3, 4)]
        for bm, ks, sw, wa, st in grid:
            try:
                y, k = run_variant(x, blocks, seg, f // bs, True, bm, ks, sw, wa, st)
                err = ((y.float() - ref.float()).norm() / ref.float().norm()).item()
                ms = bench(lambda: run_variant(x, blocks, seg, f // bs, True, bm, ks, sw, wa, st))  # noqa: B023
                ptx = k.asm.get("ptx", "")
                print(f"   bm {bm} ksplit {ks} swap {sw:d} warps {wa} stages {st}: {ms:.4f} ms "
                      f"eff {dense * layout.density / ms:.3f} err {err:.1e} wgmma {'wgmma' in ptx:d} "
                      f"regs {k.n_regs} spills {k.n_spills}", flush=True)
            except Exception as exc:  # out of shared memory or registers: skip the variant
                print(f"   bm {bm} ksplit {ks} swap {sw:d} warps {wa} stages {st}: failed "
                      f"({type(exc).__name__}: {str(exc)[:80]})", flush=True)
        blocks = None
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
