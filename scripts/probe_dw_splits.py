"""Development probe (Hopper): dW with the batch split (``linear_hopper.dw_splits``), against unsplit programs.

A dW program owns a group (one or two blocks of a row at block 128) for the whole batch, so a layout with few
groups leaves SMs idle: 41 single blocks at 8192^2, d = 0.01, run as one round on 41 of 132 SMs; 221 pairs at
d = 0.1 as two rounds, the second part-empty. Split programs write fp32 tiles to a workspace and the last split sums
them. This times every split count up to ``--max-splits`` (8; keeping 16 steps a split) at batch 8192 on the
suite's random layouts, with dense cuBLAS's dW (dY^T x) for efficiencies, and marks the count ``dw_splits`` chooses.

Result (H100, tuning/h100-2026-11-27q-probe-dw-splits.log, the first rule then chosen marked): splits won only with
pairs filling at most half the SMs (4096^2 at d = 0.1: 1.17-1.20x in 2; 2048^2 at d = 0.25: 1.38x in 2, 1.44x in
3) and lost elsewhere (0.47-1.00x), so ``dw_splits`` now splits there only.

``--against-old``: the unsplit kernel now (its loops take a split's steps, the epilogue a branch for splits)
against the one before the splits (old_src/tilesparse_old, commit 5be1a71), interleaved, on the suite's 8192^2
cases at block 128 (fp16 d = 0.5 .. 0.01, TF32 d = 0.1) and block 64 at d = 0.01; with ``--aa`` each is also
timed against itself (old, now, old again, now again in turn), the bias of the order.

``--tail``: the groups of a last round splitting alone (``split_first``): the suite's 8192^2 layout at d = 0.25
(530 pairs: 4 rounds of 132 and 2 left) fp16 and bf16, and 4096^2 at d = 0.25 (136 pairs: 132 and 4), the last
round's groups in 2, 4 and 8 against unsplit, the rule's choice marked.

Usage: PYTHONPATH=src python3 scripts/probe_dw_splits.py [--max-splits N | --against-old [--aa] | --tail]
"""

import statistics
import sys

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


def against_old(device):
    sys.path.insert(0, "old_src")
    from tilesparse_old.kernels import linear_hopper as old

    from tilesparse.bench.linear import tf32

    cases = [(128, d, torch.float16) for d in (0.5, 0.25, 0.1, 0.05, 0.01)]
    cases += [(128, 0.1, torch.float32), (64, 0.01, torch.float16)]
    n = batch = 8192
    for bs, density, dtype in cases:
        nnz = block_count(n // bs, n // bs, density)
        layout = Layout(random_mask(n // bs, n // bs, nnz, torch.Generator().manual_seed(0)), bs)
        t = layout.tables(device)
        group = linear_dw_group_size(bs, nnz, n // bs)
        x = torch.randn(batch, n, device=device, dtype=dtype)
        dy = torch.randn(batch, n, device=device, dtype=dtype)
        dw = torch.empty(layout.packed_shape, device=device, dtype=dtype)
        args = (dy, x, dw, t.row_ptr, t.block_cols, t.group_first, t.group_rows, bs, group)
        fns = {"old": lambda: old.linear_sdd_hopper(*args), "now": lambda: hopper.linear_sdd_hopper(*args, splits=1)}
        if "--aa" in sys.argv:  # each timed against itself too: the order's own bias
            fns.update({"old again": fns["old"], "now again": fns["now"]})
        with tf32(dtype == torch.float32):
            ref = fns["old"]().clone()
            same = torch.equal(fns["now"](), ref)
            times = {name: [] for name in fns}
            for _ in range(7):
                for name, fn in fns.items():
                    times[name].append(time_ms(fn, device, DEFAULT_TIMING))
        ms = {name: statistics.median(v) for name, v in times.items()}
        aa = (f"; old / old again {ms['old'] / ms['old again']:.3f}x, "
              f"now / now again {ms['now'] / ms['now again']:.3f}x" if "--aa" in sys.argv else "")
        print(f"b{bs} {str(dtype)[6:]} d={density}: old {ms['old'] * 1e3:.1f} us, now {ms['now'] * 1e3:.1f} us "
              f"({ms['old'] / ms['now']:.3f}x), same bits {same}{aa}", flush=True)


def main():
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    if "--against-old" in sys.argv:
        return against_old(device)
    batch, repeats = 8192, 5
    tail = "--tail" in sys.argv
    cases = [(8192, 128, 0.25, torch.float16), (8192, 128, 0.25, torch.bfloat16), (4096, 128, 0.25, torch.float16)]
    for n, bs, density, dtype in cases if tail else CASES:
        nnz = block_count(n // bs, n // bs, density)
        layout = Layout(random_mask(n // bs, n // bs, nnz, torch.Generator().manual_seed(0)), bs)
        t = layout.tables(device)
        group = linear_dw_group_size(bs, nnz, n // bs)
        groups = t.group_first.numel()
        x = torch.randn(batch, n, device=device, dtype=dtype)
        dy = torch.randn(batch, n, device=device, dtype=dtype)
        steps = triton.cdiv(batch, hopper.k_step(dtype))
        chosen_first, chosen = hopper.dw_splits(groups, steps, sm_count(device), group)
        first = groups - groups % sm_count(device) if tail else 0

        def run(splits):
            dw = torch.empty(layout.packed_shape, device=device, dtype=dtype)
            return lambda: hopper.linear_sdd_hopper(dy, x, dw, t.row_ptr, t.block_cols, t.group_first, t.group_rows,
                                                    bs, group, splits=splits, split_first=first)

        fns = {"dense": lambda: dy.T @ x}
        most = int(sys.argv[sys.argv.index("--max-splits") + 1]) if "--max-splits" in sys.argv else 8
        counts = (1, 2, 4, 8) if tail else range(1, most + 1)
        fns.update({s: run(s) for s in counts if s == 1 or steps // s >= 16})
        chosen = chosen if chosen_first == first else None  # the rule's choice, where it splits these groups
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
        print(f"{n}^2 b{bs} {str(dtype)[6:]} d={layout.density:.3f} groups {groups} of {group} (split from {first}), "
              f"dense "
              f"{ms['dense'] * 1e3:.1f} us; splits: {line}", flush=True)


if __name__ == "__main__":
    main()
