"""Development probe (GPU): seed-shape dW (12288^2 weight, batch 32, block 32, fp16) as persistent programs that
walk many dW groups each, against the library's one program per half group.

At batch 32 a dW block is one 32 x 32 x 32 MMA and 2 KB written, so dW should run at the write bandwidth (dense
cuBLAS dW writes 302 MB at about 2.6 TB/s). The library ran at about 1.8 TB/s. Its programs are short (one table
row, then x's 4 column blocks, one MMA, 8 KB stored) and 126 registers a thread allow 8 of them an SM, so each
SM has at most 8 chains of two dependent loads (table row -> x gather) in flight, and then waits. A persistent
program that walks groups ``tl.range(pid, work, programs)`` lets Triton's software pipeline issue the next
items' table rows and gathers while the current one multiplies and stores.

Also timed: a pure store of the same bytes (``fill_``), the write floor; and dense cuBLAS dW.

Usage: PYTHONPATH=src python3 scripts/probe_seed_dw_persistent.py
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_dw_persistent.py --cpu   (a toy size)
"""

import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians

from tilesparse.bench.linear import Case, Operands, make_layout
from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config
from tilesparse.layout import GROUP_TABLE_HEAD, linear_dw_group_size
from tilesparse.reference.linear import linear_backward_weight


@triton.jit
def persistent_dw_kernel(dy_ptr, x_ptr, dw_ptr, table_ptr, n_work, M, stride_dym, stride_xm,
                         BS: tl.constexpr, GROUP: tl.constexpr, SPLIT: tl.constexpr, BLOCK_K: tl.constexpr,
                         TABLE_WIDTH: tl.constexpr, TABLE_HEAD: tl.constexpr, STAGES: tl.constexpr):
    offs_k = tl.arange(0, BLOCK_K)
    mask_k = offs_k < M
    offs_i = tl.arange(0, BS)
    offs_g = tl.arange(0, GROUP * BS)
    local = offs_g // BS  # the gathered column's block within this work item
    within = offs_g % BS
    for work in tl.range(tl.program_id(0), n_work, tl.num_programs(0), num_stages=STAGES):
        entry = table_ptr + (work // SPLIT) * TABLE_WIDTH
        row = tl.load(entry).to(tl.int64)
        first = tl.load(entry + 1)
        count = tl.load(entry + 2)
        part = (work % SPLIT) * GROUP + local  # the block within the layout's group
        valid = part < count
        col = tl.load(entry + TABLE_HEAD + part, mask=valid, other=0).to(tl.int64)
        dy_tile = tl.load(dy_ptr + offs_k[:, None] * stride_dym + (row * BS + offs_i)[None, :],
                          mask=mask_k[:, None], other=0.0)
        x_cols = tl.max_contiguous(tl.multiple_of(col * BS + within, BS), BS)
        x_tile = tl.load(x_ptr + offs_k[:, None] * stride_xm + x_cols[None, :],
                         mask=mask_k[:, None] & valid[None, :], other=0.0)
        acc = tl.dot(tl.trans(dy_tile), x_tile)  # (BS, GROUP * BS): dW_k[i, j] for the GROUP blocks side by side
        dst = (first + part).to(tl.int64) * BS * BS + within
        tl.store(dw_ptr + dst[None, :] + offs_i[:, None] * BS, acc.to(dw_ptr.dtype.element_ty),
                 mask=valid[None, :])


def persistent_dw(dy, x, table, nnz, group_size, split, programs, stages, warps, bs=32):
    dw = torch.empty((nnz, bs, bs), dtype=x.dtype, device=x.device)
    n_work = table.shape[0] * split
    persistent_dw_kernel[(min(programs, n_work),)](
        dy, x, dw, table, n_work, x.shape[0], dy.stride(0), x.stride(0),
        BS=bs, GROUP=group_size // split, SPLIT=split, BLOCK_K=max(16, triton.next_power_of_2(x.shape[0])),
        TABLE_WIDTH=table.shape[1], TABLE_HEAD=GROUP_TABLE_HEAD, STAGES=stages, num_warps=warps,
    )
    return dw


def main():
    cpu = "--cpu" in sys.argv
    device = torch.device("cpu" if cpu else "cuda")
    n, repeats = (512, 1) if cpu else (12288, 5)
    sms = 4 if cpu else torch.cuda.get_device_properties(device).multi_processor_count
    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, triton.__version__, flush=True)
    for density in (0.5, 0.25, 0.1, 0.05, 0.01):
        case = Case(product="dw", dtype="fp16", batch=32, out_features=n, in_features=n, block_size=32,
                    density=density, family="seed")
        layout = make_layout(case)
        ops = Operands(case, device)
        t = layout.tables(device)
        group = linear_dw_group_size(32, layout.nnz, n // 32)
        library = sdd_config(32, 32, group, 2)
        fns = {"library": lambda: linear_sdd(ops.dy, ops.x, t.row_ptr, t.block_cols, t.group_first, t.group_rows,
                                             32, group, library, group_table=t.group_table)}
        variants = [(2, 8, 2, 2)] if cpu else [
            (split, per_sm, stages, warps)
            for split in (2, 1) for per_sm in (8, 16) for stages in (2, 3, 4) for warps in (2, 4)
            if not (split == 1 and warps == 2)
        ]
        for split, per_sm, stages, warps in variants:
            if group % split:
                continue
            fns[f"p{group // split}b x{per_sm} s{stages} w{warps}"] = (
                lambda s=split, p=per_sm, st=stages, w=warps: persistent_dw(
                    ops.dy, ops.x, t.group_table, layout.nnz, group, s, p * sms, st, w))
        nbytes = layout.nnz * 32 * 32 * 2
        sink = torch.empty(nbytes // 2, dtype=torch.float16, device=device)
        fns["fill_ (write floor)"] = lambda: sink.fill_(1.0)
        if not cpu:
            fns["dense cuBLAS dW"] = lambda: ops.dy.T @ ops.x
        ref = linear_backward_weight(ops.dy.double(), ops.x.double(), t, 32)
        for name, fn in fns.items():
            if name.startswith(("fill_", "dense")):
                continue
            out = fn().double()
            err = ((out - ref).norm() / ref.norm()).item()
            assert err < 1e-2, (name, err)
        ms = interleaved_medians(fns, device, repeats)
        base = ms["library"]
        print(f"d={density} nnz={layout.nnz} ({nbytes / 1e6:.0f} MB): " + ", ".join(
            f"{k} {v * 1e3:.1f} us ({base / v:.2f}x, {nbytes / v / 1e9:.2f} TB/s)" for k, v in ms.items()), flush=True)


if __name__ == "__main__":
    main()
