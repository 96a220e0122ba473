"""Development probe (GPU): seed-shape forward and dX (12288^2, batch 32, block 32, fp16) at pipeline depths
12-32 with the library's launch-table config (2 warps). The 16-stage choice was measured before the launch table
(scripts/probe_small_batch.py --cold: 24 and 32 stages slower); Triton gives about half of the stages to the index
loads (28.7 KB of shared memory at 16: 7 tile stages), and ncu shows the forward's few warps waiting.

Run (tuning/h100-2026-11-27i-probe-seed-stages.log, H100): 16 stages was the fastest or within 1.4% at every
density (12 stages 0.97-1.01x, 20 stages 0.98-0.99x, 24 0.93-0.98x, 32 0.87-0.96x). The library keeps 16.

Usage: PYTHONPATH=src python3 scripts/probe_seed_stages.py
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_stages.py --cpu   (a toy size, correctness)
"""

import dataclasses
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians, seed_case, seed_probe_start

from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd


def main():
    cpu = "--cpu" in sys.argv
    device, n, repeats = seed_probe_start(cpu)
    nb = n // 32
    for density in (0.5,) if cpu else (0.5, 0.25, 0.1, 0.05):
        layout, ops, t = seed_case(n, density, device)
        blocks = torch.randn(layout.packed_shape, device=device).to(ops.x.dtype)
        base = dsd_config(32, 32, 2, mean_blocks=layout.nnz / nb)
        for product in ("forward", "dx"):
            fns = {}
            for stages in (16,) if cpu else (16, 12, 20, 24, 32):
                cfg = dataclasses.replace(base, num_stages=stages)
                if product == "forward":
                    args = (ops.x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb, True)
                    launch = t.row_launch
                else:
                    args = (ops.dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, t.col_order, nb, False)
                    launch = t.col_launch
                fns[f"s{stages}"] = lambda a=args, c=cfg, lt=launch: linear_dsd(*a, config=c, launch=lt)
            ref = fns["s16"]()
            for name, fn in list(fns.items()):
                try:
                    assert torch.equal(fn(), ref), name  # the same sums in the same order
                except Exception as e:  # e.g. more shared memory than an SM has
                    print(f"{product} d={density} {name}: {type(e).__name__} {e}", flush=True)
                    del fns[name]
            ms = interleaved_medians(fns, device, repeats)
            print(f"{product} d={density} (library {base.num_stages} stages): " + ", ".join(
                f"{k} {v * 1e3:.2f} us ({ms['s16'] / v:.3f}x)" for k, v in ms.items()), flush=True)


if __name__ == "__main__":
    main()
