"""Development probe (GPU; --check runs the variants on tiny shapes in the interpreter): several blocks per
MMA step for small blocks, without 3-D loads or reshapes.

A step of S blocks gathers an (BLOCK_M x S*bs) activation tile whose columns come in runs of bs (one run per
block), addressed by a 1-D offset vector built from a broadcast load of the S column indices, and the S
blocks as one (S*bs x bs) tile the same way; contiguity hints let the loads stay vectorised. dW does the
same along its GROUP side. Also: the Barabasi-Albert hot-column hypothesis (rotated walk start per row;
tuning/h100-2026-11-26b-probe-small-blocks.log). The "hub phase" rows of the -2.log came from a version of
this part run against commit 226f2bc (hub rows launched first), reverted since.
Usage: PYTHONPATH=src python3 scripts/probe_small_blocks.py [--check] [--part dsd,sdd,ba]
"""

import argparse
import itertools
import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(__file__))

from tilesparse.layout import from_dense, row_groups, to_dense  # noqa: E402
from tilesparse.ops.linear import backward_input_impl, backward_weight_impl, forward_impl  # noqa: E402


@triton.jit
def dsd_multi_kernel(
    x_ptr, w_ptr, y_ptr, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg_order_ptr,
    M, num_pid_n, stride_xm, stride_xk, stride_ym, stride_yn,
    BS: tl.constexpr, BS_PAD: tl.constexpr, BLOCK_M: tl.constexpr, S: tl.constexpr,
    TRANSPOSE_W: tl.constexpr, HINTS: tl.constexpr,
):
    pid = tl.program_id(0)
    pid_n = pid % num_pid_n
    pid_m = pid // num_pid_n
    pid_n = tl.load(seg_order_ptr + pid_n)
    BK: tl.constexpr = S * BS
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    mask_m = offs_m < M
    offs_kk = tl.arange(0, BK)
    slot = offs_kk // BS
    within = offs_kk % BS
    offs_b = tl.arange(0, BS_PAD)
    mask_b = offs_b < BS
    x_rows = x_ptr + offs_m.to(tl.int64) * stride_xm
    start = tl.load(seg_ptr + pid_n)
    end = tl.load(seg_ptr + pid_n + 1)
    acc = tl.zeros((BLOCK_M, BS_PAD), dtype=tl.float32)
    for e0 in range(start, end, S):
        ent = e0 + slot
        valid = ent < end
        col = tl.load(seg_idx_ptr + ent, mask=valid, other=0).to(tl.int64)
        blk = tl.load(seg_blk_ptr + ent, mask=valid, other=0).to(tl.int64)
        xk = col * BS + within
        if HINTS:
            xk = tl.max_contiguous(tl.multiple_of(xk, BS), BS)
        x_tile = tl.load(x_rows[:, None] + xk[None, :] * stride_xk, mask=mask_m[:, None] & valid[None, :], other=0.0)
        if TRANSPOSE_W:  # forward: block[b, k], loaded (BS_PAD, BK) with k last, then turned
            wk = blk * BS * BS + within
            if HINTS:
                wk = tl.max_contiguous(tl.multiple_of(wk, BS), BS)
            w_tile = tl.load(w_ptr + offs_b[:, None] * BS + wk[None, :], mask=mask_b[:, None] & valid[None, :],
                             other=0.0)
            w_tile = tl.trans(w_tile)
        else:  # dX: block[k, b]
            wk = blk * BS * BS + within * BS
            if HINTS:
                wk = tl.multiple_of(wk, BS)
            w_tile = tl.load(w_ptr + wk[:, None] + offs_b[None, :], mask=valid[:, None] & mask_b[None, :], other=0.0)
        acc = tl.dot(x_tile, w_tile, acc)
    offs_n = pid_n * BS + offs_b
    y_ptrs = y_ptr + offs_m.to(tl.int64)[:, None] * stride_ym + offs_n[None, :] * stride_yn
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_b[None, :])


def run_dsd_multi(x, blocks, seg, out_blocks, transpose_w, block_m, s, warps, stages, hints=True):
    m, bs = x.shape[0], blocks.shape[-1]
    y = torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    grid = (triton.cdiv(m, block_m) * out_blocks,)
    dsd_multi_kernel[grid](
        x, blocks, y, *seg, m, out_blocks, x.stride(0), x.stride(1), y.stride(0), y.stride(1),
        BS=bs, BS_PAD=max(bs, 16), BLOCK_M=block_m, S=s, TRANSPOSE_W=transpose_w, HINTS=hints,
        num_warps=warps, num_stages=stages,
    )
    return y


@triton.jit
def sdd_gather_kernel(
    dy_ptr, x_ptr, dw_ptr, row_ptr_ptr, block_cols_ptr, group_first_ptr, group_rows_ptr,
    M, stride_dym, stride_dyn, stride_xm, stride_xk,
    BS: tl.constexpr, BS_PAD: tl.constexpr, GROUP: tl.constexpr, BLOCK_K: tl.constexpr,
    TRANSPOSED: tl.constexpr,
):
    pid = tl.program_id(0)
    first = tl.load(group_first_ptr + pid)
    row = tl.load(group_rows_ptr + pid)
    row_end = tl.load(row_ptr_ptr + row + 1)
    GB: tl.constexpr = GROUP * BS
    offs_g = tl.arange(0, GB)
    slot = offs_g // BS
    within = offs_g % BS
    ent = first + slot
    valid = ent < row_end
    col = tl.load(block_cols_ptr + ent, mask=valid, other=0).to(tl.int64)
    xk = tl.max_contiguous(tl.multiple_of(col * BS + within, BS), BS)
    offs_k = tl.arange(0, BLOCK_K)
    offs_i = tl.arange(0, BS_PAD)
    mask_i = offs_i < BS
    dy_cols = dy_ptr + (row.to(tl.int64) * BS + offs_i)[None, :] * stride_dyn
    x_cols = x_ptr + xk[None, :] * stride_xk
    if TRANSPOSED:
        acc = tl.zeros((GB, BS_PAD), dtype=tl.float32)
    else:
        acc = tl.zeros((BS_PAD, GB), dtype=tl.float32)
    for k0 in range(0, M, BLOCK_K):
        rows = (k0 + offs_k).to(tl.int64)
        mask_k = rows < M
        dy_tile = tl.load(dy_cols + rows[:, None] * stride_dym, mask=mask_k[:, None] & mask_i[None, :], other=0.0)
        x_tile = tl.load(x_cols + rows[:, None] * stride_xm, mask=mask_k[:, None] & valid[None, :], other=0.0)
        if TRANSPOSED:
            acc = tl.dot(tl.trans(x_tile), dy_tile, acc)
        else:
            acc = tl.dot(tl.trans(dy_tile), x_tile, acc)
    dst = ent.to(tl.int64) * BS * BS + within  # dW_k[i, j]: k = ent, j = within, i = offs_i
    if TRANSPOSED:  # acc[g, i]
        dw_ptrs = dw_ptr + dst[:, None] + offs_i[None, :] * BS
        tl.store(dw_ptrs, acc.to(dw_ptr.dtype.element_ty), mask=valid[:, None] & mask_i[None, :])
    else:  # acc[i, g]
        dw_ptrs = dw_ptr + dst[None, :] + offs_i[:, None] * BS
        tl.store(dw_ptrs, acc.to(dw_ptr.dtype.element_ty), mask=mask_i[:, None] & valid[None, :])


def run_sdd_gather(dy, x, t, bs, group, first, rows, block_k, transposed, warps, stages):
    dw = torch.empty(t.block_cols.numel(), bs, bs, device=x.device, dtype=x.dtype)
    sdd_gather_kernel[(first.numel(),)](
        dy, x, dw, t.row_ptr, t.block_cols, first, rows, x.shape[0],
        dy.stride(0), dy.stride(1), x.stride(0), x.stride(1),
        BS=bs, BS_PAD=max(bs, 16), GROUP=group, BLOCK_K=block_k, TRANSPOSED=transposed,
        num_warps=warps, num_stages=stages,
    )
    return dw


def random_layout(features, bs, density, gen):
    from probe_linear import random_layout as make

    return make(features, features, bs, density, gen)


def rel(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def bench(fn):
    return triton.testing.do_bench(fn, warmup=10, rep=30, return_mode="median")


def timed(label, fn, ref, flops, dense_ms=None, density=None):
    try:
        err = rel(fn(), ref)
        ms = bench(fn)
    except Exception as exc:  # shared memory or registers exceeded
        print(f"  {label}: failed ({type(exc).__name__}: {str(exc)[:120]})", flush=True)
        return None
    eff = f" eff {dense_ms * density / ms:.3f}" if dense_ms else ""
    print(f"  {label}: {ms:8.4f} ms {flops / ms / 1e9:6.1f} TFLOP/s{eff} err {err:.1e}", flush=True)
    return ms


def check():
    """Tiny shapes in the interpreter: every variant against the library's reference."""
    gen = torch.Generator().manual_seed(0)
    for bs, s in ((8, 4), (16, 2), (32, 1), (8, 16)):
        layout = random_layout(bs * 6, bs, 0.4, gen)
        t = layout.tables("cpu")
        x = torch.randn(20, bs * 6)
        dy = torch.randn(20, bs * 6)
        blocks = torch.randn(layout.packed_shape)
        w = to_dense(blocks, layout).double()
        fwd = run_dsd_multi(x, blocks, (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), 6, True, 16, s, 4, 2)
        dx = run_dsd_multi(dy, blocks, (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), 6, False, 16, s, 4, 2)
        print(f"b{bs} S{s}: fwd err {rel(fwd, x.double() @ w.T):.1e} dX err {rel(dx, dy.double() @ w):.1e}")
        for group, transposed in ((2, False), (4, True), (3, False)):
            if group & (group - 1):
                continue
            first, rows = row_groups(t.row_ptr, group)
            dw = run_sdd_gather(dy, x, t, bs, group, first, rows, 16, transposed, 4, 2)
            ref = from_dense(dy.double().T @ x.double(), layout)
            print(f"   dW group {group} transposed {transposed}: err {rel(dw, ref):.1e}")


def probe_dsd(dense_ms):
    gen = torch.Generator().manual_seed(0)
    dtype = torch.float16
    x = torch.randn(8192, 8192, device="cuda", dtype=dtype)
    for bs, density in ((8, 0.1), (16, 0.1), (32, 0.1), (16, 0.5), (8, 0.01), (16, 0.01)):
        layout = random_layout(8192, bs, density, gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype)
        flops = 2 * 8192 * layout.nnz * bs * bs
        nb = 8192 // bs
        for name, seg, tw in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                              ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
            print(f"{name} b{bs} d={density}", flush=True)
            if tw:
                lib = lambda: forward_impl(x, blocks, None, list(t), nb)  # noqa: E731
            else:
                lib = lambda: backward_input_impl(x, blocks, list(t), nb)  # noqa: E731
            ref = lib()
            timed("library", lib, ref, flops, dense_ms, density)
            sizes = {8: (4, 8, 16), 16: (2, 4, 8), 32: (1, 2, 4)}[bs]
            results = []

            def one(s, bm, warps, stages, seg=seg, tw=tw):
                ms = timed(f"S={s} bm={bm} w={warps} st={stages}", lambda: run_dsd_multi(
                    x, blocks, seg, nb, tw, bm, s, warps, stages), ref, flops, dense_ms, density)
                if ms:
                    results.append((ms, s, bm, warps, stages))

            for s, (bm, warps) in itertools.product(sizes, ((128, 4), (128, 8), (256, 8))):
                one(s, bm, warps, 4)
            results.sort()
            _, s, bm, warps, _ = results[0]
            for stages in (3, 5):
                one(s, bm, warps, stages)
            results.sort()
            print(f"  best {name} b{bs} d={density}: {results[:3]}", flush=True)
            if density != 0.1:
                break  # the other densities: forward only


def probe_sdd(dense_ms):
    gen = torch.Generator().manual_seed(0)
    dtype = torch.float16
    x = torch.randn(8192, 8192, device="cuda", dtype=dtype)
    dy = torch.randn(8192, 8192, device="cuda", dtype=dtype)
    for bs, density in ((8, 0.1), (16, 0.1), (32, 0.1), (16, 0.5), (32, 0.5)):
        layout = random_layout(8192, bs, density, gen)
        t = layout.tables("cuda")
        flops = 2 * 8192 * layout.nnz * bs * bs
        print(f"dW b{bs} d={density}", flush=True)
        lib = lambda: backward_weight_impl(dy, x, list(t), bs)  # noqa: E731
        ref = lib()
        timed("library", lib, ref, flops, dense_ms, density)
        groups = {8: (4, 8, 16), 16: (4, 8, 16), 32: (2, 4, 8)}[bs]
        results = []
        for group, bk, transposed, warps in itertools.product(groups, (32, 64, 128), (False, True), (4, 8)):
            if (warps == 8) != (group * bs >= 128) or (bk == 128 and group * bs > 64):
                continue
            first, rows = row_groups(t.row_ptr, group)
            ms = timed(f"G={group} bk={bk} tr={transposed:d} w={warps} st=3",
                       lambda g=group, bk=bk, tr=transposed, w=warps, f=first, r=rows: run_sdd_gather(
                           dy, x, t, bs, g, f, r, bk, tr, w, 3), ref, flops, dense_ms, density)
            if ms:
                results.append((ms, group, bk, transposed, warps, 3))
        results.sort()
        print(f"  best dW b{bs} d={density}: {results[:3]}", flush=True)


def rotated(ptr, idx, blk, shift):
    """Each segment's entries rotated by shift(segment) (order of a sum only: the result is the same)."""
    ptr_l, idx, blk = ptr.long().cpu(), idx.cpu().clone(), blk.cpu().clone()
    out_idx, out_blk = idx.clone(), blk.clone()
    for r in range(ptr_l.numel() - 1):
        a, b = ptr_l[r].item(), ptr_l[r + 1].item()
        n = b - a
        if n > 1:
            k = shift(r, n)
            out_idx[a:b] = torch.roll(idx[a:b], -k)
            out_blk[a:b] = torch.roll(blk[a:b], -k)
    return out_idx.cuda(), out_blk.cuda()


def probe_ba(dense_ms):
    from tilesparse.bench.linear import Case, make_layout
    from tilesparse.kernels.linear_dsd import linear_dsd

    dtype = torch.float16
    x = torch.randn(8192, 8192, device="cuda", dtype=dtype)
    for bs, density in ((32, 0.1), (32, 0.05), (64, 0.1)):
        for kind in ("random", "ba"):
            case = Case("forward", "fp16", 8192, 8192, 8192, bs, density, kind)
            layout = make_layout(case)
            t = layout.tables("cuda")
            blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype)
            flops = 2 * 8192 * layout.nnz * bs * bs
            nb = 8192 // bs
            counts = (t.row_ptr[1:] - t.row_ptr[:-1]).float()
            ccounts = (t.col_ptr[1:] - t.col_ptr[:-1]).float()
            print(f"fwd b{bs} d={density} {kind}: row blocks max {counts.max():.0f} mean {counts.mean():.1f}; "
                  f"col blocks max {ccounts.max():.0f}", flush=True)
            ref = linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb, True)
            timed("library", lambda: linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb,
                                                True), ref, flops, dense_ms, density)
            gen = torch.Generator().manual_seed(1)
            for label, shift in (("rotate r*7", lambda r, n: (r * 7) % n),
                                 ("rotate random", lambda r, n: int(torch.randint(n, (1,), generator=gen)))):
                idx, blk = rotated(t.row_ptr, t.row_cols, t.row_blocks, shift)
                timed(label, lambda idx=idx, blk=blk: linear_dsd(x, blocks, t.row_ptr, idx, blk, t.row_order, nb,
                                                                 True), ref, flops, dense_ms, density)
            natural = torch.arange(nb, device="cuda", dtype=torch.int32)
            timed("natural row order", lambda: linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, natural,
                                                          nb, True), ref, flops, dense_ms, density)


def probe_feature_major(dense_ms):
    """Small blocks read rows of bs elements from a row-major x: 16 bytes at block 8, half a 32-byte sector.
    Stored feature-major (x^T contiguous), a block's activation tile is bs rows of BLOCK_M contiguous values."""
    gen = torch.Generator().manual_seed(0)
    dtype = torch.float16
    x = torch.randn(8192, 8192, device="cuda", dtype=dtype)
    xt = x.t().contiguous().t()
    print(f"  transpose copy 8192^2: {bench(lambda: x.t().contiguous()):.4f} ms", flush=True)
    from tilesparse.kernels.linear_dsd import DsdConfig, dsd_config, linear_dsd

    for bs, density in ((8, 0.1), (16, 0.1), (32, 0.1), (8, 0.5), (16, 0.5)):
        layout = random_layout(8192, bs, density, gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype)
        flops = 2 * 8192 * layout.nnz * bs * bs
        nb = 8192 // bs
        seg = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
        print(f"fwd b{bs} d={density}", flush=True)
        ref = linear_dsd(x, blocks, *seg, nb, True)
        timed("row-major x", lambda seg=seg: linear_dsd(x, blocks, *seg, nb, True), ref, flops, dense_ms, density)
        base = dsd_config(8192, bs, 2)
        timed(f"feature-major x {base}", lambda seg=seg: linear_dsd(xt, blocks, *seg, nb, True), ref, flops,
              dense_ms, density)
        for bm, warps, stages in ((128, 4, 4), (256, 8, 4), (128, 8, 6)):
            cfg = DsdConfig(bm, warps, stages)
            timed(f"feature-major x {cfg}", lambda seg=seg, cfg=cfg: linear_dsd(xt, blocks, *seg, nb, True, config=cfg),
                  ref, flops, dense_ms, density)


def probe_sdd_same_configs(dense_ms):
    """The library dW kernel (3-D gathered x tile, reshaped) against the 1-D-offset gather, same configs."""
    from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd

    gen = torch.Generator().manual_seed(0)
    dtype = torch.float16
    x = torch.randn(8192, 8192, device="cuda", dtype=dtype)
    dy = torch.randn(8192, 8192, device="cuda", dtype=dtype)
    cases = {8: ((4, 32, 4), (8, 32, 4), (16, 32, 4), (16, 64, 8)), 16: ((8, 32, 4), (8, 64, 4), (8, 32, 8)),
             32: ((4, 64, 4), (4, 64, 8), (8, 64, 8), (8, 32, 4), (8, 64, 4)), 64: ((2, 32, 4), (4, 32, 8))}
    for bs, density in ((8, 0.1), (16, 0.1), (32, 0.1), (32, 0.5), (64, 0.1)):
        layout = random_layout(8192, bs, density, gen)
        t = layout.tables("cuda")
        flops = 2 * 8192 * layout.nnz * bs * bs
        print(f"dW b{bs} d={density}", flush=True)
        ref = backward_weight_impl(dy, x, list(t), bs)
        for group, bk, warps in cases[bs]:
            first, rows = row_groups(t.row_ptr, group)
            for tr in (False, True):
                cfg = SddConfig(bk, warps, 3, tr)
                timed(f"library G={group} {cfg}", lambda f=first, r=rows, g=group, cfg=cfg: linear_sdd(
                    dy, x, t.row_ptr, t.block_cols, f, r, bs, g, cfg), ref, flops, dense_ms, density)
                timed(f"gather  G={group} {cfg}", lambda f=first, r=rows, g=group, bk=bk, tr=tr, w=warps:
                      run_sdd_gather(dy, x, t, bs, g, f, r, bk, tr, w, 3), ref, flops, dense_ms, density)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--part", default="dsd,sdd,ba")
    args = parser.parse_args()
    if args.check:
        return check()
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    dense_ms = bench(lambda: a @ a.T)
    print(f"{torch.cuda.get_device_name()} dense fp16 8192^3 {dense_ms:.4f} ms", flush=True)
    for part in args.part.split(","):
        parts = {"dsd": probe_dsd, "sdd": probe_sdd, "ba": probe_ba, "fm": probe_feature_major,
                 "sdd2": probe_sdd_same_configs}
        parts[part](dense_ms)


if __name__ == "__main__":
    main()
