"""Development probe (GPU): two more seed-shape ideas (12288^2 weight, batch 32, block 32, fp16, the suite's layouts).

- Forward without the block-index load: the forward's table lists the packed blocks in order (entry k is block k),
  so the weight tile's address needs only the launch row (``linear_dsd(..., entry_is_block=True)``), not the
  entry -> block load; only x's tile still waits on an index (its column).
- dW group size and warps: at batch 32 a dW block is 32 x 32 x 32 MACs and 2 KB written, so dW is bound by its
  stores (d = 0.5: 151 MB); the suite measured it at 0.65 of its floor. Groups of 4, 8, 16 blocks per program, 2
  or 4 warps, from the group table.

Each variant is timed cold (the suite's timer), interleaved ``repeats`` times on one machine.

Usage: PYTHONPATH=src python3 scripts/probe_seed_variants.py
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_seed_variants.py --cpu   (a toy size, correctness)
"""

import dataclasses
import statistics
import sys

import torch

from tilesparse.bench.linear import DEFAULT_TIMING, Case, Operands, make_layout, time_ms
from tilesparse.kernels.linear_dsd import linear_dsd
from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config
from tilesparse.layout import group_table, row_groups


def timed(fns, device, repeats):
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(time_ms(fn, device, DEFAULT_TIMING))
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    cpu = "--cpu" in sys.argv
    device = torch.device("cpu" if cpu else "cuda")
    n, repeats = (512, 1) if cpu else (12288, 5)
    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, flush=True)
    for density in (0.5, 0.25, 0.1, 0.05, 0.02, 0.01):
        case = Case(product="forward", dtype="fp16", batch=32, out_features=n, in_features=n, block_size=32,
                    density=density, family="seed")
        layout = make_layout(case)
        ops = Operands(case, device)
        blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
        t = layout.tables(device)
        segs = n // 32
        fwd = (ops.x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, segs, True)
        fns = {f"entry is block {flag}": (lambda flag=flag: linear_dsd(*fwd, launch=t.row_launch,
                                                                        entry_is_block=flag))
               for flag in (False, True)}
        ref = fns["entry is block False"]()
        assert torch.equal(fns["entry is block True"](), ref)
        ms = timed(fns, device, repeats)
        print(f"forward d={density}: " + ", ".join(f"{k} {v * 1e3:.2f} us" for k, v in ms.items()), flush=True)

        fns = {}
        for group in (4, 8, 16):
            first, rows = row_groups(t.row_ptr, group)
            table = group_table(t.row_ptr, t.block_cols, first, rows, group)
            base = sdd_config(32, 32, group, 2)
            for warps in (2, 4):
                cfg = dataclasses.replace(base, num_warps=warps)
                fns[f"G{group} w{warps}"] = (lambda f=first, r=rows, g=group, c=cfg, tb=table: linear_sdd(
                    ops.dy, ops.x, t.row_ptr, t.block_cols, f, r, 32, g, c, group_table=tb))
        ref = next(iter(fns.values()))().float()
        for name, fn in fns.items():  # MMA widths differ, so the fp32 sums may round differently
            assert ((fn().float() - ref).norm() / ref.norm()).item() < 1e-3, name
        ms = timed(fns, device, repeats)
        print(f"dw d={density}: " + ", ".join(f"{k} {v * 1e3:.2f} us" for k, v in ms.items()), flush=True)


if __name__ == "__main__":
    main()
