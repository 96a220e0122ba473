"""Debug aid for the block-32 segment-group kernel: per segment and per half batch tile, the relative error against
float64, for groups of 8 and 4, on dense and random layouts, one case a process (an illegal address ends the CUDA
context).

What it found (tuning/h100-2026-11-27l-debug-groups-1.log): the first version, one MMA a present segment in a branch
each, was right on dense layouts and wrong on random ones, in the first warpgroup's rows only, for segments after
an absent one, whether MMAs were left in flight or waited for one by one. The SASS of the default partition showed
why: ptxas computed the second K step's x-tile descriptor in one segment's branch and reused it in the next
segment's. The kernel now multiplies all G blocks as one MMA (``-2.log``: every case right)."""

import sys

import torch

import tilesparse as ts
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.layout import Layout, segment_groups


def errors(layout, batch, group, forward=True, dtype=torch.float16):
    t = layout.tables("cuda")
    rows, cols = layout.blocks_shape
    blocks = torch.randn(layout.packed_shape, device="cuda").to(dtype)
    w64 = ts.to_dense(blocks.double(), layout)
    if forward:
        a = torch.randn(batch, cols * 32, device="cuda").to(dtype)
        seg, segs, ref = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), rows, a.double() @ w64.T
    else:
        a = torch.randn(batch, rows * 32, device="cuda").to(dtype)
        seg, segs, ref = (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), cols, a.double() @ w64
    groups = segment_groups(*seg, group)
    out = torch.full((batch, segs * 32), float("nan"), device="cuda", dtype=dtype)
    hopper.linear_dsd_hopper_groups(a, blocks, out, None, groups, forward, group)
    torch.cuda.synchronize()
    diff = (out.double() - ref).cpu()
    half = hopper.group_batch_tile(group, 32) // 2
    per_seg = []
    for s in range(segs):
        d = diff[:, s * 32:(s + 1) * 32]
        r = ref[:, s * 32:(s + 1) * 32].cpu()
        halves = [(d[h:h + half].norm() / max(r[h:h + half].norm(), 1e-9)).item() for h in range(0, batch, half)]
        per_seg.append(" ".join(f"{e:.0e}" for e in halves))
    total = (diff.norm() / ref.cpu().norm()).item()
    return total, per_seg, groups[0].tolist()


CASES = {  # name: (rows, cols, random mask?, batch, group)
    "dense-8x4-b300-G8": (8, 4, False, 300, 8),
    "dense-11x4-b128-G8": (11, 4, False, 128, 8),
    "random-8x9-b128-G8": (8, 9, True, 128, 8),
    "random-11x9-b128-G8": (11, 9, True, 128, 8),
    "random-8x9-b256-G4": (8, 9, True, 256, 4),
}


def main():
    """One case a process (an illegal address ends the CUDA context): ``python3 debug_groups.py CASE``."""
    torch.manual_seed(0)
    rows, cols, random, batch, group = CASES[sys.argv[1]]
    if random:
        mask = torch.rand(rows, cols, generator=torch.Generator().manual_seed(3)) < 0.6
    else:
        mask = torch.ones(rows, cols, dtype=torch.bool)
    layout = Layout(mask, 32)
    for forward in (True, False):
        total, per_seg, launch = errors(layout, batch, group, forward)
        print(f"{sys.argv[1]} {'forward' if forward else 'dx'}: total {total:.2e}", flush=True)
        if total > 1e-2:
            print("  launch", launch)
            for s, e in enumerate(per_seg):
                print(f"  segment {s}: {e}")


if __name__ == "__main__":
    main()
