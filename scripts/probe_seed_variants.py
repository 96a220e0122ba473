"""Development probe (GPU): dW group sizes at the seed shape (12288^2 weight, batch 32, block 32, fp16, the suite's
layouts).

At batch 32 a dW block is 32 x 32 x 32 MACs and 2 KB written, so dW is bound by its stores (d = 0.5: 151 MB); the
suite measured it at 0.65 of its floor. Groups of 4, 8, 16 blocks per program, 2 or 4 warps, from the group table,
and the layout's groups of 8 split over two programs (``SddConfig.split_group``), which is how the library can run
groups of 4 without a second set of tables.

First run (tuning/h100-2026-11-27g-probe-seed-variants.log, H100): groups of 4 with 2 warps were fastest at every
density, against the layout's 8 at d >= 0.05: 1.05-1.07x at d = 0.1-0.5, 1.30x at d = 0.05. The same run timed
the forward without its entry -> block index load (the forward's entries are its packed blocks in order, so the
weight tile's address needs no load): 1-4% *slower* at every density, so the kernel keeps the load.

``--splits``: the layout's groups of 8 (its table, as the library runs them) split over 1, 2, 4 or 8 programs
(8 to 1 blocks a program), at 1, 2 and 4 warps: whether programs smaller than 4 blocks store faster still.
They do not (tuning/h100-2026-11-27h-probe-seed-splits.log): the library's 4 blocks with 2 warps was fastest or
within 3% of the fastest at every density (2 blocks with 1 warp: 80.2 against 82.4 us at d = 0.5); 1 block
was 7-20% slower, 1 warp with 8 blocks 1.5x slower.

Each variant is timed cold (the suite's timer), interleaved ``repeats`` times on one machine.

Usage: PYTHONPATH=src python3 scripts/probe_seed_variants.py [--splits]
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_variants.py --cpu   (a toy size, correctness)
"""

import dataclasses
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians

from tilesparse.bench.linear import Case, Operands, make_layout
from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config
from tilesparse.layout import group_table, row_groups


def main():
    cpu = "--cpu" in sys.argv
    device = torch.device("cpu" if cpu else "cuda")
    n, repeats = (512, 1) if cpu else (12288, 5)
    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, flush=True)
    for density in (0.5, 0.25, 0.1, 0.05):  # the layout's groups are 8 from d = 0.05 (16+ blocks a row)
        case = Case(product="dw", dtype="fp16", batch=32, out_features=n, in_features=n, block_size=32,
                    density=density, family="seed")
        layout = make_layout(case)
        ops = Operands(case, device)
        t = layout.tables(device)
        fns = {}
        if "--splits" in sys.argv:
            base = sdd_config(32, 32, 8, 2)
            for split in (1, 2, 4, 8):
                for warps in (1, 2, 4):
                    cfg = dataclasses.replace(base, num_warps=warps, split_group=split)
                    fns[f"{8 // split} blocks w{warps}"] = (lambda c=cfg: linear_sdd(
                        ops.dy, ops.x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, 8, c,
                        group_table=t.group_table))
        for group in () if "--splits" in sys.argv else (4, 8, 16):
            first, rows = row_groups(t.row_ptr, group)
            table = group_table(t.row_ptr, t.block_cols, first, rows, group)
            base = sdd_config(32, 32, group, 2)
            for warps, split in ((2, 1), (4, 1), (2, 2)):
                if split > 1 and group != 8:
                    continue
                cfg = dataclasses.replace(base, num_warps=warps, split_group=split)
                name = f"G{group} w{warps}" + (f" split{split}" if split > 1 else "")
                fns[name] = (lambda f=first, r=rows, g=group, c=cfg, tb=table: linear_sdd(
                    ops.dy, ops.x, t.row_ptr, t.block_cols, f, r, 32, g, c, group_table=tb))
        library = sdd_config(32, 32, 8, 2)
        fns["library (G8)"] = lambda: linear_sdd(ops.dy, ops.x, t.row_ptr, t.block_cols, t.group_first,
                                                 t.group_rows, 32, 8, library, group_table=t.group_table)
        ref = next(iter(fns.values()))().float()
        for name, fn in fns.items():  # MMA widths differ, so the fp32 sums may round differently
            assert ((fn().float() - ref).norm() / ref.norm()).item() < 1e-3, name
        ms = interleaved_medians(fns, device, repeats)
        print(f"dw d={density}: " + ", ".join(f"{k} {v * 1e3:.2f} us" for k, v in ms.items()), flush=True)


if __name__ == "__main__":
    main()
