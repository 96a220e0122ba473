"""Development probe (GPU): does row-length imbalance set the seed-shape forward/dX time, and do smaller dW items
help at low density?

At batch 32 the forward launches one program per output block row (384 at 12288^2, block 32), all resident at
once, so the kernel lasts as long as its longest row. The suite's random layouts (exact density) have rows of
1.14/1.23/1.64/1.61x the mean length at d = 0.5/0.25/0.1/0.05 (columns 1.15/1.31/1.54/1.61x). Timed: the forward
and dX on the suite's random layout against ``layouts.balanced`` (every row and column the same count) at the same
density, per block. And dW's persistent kernel with 2 blocks an item (groups of 8 split 4) at 8-16 programs an SM
and 1-2 warps, against the library's 4 blocks.

Run (tuning/h100-2026-11-27i-probe-seed-balance.log, H100): balanced layouts were only 1.02-1.08x faster a block
than random ones (forward 1.02/1.02/1.07/1.04x, dX 1.04/1.06/1.08/1.08x at d = 0.5/0.25/0.1/0.05), so the longest
row does not set the time: the programs share the SM's throughput. dW items of 2 blocks were slower at every
density, programs an SM and warp count (1.02-1.35x the library's time).

Usage: PYTHONPATH=src python3 scripts/probe_seed_balance.py
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_balance.py --cpu   (a toy size, correctness)
"""

import dataclasses
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians, seed_case, seed_probe_start

from tilesparse import layouts
from tilesparse.kernels.linear_dsd import linear_dsd
from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config
from tilesparse.layout import linear_dw_group_size


def main():
    cpu = "--cpu" in sys.argv
    device, n, repeats = seed_probe_start(cpu)
    nb = n // 32
    for density in (0.5, 0.25) if cpu else (0.5, 0.25, 0.1, 0.05):
        random_layout, ops, _ = seed_case(n, density, device)
        fns, nnz = {}, {}
        for name, layout in (("random", random_layout),
                             ("balanced", layouts.balanced(n, 32, round(density * nb), seed=0))):
            t = layout.tables(device)
            blocks = torch.randn(layout.packed_shape, device=device).to(ops.x.dtype)
            nnz[name] = layout.nnz
            fns[f"forward {name}"] = (lambda t=t, b=blocks: linear_dsd(
                ops.x, b, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb, True, launch=t.row_launch))
            fns[f"dx {name}"] = (lambda t=t, b=blocks: linear_dsd(
                ops.dy, b, t.col_ptr, t.col_rows, t.col_blocks, t.col_order, nb, False, launch=t.col_launch))
            if name == "random":
                group = linear_dw_group_size(32, layout.nnz, nb)
                library = sdd_config(32, 32, group, 2)
                dw_variants = {"dw library": library}
                if group == 8:
                    for per_sm in (8, 12, 16):
                        for warps in (1, 2):
                            dw_variants[f"dw 2 blocks {per_sm}/w{warps}"] = dataclasses.replace(
                                library, split_group=4, persistent=per_sm, num_warps=warps)
                for label, cfg in dw_variants.items():
                    fns[label] = (lambda t=t, c=cfg, g=group: linear_sdd(
                        ops.dy, ops.x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, g, c,
                        group_table=t.group_table))
        ref = fns["dw library"]().float()
        for label, fn in fns.items():
            if label.startswith("dw"):
                assert ((fn().float() - ref).norm() / ref.norm()).item() < 1e-3, label
        ms = interleaved_medians(fns, device, repeats)
        print(f"d={density} nnz random {nnz['random']} balanced {nnz['balanced']}:", flush=True)
        for label, v in ms.items():
            kind = "balanced" if "balanced" in label else "random"
            print(f"  {label}: {v * 1e3:.2f} us, {v * 1e6 / nnz[kind]:.2f} ns a block", flush=True)


if __name__ == "__main__":
    main()
