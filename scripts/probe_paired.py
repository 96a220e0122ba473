"""Development probe (Hopper): the forward/dX Gluon kernel with two programs per SM (``linear_hopper.PAIRED``:
128 batch rows, one consumer warpgroup, 3 stages) against one (``WIDE``: 256 rows, two warpgroups, 4 stages)
and the Triton kernel, at batch 8192, 8192^2, blocks 64 and 128, fp16, d = 0.5 .. 0.01.

Why: below d = 0.25 a program walks few K steps (block 128, d = 0.05: 6 on average), so the ring's fill and the
epilogue are a large part of its time, and with one program per SM nothing overlaps them. Two programs per SM
overlap one's fill with the other's MMAs, at the cost of twice the weight-tile reads (each W tile feeds 128
batch rows, not 256). Compiles without spills on the CPU machine (ptxas, 128 registers, 98 KB shared).

Result (H100, fp16, tuning/h100-2026-11-26g-probe-paired.log): block 128 paired 1.06-1.07x at d = 0.05, 1.06-1.10x
at d = 0.01, 0.93-0.94x at d = 0.1, 0.64-0.83x at d >= 0.25; block 64: the Triton kernel beats both below d = 0.25.
``--tf32`` measures the same with fp32 inputs as TF32 (densities 0.25 .. 0.01).

``--persistent``: also ``PERSISTENT`` (one program an SM walking several batch tiles' segments, the output tile's
store left running under the next segment), fp16 and TF32 (TF32 also with 2 tiles a sweep), d = 0.5 .. 0.01.
A first version handed out items statically (round-robin, alternate rounds reversed): 0.84-0.91x of WIDE at
fp16 block 128 for d = 0.1 .. 0.05, TF32 0.72-0.87x (tuning/h100-2026-11-27j-probe-persistent-static.log); the
programs drift apart over many batch tiles, so x panels fall out of L2. Items now come from a global counter.

``--chunks``: block 128 only, the persistent kernel with its output tile leaving whole (3 stages at 16 bits, 2 at
TF32), in halves or in quarters (4 stages, 3 for TF32 halves), fp16 and TF32 (TF32 also with 2 tiles a sweep).

``--groups``: the WIDE kernel with 1, 2 or 4 batch tiles sweeping the segments together (``tile_group``), fp16 and
TF32, d = 0.5 .. 0.1. At d = 0.5 the weight (64 MB at 16 bits) does not fit in L2, so every batch tile's sweep
reads it from HBM again (2 GB at batch 8192); grouped tiles read each block once per group.

Result (tuning/h100-2026-11-26g-probe-groups.log): TF32 block 128 1.07-1.18x with 2 or 4 tiles at d = 0.5-0.1; fp16
block 128 -3% to +9% (noise level at d <= 0.25), block 64 0.92-1.04x. ``--groups --low``: TF32 block 128 at
d = 0.1, 0.05, 0.01.

``--pairs``: block 64, fp16 d = 0.5 .. 0.05, bf16 d = 0.5/0.25, TF32 d = 0.5 .. 0.1: ``SEGMENT_PAIRS`` (two
segments a program walking the union of their input blocks, each x tile loaded once for both), the segments paired
by overlap (the library's) and as neighbours in launch order, against WIDE, PERSISTENT and dense cuBLAS
(efficiency = dense x d / time). A first run (4 and 3 stages, neighbour pairs only): 1.18x of WIDE at d = 0.5,
1.15x at 0.25, 1.16x at 0.1 (PERSISTENT 1.18x there); 4 stages 1.03x of 3 (tuning/h100-2026-11-27k-probe-pairs.log).
A second (tuning/h100-2026-11-27k-probe-pairs-2.log): neighbour pairs as in kernels/linear_dsd.py
at first; its "pairs" column timed the pairing itself, each call (the probe then built no tables up front), and
is void. The third (tuning/h100-2026-11-27k-probe-pairs-3.log) built both up front: pairs by overlap, now the
library's, 1.24-1.25x of WIDE at d = 0.5 (16-bit), 1.05x of PERSISTENT at d = 0.1, 0.94-0.95x at d = 0.05.

``--persistent-pairs``: block 64, fp16 d = 0.5 .. 0.05, bf16 d = 0.25/0.1, TF32 d = 0.25 .. 0.05: pair programs as
persistent ones (``PERSISTENT_PAIRS``: a program an SM walking pair items, each side's output tile leaving its own
buffer in halves, quarters at TF32, under the next item's MMAs) against one-item pair programs (``SEGMENT_PAIRS``),
PERSISTENT and WIDE, with dense cuBLAS for efficiencies.

``--pair-chunks``: the persistent pair programs' output buffers and bounds: TF32 d = 0.25 .. 0.05 with each side's
tile in halves (3 stages) or quarters (4), fp16 d = 0.25 and below 0.05 (d = 0.025, 0.01), against PERSISTENT and
one-item pairs.

Usage: PYTHONPATH=src python3 scripts/probe_paired.py [--tf32 | --persistent | --chunks | --groups [--low] | --pairs |
--persistent-pairs]
"""

import dataclasses
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_ba_gap import interleaved_medians

from tilesparse.bench.linear import Case, Operands, block_count, random_mask, tf32
from tilesparse.kernels import linear_hopper as hopper
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd
from tilesparse.layout import Layout, segment_pairs


def variants(case, ops, layout, blocks, groups=False):
    t = layout.tables(ops.device)
    forward = case.product == "forward"
    a = ops.x if forward else ops.dy
    seg = ((t.row_ptr, t.row_cols, t.row_blocks, t.row_order) if forward
           else (t.col_ptr, t.col_rows, t.col_blocks, t.col_order))
    segs = layout.blocks_shape[0 if forward else 1]
    triton_cfg = dataclasses.replace(dsd_config(a.shape[0], case.block_size, a.element_size()), hopper_ws=False)

    launch = t.row_launch if forward else t.col_launch  # the layout's cached table, as the library passes it

    def gluon(shape, tile_group=1):
        def fn():
            y = torch.empty(a.shape[0], segs * case.block_size, device=a.device, dtype=a.dtype)
            return hopper.linear_dsd_hopper(a, blocks, y, None, *seg, segs, forward, shape, tile_group, launch=launch)
        return fn

    if groups:
        return {"triton": lambda: linear_dsd(a, blocks, *seg, segs, forward, config=triton_cfg),
                "wide": gluon(hopper.WIDE), "wide G2": gluon(hopper.WIDE, 2), "wide G4": gluon(hopper.WIDE, 4)}
    shapes = {"wide": gluon(hopper.WIDE), "paired": gluon(hopper.PAIRED)}
    if "--chunks" in sys.argv:
        for chunks in (1, 2, 4):
            shapes[f"persistent/{chunks}"] = gluon(dataclasses.replace(hopper.PERSISTENT, out_chunks=chunks))
        if case.dtype == "tf32":
            shapes["wide G2"] = gluon(hopper.WIDE, 2)
            shapes["persistent/4 G2"] = gluon(dataclasses.replace(hopper.PERSISTENT, out_chunks=4), 2)
    elif "--pairs" in sys.argv:  # block 64: two segments a program, their x tiles shared (linear_dsd_hopper_pairs)
        order = seg[3].tolist()
        neighbours = [(order[i], order[i + 1] if i + 1 < len(order) else -1) for i in range(0, len(order), 2)]
        shapes = {"wide": gluon(hopper.WIDE), "persistent": gluon(hopper.PERSISTENT)}
        tables = {"pairs": segment_pairs(*seg), "pairs in order": segment_pairs(*seg, pairing=neighbours)}
        for name, pairs in tables.items():  # built once, as the layout caches them
            shapes[name] = lambda p=pairs: hopper.linear_dsd_hopper(
                a, blocks, torch.empty(a.shape[0], segs * case.block_size, device=a.device, dtype=a.dtype), None,
                *seg, segs, forward, hopper.SEGMENT_PAIRS, groups=p)
        w = torch.randn(case.out_features, case.in_features, device=a.device, dtype=a.dtype)
        shapes["dense"] = (lambda: a @ w.T) if forward else (lambda: a @ w)
    elif "--persistent-pairs" in sys.argv or "--pair-chunks" in sys.argv:  # block 64: pair programs, persistent
        pairs = segment_pairs(*seg)  # built once, as the layout caches them
        persistent_pairs = hopper.PERSISTENT_PAIRS_TF32 if case.dtype == "tf32" else hopper.PERSISTENT_PAIRS
        shapes = {"wide": gluon(hopper.WIDE), "persistent": gluon(hopper.PERSISTENT)}
        variants = [("pairs", hopper.SEGMENT_PAIRS), ("persistent pairs", persistent_pairs)]
        if "--pair-chunks" in sys.argv and case.dtype == "tf32":
            variants = [("pairs", hopper.SEGMENT_PAIRS), ("persistent pairs/2", hopper.PERSISTENT_PAIRS),
                        ("persistent pairs/4", hopper.PERSISTENT_PAIRS_TF32)]
        for name, shape in variants:
            shapes[name] = lambda shape=shape: hopper.linear_dsd_hopper(
                a, blocks, torch.empty(a.shape[0], segs * case.block_size, device=a.device, dtype=a.dtype), None,
                *seg, segs, forward, shape, groups=pairs)
        w = torch.randn(case.out_features, case.in_features, device=a.device, dtype=a.dtype)
        shapes["dense"] = (lambda: a @ w.T) if forward else (lambda: a @ w)
    elif "--persistent" in sys.argv:
        shapes["persistent"] = gluon(hopper.PERSISTENT)
        if case.dtype == "tf32":
            shapes["wide G2"] = gluon(hopper.WIDE, 2)
            shapes["persistent G2"] = gluon(hopper.PERSISTENT, 2)
    return {"triton": lambda: linear_dsd(a, blocks, *seg, segs, forward, config=triton_cfg), **shapes}


def main():
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    n, batch, repeats = 8192, 8192, 3
    groups = "--groups" in sys.argv
    runs = [("fp16", bs, d) for bs in (128, 64) for d in (0.5, 0.25, 0.1, 0.05, 0.01)]
    if "--tf32" in sys.argv:
        runs = [("tf32", bs, d) for bs in (128, 64) for d in (0.25, 0.1, 0.05, 0.01)]
    if "--pair-chunks" in sys.argv:
        runs = [("tf32", 64, d) for d in (0.25, 0.1, 0.05)] + [("fp16", 64, d) for d in (0.25, 0.025, 0.01)]
    elif "--persistent-pairs" in sys.argv:
        runs = [("fp16", 64, d) for d in (0.5, 0.25, 0.1, 0.05)] + [("bf16", 64, d) for d in (0.25, 0.1)]
        runs += [("tf32", 64, d) for d in (0.25, 0.1, 0.05)]
    elif "--persistent" in sys.argv:
        runs = [(dt, bs, d) for dt in ("fp16", "tf32") for bs in (128, 64) for d in (0.5, 0.25, 0.1, 0.05, 0.01)]
    if "--pairs" in sys.argv:
        runs = [("fp16", 64, d) for d in (0.5, 0.25, 0.1, 0.05)] + [("bf16", 64, d) for d in (0.5, 0.25)]
        runs += [("tf32", 64, d) for d in (0.5, 0.25, 0.1)]
    if "--chunks" in sys.argv:
        runs = [(dt, 128, d) for dt in ("fp16", "tf32") for d in (0.5, 0.25, 0.1, 0.05, 0.01)]
    if groups:
        runs = [(dt, bs, d) for dt in ("fp16", "tf32") for bs in (128, 64) for d in (0.5, 0.25, 0.1)]
        if "--low" in sys.argv:  # where TF32 block 128 won, at the lower densities
            runs = [("tf32", 128, d) for d in (0.1, 0.05, 0.01)]
    for dtype, bs, density in runs:
        nnz = block_count(n // bs, n // bs, density)
        layout = Layout(random_mask(n // bs, n // bs, nnz, torch.Generator().manual_seed(0)), bs)
        for product in ("forward", "dx"):
            case = Case(product=product, dtype=dtype, batch=batch, out_features=n, in_features=n,
                        block_size=bs, density=density)
            with tf32(dtype == "tf32"):
                line = measure(case, layout, device, repeats, groups)
            print(f"{dtype} b{bs} {product} d={density}: {line}", flush=True)


def measure(case, layout, device, repeats, groups):
    """Each variant's median time (and TFLOP/s, error against the Triton kernel), one line."""
    ops = Operands(case, device)
    blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
    fns = variants(case, ops, layout, blocks, groups)
    ref = fns["triton"]().float()
    errs = {name: ((fn().float() - ref).norm() / ref.norm()).item() for name, fn in fns.items() if name != "dense"}
    errs["dense"] = float("nan")
    medians = interleaved_medians(fns, device, repeats)
    dense_flops = 2 * case.batch * case.out_features * case.in_features
    efficiency = ("; efficiency (dense x d / time): " + ", ".join(
        f"{name} {medians['dense'] * layout.density / ms:.3f}" for name, ms in medians.items() if name != "dense")
        if "dense" in medians else "")
    return ", ".join(
        f"{name} {ms * 1e3:.1f} us ({medians['wide'] / ms:.2f}x, "
        f"{dense_flops * layout.density / ms / 1e9:.0f} TF, err {errs[name]:.1e})"
        for name, ms in medians.items()) + efficiency


if __name__ == "__main__":
    main()
