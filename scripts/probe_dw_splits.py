"""Development probe (Hopper): dW with the batch split (``linear_hopper.dw_splits``), against unsplit programs.

A dW program owns a group (one or two blocks of a row at block 128) for the whole batch, so a layout with few
groups leaves SMs idle: 41 single blocks at 8192^2, d = 0.01, run as one round on 41 of 132 SMs; 221 pairs at
d = 0.1 as two rounds, the second part-empty. Split programs write fp32 tiles to a workspace and the last split sums
them. This times every split count up to 8 (keeping 16 steps a split) at batch 8192 on the suite's random layouts,
with dense cuBLAS's dW (dY^T x) for efficiencies, and marks the count ``dw_splits`` chooses.

Usage: PYTHONPATH=src python3 scripts/probe_dw_splits.py
"""

import statistics

import torch
import triton

from tilesparse.bench.linear import DEFAULT_TIMING, block_count, random_mask, time_ms
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels import sm_count
from tilesparse.layout import Layout, linear_dw_group_size

CASES = [  # (features, block, density, dtype)
    (8192, 128, 0.01, torch.float16), (8192, 128, 0.05, torch.float16), (8192, 128, 0.1, torch.float16),
    (8192, 64, 0.01, torch.float16), (4096, 128, 0.05, torch.float16), (4096, 128, 0.1, torch.float16),
    (4096, 128, 0.25, torch.float16), (4096, 128, 0.1, torch.bfloat16), (2048, 128, 0.25, torch.float16),
]


def main():
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    batch, repeats = 8192, 5
    for n, bs, density, dtype in CASES:
        nnz = block_count(n // bs, n // bs, density)
        layout = Layout(random_mask(n // bs, n // bs, nnz, torch.Generator().manual_seed(0)), bs)
        t = layout.tables(device)
        group = linear_dw_group_size(bs, nnz, n // bs)
        groups = t.group_first.numel()
        x = torch.randn(batch, n, device=device, dtype=dtype)
        dy = torch.randn(batch, n, device=device, dtype=dtype)
        steps = triton.cdiv(batch, hopper.k_step(dtype))
        chosen = hopper.dw_splits(groups, steps, sm_count(device), hopper.dw_tile_steps(bs, group, dtype))

        def run(splits):
            dw = torch.empty(layout.packed_shape, device=device, dtype=dtype)
            return lambda: hopper.linear_sdd_hopper(dy, x, dw, t.row_ptr, t.block_cols, t.group_first, t.group_rows,
                                                    bs, group, splits=splits)

        fns = {"dense": lambda: dy.T @ x}
        fns.update({s: run(s) for s in range(1, hopper.DW_MAX_SPLITS + 1) if s == 1 or steps // s >= 16})
        ref = fns[1]().float()
        errs = {s: ((fn().float() - ref).norm() / ref.norm()).item() for s, fn in fns.items() if s != "dense"}
        times = {s: [] for s in fns}
        for _ in range(repeats):
            for s, fn in fns.items():
                times[s].append(time_ms(fn, device, DEFAULT_TIMING))
        ms = {s: statistics.median(v) for s, v in times.items()}
        line = ", ".join(f"{s}{'*' if s == chosen else ''} {ms[s] * 1e3:.1f} us ({ms[1] / ms[s]:.2f}x, "
                         f"eff {ms['dense'] * layout.density / ms[s]:.3f}, err {errs[s]:.0e})"
                         for s in fns if s != "dense")
        print(f"{n}^2 b{bs} {str(dtype)[6:]} d={layout.density:.3f} groups {groups} of {group}, dense "
              f"{ms['dense'] * 1e3:.1f} us; splits: {line}", flush=True)


if __name__ == "__main__":
    main()
