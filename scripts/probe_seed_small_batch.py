"""Development probe (GPU): seed-shape forward and dX (12288^2, batch 32, block 32) through the small-batch Hopper
kernel (``linear_hopper.linear_dsd_small_batch``: TMA, a 64-row wgmma a block): a program per segment at 8 stages
("sb8"), persistent programs 1, 2 or 3 an SM ("p1" 32 stages, "p1s16" 16, "p2" 16, "p3" 10), against
the library's Triton config and dense cuBLAS, interleaved cold medians on one machine.

Usage: PYTHONPATH=src python3 scripts/probe_seed_small_batch.py [--dtype bf16] [--densities 0.5,0.25]
"""

import dataclasses
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians, option, seed_case, seed_probe_start

from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd


def main():
    device, n, repeats = seed_probe_start(False)
    dtype = option("--dtype", "fp16")
    densities = [float(d) for d in option("--densities", "0.5,0.25,0.1,0.05,0.02,0.01").split(",")]
    nb = n // 32
    for density in densities:
        layout, ops, t = seed_case(n, density, device, dtype=dtype)
        blocks = torch.randn(layout.packed_shape, device=device).to(ops.x.dtype)
        dense_w = torch.randn(n, n, device=device).to(ops.x.dtype)
        triton_cfg = dataclasses.replace(dsd_config(32, 32, 2, mean_blocks=layout.nnz / nb), hopper_small_batch=False)
        for product in ("forward", "dx"):
            if product == "forward":
                x, args, launch = ops.x, (t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb, True), t.row_launch
                seg_idx, seg_blk = t.row_cols, t.row_blocks
            else:
                x, args, launch = ops.dy, (t.col_ptr, t.col_rows, t.col_blocks, t.col_order, nb, False), t.col_launch
                seg_idx, seg_blk = t.col_rows, t.col_blocks
            fns = {"triton": lambda: linear_dsd(x, blocks, *args, config=triton_cfg, launch=launch)}
            for name, stages, per_sm in (("sb8", 8, 0), ("p1", 32, 1), ("p2", 16, 2), ("p3", 10, 3), ("p1s16", 16, 1)):
                def small(stages=stages, per_sm=per_sm):
                    y = torch.empty(32, nb * 32, device=device, dtype=x.dtype)
                    return hopper.linear_dsd_small_batch(x, blocks, y, None, seg_idx, seg_blk, launch, args[-1],
                                                         stages=stages, per_sm=per_sm)
                fns[name] = small
            fns["dense"] = (lambda: x @ dense_w.T) if product == "forward" else (lambda: x @ dense_w)
            ref = fns["triton"]().double()
            for name in [k for k in fns if k not in ("triton", "dense")]:
                try:
                    out = fns[name]().double()
                    err = ((out - ref).norm() / ref.norm()).item()
                    assert err < 1e-2, f"relative error {err:.2e} against the Triton kernel"
                except Exception as e:
                    print(f"{product} d={density} {name}: {type(e).__name__} {e}", flush=True)
                    del fns[name]
            ms = interleaved_medians(fns, device, repeats)
            print(f"{product} {dtype} d={density}: " + ", ".join(
                f"{k} {v * 1e3:.1f} us ({ms['triton'] / v:.3f}x)" for k, v in ms.items())
                + "; speedup over dense: " + ", ".join(
                f"{k} {ms['dense'] / v:.2f}" for k, v in ms.items() if k != "dense"), flush=True)


if __name__ == "__main__":
    main()
