"""Development probe (GPU): seed-shape dW (12288^2 weight, batch 32) as persistent programs that walk many dW work
items each (``SddConfig.persistent``, ``linear_sdd_one_step_kernel``), against a program per work item.

At batch 32 a dW block is one 32 x 32 x 32 MMA and 2 KB written, so dW should run at the write bandwidth (dense
cuBLAS dW writes 302 MB at about 2.6 TB/s; ``fill_`` of dW's bytes reached 3.2 TB/s at d = 0.5). A program per
work item ran at about 1.8 TB/s: its programs are short (one table row, then x's 4 column blocks, one MMA, 8 KB
stored) and 126 registers a thread allow 8 of them an SM, so each SM has at most 8 chains of two dependent loads
(table row -> gather) in flight and then waits. A persistent program walking items ``tl.range(pid, work,
programs)`` lets Triton's software pipeline load the next items' table rows and gathers while the current one
multiplies and stores.

First run (tuning/h100-2026-11-27i-probe-seed-dw-persistent-a.log, H100, block 32 fp16, a probe copy of the
kernel): 8 programs an SM, 3 stages, 2 warps, 4 blocks an item was fastest: 1.27/1.23/1.17/1.20x at d =
0.5/0.25/0.1/0.05 (82.0 -> 64.4 us at d = 0.5); 4 warps, 2 stages or 8 blocks an item gained less; d = 0.01
(2 blocks an item) 1.0-1.05x. The library took that config for 16-bit blocks of 32.

This run: the library against a program per item and against neighbours of its config (programs an SM, stages,
warps), at blocks 16/32/64, fp16 and bf16 (block 32) and TF32 (block 32); the write floor (``fill_`` of the same
bytes) and dense cuBLAS dW for scale.

Second run (``-b.log``): the library's 8/3/2 was the fastest of its neighbours at block 32 fp16 (4 or 12 programs
an SM 6-14% slower, 4 warps 16% slower, 4-5 stages 1-3% slower) and 1.21-1.26x a program per item at d = 0.05-0.5
(bf16 the same); TF32 block 32 4/3/4 1.42-1.59x; block 16 8/3/2 1.15-1.22x; block 64 4/3/4 1.06-1.21x. The
library took those. ``--check``: the library's picks against a program per item.

Usage: PYTHONPATH=src python3 scripts/probe_seed_dw_persistent.py [--check]
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_dw_persistent.py --cpu   (a toy size)
"""

import dataclasses
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians, seed_case, seed_probe_start

from tilesparse.bench.linear import tf32
from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config
from tilesparse.layout import linear_dw_group_size
from tilesparse.reference.linear import linear_backward_weight


def variants(base, block_size, dtype, cpu):
    """Name -> config: the library's, a program per item, and neighbours of the persistent config."""
    persistent = base if base.persistent else dataclasses.replace(base, persistent=8, num_warps=2, num_stages=3)
    out = {"library": base, "item programs": dataclasses.replace(base, persistent=0)}
    if cpu or "--check" in sys.argv:
        return out
    out["persistent 8/s3/w2"] = persistent
    if block_size == 32 and dtype == "fp16":
        for per_sm, stages, warps in ((4, 3, 2), (6, 3, 2), (12, 3, 2), (8, 4, 2), (8, 5, 2), (6, 4, 2), (8, 3, 4)):
            out[f"persistent {per_sm}/s{stages}/w{warps}"] = dataclasses.replace(
                persistent, persistent=per_sm, num_stages=stages, num_warps=warps)
    elif block_size != 32 or dtype == "tf32":
        for per_sm, stages, warps in ((4, 3, 4), (8, 3, 4)):
            out[f"persistent {per_sm}/s{stages}/w{warps}"] = dataclasses.replace(
                persistent, persistent=per_sm, num_stages=stages, num_warps=warps)
    return out


def main():
    cpu = "--cpu" in sys.argv
    device, n, repeats = seed_probe_start(cpu)
    setups = [(32, "fp16", d) for d in (0.5, 0.25, 0.1, 0.05, 0.01)]
    setups += [(32, "bf16", 0.1), (32, "tf32", 0.5), (32, "tf32", 0.1), (16, "fp16", 0.5), (16, "fp16", 0.1),
               (64, "fp16", 0.5), (64, "fp16", 0.1)]
    if "--check" in sys.argv:  # the library's picks against a program per item, where they changed
        setups = [(32, "fp16", 0.5), (32, "fp16", 0.1), (16, "fp16", 0.5), (64, "fp16", 0.5), (32, "tf32", 0.5),
                  (32, "tf32", 0.1)]
    for block_size, dtype, density in setups[:2] if cpu else setups:
        layout, ops, t = seed_case(n, density, device, "dw", dtype, block_size)
        group = linear_dw_group_size(block_size, layout.nnz, n // block_size)
        base = sdd_config(32, block_size, group, ops.x.element_size())
        fns = {name: (lambda c=cfg: linear_sdd(ops.dy, ops.x, t.row_ptr, t.block_cols, t.group_first, t.group_rows,
                                               block_size, group, c, group_table=t.group_table))
               for name, cfg in variants(base, block_size, dtype, cpu).items()}
        nbytes = layout.nnz * block_size**2 * ops.x.element_size()
        sink = torch.empty(nbytes // 2, dtype=torch.float16, device=device)
        fns["fill_ (write floor)"] = lambda: sink.fill_(1.0)
        if not cpu:
            fns["dense cuBLAS dW"] = lambda: ops.dy.T @ ops.x
        with tf32(dtype == "tf32"):
            ref = linear_backward_weight(ops.dy.double(), ops.x.double(), t, block_size)
            for name, fn in fns.items():
                if not name.startswith(("fill_", "dense")):
                    err = ((fn().double() - ref).norm() / ref.norm()).item()
                    assert err < 1e-2, (name, err)
            ms = interleaved_medians(fns, device, repeats)
        lib = ms["library"]
        print(f"block {block_size} {dtype} d={density} group {group} nnz={layout.nnz} ({nbytes / 1e6:.0f} MB) "
              f"library {base}:", flush=True)
        for name, v in ms.items():
            print(f"  {name}: {v * 1e3:.1f} us ({lib / v:.2f}x of library, {nbytes / v / 1e9:.2f} TB/s)", flush=True)


if __name__ == "__main__":
    main()
