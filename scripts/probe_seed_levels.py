"""Development probe: fewer dependent loads before the first tile at small batch (the seed shape).

The library's small-batch dsd kernel walks seg_order -> seg_ptr -> (seg_idx, seg_blk) -> tiles: four cold loads
in a chain before the first MMA, and its dW kernel group tables -> row_ptr -> block_cols -> tiles. At the seed
shape at d=0.01 (about 4 blocks a program) our time sits 2.3 us above a streaming read of the same bytes. This
tries "chunk" tables: one row per program holding its segment (or dW group) and the first C block columns and
packed blocks, so a program loads one row, then all its tiles at once (one gather, one K = C*bs MMA); longer
segments continue from the CSR tables in chunks of C.

Usage: PYTHONPATH=src python3 scripts/probe_seed_levels.py           (GPU: cold timings against the library)
       PYTHONPATH=src python3 scripts/probe_seed_levels.py --compare-dw   (GPU: the library's dW against the
           previous commit's, exported to old_src/tilesparse_old)
       PYTHONPATH=src python3 scripts/probe_seed_levels.py --sweep-dw     (GPU: the same at each warp count and depth)
       PYTHONPATH=src python3 scripts/probe_seed_levels.py --rows-dsd     (GPU: forward/dX with a row table per program;
           --check-rows checks it in the interpreter)
       TRITON_INTERPRET=1 PYTHONPATH=src python3 scripts/probe_seed_levels.py --check   (CPU: correctness)
"""

import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(__file__))

from probe_linear import random_layout  # noqa: E402

from tilesparse import from_dense, to_dense  # noqa: E402
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd  # noqa: E402
from tilesparse.kernels.linear_sdd import linear_sdd  # noqa: E402
from tilesparse.layout import LAUNCH_TABLE_WIDTH, group_table, launch_table, row_groups  # noqa: E402


def chunk_tables(ptr, idx, blk, order, chunk):
    """One int32 row per program (launch order): the launch table's [segment, start, count, 0], then idx[:C]
    and blk[:C], padded to a power of two so a row sits in one cache line."""
    head = launch_table(ptr, order)
    start, count = head[:, 1:2].long(), head[:, 2:3].long()
    width = triton.next_power_of_2(LAUNCH_TABLE_WIDTH + 2 * chunk)
    inside = torch.arange(chunk, device=ptr.device)[None, :] < count
    entry = torch.where(inside, start + torch.arange(chunk, device=ptr.device)[None, :], 0)
    entry = entry.clamp(max=max(idx.numel() - 1, 0))
    pad = torch.zeros(order.numel(), width - LAUNCH_TABLE_WIDTH - 2 * chunk, dtype=torch.int32, device=ptr.device)
    cols, blks = (torch.where(inside, t.long()[entry], 0).int() for t in (idx, blk))
    return torch.cat([head, cols, blks, pad], dim=1), width


@triton.jit
def chunk_mma(acc, x_ptr, w_ptr, cols, blks, valid, offs_m, mask_m, stride_xm,
              BS: tl.constexpr, BLOCK_M: tl.constexpr, C: tl.constexpr, TRANSPOSE_W: tl.constexpr):
    offs_k = tl.arange(0, BS)
    x_ptrs = x_ptr + offs_m[:, None, None] * stride_xm + (cols[None, :, None] * BS + offs_k[None, None, :])
    x_tile = tl.load(x_ptrs, mask=mask_m[:, None, None] & valid[None, :, None], other=0.0)
    # blocks as stored, rows contiguous: (C, BS, BS)
    w_ptrs = w_ptr + blks[:, None, None] * BS * BS + offs_k[None, :, None] * BS + offs_k[None, None, :]
    w_tile = tl.load(w_ptrs, mask=valid[:, None, None], other=0.0)
    if TRANSPOSE_W:  # forward: B[c, k, b] = W_c[b, k]
        w_tile = tl.permute(w_tile, (0, 2, 1))
    return tl.dot(tl.reshape(x_tile, (BLOCK_M, C * BS)), tl.reshape(w_tile, (C * BS, BS)), acc)


@triton.jit
def dsd_chunk_kernel(x_ptr, w_ptr, y_ptr, meta_ptr, seg_idx_ptr, seg_blk_ptr, M, stride_xm, stride_ym,
                     BS: tl.constexpr, BLOCK_M: tl.constexpr, C: tl.constexpr, WIDTH: tl.constexpr,
                     TRANSPOSE_W: tl.constexpr):
    row = meta_ptr + tl.program_id(0) * WIDTH
    seg = tl.load(row)
    start = tl.load(row + 1)
    count = tl.load(row + 2)
    offs_c = tl.arange(0, C)
    cols = tl.load(row + 4 + offs_c).to(tl.int64)
    blks = tl.load(row + 4 + C + offs_c).to(tl.int64)
    offs_m = tl.arange(0, BLOCK_M)
    mask_m = offs_m < M
    acc = tl.zeros((BLOCK_M, BS), dtype=tl.float32)
    acc = chunk_mma(acc, x_ptr, w_ptr, cols, blks, offs_c < count, offs_m, mask_m, stride_xm, BS, BLOCK_M, C,
                    TRANSPOSE_W)
    for e0 in range(start + C, start + count, C):  # segments longer than a chunk
        entry = e0 + offs_c
        valid = entry < start + count
        cols = tl.load(seg_idx_ptr + entry, mask=valid, other=0).to(tl.int64)
        blks = tl.load(seg_blk_ptr + entry, mask=valid, other=0).to(tl.int64)
        acc = chunk_mma(acc, x_ptr, w_ptr, cols, blks, valid, offs_m, mask_m, stride_xm, BS, BLOCK_M, C,
                        TRANSPOSE_W)
    offs_b = tl.arange(0, BS)
    y_ptrs = y_ptr + offs_m[:, None] * stride_ym + seg * BS + offs_b[None, :]
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[:, None])


def dsd_chunk(x, blocks, meta, width, seg_idx, seg_blk, out_blocks, transpose_w, chunk, warps):
    m, bs = x.shape[0], blocks.shape[-1]
    y = torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    dsd_chunk_kernel[(meta.shape[0],)](x, blocks, y, meta, seg_idx, seg_blk, m, x.stride(0), y.stride(0),
                                       BS=bs, BLOCK_M=max(16, triton.next_power_of_2(m)), C=chunk, WIDTH=width,
                                       TRANSPOSE_W=transpose_w, num_warps=warps, num_stages=1)
    return y


def dw_tables(row_ptr, block_cols, group):
    """The layout's group table (one row per dW group) for groups of ``group`` blocks, and its width."""
    table = group_table(row_ptr, block_cols, *row_groups(row_ptr, group), group)
    return table, table.shape[1]


@triton.jit
def sdd_chunk_kernel(dy_ptr, x_ptr, dw_ptr, meta_ptr, M, stride_dym, stride_xm,
                     BS: tl.constexpr, GROUP: tl.constexpr, BLOCK_K: tl.constexpr, WIDTH: tl.constexpr):
    row_meta = meta_ptr + tl.program_id(0) * WIDTH
    row = tl.load(row_meta).to(tl.int64)
    first = tl.load(row_meta + 1).to(tl.int64)
    count = tl.load(row_meta + 2)
    offs_g = tl.arange(0, GROUP * BS)
    g = offs_g // BS
    within = offs_g % BS
    valid = g < count
    col = tl.load(row_meta + 4 + g).to(tl.int64)
    x_cols = x_ptr + tl.max_contiguous(tl.multiple_of(col * BS + within, BS), BS)[None, :]
    offs_i = tl.arange(0, BS)
    dy_cols = dy_ptr + (row * BS + offs_i)[None, :]
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BS, GROUP * BS), dtype=tl.float32)
    for k0 in range(0, M, BLOCK_K):
        rows = (k0 + offs_k).to(tl.int64)
        mask_k = rows < M
        dy_tile = tl.load(dy_cols + rows[:, None] * stride_dym, mask=mask_k[:, None], other=0.0)
        x_tile = tl.load(x_cols + rows[:, None] * stride_xm, mask=mask_k[:, None] & valid[None, :], other=0.0)
        acc = tl.dot(tl.trans(dy_tile), x_tile, acc)
    dst = (first + g) * BS * BS + within
    tl.store(dw_ptr + dst[None, :] + offs_i[:, None] * BS, acc.to(dw_ptr.dtype.element_ty), mask=valid[None, :])


def sdd_chunk(dy, x, meta, width, nnz, bs, group, warps):
    m = x.shape[0]
    dw = torch.empty(nnz, bs, bs, device=x.device, dtype=x.dtype)
    sdd_chunk_kernel[(meta.shape[0],)](dy, x, dw, meta, m, dy.stride(0), x.stride(0), BS=bs, GROUP=group,
                                       BLOCK_K=max(16, min(64, triton.next_power_of_2(m))), WIDTH=width,
                                       num_warps=warps, num_stages=1)
    return dw


def cases(dev, m, out_f, in_f, density, gen, dtype):
    layout = random_layout(out_f, in_f, 32, density, gen)
    t = layout.tables(dev)
    blocks = torch.randn(layout.packed_shape, device=dev, dtype=dtype) * 0.1
    x = torch.randn(m, in_f, device=dev, dtype=dtype)
    dy = torch.randn(m, out_f, device=dev, dtype=dtype)
    return layout, t, blocks, x, dy


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def check():
    gen = torch.Generator().manual_seed(0)
    for m, density in ((5, 0.3), (32, 0.05), (17, 0.9)):
        layout, t, blocks, x, dy = cases("cpu", m, 256, 384, density, gen, torch.float32)
        w = to_dense(blocks.double(), layout)
        for chunk in (2, 4):
            meta, width = chunk_tables(t.row_ptr, t.row_cols, t.row_blocks, t.row_order, chunk)
            y = dsd_chunk(x, blocks, meta, width, t.row_cols, t.row_blocks, 256 // 32, True, chunk, 4)
            print(f"fwd m={m} d={density} C={chunk}: {rel(y, x.double() @ w.T):.1e}")
            meta, width = chunk_tables(t.col_ptr, t.col_rows, t.col_blocks, t.col_order, chunk)
            dx = dsd_chunk(dy, blocks, meta, width, t.col_rows, t.col_blocks, 384 // 32, False, chunk, 4)
            print(f"dX  m={m} d={density} C={chunk}: {rel(dx, dy.double() @ w):.1e}")
        for group in (2, 4):
            meta, width = dw_tables(t.row_ptr, t.block_cols, group)
            dw = sdd_chunk(dy, x, meta, width, layout.nnz, 32, group, 4)
            ref = from_dense(dy.double().T @ x.double(), layout)
            print(f"dW  m={m} d={density} G={group}: {rel(dw, ref):.1e}")


def main():
    from tilesparse.bench.linear import DEFAULT_TIMING, time_ms
    from tilesparse.layout import linear_dw_group_size

    dev = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    gen = torch.Generator().manual_seed(0)
    dtype = torch.float16
    n = 12288

    def cold(fn):
        return time_ms(fn, dev, DEFAULT_TIMING) * 1e3

    for density in (0.01, 0.02, 0.05, 0.1):
        layout, t, blocks, x, dy = cases(dev, 32, n, n, density, gen, dtype)
        w = torch.randn(n, n, device=dev, dtype=dtype)
        dense = cold(lambda: x @ w.T)
        print(f"d={density}: dense {dense:.2f} us", flush=True)
        for prod, seg, tw in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                              ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
            a = x if tw else dy
            ref = linear_dsd(a, blocks, *seg, n // 32, tw)
            base = cold(lambda a=a, seg=seg, tw=tw: linear_dsd(a, blocks, *seg, n // 32, tw))
            print(f"  {prod} library {base:.2f} us ({dense / base:.1f}x) {dsd_config(32, 32, 2)}", flush=True)
            for chunk in (4, 8, 16):
                for warps in (2, 4):
                    meta, width = chunk_tables(seg[0], seg[1], seg[2], seg[3], chunk)
                    args = (a, blocks, meta, width, seg[1], seg[2], n // 32, tw, chunk, warps)
                    err = rel(dsd_chunk(*args), ref)
                    us = cold(lambda args=args: dsd_chunk(*args))
                    print(f"  {prod} chunk C={chunk} w={warps}: {us:.2f} us ({dense / us:.1f}x, {base / us:.2f} of "
                          f"library) err {err:.1e}", flush=True)
        group = linear_dw_group_size(32, layout.nnz, n // 32)
        ref = linear_sdd(dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, group)
        base = cold(lambda: linear_sdd(dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, group))
        print(f"  dW library G={group} {base:.2f} us ({dense / base:.1f}x)", flush=True)
        for g in sorted({group, 2, 4, 8}):
            meta, width = dw_tables(t.row_ptr, t.block_cols, g)
            for warps in (2, 4):
                args = (dy, x, meta, width, layout.nnz, 32, g, warps)
                got = sdd_chunk(*args)
                us = cold(lambda args=args: sdd_chunk(*args))
                print(f"  dW chunk G={g} w={warps}: {us:.2f} us ({dense / us:.1f}x, {base / us:.2f} of library) "
                      f"err {rel(got, ref):.1e}", flush=True)


def compare_dw():
    """The library's dW after the group table (this package) against the one before it (``old_src``, the same
    package from the previous commit, imported as tilesparse_old), cold, in one run."""
    sys.path.insert(0, "old_src")
    import tilesparse_old.kernels.linear_sdd as old_sdd

    from tilesparse.bench.linear import DEFAULT_TIMING, time_ms
    from tilesparse.layout import linear_dw_group_size

    dev = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    gen = torch.Generator().manual_seed(1)
    cases_ = [(32, 12288, 32, d, torch.float16) for d in (0.01, 0.02, 0.05, 0.1, 0.5)]
    cases_ += [(32, 12288, 32, 0.01, torch.bfloat16), (32, 12288, 64, 0.05, torch.float16)]
    cases_ += [(8192, 8192, 32, 0.1, torch.float16), (8192, 8192, 32, 0.1, torch.float32)]
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.set_float32_matmul_precision("high")
    for m, n, bs, density, dtype in cases_:
        layout = random_layout(n, n, bs, density, gen)
        t = layout.tables(dev)
        x = torch.randn(m, n, device=dev, dtype=dtype)
        dy = torch.randn(m, n, device=dev, dtype=dtype)
        group = linear_dw_group_size(bs, layout.nnz, n // bs)
        common = (dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, bs, group)
        old = old_sdd.linear_sdd(*common)
        new = linear_sdd(*common, group_table=t.group_table)
        old_us = time_ms(lambda: old_sdd.linear_sdd(*common), dev, DEFAULT_TIMING) * 1e3  # noqa: B023
        new_us = time_ms(lambda: linear_sdd(*common, group_table=t.group_table), dev, DEFAULT_TIMING) * 1e3  # noqa: B023
        print(f"dW m={m} n={n} bs={bs} d={density} {dtype} G={group}: before {old_us:.2f} us, after {new_us:.2f} us "
              f"({old_us / new_us:.2f}x) err {rel(new, old):.1e}", flush=True)


def sweep_dw():
    """Small-batch dW: table reads (this package) against the chain (tilesparse_old) at each warp count and
    pipeline depth, so the two effects can be told apart; plus repeats of a large-batch TF32 case."""
    sys.path.insert(0, "old_src")
    import tilesparse_old.kernels.linear_sdd as old_sdd

    from tilesparse.bench.linear import DEFAULT_TIMING, time_ms
    from tilesparse.kernels.linear_sdd import SddConfig
    from tilesparse.layout import linear_dw_group_size

    dev = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    gen = torch.Generator().manual_seed(2)
    for density in (0.01, 0.02, 0.05, 0.1, 0.5):
        layout = random_layout(12288, 12288, 32, density, gen)
        t = layout.tables(dev)
        x = torch.randn(32, 12288, device=dev, dtype=torch.float16)
        dy = torch.randn(32, 12288, device=dev, dtype=torch.float16)
        group = linear_dw_group_size(32, layout.nnz, 384)
        common = (dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, group)
        ref = old_sdd.linear_sdd(*common)
        line = []
        for warps in (2, 4, 8):
            for stages in (1, 3):
                for name, mod, cls in (("chain", old_sdd, old_sdd.SddConfig), ("table", None, SddConfig)):
                    cfg = cls(32, warps, stages, flat_gather=True)
                    if mod is None:
                        fn = lambda cfg=cfg: linear_sdd(*common, config=cfg, group_table=t.group_table)  # noqa: B023, E731
                    else:
                        fn = lambda cfg=cfg: old_sdd.linear_sdd(*common, config=cfg)  # noqa: B023, E731
                    err = rel(fn(), ref)
                    us = time_ms(fn, dev, DEFAULT_TIMING) * 1e3
                    line.append(f"{name} w{warps} st{stages} {us:.2f}" + ("" if err < 1e-3 else f" ERR {err:.1e}"))
        print(f"seed dW d={density} G={group}: " + "; ".join(line), flush=True)
    torch.set_float32_matmul_precision("high")
    layout = random_layout(8192, 8192, 32, 0.1, gen)
    t = layout.tables(dev)
    x = torch.randn(8192, 8192, device=dev)
    dy = torch.randn(8192, 8192, device=dev)
    group = linear_dw_group_size(32, layout.nnz, 256)
    common = (dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, group)
    for rep in range(2):
        old_ms = time_ms(lambda: old_sdd.linear_sdd(*common), dev, DEFAULT_TIMING)
        new_ms = time_ms(lambda: linear_sdd(*common, group_table=t.group_table), dev, DEFAULT_TIMING)
        print(f"tf32 8192 b32 d=0.1 G={group} repeat {rep}: chain {old_ms * 1e3:.1f} us, table {new_ms * 1e3:.1f} us",
              flush=True)


@triton.jit
def dsd_row_kernel(x_ptr, w_ptr, y_ptr, table_ptr, seg_idx_ptr, seg_blk_ptr, M, stride_xm, stride_ym,
                   BS: tl.constexpr, BLOCK_M: tl.constexpr, C: tl.constexpr, WIDTH: tl.constexpr,
                   TRANSPOSE_W: tl.constexpr, ROW_ENTRIES: tl.constexpr):
    """The library's small-batch dsd loop (pipelined, one block a step), its segment read from one table row
    (segment, start, count: one load instead of seg_order -> seg_ptr) and, with ROW_ENTRIES, its first C
    block columns and packed blocks too (no dependent index load for those steps)."""
    row = table_ptr + tl.program_id(0) * WIDTH
    seg = tl.load(row)
    start = tl.load(row + 1)
    count = tl.load(row + 2)
    offs_c = tl.arange(0, C)
    cols_v = tl.load(row + 4 + offs_c)
    blks_v = tl.load(row + 4 + C + offs_c)
    offs_m = tl.arange(0, BLOCK_M)
    mask_m = offs_m < M
    offs_b = tl.arange(0, BS)
    offs_k = tl.arange(0, BS)
    x_rows = x_ptr + offs_m.to(tl.int64) * stride_xm
    if TRANSPOSE_W:
        w_offs = offs_b[:, None] * BS + offs_k[None, :]
    else:
        w_offs = offs_k[:, None] * BS + offs_b[None, :]
    acc = tl.zeros((BLOCK_M, BS), dtype=tl.float32)
    for i in range(0, count):
        if ROW_ENTRIES:
            in_row = i < C
            col = tl.where(in_row, tl.sum(tl.where(offs_c == i, cols_v, 0)),
                           tl.load(seg_idx_ptr + start + i, mask=i >= C, other=0))
            blk = tl.where(in_row, tl.sum(tl.where(offs_c == i, blks_v, 0)),
                           tl.load(seg_blk_ptr + start + i, mask=i >= C, other=0))
        else:
            col = tl.load(seg_idx_ptr + start + i)
            blk = tl.load(seg_blk_ptr + start + i)
        w_tile = tl.load(w_ptr + blk.to(tl.int64) * BS * BS + w_offs)
        x_tile = tl.load(x_rows[:, None] + (col.to(tl.int64) * BS + offs_k)[None, :], mask=mask_m[:, None], other=0.0)
        w_in_out = tl.trans(w_tile) if TRANSPOSE_W else w_tile
        acc = tl.dot(x_tile, w_in_out, acc)
    y_ptrs = y_ptr + offs_m[:, None] * stride_ym + seg * BS + offs_b[None, :]
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[:, None])


def dsd_row(x, blocks, table, width, seg_idx, seg_blk, out_blocks, transpose_w, chunk, row_entries, warps=2,
            stages=16):
    m, bs = x.shape[0], blocks.shape[-1]
    y = torch.empty(m, out_blocks * bs, device=x.device, dtype=x.dtype)
    dsd_row_kernel[(table.shape[0],)](x, blocks, y, table, seg_idx, seg_blk, m, x.stride(0), y.stride(0), BS=bs,
                                      BLOCK_M=max(16, triton.next_power_of_2(m)), C=chunk, WIDTH=width,
                                      TRANSPOSE_W=transpose_w, ROW_ENTRIES=row_entries, num_warps=warps,
                                      num_stages=stages)
    return y


def check_rows():
    gen = torch.Generator().manual_seed(0)
    for m, density in ((5, 0.3), (32, 0.05), (17, 0.9)):
        layout, t, blocks, x, dy = cases("cpu", m, 256, 384, density, gen, torch.float32)
        w = to_dense(blocks.double(), layout)
        for chunk, entries in ((2, True), (4, True), (4, False)):
            table, width = chunk_tables(t.row_ptr, t.row_cols, t.row_blocks, t.row_order, chunk)
            y = dsd_row(x, blocks, table, width, t.row_cols, t.row_blocks, 8, True, chunk, entries, 4, 2)
            table, width = chunk_tables(t.col_ptr, t.col_rows, t.col_blocks, t.col_order, chunk)
            dx = dsd_row(dy, blocks, table, width, t.col_rows, t.col_blocks, 12, False, chunk, entries, 4, 2)
            print(f"row table m={m} d={density} C={chunk} entries={entries}: fwd {rel(y, x.double() @ w.T):.1e} "
                  f"dX {rel(dx, dy.double() @ w):.1e}")


def rows_dsd():
    """Cold timings: the library's small-batch forward/dX against the row-table loop, same machine."""
    from tilesparse.bench.linear import DEFAULT_TIMING, time_ms

    dev = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    gen = torch.Generator().manual_seed(3)
    n = 12288
    for density in (0.01, 0.02, 0.05, 0.1):
        layout, t, blocks, x, dy = cases(dev, 32, n, n, density, gen, torch.float16)
        for prod, seg, tw in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                              ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
            a = x if tw else dy
            ref = linear_dsd(a, blocks, *seg, n // 32, tw)
            line = []
            for _ in range(2):
                us = time_ms(lambda a=a, seg=seg, tw=tw: linear_dsd(a, blocks, *seg, n // 32, tw), dev,
                             DEFAULT_TIMING) * 1e3
                line.append(f"library {us:.2f}")
            for chunk, entries in ((8, True), (16, True), (8, False)):
                table, width = chunk_tables(seg[0], seg[1], seg[2], seg[3], chunk)
                args = (a, blocks, table, width, seg[1], seg[2], n // 32, tw, chunk, entries)
                err = rel(dsd_row(*args), ref)
                us = time_ms(lambda args=args: dsd_row(*args), dev, DEFAULT_TIMING) * 1e3
                line.append(f"{f'row C={chunk}' if entries else 'head only'} {us:.2f}" +
                            ("" if err < 1e-3 else f" ERR {err:.1e}"))
            print(f"d={density} {prod}: " + "; ".join(line), flush=True)


def rows_dsd_repeats(repeats=7):
    """The library against the head-only row table, interleaved ``repeats`` times (the cold timer spreads
    10-20% between back-to-back runs at 5-15 us): medians and the per-pair ratio's median."""
    import statistics

    from tilesparse.bench.linear import DEFAULT_TIMING, time_ms

    dev = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    gen = torch.Generator().manual_seed(4)
    n = 12288
    for density in (0.01, 0.02, 0.05):
        layout, t, blocks, x, dy = cases(dev, 32, n, n, density, gen, torch.float16)
        for prod, seg, tw in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                              ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
            a = x if tw else dy
            table, width = chunk_tables(seg[0], seg[1], seg[2], seg[3], 8)
            args = (a, blocks, table, width, seg[1], seg[2], n // 32, tw, 8, False)
            assert rel(dsd_row(*args), linear_dsd(a, blocks, *seg, n // 32, tw)) < 1e-3
            lib, head = [], []
            for _ in range(repeats):
                lib.append(time_ms(lambda a=a, seg=seg, tw=tw: linear_dsd(a, blocks, *seg, n // 32, tw), dev,
                                   DEFAULT_TIMING) * 1e3)
                head.append(time_ms(lambda args=args: dsd_row(*args), dev, DEFAULT_TIMING) * 1e3)
            ratio = statistics.median(a_ / b_ for a_, b_ in zip(lib, head, strict=True))
            print(f"d={density} {prod}: library median {statistics.median(lib):.2f} us "
                  f"({min(lib):.2f}-{max(lib):.2f}), "
                  f"head-only row {statistics.median(head):.2f} us ({min(head):.2f}-{max(head):.2f}); "
                  f"library/head per pair, median {ratio:.3f}", flush=True)


def compare_dsd(repeats=5):
    """The library's small-batch forward/dX with the launch table (this package) against the package before it
    (``old_src``: seg_order -> seg_ptr), interleaved ``repeats`` times, same machine."""
    import statistics

    sys.path.insert(0, "old_src")
    import tilesparse_old.kernels.linear_dsd as old_dsd

    from tilesparse.bench.linear import DEFAULT_TIMING, time_ms

    dev = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    gen = torch.Generator().manual_seed(5)
    n = 12288
    for density in (0.01, 0.02, 0.05, 0.1, 0.5):
        layout, t, blocks, x, dy = cases(dev, 32, n, n, density, gen, torch.float16)
        for prod, seg, launch, tw in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), t.row_launch, True),
                                      ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), t.col_launch, False)):
            a = x if tw else dy
            args = (a, blocks, *seg, n // 32, tw)
            assert rel(linear_dsd(*args, launch=launch), old_dsd.linear_dsd(*args)) < 1e-6
            before, after = [], []
            for _ in range(repeats):
                before.append(time_ms(lambda args=args: old_dsd.linear_dsd(*args), dev, DEFAULT_TIMING) * 1e3)
                after.append(time_ms(lambda args=args, launch=launch: linear_dsd(*args, launch=launch), dev,
                                     DEFAULT_TIMING) * 1e3)
            ratio = statistics.median(b / a_ for b, a_ in zip(before, after, strict=True))
            print(f"d={density} {prod}: before {statistics.median(before):.2f} us ({min(before):.2f}-{max(before):.2f})"
                  f", after {statistics.median(after):.2f} us ({min(after):.2f}-{max(after):.2f}); before/after per "
                  f"pair, median {ratio:.3f}", flush=True)


MODES = {"--check": check, "--check-rows": check_rows, "--rows-dsd": rows_dsd,
         "--rows-dsd-repeats": rows_dsd_repeats,
         "--compare-dsd": compare_dsd, "--compare-dw": compare_dw,
         "--sweep-dw": sweep_dw}

if __name__ == "__main__":
    MODES.get(sys.argv[1] if len(sys.argv) > 1 else "", main)()
