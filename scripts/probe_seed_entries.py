"""Development probe (GPU): seed-shape forward and dX (12288^2 weight, batch 32, block 32) taking several packed
entries a loop step (``DsdConfig.step_entries``: one MMA with K = entries x 32), with pipeline depths and warps.

At batch 32 there is one batch tile, so the forward launches one program per output block: 384 programs, about 3
an SM. ncu (tuning/h100-2026-11-27i-ncu-forward-0.25.log): DRAM 65% busy, 8.5% of warps active, and the active
warps issue an instruction every 4.5 cycles: about 150 instructions a warp per block at d = 0.25, so the few warps
are busy issuing, not waiting. Segments split into pieces (more programs; a second kernel summing fp32 partials)
never beat one piece: best 1.00/0.97/0.93/0.84/0.72x at d = 0.5/0.25/0.1/0.05/0.01
(tuning/h100-2026-11-27i-probe-seed-pieces.log; probe and kernel at commit a54e0e9, since reverted). Several
entries a step cut the instructions a block instead.

Usage: PYTHONPATH=src python3 scripts/probe_seed_entries.py
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_entries.py --cpu   (a toy size, correctness)
"""

import dataclasses
import os
import sys

import torch
import triton

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians

from tilesparse.bench.linear import Case, Operands, make_layout
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd


def main():
    cpu = "--cpu" in sys.argv
    device = torch.device("cpu" if cpu else "cuda")
    n, repeats = (512, 1) if cpu else (12288, 5)
    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, triton.__version__, flush=True)
    for dtype in ("fp16",) if cpu else ("fp16", "bf16"):
        for density in (0.5, 0.25) if cpu else ((0.5, 0.25, 0.1, 0.05, 0.01) if dtype == "fp16" else (0.25,)):
            case = Case(product="forward", dtype=dtype, batch=32, out_features=n, in_features=n, block_size=32,
                        density=density, family="seed")
            layout = make_layout(case)
            ops = Operands(case, device)
            t = layout.tables(device)
            blocks = torch.randn(layout.packed_shape, device=device).to(ops.x.dtype)
            nb = n // 32
            base = dsd_config(32, 32, 2, mean_blocks=layout.nnz / nb)
            products = {
                "forward": (lambda c: linear_dsd(ops.x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb,
                                                 True, config=c, launch=t.row_launch),
                            lambda: ops.x @ ops.weight.T),
                "dx": (lambda c: linear_dsd(ops.dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, t.col_order, nb,
                                            False, config=c, launch=t.col_launch),
                       lambda: ops.dy @ ops.weight),
            }
            if dtype == "bf16" and not cpu:
                products.pop("dx")
            for product, (run, dense) in products.items():
                fns = {}
                variants = [(1, 16, 2), (2, 16, 2)] if cpu else [
                    (1, 16, 2), (2, 16, 2), (2, 8, 2), (2, 12, 2), (2, 16, 4), (4, 8, 2), (4, 12, 2), (4, 8, 4),
                    (1, 16, 4)]
                for entries, stages, warps in variants:
                    cfg = dataclasses.replace(base, step_entries=entries, num_stages=stages, num_warps=warps)
                    fns[f"e{entries} s{stages} w{warps}"] = lambda c=cfg: run(c)
                if not cpu:
                    fns["dense"] = dense
                ref = fns["e1 s16 w2"]().float()
                for name, fn in list(fns.items()):
                    if name != "dense":
                        try:
                            out = fn().float()
                        except Exception as e:  # e.g. more shared memory than an SM has
                            print(f"{product} {dtype} d={density}: {name} failed: {type(e).__name__}", flush=True)
                            del fns[name]
                            continue
                        assert ((out - ref).norm() / ref.norm()).item() < 1e-3, name
                ms = interleaved_medians(fns, device, repeats)
                base_ms = ms["e1 s16 w2"]
                print(f"{product} {dtype} d={density}: " + ", ".join(
                    f"{k} {v * 1e3:.1f} us ({base_ms / v:.2f}x)" for k, v in ms.items())
                    + (f"; speedup over dense at e1 s16 w2 {ms['dense'] / base_ms:.2f}, best "
                       f"{ms['dense'] / min(v for k, v in ms.items() if k != 'dense'):.2f}" if not cpu else ""),
                    flush=True)


if __name__ == "__main__":
    main()
