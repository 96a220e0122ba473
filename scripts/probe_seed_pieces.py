"""Development probe (GPU): seed-shape forward and dX (12288^2 weight, batch 32, block 32) with each segment split
into pieces (``DsdConfig.pieces``): a program per piece writing an fp32 partial, a second kernel summing them in
piece order.

At batch 32 there is one batch tile, so the forward launches one program per output block: 384 programs, about 3
an SM, each walking its row's blocks (96 at d = 0.25) with about 7 weight tiles in flight (Triton's pipeline gives
the index loads half of the 16 stages). That is about 42 KB of weight loads in flight an SM; the suite measured
1.7 TB/s at d = 0.25. Pieces multiply the programs. An earlier split-K with fp32 atomics (before the 16-stage,
2-warp, launch-table config) gained 1.2x at d = 0.25, nothing at 0.05 and lost at 0.01.

Usage: PYTHONPATH=src python3 scripts/probe_seed_pieces.py
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_pieces.py --cpu   (a toy size, correctness)
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
        for density in (0.5, 0.25) if cpu else (0.5, 0.25, 0.1, 0.05, 0.01):
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
                for pieces in (1, 2, 3, 4, 6):
                    for stages in (16, 8):
                        if cpu and stages == 8:
                            continue
                        cfg = dataclasses.replace(base, pieces=pieces, num_stages=stages)
                        fns[f"p{pieces} s{stages}"] = lambda c=cfg: run(c)
                if not cpu:
                    fns["dense"] = dense
                ref = fns["p1 s16"]().float()
                for name, fn in fns.items():
                    if name != "dense":
                        assert ((fn().float() - ref).norm() / ref.norm()).item() < 1e-3, name
                ms = interleaved_medians(fns, device, repeats)
                base_ms = ms["p1 s16"]
                print(f"{product} {dtype} d={density}: " + ", ".join(
                    f"{k} {v * 1e3:.1f} us ({base_ms / v:.2f}x)" for k, v in ms.items())
                    + (f"; speedup over dense at p1 s16 {ms['dense'] / base_ms:.2f}, best "
                       f"{ms['dense'] / min(v for k, v in ms.items() if k != 'dense'):.2f}" if not cpu else ""),
                    flush=True)


if __name__ == "__main__":
    main()
